"""A batch of submissions graded into CSV rows, for tools/grade-batch.py.

Each submission is graded by test/submission.py in a scratch folder of its
own, with a GRADE_PORT of its own, up to --jobs at a time. Nothing a
submission does reaches another row: any problem while grading one, a bug
of ours included, becomes that row's status error and its note. The CSV
is written whole or not at all, every text cell a spreadsheet would read as
a formula escaped.
"""

import collections
import concurrent.futures
import csv
import os
import sys
import tempfile
import time

import graderun
import submission
from ports import PortPool
from report import write_new_file

LOG_NAME = "grader.log"
FIXED_COLUMNS = ("name", "score", "max_score", "status")
LAST_COLUMNS = ("seconds", "note")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORMULA_ESCAPE = "'"


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
