#!/usr/bin/env python3
"""Grade a folder of COW-lab submissions into one CSV file.

    tools/grade-batch.py SUBMISSIONS --out results.csv [--jobs N] [--timeout S]
                         [--tests simple,three] [--logs DIR] [--unsandboxed]

Each visible entry of SUBMISSIONS is one submission: a tree, or a .tar.gz,
.tgz, .tar or .zip of one. Each is graded in a temporary folder of its own
by tools/submission.py: unpacked within limits and without links, the
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
import collections
import concurrent.futures
import csv
import os
import sys
import tempfile
import time

TOOLS = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [TOOLS, os.path.join(os.path.dirname(TOOLS), "test")]
import graderun  # noqa: E402  (needs the path above)
import sandbox  # noqa: E402
import submission  # noqa: E402
from ports import PortPool  # noqa: E402
from report import EXIT_INTERRUPTED, write_new_file  # noqa: E402

DEFAULT_JOBS = 2
EXIT_NO_SANDBOX = 2
EXIT_NO_IMAGE = 3
LOG_NAME = "grader.log"
FIXED_COLUMNS = ("name", "score", "max_score", "status")
LAST_COLUMNS = ("seconds", "note")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORMULA_ESCAPE = "'"


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


def row_names(paths):
    """{path: the name of its row}: its submission name, or its whole file
    name when another entry has the same submission name, with " (2)", " (3)"...
    after it should even that be taken."""
    counts = collections.Counter(submission.submission_name(path) for path in paths)
    names, taken = {}, set()
    for path in paths:
        name = submission.submission_name(path)
        if counts[name] > 1:
            name = os.path.basename(path)
        unique, copy = name, 1
        while unique in taken:
            copy += 1
            unique = "%s (%d)" % (name, copy)
        taken.add(unique)
        names[path] = unique
    return names


def log_file(options, name, workdir):
    """Where the grader's output goes: DIR/NAME.log under --logs, else the scratch folder."""
    if options.logs:
        return os.path.join(options.logs, name + ".log")
    return os.path.join(workdir, LOG_NAME)


def hidden_folders(options):
    """Folders the sandbox must not show: the submissions, the logs, the CSV's
    (absolute: the grader runs elsewhere)."""
    return [os.path.abspath(folder) for folder in (options.submissions, options.logs,
                                                   os.path.dirname(os.path.abspath(options.out)))
            if folder]


def grade_one(options, ports, path, name, image):
    """Grade the submission at path; return its CSV row as a dict. Never raises:
    a problem of any kind becomes the row's status error and its note."""
    started = time.monotonic()
    try:
        port = ports.take()
        try:
            with tempfile.TemporaryDirectory(prefix="grade-batch-") as workdir, \
                    open(log_file(options, name, workdir), "w+", errors="replace") as log:
                status, note, results = submission.grade(
                    path, workdir, log, image, names=options.tests, timeout=options.timeout,
                    port=port, confine=options.confine, hidden=hidden_folders(options))
        finally:
            ports.give_back(port)
        return row(options, name, status, note, results, time.monotonic() - started)
    except graderun.GradingStopped:
        raise
    except Exception as problem:             # a bug here costs one row, not the batch
        note = "%s: %s" % (type(problem).__name__, problem)
        return row(options, name, submission.ERROR, note, {}, time.monotonic() - started)


def row(options, name, status, note, results, seconds):
    """The CSV row of one graded submission, from its checked results."""
    earned = {entry["name"]: entry["score"] for entry in results.get("tests", [])}
    values = {"name": name, "status": status, "seconds": "%.1f" % seconds,
              "note": note.splitlines()[0] if note else "",
              "score": sum(earned.get(test, 0) for test, _ in options.columns),
              "max_score": sum(points for _, points in options.columns)}
    values.update((test, earned.get(test, 0)) for test, _ in options.columns)
    print("%s: %s %s/%d in %ss %s" % (name, status, values["score"], values["max_score"],
                                      values["seconds"], values["note"]),
          file=sys.stderr, flush=True)
    return values


def spreadsheet_safe(value):
    """value, with a leading apostrophe if a spreadsheet would read it as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return FORMULA_ESCAPE + value
    return value


def write_csv(path, columns, rows):
    """Write rows (dicts) under columns to path, whole or not at all."""
    with tempfile.TemporaryFile("w+", newline="", errors="backslashreplace") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows({column: spreadsheet_safe(value) for column, value in row.items()}
                         for row in rows)
        handle.seek(0)
        write_new_file(path, handle.read())


def grade_all(options, paths, names, image):
    """The rows of every submission in paths, graded --jobs at a time, or
    None if grading was interrupted."""
    ports = PortPool()
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=options.jobs)
    futures = [pool.submit(grade_one, options, ports, path, names[path], image)
               for path in paths]
    try:
        rows = [future.result() for future in futures]
    except (KeyboardInterrupt, graderun.GradingStopped):
        pool.shutdown(wait=False, cancel_futures=True)
        graderun.stop_all()
        return None
    pool.shutdown()
    return rows


def main(argv=None):
    options = parse(argv)
    if options.logs:
        os.makedirs(options.logs, exist_ok=True)
    paths = [os.path.join(options.submissions, entry)
             for entry in submission.visible_entries(options.submissions)]
    names = row_names(paths)
    with tempfile.TemporaryDirectory(prefix="grade-batch-image-") as folder:
        try:
            image = paths and submission.build_pristine_image(submission.SOURCE, folder)
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
