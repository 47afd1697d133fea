"""Copy-on-write suite: cowtest passes on one CPU and on three, and the
kernel's COW counters (cowstat) show the work it did.

The run is `cowstat cowtest`, so one run checks both: cowtest's verdict, and
that its forks really shared pages (faults, copies and sole-owner reuses
happened, one child was killed for lack of memory, and every page came back),
and that the counters add up: every fault is one copy, reuse or out-of-memory.
In the solved tree, fault-around (kernel/mm/cowaround.c) must have made
some pages writable without a fault of their own, and copy-ahead
(kernel/mm/cowahead.c) copied some before their first write.
test/shared_tests.py runs the same check (test/kernelchecks.py) on the
FORK=shared kernel.
"""

from harness import Suite
from kernelchecks import check_cowtest

suite = Suite("cow", cpus=(1, 3))


@suite.test
def cowtest_passes_and_counters_show_sharing(m):
    return check_cowtest(m)
