"""Grade one student submission of the COW lab, trusting nothing it holds.

The one place that says how a submission becomes a score, shared by
tools/grade-batch.py (many submissions, in parallel) and
tools/gradescope/run_autograder (one, on Gradescope). grade() works in an
empty folder of the caller's (WORK):

    WORK/          the caller's, made walkable (0711) but not listable
      tree/        the submission's files: the only folder its code may write
      fs.img       the instructor's disk image, read-only to the confined code
      host/        0700: the grader's results.json and console transcript

1. unpack(): the submission is a folder, an archive (.tar.gz, .tgz, .tar,
   .zip), or a folder holding just one of those, as Gradescope's upload
   folder does; an archive may wrap the tree in one top-level folder.
   test/unpack.py copies or extracts regular files and folders only: no
   link is created or followed, and the bytes, files and seconds are
   bounded (a tar or zip bomb stops at a named limit). A submission that is
   itself a link is refused.
2. overlay(): the instructor's grading files (PRISTINE) replace the
   student's copies. Nothing of the submission has run yet, and the tree
   holds no links, so this writes only inside WORK/tree.
3. The instructor's own grade-lab-cow (the source's, never the tree's) runs
   on the host, as the caller, with --tree WORK/tree: it reads the tree's
   time.txt first, then runs the tree's build and each QEMU confined
   (--confine: test/sandbox.py), drives QEMU's console through pipes and
   writes its results.json into WORK/host, which the confined code can
   neither see nor reach. It runs in a process group of its own, bounded
   in time (test/graderun.py's run_bounded). The machines boot the
   submission's kernel with the instructor's fs.img (--fs-image), built
   once by the caller from the source alone (build_pristine_image): every
   user program, the shell, the user library and the headers they
   include are the instructor's, so only the kernel is the student's.
4. The results are read back from WORK/host and checked (checked_results):
   every test of the lab, each score a number clamped to the test's
   points. Anything else makes the grade an ERROR with score 0.

grade() returns (status, note, results): a status word from STATUSES, a
one-line note when it is not GRADED, and results in Gradescope's
results.json format, always (score 0 and the reason when the submission
cannot be unpacked or the grader fails). The caller writes the results
where it wants them; grade() writes nothing outside WORK.
"""

import json
import math
import os
import shutil
import sys
import tempfile

import gradelib
import harness
import unpack
from graderun import GRADER, listed_tests, run_bounded
from harness import REASON_INDENT, TestFailure, scaled
from report import Report

SOURCE = harness.REPO       # the instructor's tree: the one this library is in

# The grading files, relative to the top of the tree: the grader, its
# machinery and test suites, the build, and the programs whose output it scores.
PRISTINE = (GRADER, "Makefile", "test", "user/cowtest.c", "user/usertests.c", "user/proof.h")
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".zip")
HIDDEN_PREFIXES = (".", "__MACOSX")   # dot files and macOS zip metadata
MAX_WRAPPERS = 3           # folders or archives wrapped around the tree
TREE_MARKER = "kernel"     # a folder every submitted tree has
DEFAULT_TIMEOUT = 2400     # seconds for a whole grade: build, cowtest, usertests -q
LOG_TAIL_LINES = 20        # grader output quoted when it crashes
MAX_OUTPUT_CHARS = 20000   # of one test's output kept in the results
WALKABLE_ONLY = 0o711      # WORK: the confined user may pass through, not list or write
PRIVATE = 0o700            # WORK/host
TREE_FOLDER = "tree"
HOST_FOLDER = "host"
RESULTS_NAME = "results.json"
IMAGE_NAME = "fs.img"
# What building fs.img needs of the source (nothing else of it is read).
IMAGE_SOURCES = ("Makefile", "README", "kernel", "user", "mkfs", "tools")
READABLE = 0o644           # WORK/fs.img: the confined user reads it, by its name only
TRANSCRIPT_NAME = "xv6.out"

GRADED = "graded"
BUILD_FAILED = "build_failed"
TIMEOUT = "timeout"
ERROR = "error"
STATUSES = (GRADED, BUILD_FAILED, TIMEOUT, ERROR)
TEST_STATUSES = ("passed", "failed")


class SubmissionError(Exception):
    """The submission holds no tree we can grade; the message says why."""


# --- Unpacking ----------------------------------------------------------------

def submission_name(path):
    """The submission's name: its file name without an archive suffix."""
    name = os.path.basename(os.path.normpath(path))
    for suffix in ARCHIVE_SUFFIXES:
        if name.lower().endswith(suffix):
            return name[:-len(suffix)]
    return name


def is_archive(path):
    return (os.path.isfile(path) and not os.path.islink(path)
            and path.lower().endswith(ARCHIVE_SUFFIXES))


