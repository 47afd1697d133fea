"""Grading a whole class, checked from outside.

- grade-lab-cow --json writes Gradescope's results.json, and it says what
  the text report says;
- tools/grade-batch.py grades a folder of submissions (a solution, the
  starter, one that does not build, one whose kernel never reaches a prompt)
  side by side, and each problem costs only its own row;
- tools/gradescope/run_autograder always leaves a valid results.json;
- make zipball hands in only committed work, unless told FORCE=1.

To keep the suite near a minute and a half, the graders run only a few
quick tests (QUICK_TESTS), not usertests.
"""

import csv
import glob
import json
import os
import shutil
import sys
import tarfile
import tempfile

from archives import pack
from graderun import listed_tests, patch, run_grader, tree_copy
from harness import (REASON_INDENT, REPO, TIME_SCALE, TIME_SCALE_VARIABLE, Suite, check,
                     copy_tree, run)
import submission
from handinfiles import HANDIN, HANDIN_FOLDER
from report import PrintedReport, check_consistent
from starter import starter_tree

suite = Suite("gradescale", cpus=(3,), boot=False, host_only=True)

QUICK_TESTS = ("simple", "three", "time")
BATCH_TESTS = ("simple", "three")
GRADE_TIMEOUT = 300         # seconds for a grade of QUICK_TESTS
BATCH_JOBS = 2
BATCH_SUBMISSION_TIMEOUT = 75   # seconds: the hung submission spends all of it
# The batch runs with its graders' limits (the 60 s boot timeout among
# them) stretched this much more than its own --timeout, so that the hung
# submission meets the batch's limit first even when its build is quick.
GRADER_STRETCH = 2
BATCH_TIMEOUT = 600         # seconds for the whole batch
AUTOGRADER_TIMEOUT = 300
MAKE_TIMEOUT = 120
GRADE_BATCH = os.path.join(REPO, "tools", "grade-batch.py")
RUN_AUTOGRADER = os.path.join(REPO, "tools", "gradescope", "run_autograder")
# The clone gets these as they are now.
HANDIN_FILES = ("Makefile", "tools/handin.py", "tools/labpath.py", "test/handinfiles.py")

BROKEN_LINE = "\nint broken_on_purpose = ;\n"
HUNG_FILE = os.path.join("kernel", "boot", "main.c")
HUNG_AT = "  userinit();"

# Gradescope's results.json: every field it reads, and the type each must have.
NUMBER = (int, float)
TOP_LEVEL_FIELDS = {
    "score": NUMBER, "execution_time": NUMBER, "output": str, "output_format": str,
    "test_output_format": str, "test_name_format": str, "visibility": str,
    "stdout_visibility": str, "extra_data": dict, "tests": list, "leaderboard": list,
}
TEST_FIELDS = {
    "score": NUMBER, "max_score": NUMBER, "status": str, "name": str, "name_format": str,
    "number": str, "output": str, "output_format": str, "tags": list, "visibility": str,
    "extra_data": dict,
}
REQUIRED_TOP_LEVEL = ("score", "execution_time", "tests")
REQUIRED_TEST = ("name", "score", "max_score", "status", "output")
VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")


# --- Gradescope's format ------------------------------------------------------

def field_problems(where, record, fields, required):
    """What is wrong with record's fields: unknown, missing, or of the wrong type."""
    problems = ["%s: unknown field %r" % (where, name) for name in sorted(set(record) - set(fields))]
    problems += ["%s: no %r" % (where, name) for name in required if name not in record]
    for name, value in sorted(record.items()):
        wanted = fields.get(name)
        if wanted and (isinstance(value, bool) or not isinstance(value, wanted)):
            problems.append("%s: %r is %r, not %s" % (where, name, value, wanted))
    if record.get("visibility", "visible") not in VISIBILITIES:
        problems.append("%s: visibility %r" % (where, record["visibility"]))
    return problems


