"""Run a command as if on a smaller grading machine.

Graders rarely have cores to spare: Gradescope's default autograder gets
half a CPU, and a lab server may pin each grader to one core. A shape is
one of SHAPES:

  free      as it is (the host's cores, shared with whatever else runs)
  one-core  pinned to the first core the host lets us use (taskset)
  half-cpu  a CPU quota of 50 ms in each 100 ms (a cgroup, like `docker
            --cpus=0.5`); needs root and the cpu controller, cgroup v1
            (/sys/fs/cgroup/cpu) or v2

shaped(shape) yields the prefix to put before a command's argument list;
the command and everything it starts run in that shape. The cgroup made
for half-cpu is removed afterwards.
"""

import contextlib
import os
import shutil
import tempfile
import time

from harness import TestFailure

SHAPES = ("free", "one-core", "half-cpu")
QUOTA_US = 50000
PERIOD_US = 100000
CGROUP_V1 = "/sys/fs/cgroup/cpu"
CGROUP_V2 = "/sys/fs/cgroup"

# Moves the shell into the cgroup folder $1 names, then runs the rest.
ENTER_CGROUP = 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"'
REMOVE_TRIES = 20          # a cgroup is removed once its last process is reaped
REMOVE_PAUSE = 0.25        # seconds between tries


def _first_core():
    return min(os.sched_getaffinity(0))


def _cpu_cgroup_parent():
    """(folder to make the cgroup in, version), or raise TestFailure."""
    if os.path.exists(os.path.join(CGROUP_V1, "cpu.cfs_quota_us")):
        return CGROUP_V1, 1
    controllers = os.path.join(CGROUP_V2, "cgroup.controllers")
    if os.path.exists(controllers):
        with open(controllers) as f:
            if "cpu" in f.read().split():
                return CGROUP_V2, 2
    raise TestFailure("the half-cpu shape needs the cgroup cpu controller (v1 at %s, or v2 "
                      "at %s with cpu enabled); this system has neither"
                      % (CGROUP_V1, CGROUP_V2))


def _write(folder, name, text):
    with open(os.path.join(folder, name), "w") as f:
        f.write(text)


@contextlib.contextmanager
def _cpu_quota():
    parent, version = _cpu_cgroup_parent()
    try:
        folder = tempfile.mkdtemp(prefix="xv6-half-cpu-", dir=parent)
    except OSError as error:
        raise TestFailure("cannot make a cgroup in %s (%s): the half-cpu shape needs root"
                          % (parent, error.strerror))
    try:
        if version == 1:
            _write(folder, "cpu.cfs_period_us", str(PERIOD_US))
            _write(folder, "cpu.cfs_quota_us", str(QUOTA_US))
        else:
            _write(folder, "cpu.max", "%d %d" % (QUOTA_US, PERIOD_US))
        yield ["sh", "-c", ENTER_CGROUP, "sh", folder]
    finally:
        _remove_cgroup(folder)


def _remove_cgroup(folder):
    for _ in range(REMOVE_TRIES):
        try:
            os.rmdir(folder)
            return
        except OSError:
            time.sleep(REMOVE_PAUSE)


@contextlib.contextmanager
def shaped(shape):
    """The argument-list prefix that runs a command in shape (see above)."""
    if shape == "free":
        yield []
    elif shape == "one-core":
        if shutil.which("taskset") is None:
            raise TestFailure("the one-core shape needs taskset (Debian package util-linux)")
        yield ["taskset", "-c", str(_first_core())]
    elif shape == "half-cpu":
        with _cpu_quota() as prefix:
            yield prefix
    else:
        raise ValueError("no machine shape %r; the shapes are %s" % (shape, ", ".join(SHAPES)))
