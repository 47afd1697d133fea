"""The grader, checked from outside: grade-lab-cow run as a student would run it.

Each test runs ./grade-lab-cow as a subprocess in a private copy of the tree
(the grader starts with `make clean`, which must not pull the tree out from
under the rest of `make test`) with GRADE_PORT set to a port that was free a
moment ago. The tests check the report's format and its agreement with the
exit status, not the score itself: that is the kernel's business.

A grader still running when its time is up gets SIGTERM, which makes it kill
its QEMU, and SIGKILL only if it ignores that.
"""

import contextlib
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time

from harness import KILL_TIMEOUT, REPO, Suite, TestFailure, check, make_environment

suite = Suite("grade", cpus=(3,), boot=False)

GRADER = "./grade-lab-cow"
FULL_RUN_TIMEOUT = 2400     # seconds for a whole grade: build, cowtest, usertests -q
BUILD_FAILURE_TIMEOUT = 300  # seconds for a grade whose build fails
QUICK_TIMEOUT = 10          # seconds for a grader that refuses to start
USAGE_ERROR = 2             # argparse's exit status for a bad command line
REASON_INDENT = "    "

RESULT = re.compile(r"(\S+): (?:OK \(\d+\.\ds\)|(FAIL))$")
SCORE = re.compile(r"Score: (\d+)/(\d+)$")
TALLY = re.compile(r"(\d+) passed, (\d+) failed$")

BROKEN_PROGRAM = "user/zz_broken.c"
BROKEN_SOURCE = "int\nmain(void)\n{\n  return no_such_variable;\n}\n"


@contextlib.contextmanager
def tree_copy():
    """A private copy of the tree (without .git), removed afterwards; yields its path."""
    with tempfile.TemporaryDirectory(prefix="xv6-grade-") as scratch:
        tree = os.path.join(scratch, "tree")
        shutil.copytree(REPO, tree, symlinks=True,
                        ignore=shutil.ignore_patterns(".git", "__pycache__"))
        yield tree


def free_port():
    """A TCP port nothing was bound to when we asked."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("", 0))
        return probe.getsockname()[1]


def run_grader(tree, args, timeout, cpus, port=None):
    """Run the grader in tree; return (exit status, its output, seconds taken)."""
    environment = make_environment()
    environment.update(CPUS=str(cpus), GRADE_PORT=str(port or free_port()))
    started = time.monotonic()
    process = subprocess.Popen([GRADER] + args, cwd=tree, env=environment,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               universal_newlines=True)
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        raise TestFailure("`%s` still running after %ds" % (" ".join([GRADER] + args), timeout))
    finally:
        stop(process)
    return process.returncode, output, time.monotonic() - started


def stop(process):
    """SIGTERM process if it still runs (the grader then kills its QEMU); SIGKILL if it must."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.communicate(timeout=KILL_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()


def listed_tests(tree, cpus):
    """[(name, points)] from `grade-lab-cow --list`."""
    status, output, _ = run_grader(tree, ["--list"], QUICK_TIMEOUT, cpus)
    check(status == 0, "`%s --list` exited with %d: %r" % (GRADER, status, output))
    pairs = [line.split() for line in output.splitlines()]
    check(pairs and all(len(pair) == 2 and pair[1].isdigit() for pair in pairs),
          "expected `%s --list` to print NAME POINTS lines, got %r" % (GRADER, output))
    return [(name, int(points)) for name, points in pairs]


class Report:
    """A grader's output, parsed; raises TestFailure at the first line out of format."""

    def __init__(self, output):
        self.results = []          # [name, passed, reason lines], in order
        self.score = None          # (score, possible)
        lines = output.rstrip("\n").splitlines()
        check(lines, "the grader printed nothing")
        tally = TALLY.match(lines[-1])
        check(tally, "expected the last line to be `N passed, N failed`, got %r" % lines[-1])
        self.tally = tuple(int(count) for count in tally.groups())
        for line in lines[:-1]:
            self._read(line)
        check(self.score is not None, "no `Score: X/Y` line in:\n" + output)

    def _read(self, line):
        result = RESULT.match(line)
        score = SCORE.match(line)
        if result and self.score is None:
            self.results.append([result.group(1), result.group(2) is None, []])
        elif line.startswith(REASON_INDENT) and self.results and self.score is None:
            self.results[-1][2].append(line)
        elif score and self.score is None:
            self.score = (int(score.group(1)), int(score.group(2)))
        else:
            raise TestFailure("unexpected line in the grader's report: %r" % line)


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
        report = Report(output)
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
    report = Report(output)
    check_consistent(report, tests, status)
    build = report.results[0]
    check(not build[1] and "no_such_variable" in "\n".join(build[2]),
          "expected build: FAIL quoting the compiler's error, got %r" % output)
    check(report.score == (0, sum(points for _, points in tests)),
          "expected Score: 0/%d, got %d/%d" % ((sum(p for _, p in tests),) + report.score))
