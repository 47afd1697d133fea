"""The solved tree and the starter tree, as the grader sees them.

tools/handout.py (`make handout`) writes the lab's starter tree: the sources
with the solution regions cut out, fork copying memory eagerly.  The starter
must still build with -Werror, boot and pass usertests, while the grader must
fail it on cowtest's simple and three.  That failure, beside full
marks on the solved tree, is our proof that the grader can tell a kernel
without copy-on-write from one with it.

This suite is instructor-only: the handout leaves it out.
"""

import contextlib
import os
import subprocess
import sys
import tempfile

from graderun import run_grader, tree_copy
from harness import REPO, Suite, check, scaled
from report import RESULT, SCORE

suite = Suite("handout", cpus=(3,), boot=False)

HANDOUT_TOOL = os.path.join(REPO, "tools", "handout.py")
HANDOUT_TIMEOUT = 60        # seconds to write the starter tree
GRADE_TIMEOUT = 2400        # seconds for a whole grade
MARKER = "COW-LAB"
MUST_FAIL = ("simple", "three")
MUST_PASS = ("build", "usertests", "usertests_copyin", "usertests_copyout")
# Fault-around reuse, and shared page-table pages (the challenge students write).
BEYOND_THE_LAB = (os.path.join("kernel", "mm", "cowaround.c"),
                  os.path.join("kernel", "mm", "sharedpt.c"))


@contextlib.contextmanager
def starter_tree():
    """Writes the starter into a temporary folder; yields its path."""
    with tempfile.TemporaryDirectory(prefix="xv6-starter-") as scratch:
        tree = os.path.join(scratch, "starter")
        result = subprocess.run([sys.executable, HANDOUT_TOOL, tree], cwd=REPO,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                universal_newlines=True, timeout=scaled(HANDOUT_TIMEOUT))
        check(result.returncode == 0, "expected tools/handout.py to succeed, got:\n" + result.stdout)
        yield tree


SOURCE_SUFFIXES = (".c", ".h", ".S")   # where solution markers may stand


def files_containing(tree, text):
    """Source files (C and assembly) under tree whose bytes contain text."""
    found = []
    for folder, _, names in os.walk(tree):
        for name in names:
            if not name.endswith(SOURCE_SUFFIXES):
                continue
            path = os.path.join(folder, name)
            with open(path, "rb") as f:
                if text.encode() in f.read():
                    found.append(os.path.relpath(path, tree))
    return found


@suite.test
def solved_tree_scores_full_marks(m):
    with tree_copy() as tree:
        status, output, seconds = run_grader(tree, [], GRADE_TIMEOUT, m.cpus)
    scores = [SCORE.match(line) for line in output.splitlines()]
    score = next((match.groups() for match in scores if match), None)
    check(score is not None and score[0] == score[1] and status == 0,
          "expected full marks and exit status 0 on the solved tree, got %s and %d:\n%s"
          % ("%s/%s" % score if score else "no score", status, output[-1500:]))
    return "%s/%s in %.0fs" % (score + (seconds,))


@suite.test
def starter_keeps_no_solution(m):
    with starter_tree() as tree:
        leftovers = files_containing(tree, MARKER)
        check(not leftovers, "expected no %s markers in the starter, found them in %s" % (MARKER, leftovers))
        todos = files_containing(tree, "TODO (COW lab)")
        check(os.path.join("kernel", "mm", "cow.c") in todos,
              "expected a COW-lab TODO in kernel/mm/cow.c; TODOs are in %s" % todos)
        solution = files_containing(tree, "cow_share_page(parent")
        check(not solution, "expected uvmcopy's call to cow_share_page to be gone, found in %s" % solution)
        beyond = [path for path in BEYOND_THE_LAB if os.path.exists(os.path.join(tree, path))]
        check(not beyond, "expected the starter to leave out the kernel's work beyond the "
              "lab, found %s" % beyond)
        return "TODOs in %d files" % len(todos)


@suite.test
def grader_fails_cow_tests_on_starter(m):
    with starter_tree() as tree:
        status, output, seconds = run_grader(tree, [], GRADE_TIMEOUT, m.cpus)
    results = {}
    for line in output.splitlines():
        match = RESULT.match(line)
        if match:
            results[match.group(1)] = "FAIL" if match.group(2) else "OK"
    for name in MUST_PASS:
        check(results.get(name) == "OK",
              "expected the starter to pass %s (it copies eagerly but works), got %s; output:\n%s"
              % (name, results.get(name, "no result"), output[-1500:]))
    for name in MUST_FAIL:
        check(results.get(name) == "FAIL",
              "expected the grader to FAIL %s on the starter (no COW), got %s"
              % (name, results.get(name, "no result")))
    check(status != 0, "expected the grader to exit non-zero on the starter, got %d" % status)
    return "graded in %.0fs: %s fail, %s pass" % (seconds, ", ".join(MUST_FAIL), ", ".join(MUST_PASS))
