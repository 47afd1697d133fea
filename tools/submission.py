"""Grade one student submission of the COW lab in a folder of its own.

The one place that says how a submission becomes a graded tree, shared by
tools/grade-batch.py (many submissions, in parallel) and
tools/gradescope/run_autograder (one, on Gradescope):

1. unpack(): the submission is a tree, an archive of one (.tar.gz, .tgz,
   .tar, .zip), or a folder holding just one of those, as Gradescope's upload
   folder does; an archive may wrap the tree in one top-level folder.
2. overlay(): the instructor's grading files (PRISTINE) replace the
   student's copies, so a submission cannot change how it is graded.
3. test/graderun.py's run_bounded(): the tree's grade-lab-cow --json runs
   in its own process group with its own GRADE_PORT; past its time limit
   (scaled by XV6_TIME_SCALE) it gets SIGTERM (it then kills its QEMU and
   writes what it has), and a little later its whole group gets SIGKILL, so
   no QEMU outlives it either way.

grade() does all three and guarantees a results.json at the path it is
given, even when the submission cannot be unpacked or the grader crashes:
then a fallback with score 0 and the reason. It returns a status word from
STATUSES. The instructor's tree (the source) is where this file lives,
unless the caller names another.
"""

import json
import os
import pathlib
import shutil
import sys
import tarfile
import tempfile
import zipfile

SOURCE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(SOURCE, "test"))
import gradelib  # noqa: E402  (needs the path above)
from graderun import GRADER, listed_tests, run_bounded  # noqa: E402
from harness import REASON_INDENT, TestFailure, copy_tree, scaled  # noqa: E402
from report import Report  # noqa: E402

# The grading files, relative to the top of the tree: the grader, its
# machinery and test suites, the build, and the programs whose output it scores.
PRISTINE = (GRADER, "Makefile", "test", "user/cowtest.c", "user/usertests.c")
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".zip")
HIDDEN_PREFIXES = (".", "__MACOSX")   # dot files and macOS zip metadata
MAX_WRAPPERS = 3           # folders or archives wrapped around the tree
TREE_MARKER = "kernel"     # a folder every submitted tree has
DEFAULT_TIMEOUT = 2400     # seconds for a whole grade: build, cowtest, usertests -q
LOG_TAIL_LINES = 20        # grader output quoted when it crashes
EXECUTABLE_BITS = 0o111
OWNER_READ_WRITE = 0o600
PERMISSION_BITS = 0o777
ZIP_MODE_SHIFT = 16        # a zip entry's Unix mode is in external_attr's high half

GRADED = "graded"
BUILD_FAILED = "build_failed"
TIMEOUT = "timeout"
ERROR = "error"
STATUSES = (GRADED, BUILD_FAILED, TIMEOUT, ERROR)


class SubmissionError(Exception):
    """The submission holds no tree we can grade; the message says why."""


# --- Unpacking ----------------------------------------------------------------

def submission_name(path):
    """The submission's name: its file name without an archive suffix."""
    name = os.path.basename(os.path.normpath(path))
    for suffix in ARCHIVE_SUFFIXES:
        if name.endswith(suffix):
            return name[:-len(suffix)]
    return name


def is_archive(path):
    return os.path.isfile(path) and path.endswith(ARCHIVE_SUFFIXES)


def check_member_name(archive, name):
    """Refuse an archive member that would land outside the folder it is extracted to."""
    if os.path.isabs(name) or ".." in pathlib.PurePosixPath(name).parts:
        raise SubmissionError("%s: unsafe path %r" % (os.path.basename(archive), name))


def extract_tar(archive, folder):
    """Extract a tar archive's files and folders (not links or devices) into folder."""
    with tarfile.open(archive) as tar:
        members = [member for member in tar.getmembers() if member.isfile() or member.isdir()]
        for member in members:
            check_member_name(archive, member.name)
        if hasattr(tarfile, "data_filter"):        # Python 3.12 and patched 3.9..3.11
            tar.extractall(folder, members, filter="data")
        else:
            tar.extractall(folder, members)


def extract_zip(archive, folder):
    """Extract a zip archive into folder, keeping its files' executable bits."""
    with zipfile.ZipFile(archive) as bundle:
        for info in bundle.infolist():
            check_member_name(archive, info.filename)
        bundle.extractall(folder)
        for info in bundle.infolist():
            mode = info.external_attr >> ZIP_MODE_SHIFT
            if not info.is_dir() and mode & EXECUTABLE_BITS:
                path = os.path.join(folder, info.filename)
                os.chmod(path, (mode & PERMISSION_BITS) | OWNER_READ_WRITE)


def extract(archive, folder):
    """Extract archive into the new folder; return folder."""
    os.makedirs(folder)
    try:
        if archive.endswith(".zip"):
            extract_zip(archive, folder)
        else:
            extract_tar(archive, folder)
    except (tarfile.TarError, zipfile.BadZipFile, OSError, EOFError) as problem:
        raise SubmissionError("cannot unpack %s: %s" % (os.path.basename(archive), problem))
    return folder


def visible_entries(folder):
    return sorted(name for name in os.listdir(folder) if not name.startswith(HIDDEN_PREFIXES))


