"""Copy-ahead suite: a child that writes its parent's pages in order gets
the next pages copied in the same fault, and one that skips pages does not
(kernel/mm/cowahead.c, beyond the lab; the checks are test/copyahead.py's).

Copy-ahead is beyond the lab: a starter tree has no kernel/mm/cowahead.c,
and then this suite has no tests (a student who writes one, as the
challenge suggests, gets them).  test/shared_tests.py runs the same checks
on the FORK=shared kernel.
"""

from copyahead import COPY_AHEAD, check_sequential, check_sparse
from harness import Suite

suite = Suite("cowahead", cpus=(1, 3) if COPY_AHEAD else ())


@suite.test
def writer_that_stops_wastes_at_most_the_window(m):
    return check_sequential(m, 200, 100)


@suite.test
def long_sequential_writer_takes_a_fault_per_window(m):
    return check_sequential(m, 4096, 4096)


@suite.test
def writer_that_skips_pages_gets_no_copy_ahead(m):
    return check_sparse(m)
