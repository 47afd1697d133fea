"""The grader, checked from outside: grade-lab-cow run as a student would run it.

Each test runs ./grade-lab-cow as a subprocess in a private copy of the tree
(the grader starts with `make clean`, which must not pull the tree out from
under the rest of `make test`) with GRADE_PORT set to a port that was free a
moment ago. The tests check the report's format and its agreement with the
exit status, not the score itself: that is the kernel's business.

test/graderun.py runs it: a grader still running when its time is up gets
SIGTERM, which makes it kill its QEMU, and SIGKILL only if it ignores that.
"""

import os
import socket

from graderun import listed_tests, run_grader, tree_copy
from harness import Suite, check
from report import PrintedReport

suite = Suite("grade", cpus=(3,), boot=False)

FULL_RUN_TIMEOUT = 2400     # seconds for a whole grade: build, cowtest, usertests -q
BUILD_FAILURE_TIMEOUT = 300  # seconds for a grade whose build fails
QUICK_TIMEOUT = 10          # seconds for a grader that refuses to start
USAGE_ERROR = 2             # argparse's exit status for a bad command line

BROKEN_PROGRAM = "user/zz_broken.c"
BROKEN_SOURCE = "int\nmain(void)\n{\n  return no_such_variable;\n}\n"


def check_consistent(report, tests, status):
    """The report names every test once, and its score, tally and exit status agree."""
    points = dict(tests)
    names = [name for name, _, _ in report.results]
    check(names == ["build"] + [name for name, _ in tests],
          "expected results for build, then %s; got %s" % (", ".join(points), ", ".join(names)))
    for name, passed, reasons in report.results:
        check(passed == (not reasons),
              "%s: expected a reason under FAIL and none under OK, got %r" % (name, reasons))
    earned = sum(points.get(name, 0) for name, passed, _ in report.results if passed)
    check(report.score == (earned, sum(points.values())),
          "expected Score: %d/%d from the results, got %d/%d"
          % ((earned, sum(points.values())) + report.score))
    passed = sum(1 for _, ok, _ in report.results if ok)
    check(report.tally == (passed, len(names) - passed),
          "expected %d passed, %d failed from the results, got %d, %d"
          % ((passed, len(names) - passed) + report.tally))
    full = report.score[0] == report.score[1] and report.tally[1] == 0
    check(status == (0 if full else 1),
          "expected exit status %d with Score %d/%d, got %d"
          % ((0 if full else 1,) + report.score + (status,)))


def file_list(tree):
    """Every file path under tree, relative to it, but Python's byte-code caches.

    Running the grader imports test/*.py, and Python may cache them in
    __pycache__ (unless PYTHONDONTWRITEBYTECODE is set): that is no change.
    """
    return {os.path.relpath(os.path.join(folder, name), tree)
            for folder, _, names in os.walk(tree) for name in names
            if "__pycache__" not in folder.split(os.sep)}


@suite.test
def grader_report_agrees_with_its_exit_status(m):
    with tree_copy() as tree:
        tests = listed_tests(tree, m.cpus)
        status, output, seconds = run_grader(tree, [], FULL_RUN_TIMEOUT, m.cpus)
        report = PrintedReport(output)
        check_consistent(report, tests, status)
        with open(os.path.join(tree, "xv6.out"), errors="replace") as transcript:
            console = transcript.read()
    check("$ cowtest" in console and "$ usertests -q" in console,
          "expected xv6.out to hold the consoles of cowtest and usertests -q, got %r"
          % console[-500:])
    return "scored %d/%d in %.0fs" % (report.score + (seconds,))


@suite.test
def grader_refuses_to_start_when_its_port_is_taken(m):
    with tree_copy() as tree, socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(("", 0))
        holder.listen(1)
        port = holder.getsockname()[1]
        before = file_list(tree)
        status, output, seconds = run_grader(tree, [], QUICK_TIMEOUT, m.cpus, port)
        after = file_list(tree)
    check(status != 0, "expected a non-zero exit status, got 0 and %r" % output)
    check(str(port) in output and "GRADE_PORT" in output,
          "expected a refusal naming port %d and GRADE_PORT, got %r" % (port, output))
    check(before == after, "expected the tree untouched; changed: %s"
          % ", ".join(sorted(before ^ after)[:10]))
    return "refused in %.1fs" % seconds


@suite.test
def grader_rejects_an_unknown_test_name(m):
    with tree_copy() as tree:
        status, output, _ = run_grader(tree, ["no_such_test"], QUICK_TIMEOUT, m.cpus)
    check(status == USAGE_ERROR and "no test named no_such_test" in output,
          "expected exit status %d and `no test named no_such_test`, got %d and %r"
          % (USAGE_ERROR, status, output))


@suite.test
def grader_scores_zero_when_the_build_fails(m):
    with tree_copy() as tree:
        tests = listed_tests(tree, m.cpus)
        with open(os.path.join(tree, BROKEN_PROGRAM), "w") as broken:
            broken.write(BROKEN_SOURCE)
        status, output, _ = run_grader(tree, [], BUILD_FAILURE_TIMEOUT, m.cpus)
    report = PrintedReport(output)
    check_consistent(report, tests, status)
    build = report.results[0]
    check(not build[1] and "no_such_variable" in "\n".join(build[2]),
          "expected build: FAIL quoting the compiler's error, got %r" % output)
    check(report.score == (0, sum(points for _, points in tests)),
          "expected Score: 0/%d, got %d/%d" % ((sum(p for _, p in tests),) + report.score))