def unwrap(root, staging):
    """The tree inside root: descend through a lone folder or archive, up to MAX_WRAPPERS times."""
    for level in range(MAX_WRAPPERS):
        entries = visible_entries(root)
        if len(entries) != 1:
            return root
        only = os.path.join(root, entries[0])
        if os.path.isdir(only):
            root = only
        elif is_archive(only):
            root = extract(only, os.path.join(staging, "wrapper%d" % level))
        else:
            return root
    return root


def unpack(submission, tree):
    """Put the tree that submission holds at tree (a path that must not exist yet).

    Raises SubmissionError if submission is neither a folder nor an archive,
    cannot be unpacked, or holds no tree (no kernel/ folder).
    """
    staging = tempfile.mkdtemp(prefix="unpack-", dir=os.path.dirname(os.path.abspath(tree)))
    try:
        first = os.path.join(staging, "submission")
        if os.path.isdir(submission):
            copy_tree(submission, first)
        elif is_archive(submission):
            extract(submission, first)
        else:
            raise SubmissionError("%s is neither a folder nor a %s archive"
                                  % (submission, "/".join(ARCHIVE_SUFFIXES)))
        root = unwrap(first, staging)
        if not os.path.isdir(os.path.join(root, TREE_MARKER)):
            raise SubmissionError("no %s/ folder in the submission %s; found: %s" % (
                TREE_MARKER, submission_name(submission),
                " ".join(visible_entries(root)) or "nothing"))
        os.rename(root, tree)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def overlay(source, tree):
    """Replace tree's copies of the PRISTINE grading files with source's."""
    for relative in PRISTINE:
        original, target = os.path.join(source, relative), os.path.join(tree, relative)
        if os.path.isdir(target) and not os.path.islink(target):
            shutil.rmtree(target)
        elif os.path.lexists(target):
            os.unlink(target)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if os.path.isdir(original):
            copy_tree(original, target)
        else:
            shutil.copy2(original, target)


# --- Results ------------------------------------------------------------------

def lab_tests(source=SOURCE, names=None):
    """[(name, points)] of source's grader, in order; only names if given.

    Raises SubmissionError naming any of names the grader does not have.
    """
    try:
        tests = listed_tests(source, gradelib.grade_cpus())
    except TestFailure as failure:
        raise SubmissionError("the grader in %s cannot list its tests: %s" % (source, failure))
    if names is None:
        return tests
    unknown = sorted(set(names) - {name for name, _ in tests})
    if unknown:
        raise SubmissionError("no test named %s (tests: %s)"
                              % (", ".join(unknown), " ".join(name for name, _ in tests)))
    return [(name, points) for name, points in tests if name in names]


def load_results(path):
    """The results.json at path as a dict, or None if it is missing or not JSON."""
    try:
        with open(path) as handle:
            results = json.load(handle)
    except (OSError, ValueError):
        return None
    return results if isinstance(results, dict) else None


def write_fallback(path, reason, tests):
    """Write a results.json at path: every test of tests ((name, points)) failed for reason."""
    report = Report()
    report.problem = reason
    report.write_json(path, tests)


def log_tail(log):
    """The last lines of the open file log, indented, for a failure reason."""
    log.flush()
    with open(log.name, errors="replace") as handle:
        lines = handle.read().rstrip().splitlines()[-LOG_TAIL_LINES:]
    return "\n".join(REASON_INDENT + line for line in lines)


def add_to_summary(path, results, note):
    """Rewrite the results.json at path (read as results) with note after its summary."""
    results["output"] = "%s\n%s" % (results.get("output", ""), note)
    with open(path, "w") as handle:
        json.dump(results, handle, indent=1)
        handle.write("\n")


def status_of(results):
    """GRADED, or BUILD_FAILED if the grader's build test failed."""
    build = [entry for entry in results.get("tests", []) if entry.get("name") == "build"]
    return BUILD_FAILED if build and build[0].get("status") != "passed" else GRADED


def grade(submission, results_path, workdir, log, source=SOURCE, names=None,
          timeout=DEFAULT_TIMEOUT, port=None, sandbox=None):
    """Grade submission in workdir (an empty folder) and write results_path.

    names: the tests to run (default all); log: an open file for the
    grader's output; sandbox: where to run the grader (see graderun.run_bounded).
    Returns (status, note): status from STATUSES, note a one-line reason
    when it is not GRADED, else "".
    """
    tests = lab_tests(source, names)
    tree = os.path.join(workdir, "tree")
    if os.path.exists(results_path):
        os.unlink(results_path)            # a stale file would pass for this grade's
    try:
        unpack(submission, tree)
        overlay(source, tree)
    except (SubmissionError, OSError) as problem:
        write_fallback(results_path, str(problem), tests)
        return ERROR, str(problem)
    args = ["--json", os.path.abspath(results_path)]
    if names is not None:
        args += [name for name, _ in tests]
    exit_status = run_bounded(tree, args, timeout, log, port, sandbox=sandbox)
    results = load_results(results_path)
    if exit_status is None:
        note = "timed out after %gs" % scaled(timeout)
        if results is None:
            write_fallback(results_path, note, tests)
        else:
            add_to_summary(results_path, results, note)
        return TIMEOUT, note
    if results is None:
        note = "the grader exited with status %d and wrote no results" % exit_status
        write_fallback(results_path, "%s; its last output:\n%s" % (note, log_tail(log)), tests)
        return ERROR, note
    status = status_of(results)
    return status, "the build failed" if status == BUILD_FAILED else ""