def gradescope_problems(results):
    """Everything that keeps results (a parsed results.json) from being valid for
    Gradescope and self-consistent; [] if nothing does."""
    if not isinstance(results, dict):
        return ["results.json holds %s, not an object" % type(results).__name__]
    problems = field_problems("results", results, TOP_LEVEL_FIELDS, REQUIRED_TOP_LEVEL)
    tests = results.get("tests") if isinstance(results.get("tests"), list) else []
    for number, test in enumerate(tests):
        where = "tests[%d]" % number
        if not isinstance(test, dict):
            problems.append("%s is not an object" % where)
            continue
        problems += field_problems(where, test, TEST_FIELDS, REQUIRED_TEST)
        if test.get("status") not in submission.TEST_STATUSES:
            problems.append("%s: status %r" % (where, test.get("status")))
        if not problems and not 0 <= test["score"] <= test["max_score"]:
            problems.append("%s: score %r out of %r" % (where, test["score"], test["max_score"]))
    if not problems and results["score"] != sum(test["score"] for test in tests):
        problems.append("score %r is not the sum of the tests' scores" % results["score"])
    return problems


def valid_results(path):
    """The results.json at path, parsed; fails unless Gradescope would accept it."""
    check(os.path.isfile(path), "expected %s to exist" % path)
    with open(path) as handle:
        text = handle.read()
    try:
        results = json.loads(text)
    except ValueError as problem:
        raise AssertionError("expected JSON in %s, got %r (%s)" % (path, text[:300], problem))
    problems = gradescope_problems(results)
    check(not problems, "expected a valid results.json, found:\n%s\nin %s"
          % ("\n".join(problems), text[:1500]))
    return results


def check_agrees(results, report):
    """results.json lists the text report's tests, verdicts, reasons and score."""
    tests = results["tests"]
    check([test["name"] for test in tests] == [name for name, _, _ in report.results],
          "expected the JSON's tests to be %s, got %s"
          % ([name for name, _, _ in report.results], [test["name"] for test in tests]))
    for test, (name, passed, reasons) in zip(tests, report.results):
        check((test["status"] == "passed") == passed,
              "%s: the text says %s, the JSON %s" % (name, "OK" if passed else "FAIL",
                                                     test["status"]))
        reason = "\n".join(line[len(REASON_INDENT):] for line in reasons)
        check(passed or test["output"] == reason,
              "%s: expected the JSON's output to be the reason %r, got %r"
              % (name, reason, test["output"]))
    possible = sum(test["max_score"] for test in tests)
    check((results["score"], possible) == report.score,
          "expected the JSON's score %d/%d to be the text's %d/%d"
          % ((results["score"], possible) + report.score))


# --- Submissions --------------------------------------------------------------

def break_build(tree):
    """Put a syntax error at the end of one kernel C file of tree."""
    victim = sorted(glob.glob(os.path.join(tree, "kernel", "*", "*.c")))[0]
    with open(victim, "a") as handle:
        handle.write(BROKEN_LINE)


def hang_boot(tree):
    """Make tree's kernel spin forever before it starts init, so the shell's
    prompt never comes (in the kernel: graders boot their own user programs)."""
    patch(tree, HUNG_FILE, HUNG_AT, "  for (;;)\n    ;\n" + HUNG_AT)


def surviving_qemus(folder):
    """Pids of QEMUs whose working directory is under folder."""
    found = []
    for proc in glob.glob("/proc/[0-9]*"):
        try:
            with open(os.path.join(proc, "cmdline"), "rb") as handle:
                command = handle.read()
            cwd = os.readlink(os.path.join(proc, "cwd"))
        except OSError:
            continue                  # gone, or not ours to look at
        if b"qemu-system" in command and cwd.startswith(folder):
            found.append(int(os.path.basename(proc)))
    return found


# --- Tests --------------------------------------------------------------------

@suite.test
def validator_rejects_malformed_results(m):
    good = {"score": 1, "execution_time": 2.5, "tests": [
        {"name": "a", "score": 1, "max_score": 1, "status": "passed", "output": ""}]}
    check(gradescope_problems(good) == [], "expected no problems, got %s"
          % gradescope_problems(good))
    bad = [{"score": "1", "execution_time": 1, "tests": []},
           {"score": 0, "tests": []},
           {"score": 0, "execution_time": 1, "tests": [], "grade": 3},
           {"score": 2, "execution_time": 1, "tests": [
               {"name": "a", "score": 2, "max_score": 1, "status": "passed", "output": ""}]},
           {"score": 0, "execution_time": 1, "tests": [
               {"name": "a", "score": 0, "max_score": 1, "status": "error", "output": ""}]},
           {"score": 0, "execution_time": 1, "tests": [{"name": "a", "score": 0}]}]
    for results in bad:
        check(gradescope_problems(results), "expected problems with %r, found none" % results)


