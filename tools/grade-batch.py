#!/usr/bin/env python3
"""Grade a folder of COW-lab submissions into one CSV file.

    tools/grade-batch.py SUBMISSIONS --out results.csv [--jobs N] [--timeout S]
                         [--tests simple,three] [--logs DIR] [--unsandboxed]

Each visible entry of SUBMISSIONS is one submission: a tree, or a .tar.gz,
.tgz, .tar or .zip of one (see tools/submission.py, which also puts the
instructor's grading files over each). Every submission is graded in a
temporary folder of its own, by its own grade-lab-cow with its own QEMU and
GRADE_PORT, up to --jobs at a time. A broken build, a hung kernel or a
malformed archive costs only that submission its row's score.

Each grader (the submission's build, its host programs and its QEMU) runs in
a bubblewrap sandbox (tools/sandbox.py): no network, the host read-only,
only its scratch folder writable, SUBMISSIONS, --logs, the CSV's folder,
this tree and $HOME hidden, and limits on processes, memory and time.
Without bwrap it refuses to start, unless told --unsandboxed.

The CSV has one row per submission, in name order, with the columns
name, score, max_score, status (graded, build_failed, timeout or error),
one column per test holding its points, seconds, and note (why a row is not
graded). --logs keeps each grader's output as DIR/NAME.log.
"""

import argparse
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
from report import EXIT_INTERRUPTED  # noqa: E402

DEFAULT_JOBS = 2
EXIT_NO_SANDBOX = 2
LOG_NAME = "grader.log"
RESULTS_NAME = "results.json"
FIXED_COLUMNS = ("name", "score", "max_score", "status")
LAST_COLUMNS = ("seconds", "note")


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
    options.bwrap = None
    if not options.unsandboxed:
        try:
            options.bwrap = sandbox.find_bwrap()
        except sandbox.SandboxMissing as missing:
            print("grade-batch: refusing to grade: %s" % missing, file=sys.stderr)
            sys.exit(EXIT_NO_SANDBOX)
    options.tests = options.tests.split(",") if options.tests else None
    try:
        options.columns = submission.lab_tests(names=options.tests)
    except submission.SubmissionError as problem:
        parser.error(str(problem))
    return options


def log_file(options, name, workdir):
    """Where the grader's output goes: DIR/NAME.log under --logs, else the scratch folder."""
    if options.logs:
        os.makedirs(options.logs, exist_ok=True)
        return os.path.join(options.logs, name + ".log")
    return os.path.join(workdir, LOG_NAME)


def sandbox_for(options, workdir):
    """The Sandbox for a grade in workdir, or None under --unsandboxed."""
    if options.bwrap is None:
        return None
    hidden = [options.submissions, options.logs, os.path.dirname(os.path.abspath(options.out)),
              submission.SOURCE]
    return sandbox.Sandbox(workdir, hidden, options.bwrap)


def grade_one(options, ports, path):
    """Grade the submission at path; return its CSV row as a dict."""
    name = submission.submission_name(path)
    started = time.monotonic()
    port = ports.take()
    try:
        with tempfile.TemporaryDirectory(prefix="grade-batch-") as workdir, \
                open(log_file(options, name, workdir), "w") as log:
            results_path = os.path.join(workdir, RESULTS_NAME)
            status, note = submission.grade(path, results_path, workdir, log,
                                            names=options.tests, timeout=options.timeout,
                                            port=port, sandbox=sandbox_for(options, workdir))
            results = submission.load_results(results_path) or {}
    except Exception as problem:             # a bug here costs one row, not the batch
        status, note, results = submission.ERROR, "%s: %s" % (type(problem).__name__, problem), {}
    finally:
        ports.give_back(port)
    return row(options, name, status, note, results, time.monotonic() - started)


def row(options, name, status, note, results, seconds):
    """The CSV row of one graded submission, from its results.json (a dict)."""
    earned = {entry.get("name"): entry.get("score", 0) for entry in results.get("tests", [])}
    values = {"name": name, "status": status, "seconds": "%.1f" % seconds,
              "note": note.splitlines()[0] if note else "",
              "score": sum(earned.get(test, 0) for test, _ in options.columns),
              "max_score": sum(points for _, points in options.columns)}
    values.update((test, earned.get(test, 0)) for test, _ in options.columns)
    print("%s: %s %d/%d in %ss %s" % (name, status, values["score"], values["max_score"],
                                      values["seconds"], values["note"]),
          file=sys.stderr, flush=True)
    return values


def main(argv=None):
    options = parse(argv)
    paths = [os.path.join(options.submissions, entry)
             for entry in submission.visible_entries(options.submissions)]
    ports = PortPool()
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=options.jobs)
    futures = [pool.submit(grade_one, options, ports, path) for path in paths]
    try:
        rows = [future.result() for future in futures]
    except KeyboardInterrupt:
        pool.shutdown(wait=False, cancel_futures=True)
        graderun.stop_all()
        print("grade-batch: interrupted; no CSV written", file=sys.stderr)
        return EXIT_INTERRUPTED
    pool.shutdown()
    columns = FIXED_COLUMNS + tuple(test for test, _ in options.columns) + LAST_COLUMNS
    partial = options.out + ".partial"
    with open(partial, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    os.replace(partial, options.out)
    print("grade-batch: %d submissions graded into %s" % (len(rows), options.out),
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
