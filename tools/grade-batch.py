#!/usr/bin/env python3
"""Grade a folder of COW-lab submissions into one CSV file.

    tools/grade-batch.py SUBMISSIONS --out results.csv [--jobs N] [--timeout S]
                         [--tests simple,three] [--logs DIR] [--unsandboxed]

Each visible entry of SUBMISSIONS is one submission: a tree, or a .tar.gz,
.tgz, .tar or .zip of one. Each is graded in a temporary folder of its own
by test/submission.py: unpacked within limits and without links, the
instructor's grading files laid over it, then graded by the instructor's
grade-lab-cow, which runs the submission's build and QEMU in a bubblewrap
sandbox (test/sandbox.py) and scores the console from outside it, up to
--jobs at a time, each with its own GRADE_PORT. Every kernel boots the
instructor's fs.img, built once first from this tree alone, so the user
programs that print the results are the instructor's. Without a working bwrap it
refuses to start, unless told --unsandboxed.

Nothing a submission does reaches another row or the batch: a broken
build, a hung kernel, a malformed archive, a link, a bomb, or a bug of
ours while grading it costs only that submission its row (status error
and the reason). The CSV is always written for everyone else.

The CSV has one row per submission, in name order, with the columns
name, score, max_score, status (graded, build_failed, timeout or error),
one column per test holding its points, seconds, and note (why a row is not
graded). Two submissions whose names would be the same (x.zip and x.tar.gz)
keep their full file names. Every text cell that a spreadsheet would read
as a formula (it starts with =, +, -, @, a tab or a carriage return) gets a
leading apostrophe. --logs keeps each grader's output as DIR/NAME.log.
"""

import argparse
import os
import sys
import tempfile

import labpath
import sandbox  # noqa: E402  (found through labpath)
import submission  # noqa: E402
from batch import FIXED_COLUMNS, LAST_COLUMNS, grade_all, row_names, write_csv  # noqa: E402
from report import EXIT_INTERRUPTED  # noqa: E402

DEFAULT_JOBS = 2
EXIT_NO_SANDBOX = 2
EXIT_NO_IMAGE = 3


def parse(argv):
    parser = argparse.ArgumentParser(description="Grade a folder of COW-lab submissions.")
    parser.add_argument("submissions", metavar="SUBMISSIONS",
                        help="folder with one tree or archive per submission")
    parser.add_argument("--out", required=True, metavar="CSV", help="the CSV file to write")
    parser.add_argument("--jobs", type=int, default=DEFAULT_JOBS,
                        help="submissions graded at once (default %d)" % DEFAULT_JOBS)
    parser.add_argument("--timeout", type=float, default=submission.DEFAULT_TIMEOUT,
                        help="seconds for one submission's grade (default %d), times "
                             "XV6_TIME_SCALE" % submission.DEFAULT_TIMEOUT)
    parser.add_argument("--tests", metavar="NAMES",
                        help="comma-separated tests to run (default: all of them)")
    parser.add_argument("--logs", metavar="DIR", help="keep each grader's output in DIR/NAME.log")
    parser.add_argument("--unsandboxed", action="store_true",
                        help="run the submissions' code with your rights, without bubblewrap")
    options = parser.parse_args(argv)
    if not os.path.isdir(options.submissions):
        parser.error("%s is not a folder" % options.submissions)
    if options.jobs < 1 or options.timeout <= 0:
        parser.error("--jobs and --timeout must be positive")
    options.confine = None if options.unsandboxed else sandbox.Sandbox.kind
    if not options.unsandboxed:
        refuse_without_sandbox()
    options.tests = options.tests.split(",") if options.tests else None
    try:
        options.columns = submission.lab_tests(names=options.tests)
    except submission.SubmissionError as problem:
        parser.error(str(problem))
    return options


def refuse_without_sandbox():
    """Exit with EXIT_NO_SANDBOX, saying why, unless a bwrap sandbox works here."""
    try:
        with tempfile.TemporaryDirectory(prefix="grade-batch-probe-") as scratch:
            problem = sandbox.Sandbox(scratch).works()
    except sandbox.SandboxMissing as missing:
        problem = str(missing)
    if problem:
        print("grade-batch: refusing to grade: %s" % problem, file=sys.stderr)
        sys.exit(EXIT_NO_SANDBOX)


def main(argv=None):
    options = parse(argv)
    if options.logs:
        os.makedirs(options.logs, exist_ok=True)
    paths = [os.path.join(options.submissions, entry)
             for entry in submission.visible_entries(options.submissions)]
    names = row_names(paths)
    with tempfile.TemporaryDirectory(prefix="grade-batch-image-") as folder:
        try:
            image = paths and submission.build_pristine_image(labpath.TREE, folder)
        except submission.SubmissionError as problem:
            print("grade-batch: %s" % problem, file=sys.stderr)
            return EXIT_NO_IMAGE
        rows = grade_all(options, paths, names, image)
    if rows is None:
        print("grade-batch: interrupted; no CSV written", file=sys.stderr)
        return EXIT_INTERRUPTED
    columns = FIXED_COLUMNS + tuple(test for test, _ in options.columns) + LAST_COLUMNS
    write_csv(options.out, columns, rows)
    print("grade-batch: %d submissions graded into %s" % (len(rows), options.out),
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