@suite.test
def grader_json_is_gradescope_results_and_matches_the_report(m):
    with tree_copy() as tree:
        tests = [(name, points) for name, points in listed_tests(tree, m.cpus)
                 if name in QUICK_TESTS]
        path = os.path.join(os.path.dirname(tree), "results.json")
        status, output, seconds = run_grader(tree, ["--json", path] + list(QUICK_TESTS),
                                             GRADE_TIMEOUT, m.cpus)
        report = PrintedReport(output)
        check_consistent(report, tests, status)
        results = valid_results(path)
    check_agrees(results, report)
    return "%d/%d in %.0fs" % (report.score + (seconds,))


@suite.test
def batch_grades_each_submission_on_its_own(m):
    with tree_copy() as tree, starter_tree() as starter:
        scratch = os.path.dirname(tree)
        folder = os.path.join(scratch, "submissions")
        os.mkdir(folder)
        solution = copy_tree(tree, os.path.join(folder, "solution"))
        break_build(copy_tree(tree, os.path.join(folder, "broken")))
        hang_boot(copy_tree(tree, os.path.join(scratch, "hung")))
        pack(os.path.join(scratch, "hung"), os.path.join(folder, "hung.zip"))
        pack(starter, os.path.join(folder, "starter.tar.gz"))
        temporary = os.path.join(scratch, "tmp")
        os.mkdir(temporary)
        out = os.path.join(scratch, "results.csv")
        status, output = run([sys.executable, GRADE_BATCH, folder, "--out", out,
                              "--jobs", str(BATCH_JOBS), "--tests", ",".join(BATCH_TESTS),
                              "--timeout", str(BATCH_SUBMISSION_TIMEOUT / GRADER_STRETCH)],
                             solution, BATCH_TIMEOUT, TMPDIR=temporary, CPUS=str(m.cpus),
                             **{TIME_SCALE_VARIABLE: str(TIME_SCALE * GRADER_STRETCH)})
        survivors = surviving_qemus(temporary)
        check(status == 0 and os.path.isfile(out),
              "expected grade-batch to write %s, got exit status %d:\n%s" % (out, status, output))
        with open(out, newline="") as handle:
            rows = {row["name"]: row for row in csv.DictReader(handle)}
    check(not survivors, "expected no QEMU left running, found pids %s" % survivors)
    expect_rows(rows, output)
    return "graded %d submissions" % len(rows)


def expect_rows(rows, output):
    """The batch's CSV rows: each submission with the score and status its problem earns."""
    check(sorted(rows) == ["broken", "hung", "solution", "starter"],
          "expected rows for broken, hung, solution, starter; got %s\n%s" % (sorted(rows), output))
    solution = rows["solution"]
    expected = {"broken": (("build_failed",), 0), "hung": (("timeout",), 0),
                "solution": (("graded",), int(solution["max_score"]))}
    for name, (statuses, score) in expected.items():
        check(rows[name]["status"] in statuses and int(rows[name]["score"]) == score,
              "expected %s to be %s with score %d, got %r\n%s"
              % (name, " or ".join(statuses), score, rows[name], output))
    check(rows["starter"]["status"] == "graded"
          and int(rows["starter"]["score"]) < int(solution["score"]),
          "expected the starter graded below the solution, got %r" % rows["starter"])
    earned = [int(solution[test]) for test in BATCH_TESTS]
    check(all(earned) and sum(earned) == int(solution["score"]),
          "expected per-test columns %s adding up to the score, got %r" % (BATCH_TESTS, solution))


