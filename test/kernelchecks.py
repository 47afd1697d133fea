"""Whole-program checks of a booted machine, which more than one suite runs:
the cow and regression suites on the default kernel, the shared suite on
the FORK=shared one.

- check_cowtest: `cowstat cowtest` passes, its forks really shared pages
  (faults, copies and sole-owner reuses happened, one child was killed for
  lack of memory, and every page came back), and the counters add up:
  every fault is one copy, reuse or out-of-memory.
- check_usertests: usertests (the quick set, or all with XV6_TEST_FULL=1)
  ends with ALL TESTS PASSED.
- FUZZ_VERDICT and fuzz_timeout: how to read and wait for `fuzz SEED S`
  (user/fuzz.c), for the fuzz suite and tools/coverage.py.
"""

import os
import re

from harness import REPO, check, last_lines

FULL = os.environ.get("XV6_TEST_FULL") == "1"
USERTESTS = "usertests" if FULL else "usertests -q"
USERTESTS_TIMEOUT = 1800 if FULL else 600   # seconds; QEMU on a loaded host is slow
COWTEST_TIMEOUT = 600   # seconds; ~35 s on an idle host

# Fault-around is beyond the lab: a starter tree has no cowaround.c, so a
# student's correct solution reuses no page around a fault.
FAULT_AROUND = os.path.exists(os.path.join(REPO, "kernel", "mm", "cowaround.c"))
# So is copy-ahead (kernel/mm/cowahead.c): cowtest's children write in order.
COPY_AHEAD = os.path.exists(os.path.join(REPO, "kernel", "mm", "cowahead.c"))
# What a COW kernel must count during cowtest (tools/mutate.py checks them too).
COWSTAT_COUNTERS = ("cow_faults", "pages_copied", "pages_reused", "oom_kills")
COUNTED = COWSTAT_COUNTERS + (("pages_reused_around",) if FAULT_AROUND else ()) + (
    ("pages_copied_ahead",) if COPY_AHEAD else ())


FUZZ_VERDICT = re.compile(r"(?m)^fuzz: seed \d+: (ok.*|FAILED.*)$")   # its last line


def fuzz_timeout(seconds):
    """Seconds to wait for `fuzz SEED seconds`: the fuzzer's own clock runs on
    xv6 ticks, QEMU on a loaded host runs slow, and stopping and reaping
    everything takes up to a minute more."""
    return 3 * seconds + 600


def counters(out):
    return {name: int(value) for name, value in re.findall(r"(?m)^(\w+) (\d+)$", out)}


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


def check_usertests(m, command=USERTESTS):
    """Runs usertests (the quick set, or all with XV6_TEST_FULL=1; or the
    usertests command given) on m."""
    out = m.run(command, timeout=USERTESTS_TIMEOUT)
    passed = re.findall(r"(?m)^test \S+: OK", out)
    failed = re.findall(r"(?m)^test (\S+): FAILED", out)
    check("ALL TESTS PASSED" in out and not failed,
          "expected `%s` to end with ALL TESTS PASSED; failed: %s; last lines:\n%s"
          % (command, ", ".join(failed) or "none reported", last_lines(out)))
    return "%d tests passed" % len(passed)