def visible_entries(folder):
    return sorted(name for name in os.listdir(folder) if not name.startswith(HIDDEN_PREFIXES))


def unwrap(root, staging, budget):
    """The tree inside root: descend through a lone folder or archive, up to MAX_WRAPPERS times."""
    for level in range(MAX_WRAPPERS):
        entries = visible_entries(root)
        if len(entries) != 1:
            return root
        only = os.path.join(root, entries[0])
        if os.path.isdir(only) and not os.path.islink(only):
            root = only
        elif is_archive(only):
            root = os.path.join(staging, "wrapper%d" % level)
            unpack.extract_archive(only, root, budget)
        else:
            return root
    return root


def unpack_submission(submission, tree):
    """Put the tree that submission holds at tree (a path that must not exist yet).

    Raises SubmissionError if submission is a link, neither a folder nor an
    archive, cannot be unpacked, passes a limit of test/unpack.py, or holds
    no tree (no kernel/ folder).
    """
    if os.path.islink(submission):
        raise SubmissionError("%s is a symbolic link; submit the folder or archive itself"
                              % submission_name(submission))
    staging = tempfile.mkdtemp(prefix="unpack-", dir=os.path.dirname(os.path.abspath(tree)))
    budget = unpack.Budget()
    try:
        first = os.path.join(staging, "submission")
        if os.path.isdir(submission):
            unpack.copy_folder(submission, first, budget)
        elif is_archive(submission):
            unpack.extract_archive(submission, first, budget)
        else:
            raise SubmissionError("%s is neither a folder nor a %s archive"
                                  % (submission_name(submission), "/".join(ARCHIVE_SUFFIXES)))
        root = unwrap(first, staging, budget)
        if not os.path.isdir(os.path.join(root, TREE_MARKER)):
            raise SubmissionError("no %s/ folder in the submission %s; found: %s" % (
                TREE_MARKER, submission_name(submission),
                " ".join(visible_entries(root)) or "nothing"))
        os.rename(root, tree)
    except unpack.UnpackError as problem:
        raise SubmissionError("%s: %s" % (submission_name(submission), problem))
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def overlay(source, tree):
    """Replace tree's copies of the PRISTINE grading files with source's.

    tree holds no links (unpack_submission makes none), so nothing here
    acts outside it."""
    for relative in PRISTINE:
        original, target = os.path.join(source, relative), os.path.join(tree, relative)
        if os.path.isdir(target) and not os.path.islink(target):
            shutil.rmtree(target)
        elif os.path.lexists(target):
            os.unlink(target)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if os.path.isdir(original):
            shutil.copytree(original, target, ignore=shutil.ignore_patterns("__pycache__"))
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


class MalformedResults(Exception):
    """Results that do not say, for every test, a score within its points."""


def checked_score(entry, points):
    """The entry's score as a number clamped to 0..points; raises MalformedResults."""
    score = entry.get("score")
    if isinstance(score, bool) or not isinstance(score, (int, float)) or not math.isfinite(score):
        raise MalformedResults("test %s: score %r is not a number" % (entry.get("name"), score))
    return min(max(score, 0), points)


