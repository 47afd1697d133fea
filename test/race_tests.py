"""Race kernel suite: kernel/kernel-race reports nothing on a correct kernel.

The grader fails concurrent_release on any report of the race watcher
(kernel/race/, docs/races.md), so a false one would cost a correct solution
its points. This suite runs `usertests -q` on the race kernel, which
reaches far more of the instrumented code than cowtest (exec, sbrk, pipes,
copyin and copyout, kernel preemption in the middle of it all), then
cowtest's race test, on one hart and on three. A kernel with a race in its
reference counts fails it (on three harts), as the mistakes suite shows
for each race mistake through the grader.
"""

import re

from harness import RACE_KERNEL, Suite, check

USERTESTS_TIMEOUT = 600   # seconds; ~30 s on an idle host
COWTEST_TIMEOUT = 300     # seconds; ~12 s
RACE_LINE = re.compile(r"racewatch: .*")

suite = Suite("race", cpus=(1, 3), boot=False, audit=True)


@suite.test
def race_kernel_reports_nothing_on_a_correct_kernel(m):
    m.kernel = RACE_KERNEL
    m.boot()
    usertests = m.run("usertests -q", timeout=USERTESTS_TIMEOUT)
    cowtest = m.run("cowtest concurrent_release", timeout=COWTEST_TIMEOUT)
    reports = RACE_LINE.findall(m.output)
    check(not reports, "expected no race report from the race kernel on a correct kernel, "
          "got %d:\n%s" % (len(reports), "\n".join(reports[:4])))
    check("ALL TESTS PASSED" in usertests,
          "expected usertests -q to pass on the race kernel, got: %s" % usertests[-600:])
    check("ALL COW TESTS PASSED" in cowtest,
          "expected cowtest concurrent_release to pass on the race kernel, got: %s"
          % cowtest[-600:])
    return "usertests -q and cowtest concurrent_release passed, no report"
