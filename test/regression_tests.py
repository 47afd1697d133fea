"""Regression suite: usertests and grind, on one CPU and on three.

`make test` runs the quick set (`usertests -q`) and a short grind;
`make test-full` sets XV6_TEST_FULL=1 and runs every usertest and a longer
grind.  Both programs print their own verdict; these tests read it.
test/shared_tests.py runs usertests (test/kernelchecks.py) on the FORK=shared
kernel too.
"""

from harness import Suite, check, last_lines
from kernelchecks import FULL, check_usertests

GRIND_SEED = 7
GRIND_ITERATIONS = 1000 if FULL else 40
GRIND_TIMEOUT = 1800 if FULL else 300

suite = Suite("regression", cpus=(1, 3))


@suite.test
def usertests_all_pass(m):
    return check_usertests(m)


@suite.test
def grind_finds_no_inconsistency(m):
    command = "grind %d %d" % (GRIND_SEED, GRIND_ITERATIONS)
    out = m.run(command, timeout=GRIND_TIMEOUT)
    verdict = "grind: seed %d iterations %d ok" % (GRIND_SEED, GRIND_ITERATIONS)
    check(verdict in out,
          "expected `%s` to print '%s', got:\n%s" % (command, verdict, last_lines(out)))
