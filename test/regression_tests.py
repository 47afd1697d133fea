"""Regression suite: usertests and grind, on one CPU and on three.

`make test` runs the quick set (`usertests -q`) and a short grind;
`make test-full` sets XV6_TEST_FULL=1 and runs every usertest and a longer
grind.  Both programs print their own verdict; these tests read it.
test/shared_tests.py runs usertests on the FORK=shared kernel too.
"""

import os
import re

from harness import Suite, check

FULL = os.environ.get("XV6_TEST_FULL") == "1"
USERTESTS = "usertests" if FULL else "usertests -q"
USERTESTS_TIMEOUT = 1800 if FULL else 600   # seconds; QEMU on a loaded host is slow
GRIND_SEED = 7
GRIND_ITERATIONS = 1000 if FULL else 40
GRIND_TIMEOUT = 1800 if FULL else 300

suite = Suite("regression", cpus=(1, 3))


def tail(text, lines=8):
    return "\n".join(text.strip().splitlines()[-lines:])


@suite.test
def usertests_all_pass(m):
    return check_usertests(m)


def check_usertests(m):
    """Runs usertests (the quick set, or all with XV6_TEST_FULL=1) on m."""
    out = m.run(USERTESTS, timeout=USERTESTS_TIMEOUT)
    passed = re.findall(r"(?m)^test \S+: OK", out)
    failed = re.findall(r"(?m)^test (\S+): FAILED", out)
    check("ALL TESTS PASSED" in out and not failed,
          "expected `%s` to end with ALL TESTS PASSED; failed: %s; last lines:\n%s"
          % (USERTESTS, ", ".join(failed) or "none reported", tail(out)))
    return "%d tests passed" % len(passed)


@suite.test
def grind_finds_no_inconsistency(m):
    command = "grind %d %d" % (GRIND_SEED, GRIND_ITERATIONS)
    out = m.run(command, timeout=GRIND_TIMEOUT)
    verdict = "grind: seed %d iterations %d ok" % (GRIND_SEED, GRIND_ITERATIONS)
    check(verdict in out, "expected `%s` to print '%s', got:\n%s" % (command, verdict, tail(out)))
