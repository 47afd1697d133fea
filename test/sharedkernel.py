"""The FORK=shared kernel (kernel/mm/sharedpt.c), built once per run in a
copy of this tree, and machines that boot it: for the shared and fuzz
suites. The lab's starter leaves sharedpt.c out; AVAILABLE says whether
this tree has it.
"""

import atexit
import os
import shutil
import tempfile

import harness
from harness import REPO, TestFailure

SOURCE = os.path.join(REPO, "kernel", "mm", "sharedpt.c")
AVAILABLE = os.path.exists(SOURCE)
BUILD = ("FORK=shared",)

_tree = []                        # the built tree copy, once made


def shared_tree():
    """A copy of this tree with the FORK=shared kernel built in it."""
    if not _tree:
        scratch = tempfile.mkdtemp(prefix="xv6-shared-")
        atexit.register(shutil.rmtree, scratch, True)
        tree = harness.copy_tree(REPO, os.path.join(scratch, "tree"))
        harness.make(*BUILD, tree=tree)
        _tree.append(tree)
    return _tree[0]


def shared_kernel(cpus, label):
    """A Machine, not yet booted, that runs the FORK=shared kernel with cpus harts."""
    return harness.tree_machine(shared_tree(), cpus, label)


def booted_shared_kernel(cpus, label):
    """A booted Machine running the FORK=shared kernel with cpus harts."""
    machine = shared_kernel(cpus, label)
    try:
        machine.boot()
    except TestFailure:
        machine.kill()
        raise
    return machine
