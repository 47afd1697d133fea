"""Crash suite: a machine killed in the middle of writing files recovers,
and a machine killed mid-command is reported with the signal that killed it.

test/crashpoints.py says what a kill point does and what must survive it.
`make test` runs its SAMPLE_POINTS. XV6_CRASH_POINTS=N runs N points: the
sample, then points drawn from a generator seeded with XV6_CRASH_SEED
(default 1), so a failing run can be repeated exactly:
    XV6_CRASH_POINTS=20 python3 test/run.py crash
"""

import signal
import time

from crashpoints import REPORT_LINES, kill_points, run_point
from harness import Suite, TestFailure, check

suite = Suite("crash", cpus=(3,), boot=False)


@suite.test
def completed_files_survive_a_crash_at_any_moment(m):
    """Every kill point recovers (see the module docstring); m gives only the CPU count."""
    seed, points = kill_points()
    failures, pending = [], 0
    started = time.monotonic()
    for index, point in enumerate(points):
        label = "crash point %d %s" % (index, point)
        try:
            was_pending, problems = run_point(m.cpus, point, label)
        except TestFailure as failure:
            was_pending, problems = False, [str(failure)]
        pending += was_pending
        if problems:
            lines = "\n".join(problems).splitlines()
            if len(lines) > REPORT_LINES:
                lines[REPORT_LINES:] = ["... %d more lines" % (len(lines) - REPORT_LINES)]
            failures.append("%s:\n  %s" % (label, "\n  ".join(lines)))
    check(not failures, "%d of %d kill points (seed %d) left an inconsistent file system:\n%s"
          % (len(failures), len(points), seed, "\n".join(failures)))
    return "%d kill points (seed %d), %d with a pending log, all recovered, in %.0fs" % (
        len(points), seed, pending, time.monotonic() - started)


@suite.test
def a_machine_killed_mid_command_is_named_with_its_signal(m):
    m.boot()
    m.signal(signal.SIGXFSZ)     # what a file-size limit sends a QEMU that writes too much
    try:
        m.run("cowtest simple")
    except TestFailure as failure:
        problem = failure.problem
    else:
        problem = "(the command finished)"
    check("QEMU was killed by SIGXFSZ while waiting for" in problem,
          "expected a machine killed by SIGXFSZ to be reported as 'QEMU was killed by SIGXFSZ', "
          "got: %s" % problem)
    return problem