def checked_results(raw, tests):
    """A fresh results dict built from raw (a parsed results.json) for tests
    ([(name, points)]): each test's score a number clamped to its points,
    its status passed only if it earned them all. Raises MalformedResults
    for anything else: a missing test, a non-numeric score, a wrong type."""
    if not isinstance(raw, dict) or not isinstance(raw.get("tests"), list):
        raise MalformedResults("no list of tests")
    entries = {}
    for entry in raw["tests"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise MalformedResults("a test entry without a name: %r" % (entry,))
        entries.setdefault(entry["name"], entry)
    checked = []
    for name, points in [("build", 0)] + list(tests):
        if name not in entries:
            if name == "build":
                continue            # the grader refused to start: no build was tried
            raise MalformedResults("no result for test %s" % name)
        entry = entries[name]
        score = checked_score(entry, points)
        output = entry.get("output", "")
        if entry.get("status") not in TEST_STATUSES or not isinstance(output, str):
            raise MalformedResults("test %s: status %r" % (name, entry.get("status")))
        passed = entry["status"] == "passed" and score == points
        checked.append({"name": name, "score": score, "max_score": points,
                        "status": "passed" if passed else "failed",
                        "output": output[:MAX_OUTPUT_CHARS]})
    summary = raw.get("output") if isinstance(raw.get("output"), str) else ""
    seconds = raw.get("execution_time")
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        seconds = 0
    return {"score": sum(entry["score"] for entry in checked), "execution_time": seconds,
            "output": summary[:MAX_OUTPUT_CHARS], "visibility": "visible", "tests": checked}


def fallback_results(reason, tests):
    """Results with every test of tests ((name, points)) failed for reason."""
    report = Report()
    report.problem = reason
    return report.results(tests)


def with_note(results, note):
    """results with note added after its summary."""
    results["output"] = "%s\n%s" % (results.get("output", ""), note)
    return results


def log_tail(log):
    """The last lines of log (a file open for reading and writing), indented,
    for a failure reason."""
    log.flush()
    log.seek(0)
    lines = log.read().rstrip().splitlines()[-LOG_TAIL_LINES:]
    log.seek(0, os.SEEK_END)
    return "\n".join(REASON_INDENT + line for line in lines)


def status_of(results):
    """GRADED; BUILD_FAILED if the grader's build test failed; ERROR if the
    grader tried no build (it refused to start, and its summary says why)."""
    build = [entry for entry in results["tests"] if entry["name"] == "build"]
    if not build:
        return ERROR
    return BUILD_FAILED if build[0]["status"] != "passed" else GRADED


def build_pristine_image(source, folder):
    """Build the instructor's fs.img (every user program, cowtest and
    usertests among them, from source's own files) in folder, a new folder
    of ours; return its path. Run on the host: all of it is source's code.
    Raises SubmissionError if the build fails."""
    tree = os.path.join(folder, TREE_FOLDER)
    os.mkdir(tree)
    for name in IMAGE_SOURCES:
        if os.path.isdir(os.path.join(source, name)):
            shutil.copytree(os.path.join(source, name), os.path.join(tree, name),
                            ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(os.path.join(source, name), os.path.join(tree, name))
    try:
        harness.make("clean", tree=tree)
        harness.make(IMAGE_NAME, tree=tree)
    except TestFailure as failure:
        raise SubmissionError("cannot build the instructor's %s: %s" % (IMAGE_NAME, failure))
    return os.path.join(tree, IMAGE_NAME)


def prepare_work(workdir):
    """Make WORK's layout (see the top of this file); return (tree, host)."""
    os.chmod(workdir, WALKABLE_ONLY)
    host = os.path.join(workdir, HOST_FOLDER)
    os.mkdir(host, PRIVATE)
    return os.path.join(workdir, TREE_FOLDER), host


def grader_command(source, tree, host, image, confine, hidden, names):
    """The command line of the instructor's grader for tree, booting image."""
    command = [sys.executable, os.path.join(source, GRADER), "--tree", tree,
               "--fs-image", image, "--json", os.path.join(host, RESULTS_NAME),
               "--transcript", os.path.join(host, TRANSCRIPT_NAME)]
    if confine is not None:
        command += ["--confine", confine]
        for folder in hidden:
            command += ["--hide", folder]
    return command + list(names or [])


def grade(submission, workdir, log, image, source=SOURCE, names=None, timeout=DEFAULT_TIMEOUT,
          port=None, confine=None, hidden=()):
    """Grade submission in workdir (an empty folder of the caller's).

    log: a file open for reading and writing ("w+"), for the grader's
    output; image: the instructor's fs.img (build_pristine_image), which
    the submission's kernel boots; names: the tests to run (default all);
    confine: how the submission's code runs (a kind from
    gradelib.CONFINEMENTS, or None to run it with our rights); hidden:
    folders a bwrap sandbox must not show. Returns (status, note, results)
    as the top of this file says.
    """
    tests = lab_tests(source, names)
    tree, host = prepare_work(workdir)
    try:
        unpack_submission(submission, tree)
        overlay(source, tree)
        booted = os.path.join(workdir, IMAGE_NAME)
        shutil.copyfile(image, booted)
        os.chmod(booted, READABLE)
    except (SubmissionError, OSError) as problem:
        return ERROR, str(problem), fallback_results(str(problem), tests)
    command = grader_command(source, tree, host, booted, confine, [source] + list(hidden),
                             names)
    exit_status = run_bounded(command, host, timeout, log, port)
    raw = load_results(os.path.join(host, RESULTS_NAME))
    try:
        results = checked_results(raw, tests) if raw is not None else None
    except MalformedResults as problem:
        note = "the grader's results are malformed: %s" % problem
        return ERROR, note, fallback_results(note, tests)
    if exit_status is None:
        note = "timed out after %gs" % scaled(timeout)
        if results is None:
            return TIMEOUT, note, fallback_results(note, tests)
        return TIMEOUT, note, with_note(results, note)
    if results is None:
        note = "the grader exited with status %d and wrote no results" % exit_status
        return ERROR, note, fallback_results("%s; its last output:\n%s" % (note, log_tail(log)),
                                             tests)
    status = status_of(results)
    notes = {GRADED: "", BUILD_FAILED: "the build failed",
             ERROR: (results["output"].splitlines() or ["the grader tried no build"])[-1]}
    return status, notes[status], results
