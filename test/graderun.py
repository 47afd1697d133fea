"""Run a lab's grader (grade-lab-cow) from outside, as a child process bounded in time.

Used by the suites that check the grader as a student runs it (grade,
gradescale, handout) and by test/submission.py, which runs the
instructor's grader on a submission's tree for tools/grade-batch.py and
Gradescope.

run_bounded() starts the grader in its own process group with its own
GRADE_PORT. Past its time limit (scaled by XV6_TIME_SCALE) it gets SIGTERM,
which makes it kill its QEMU and write what it has, and GRACE_SECONDS later
its whole group gets SIGKILL; either way nothing it started (make, QEMU) is
left running. stop_all() (Ctrl-C in a batch) kills every grader now running
and lets no more start. tree_copy() and patch() prepare the trees the
suites grade: a copy of this one, broken on purpose where they need it.
"""

import contextlib
import os
import signal
import subprocess
import tempfile
import threading
import time

import harness
from harness import REPO, TestFailure, check
from ports import free_port

GRADER = "grade-lab-cow"
AS_STUDENT = ["./" + GRADER]                 # the script itself, as a student runs it
GRACE_SECONDS = 10         # from SIGTERM to SIGKILL
LIST_TIMEOUT = 10          # seconds for `grade-lab-cow --list`


class GradingStopped(Exception):
    """stop_all() was called: no grader starts any more."""


_running_lock = threading.Lock()
_running = set()           # process group leaders of graders still running; guarded by _running_lock
_stopping = False          # stop_all() was called; guarded by _running_lock


def stop_all():
    """SIGKILL every grader's group now running, and start no more (for Ctrl-C)."""
    global _stopping
    with _running_lock:
        _stopping = True
        for leader in _running:
            _kill_group(leader)


def _kill_group(leader):
    """SIGKILL every process left in the process group that leader started."""
    try:
        os.killpg(leader, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass                          # the group is already empty


def run_bounded(command, cwd, timeout, log, port=None, **environment):
    """Run command (a grader and its arguments) in cwd, its output going to the
    open file log.

    port: its GRADE_PORT (default one free now); environment: more variables
    for it. Returns its exit status, or None if it was still running after
    timeout seconds (scaled). Raises GradingStopped after stop_all().
    """
    variables = harness.make_environment()
    variables.update(environment, GRADE_PORT=str(port or free_port()))
    with _running_lock:
        if _stopping:
            raise GradingStopped("grading was stopped")
        process = subprocess.Popen(command, cwd=cwd, env=variables, stdin=subprocess.DEVNULL,
                                   stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        _running.add(process.pid)
    try:
        return process.wait(harness.scaled(timeout))
    except subprocess.TimeoutExpired:
        process.terminate()
        try:
            process.wait(GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        return None
    finally:
        _kill_group(process.pid)
        with _running_lock:
            _running.discard(process.pid)


@contextlib.contextmanager
def tree_copy():
    """A private copy of the tree, removed afterwards; yields its path.

    The grader starts with `make clean`, which must not pull this tree out
    from under whatever else runs in it.
    """
    with tempfile.TemporaryDirectory(prefix="xv6-grade-") as scratch:
        yield harness.copy_tree(REPO, os.path.join(scratch, "tree"))


def run_grader(tree, args, timeout, cpus, port=None, prefix=()):
    """Run ./grade-lab-cow ARGS in tree with CPUS=cpus, after the argument
    list prefix (say, machineshape.py's); return (exit status, its output,
    seconds taken). Raises TestFailure if it ran out of time."""
    started = time.monotonic()
    with tempfile.TemporaryFile("w+") as log:
        status = run_bounded(list(prefix) + AS_STUDENT + list(args), tree, timeout, log, port,
                             CPUS=str(cpus))
        log.seek(0)
        output = log.read()
    if status is None:
        raise TestFailure("`%s` still running after %gs; the end of its output:\n%s"
                          % (" ".join(AS_STUDENT + args), harness.scaled(timeout),
                             output[-harness.TAIL_CHARS:]))
    return status, output, time.monotonic() - started


def listed_tests(tree, cpus):
    """[(name, points)] from `grade-lab-cow --list`."""
    status, output, _ = run_grader(tree, ["--list"], LIST_TIMEOUT, cpus)
    check(status == 0, "`%s --list` exited with %d: %r" % (GRADER, status, output))
    pairs = [line.split() for line in output.splitlines()]
    check(pairs and all(len(pair) == 2 and pair[1].isdigit() for pair in pairs),
          "expected `%s --list` to print NAME POINTS lines, got %r" % (GRADER, output))
    return [(name, int(points)) for name, points in pairs]


def patch(tree, relative, anchor, replacement, prefix=""):
    """Replace anchor (which must occur) in tree's file relative, and put
    prefix at the file's top."""
    path = os.path.join(tree, relative)
    with open(path) as handle:
        text = handle.read()
    check(anchor in text, "expected %s to hold %r, to patch it" % (relative, anchor))
    with open(path, "w") as handle:
        handle.write(prefix + text.replace(anchor, replacement))
    return tree
