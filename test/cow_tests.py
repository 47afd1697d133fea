"""Copy-on-write suite: cowtest passes on one CPU and on three, and the
kernel's COW counters (cowstat) show the work it did.

The run is `cowstat cowtest`, so one run checks both: cowtest's verdict, and
that its forks really shared pages (faults, copies and sole-owner reuses
happened, one child was killed for lack of memory, and every page came back),
and that the counters add up: every fault is one copy, reuse or out-of-memory.
In the solved tree, fault-around (kernel/mm/cowaround.c) must have made
some pages writable without a fault of their own, and copy-ahead
(kernel/mm/cowahead.c) copied some before their first write.
test/shared_tests.py runs the same check on the FORK=shared kernel.
"""

import os
import re

from harness import REPO, Suite, check

COWTEST_TIMEOUT = 600   # seconds; ~35 s on an idle host

# Fault-around is beyond the lab: a starter tree has no cowaround.c, so a
# student's correct solution reuses no page around a fault.
FAULT_AROUND = os.path.exists(os.path.join(REPO, "kernel", "mm", "cowaround.c"))
# So is copy-ahead (kernel/mm/cowahead.c): cowtest's children write in order.
COPY_AHEAD = os.path.exists(os.path.join(REPO, "kernel", "mm", "cowahead.c"))
COUNTED = ("cow_faults", "pages_copied", "pages_reused", "oom_kills") + (
    ("pages_reused_around",) if FAULT_AROUND else ()) + (
    ("pages_copied_ahead",) if COPY_AHEAD else ())

suite = Suite("cow", cpus=(1, 3))


def counters(out):
    return {name: int(value) for name, value in re.findall(r"(?m)^(\w+) (\d+)$", out)}


@suite.test
def cowtest_passes_and_counters_show_sharing(m):
    return check_cowtest(m)


def check_cowtest(m):
    """Runs `cowstat cowtest` on m and checks its verdict and counters."""
    out = m.run("cowstat cowtest", timeout=COWTEST_TIMEOUT)
    failed = re.findall(r"(?m)^.*FAILED.*$", out)
    check("ALL COW TESTS PASSED" in out,
          "expected ALL COW TESTS PASSED, got: %s" % ("; ".join(failed) or out[-600:]))
    c = counters(out)
    for name in COUNTED:
        check(c.get(name, 0) > 0, "expected cowstat to count some %s during cowtest, got %r" % (name, c))
    outcomes = c.get("pages_copied", 0) + c.get("pages_reused", 0) + c.get("out_of_memory", 0)
    check(c.get("cow_faults") == outcomes,
          "expected every COW fault to end in exactly one copy, reuse or out-of-memory: "
          "cow_faults %s, but pages_copied + pages_reused + out_of_memory = %d (%r)"
          % (c.get("cow_faults"), outcomes, c))
    check(c.get("free_pages_before") == c.get("free_pages_after"),
          "expected every page back after cowtest: free pages %s before, %s after"
          % (c.get("free_pages_before"), c.get("free_pages_after")))
    return ("%d faults, %d copies, %d reuses, %d reused around, %d copied ahead"
            % tuple(c.get(name, 0) for name in ("cow_faults", "pages_copied", "pages_reused",
                                               "pages_reused_around", "pages_copied_ahead")))
