"""coverage suite: the coverage kernel records what ran, and only that.

`make coverage` (tools/coverage.py, test/kcov.py) trusts kernel/kernel-cov
to set a bit for each basic block that runs, and the host to read the bits
back and map them to lines.  One boot checks both ends: a workload that
forks must show uvmcopy()'s lines executed, and the kernel self-audit,
which it never calls, must show none of kernel/sys/audit.c's.  (Both are
in every tree, starters included.)

docs/coverage.md lists every line make test leaves unexecuted with its
reason from tools/unexecuted.txt; a second test, which boots nothing,
holds that list to the sources and the reasons file.
"""

import os

from csource import function_lines
from harness import REPO, Suite, TestSkipped, check
import kcov

suite = Suite("coverage", cpus=(3,), boot=False)

WORKLOAD = "cowtest simple"  # forks, then writes
RAN = ("kernel/mm/vm.c", "uvmcopy")
NEVER_RAN = "kernel/sys/audit.c"
DOC = os.path.join(REPO, "docs", "coverage.md")
SHOWN = 8                    # problems of each kind a failure message quotes


@suite.test
def coverage_kernel_records_the_blocks_that_ran(m):
    kcov.build()
    coverage = kcov.measure(lambda machine: machine.run(WORKLOAD), cpus=m.cpus)
    path, function = RAN
    with open(os.path.join(REPO, path)) as f:
        (first, last), = function_lines(f.read())[function]
    ran = [n for n in range(first, last + 1) if coverage.executed(path, n)]
    check(ran, "expected `%s` to execute lines of %s() (%s), the coverage kernel shows none: "
          "%d of %d lines in all" % ((WORKLOAD, function, path) + coverage.totals()))
    executed, instrumented = coverage.totals(NEVER_RAN)
    check(instrumented > 0 and executed == 0,
          "expected %s to hold instrumented lines, none executed by `%s`; found %d of %d"
          % (NEVER_RAN, WORKLOAD, executed, instrumented))
    return "%d of %d lines executed; %d in %s()" % (coverage.totals() + (len(ran), function))


def quoted(what, items):
    return "%d %s%s" % (len(items), what, "".join("\n  %s" % (item,) for item in items[:SHOWN]))


@suite.test
def every_line_make_test_leaves_unexecuted_has_a_reason(m):
    if not os.path.exists(DOC):
        raise TestSkipped("this tree has no %s (a starter: it would quote the solution)"
                          % os.path.relpath(DOC, REPO))
    with open(DOC) as f:
        listed = kcov.listed_unexecuted(f.read())
    check(listed, "expected %s to list the lines make test leaves unexecuted, found none" % DOC)
    lines = [line for line, _ in listed]
    moved = [line for line in lines if not kcov.still_in_source(line)]
    explained, unexplained, unused = kcov.explain(lines, kcov.read_reasons())
    reason_of = {line: reason for reason, group in explained.items() for line in group}
    stale = [line for line, reason in listed if line in reason_of and reason_of[line] != reason]
    check(not (moved or unexplained or unused or stale),
          "expected each unexecuted line docs/coverage.md lists to be in its function still, "
          "and each to have the reason tools/unexecuted.txt gives, every pattern there matching "
          "one; found %s; %s; %s; %s.  Give a reason or a test, then regenerate the list "
          "(make coverage, or tools/coverage.py --reasons coverage/kernel.info)"
          % (quoted("lines no longer in their function", moved),
             quoted("lines without a reason", unexplained),
             quoted("patterns matching no line", unused),
             quoted("lines whose reason changed", stale)))
    return "%d unexecuted lines, %d reasons" % (len(lines), len([r for r in explained
                                                                  if explained[r]]))