@suite.test
def run_autograder_always_writes_valid_results(m):
    with tree_copy() as tree:
        scratch = os.path.dirname(tree)
        environment = {"AUTOGRADER_ROOT": scratch, "AUTOGRADER_SOURCE": REPO}
        for case in ("graded", "empty"):
            os.makedirs(os.path.join(scratch, case))
        pack(tree, os.path.join(scratch, "graded", HANDIN))
        outcomes = {}
        for case in ("graded", "empty"):
            path = os.path.join(scratch, case + ".json")
            status, output = run([RUN_AUTOGRADER], scratch, AUTOGRADER_TIMEOUT,
                                 AUTOGRADER_SUBMISSION=os.path.join(scratch, case),
                                 AUTOGRADER_RESULTS=path, AUTOGRADER_TESTS="time",
                                 **environment)
            check(status == 0, "expected run_autograder to exit 0, got %d:\n%s" % (status, output))
            outcomes[case] = (valid_results(path), output)
    graded, output = outcomes["graded"]
    check([(test["name"], test["status"]) for test in graded["tests"]]
          == [("build", "passed"), ("time", "passed")] and graded["score"] > 0,
          "expected build and time to pass, got %r\n%s" % (graded, output))
    empty, output = outcomes["empty"]
    check(empty["score"] == 0 and "no kernel/ folder" in empty["output"],
          "expected score 0 and `no kernel/ folder` for an empty submission, got %r" % empty)


@suite.test
def zipball_refuses_a_dirty_tree_unless_forced(m):
    with tempfile.TemporaryDirectory(prefix="xv6-handin-") as scratch:
        clone = os.path.join(scratch, "clone")
        git = ["git", "-c", "user.name=grader", "-c", "user.email=grader@example.com"]
        status, output = run(git + ["clone", "-q", REPO, clone], scratch, MAKE_TIMEOUT)
        check(status == 0, "expected git clone to work, got %d:\n%s" % (status, output))
        for relative in HANDIN_FILES:
            shutil.copy2(os.path.join(REPO, relative), os.path.join(clone, relative))
        run(git + ["add"] + list(HANDIN_FILES), clone, MAKE_TIMEOUT)
        run(git + ["commit", "-qm", "handin tools as they are now"], clone, MAKE_TIMEOUT)
        status, output = run(["make", "-s", "zipball"], clone, MAKE_TIMEOUT)
        check(status == 0, "expected make zipball to pack a clean clone, got %d:\n%s"
              % (status, output))
        os.unlink(os.path.join(clone, HANDIN))
        dirty(clone)
        status, output = run(["make", "-s", "zipball"], clone, MAKE_TIMEOUT)
        check(status != 0 and "FORCE=1" in output and not os.path.exists(os.path.join(clone, HANDIN)),
              "expected make zipball to refuse a dirty tree, naming FORCE=1; got %d:\n%s"
              % (status, output))
        status, output = run(["make", "-s", "zipball", "FORCE=1"], clone, MAKE_TIMEOUT)
        check(status == 0, "expected make zipball FORCE=1 to pack, got %d:\n%s" % (status, output))
        expect_handin(os.path.join(clone, HANDIN), scratch)


def dirty(clone):
    """Change a tracked file, add an untracked one and an ignored build output."""
    for relative, text in (("README", "edited\n"), ("notes.txt", "mine\n"),
                           ("kernel/boot/fake.o", "object\n")):
        with open(os.path.join(clone, relative), "a") as handle:
            handle.write(text)


def expect_handin(archive, scratch):
    """The handin holds the edited and untracked files, no build output, and grades."""
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
        readme = tar.extractfile(HANDIN_FOLDER + "/README").read().decode()
    wanted = {HANDIN_FOLDER + "/" + name for name in ("Makefile", "notes.txt", "README")}
    check(wanted <= names, "expected %s in the handin, missing %s" % (wanted, wanted - names))
    check(HANDIN_FOLDER + "/kernel/boot/fake.o" not in names,
          "expected no build output in the handin, found kernel/boot/fake.o")
    check(readme.endswith("edited\n"), "expected the edited README in the handin")
    unpacked = os.path.join(scratch, "unpacked")
    submission.unpack_submission(archive, unpacked)
    check(os.path.isfile(os.path.join(unpacked, "kernel", "kernel.ld")),
          "expected the handin to unpack into a tree with kernel/kernel.ld")
