#!/usr/bin/env python3
"""Grade the COW lab on GitHub Classroom: one grade run, one step per test.

The workflow .github/workflows/classroom.yml calls this script only:

    python3 tools/classroom.py run          grade once: ./grade-lab-cow --json
                                            RESULTS; exit 0 if RESULTS was written
    python3 tools/classroom.py result NAME  report test NAME from RESULTS: print
                                            its outcome (the reason, if it
                                            failed); exit 0 only if it passed
    python3 tools/classroom.py workflow [--check | --stdout]
                                            write the workflow from
                                            `./grade-lab-cow --list` (--check:
                                            only say whether it is up to date)

In the workflow a first step runs `run`; then each graded test has one
classroom-resources/autograding-command-grader step whose command is
`result NAME` and whose max-score is the test's points, so the build and
the kernel runs happen once, not once per test. The reporter step
(autograding-grading-reporter) adds the steps' points up.

RESULTS is classroom-results.json at the top of the tree, or
$CLASSROOM_RESULTS. $CLASSROOM_TESTS (space-separated names) makes `run`
grade only those tests; the workflow leaves it unset (test/classroom_tests.py
sets it to stay quick).
"""

import argparse
import difflib
import os
import subprocess
import sys

import labpath
import submission  # noqa: E402  (found through labpath)
from classroomflow import WORKFLOW, workflow_text  # noqa: E402

TREE = labpath.TREE
GRADER = os.path.join(TREE, submission.GRADER)
RESULTS = os.environ.get("CLASSROOM_RESULTS") or os.path.join(TREE, "classroom-results.json")
EXIT_PASSED = 0
EXIT_FAILED = 1


# --- Grading and reporting ------------------------------------------------------

def run_grade():
    """Run the whole grade once into RESULTS; return 0 if RESULTS was written."""
    if os.path.exists(RESULTS):
        os.unlink(RESULTS)            # a stale file (even a committed one) must not count
    names = os.environ.get("CLASSROOM_TESTS", "").split()
    status = subprocess.call([sys.executable, GRADER, "--json", RESULTS] + names, cwd=TREE)
    if submission.load_results(RESULTS) is None:
        print("classroom: the grader exited with status %d and wrote no %s"
              % (status, RESULTS), file=sys.stderr)
        return EXIT_FAILED
    print("classroom: results in %s (grader exit status %d)" % (RESULTS, status))
    return EXIT_PASSED


def report_result(name):
    """Print test name's outcome from RESULTS; return 0 if it passed, else 1."""
    results = submission.load_results(RESULTS)
    if results is None:
        print("%s: no grade results in %s: the step running `python3 tools/classroom.py run` "
              "did not run or did not finish" % (name, RESULTS))
        return EXIT_FAILED
    entries = [entry for entry in results.get("tests", []) if entry.get("name") == name]
    if not entries:
        print("%s: not graded in this run (graded: %s)"
              % (name, " ".join(entry.get("name", "?") for entry in results.get("tests", []))))
        return EXIT_FAILED
    entry = entries[0]
    passed = entry.get("status") == "passed"
    print("%s: %s, %s/%s points" % (name, "passed" if passed else "FAILED",
                                   entry.get("score"), entry.get("max_score")))
    if entry.get("output"):
        print(entry["output"])
    return EXIT_PASSED if passed else EXIT_FAILED


# --- The workflow -----------------------------------------------------------------

def write_workflow(check_only, to_stdout):
    """Write (or with check_only, compare) WORKFLOW; return the exit status."""
    text = workflow_text(submission.lab_tests(TREE))
    if to_stdout:
        sys.stdout.write(text)
        return EXIT_PASSED
    try:
        with open(WORKFLOW) as handle:
            current = handle.read()
    except FileNotFoundError:
        current = ""
    if check_only:
        if current == text:
            print("classroom: %s is up to date" % WORKFLOW)
            return EXIT_PASSED
        sys.stdout.writelines(difflib.unified_diff(current.splitlines(True), text.splitlines(True),
                                                   WORKFLOW, "generated"))
        print("classroom: %s is out of date; run python3 tools/classroom.py workflow" % WORKFLOW)
        return EXIT_FAILED
    os.makedirs(os.path.dirname(WORKFLOW), exist_ok=True)
    with open(WORKFLOW, "w") as handle:
        handle.write(text)
    print("classroom: wrote %s" % WORKFLOW)
    return EXIT_PASSED


def main(argv=None):
    parser = argparse.ArgumentParser(description="Grade the COW lab on GitHub Classroom.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="grade once into %s" % os.path.basename(RESULTS))
    result = commands.add_parser("result", help="report one test from the grade run")
    result.add_argument("name", metavar="TEST")
    workflow = commands.add_parser("workflow", help="write the workflow from the grader's tests")
    workflow.add_argument("--check", action="store_true", help="only check it is up to date")
    workflow.add_argument("--stdout", action="store_true", help="print it instead")
    options = parser.parse_args(argv)
    if options.command == "run":
        return run_grade()
    if options.command == "result":
        return report_result(options.name)
    return write_workflow(options.check, options.stdout)


if __name__ == "__main__":
    sys.exit(main())
