"""The grader, checked from outside: grade-lab-cow run as a student would run it.

Each test runs ./grade-lab-cow as a subprocess in a private copy of the tree
(the grader starts with `make clean`, which must not pull the tree out from
under the rest of `make test`) with GRADE_PORT set to a port that was free a
moment ago. The tests check the report's format and its agreement with the
exit status, not the score itself: that is the kernel's business.

test/graderun.py runs it: a grader still running when its time is up gets
SIGTERM, which makes it kill its QEMU, and SIGKILL only if it ignores that.

Proofs (test/proof.py): the grader passes this kernel's real results, each
carrying the proof of the grade's own nonce, and fails a shell that
answers the grader's commands with a recorded transcript of a passing run.
"""

import os
import re
import socket

import gradelib
import labgrader
import proof
from graderun import listed_tests, run_grader, tree_copy
from harness import KERNEL, RACE_KERNEL, Suite, TestFailure, check
from gradelib import NOT_PROVEN
from report import PrintedReport, check_consistent

suite = Suite("grade", cpus=(3,), boot=False)

RACE_TEST = "concurrent_release"   # the one test scored on the race kernel's reports

FULL_RUN_TIMEOUT = 2400     # seconds for a whole grade: build, cowtest, usertests -q
BUILD_FAILURE_TIMEOUT = 300  # seconds for a grade whose build fails
QUICK_TIMEOUT = 10          # seconds for a grader that refuses to start
USAGE_ERROR = 2             # argparse's exit status for a bad command line

BROKEN_PROGRAM = "user/zz_broken.c"
BROKEN_SOURCE = "int\nmain(void)\n{\n  return no_such_variable;\n}\n"

PROVEN_TESTS = ["simple", "three", "usertests_copyin"]
PROVEN_RUN_TIMEOUT = 1200   # seconds for a grade of PROVEN_TESTS (cowtest and usertests -q)
REPLAYED_TESTS = ["simple", "three", "usertests_copyin", "usertests"]
RECORD_COWTEST = "cowtest -n %s simple three"
RECORD_USERTESTS = "usertests -q -n %s"
RECORD_TIMEOUT = 900        # seconds for each recorded command
SHELL = "user/sh.c"
TYPED_NONCE = re.compile(r"(?m)^\$ (cowtest|usertests -q) -n ([0-9a-f]{16})((?: \w+)*)$")
PRINTABLE = range(0x20, 0x7f)

# The shell a cheating tree could have: it runs nothing, and answers the
# grader's two commands with what their real runs printed once.
REPLAYING_SHELL = r"""// A shell that answers cowtest and usertests with recorded transcripts.
#include "kernel/types.h"
#include "user/user.h"

static const char cowtest_run[] = %(cowtest)s;
static const char usertests_run[] = %(usertests)s;
static char line[128];

static int starts_with(const char *word) {
  return memcmp(line, word, strlen(word)) == 0;
}

int main(void) {
  for (;;) {
    write(2, "$ ", 2);
    gets(line, sizeof(line));
    if (line[0] == 0)
      exit(0);
    if (starts_with("cowtest"))
      write(1, cowtest_run, sizeof(cowtest_run) - 1);
    else if (starts_with("usertests"))
      write(1, usertests_run, sizeof(usertests_run) - 1);
  }
}
"""


def file_list(tree):
    """Every file path under tree, relative to it, but Python's byte-code caches.

    Running the grader imports test/*.py, and Python may cache them in
    __pycache__ (unless PYTHONDONTWRITEBYTECODE is set): that is no change.
    """
    return {os.path.relpath(os.path.join(folder, name), tree)
            for folder, _, names in os.walk(tree) for name in names
            if "__pycache__" not in folder.split(os.sep)}


@suite.test
def solved_tree_scores_full_marks_with_a_consistent_report(m):
    with tree_copy() as tree:
        tests = listed_tests(tree, m.cpus)
        status, output, seconds = run_grader(tree, [], FULL_RUN_TIMEOUT, m.cpus)
        report = PrintedReport(output)
        check_consistent(report, tests, status)
        check(report.score[0] == report.score[1] and status == 0,
              "expected full marks and exit status 0 on the solved tree, got %d/%d and %d:\n%s"
              % (report.score + (status, output[-1500:])))
        with open(os.path.join(tree, "xv6.out"), errors="replace") as transcript:
            console = transcript.read()
    check("$ cowtest" in console and "$ usertests -q" in console,
          "expected xv6.out to hold the consoles of cowtest and usertests -q, got %r"
          % console[-500:])
    return "scored %d/%d in %.0fs" % (report.score + (seconds,))


@suite.test
def grader_refuses_to_start_when_its_port_is_taken(m):
    with tree_copy() as tree, socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(("", 0))
        holder.listen(1)
        port = holder.getsockname()[1]
        before = file_list(tree)
        status, output, seconds = run_grader(tree, [], QUICK_TIMEOUT, m.cpus, port)
        after = file_list(tree)
    check(status != 0, "expected a non-zero exit status, got 0 and %r" % output)
    check(str(port) in output and "GRADE_PORT" in output,
          "expected a refusal naming port %d and GRADE_PORT, got %r" % (port, output))
    check(before == after, "expected the tree untouched; changed: %s"
          % ", ".join(sorted(before ^ after)[:10]))
    return "refused in %.1fs" % seconds


@suite.test
def grader_rejects_an_unknown_test_name(m):
    with tree_copy() as tree:
        status, output, _ = run_grader(tree, ["no_such_test"], QUICK_TIMEOUT, m.cpus)
    check(status == USAGE_ERROR and "no test named no_such_test" in output,
          "expected exit status %d and `no test named no_such_test`, got %d and %r"
          % (USAGE_ERROR, status, output))


@suite.test
def grader_scores_zero_when_the_build_fails(m):
    with tree_copy() as tree:
        tests = listed_tests(tree, m.cpus)
        with open(os.path.join(tree, BROKEN_PROGRAM), "w") as broken:
            broken.write(BROKEN_SOURCE)
        status, output, _ = run_grader(tree, [], BUILD_FAILURE_TIMEOUT, m.cpus)
    report = PrintedReport(output)
    check_consistent(report, tests, status)
    build = report.results[0]
    check(not build[1] and "no_such_variable" in "\n".join(build[2]),
          "expected build: FAIL quoting the compiler's error, got %r" % output)
    check(report.score == (0, sum(points for _, points in tests)),
          "expected Score: 0/%d, got %d/%d" % ((sum(p for _, p in tests),) + report.score))


@suite.test
def grader_passes_proven_results(m):
    with tree_copy() as tree:
        status, output, seconds = run_grader(tree, PROVEN_TESTS, PROVEN_RUN_TIMEOUT, m.cpus)
        with open(os.path.join(tree, "xv6.out"), errors="replace") as transcript:
            typed = TYPED_NONCE.findall(transcript.read().replace("\r", ""))
    report = PrintedReport(output)
    failed = [(name, reasons) for name, passed, reasons in report.results if not passed]
    check(status == 0 and not failed,
          "expected %s to pass on this kernel, its results carrying their proofs; got "
          "exit status %d:\n%s" % (", ".join(PROVEN_TESTS), status, output[-1500:]))
    commands = [(command, names.split()) for command, _, names in typed]
    cowtest_names = [name for name in PROVEN_TESTS if not name.startswith("usertests")]
    check(commands == [("cowtest", cowtest_names), ("usertests -q", [])]
          and len({nonce for _, nonce, _ in typed}) == 1,
          "expected the grader to type `cowtest -n NONCE %s` (the cowtest tests graded) and "
          "`usertests -q -n NONCE` with one nonce of 16 hex digits, typed: %r"
          % (" ".join(cowtest_names), typed))
    return "passed in %.0fs with nonce %s" % (seconds, typed[0][1])


def c_string(text):
    """text as a C string literal (every byte not printable ASCII escaped)."""
    return '"%s"' % "".join(chr(byte) if byte in PRINTABLE and chr(byte) not in '\\"'
                            else "\\%03o" % byte for byte in text.encode())


def record(m, command):
    """What command printed on m, up to its next prompt, with its last newline."""
    out = m.run(command, timeout=RECORD_TIMEOUT)
    return out if out.endswith("\n") else out + "\n"


@suite.test
def grader_fails_a_replayed_transcript(m):
    recorded = proof.hex16(proof.new_nonce())
    m.boot()
    cowtest_run = record(m, RECORD_COWTEST % recorded)
    usertests_run = record(m, RECORD_USERTESTS % recorded)
    m.kill()
    check("ALL COW TESTS PASSED" in cowtest_run and "ALL TESTS PASSED" in usertests_run,
          "expected passing runs to record, got:\n%s%s" % (cowtest_run, usertests_run[-800:]))
    with tree_copy() as tree:
        with open(os.path.join(tree, SHELL), "w") as shell:
            shell.write(REPLAYING_SHELL % {"cowtest": c_string(cowtest_run),
                                           "usertests": c_string(usertests_run)})
        status, output, seconds = run_grader(tree, REPLAYED_TESTS, PROVEN_RUN_TIMEOUT, m.cpus)
    report = PrintedReport(output)
    results = {name: (passed, "\n".join(reasons)) for name, passed, reasons in report.results}
    for name in REPLAYED_TESTS:
        passed, reason = results.get(name, (None, ""))
        check(passed is False and NOT_PROVEN in reason,
              "expected %s to FAIL on a replayed transcript (recorded with nonce %s), saying "
              "the line %s; got:\n%s" % (name, recorded, NOT_PROVEN, output[-2000:]))
    check(status != 0, "expected a non-zero exit status, got %d" % status)
    return "%d tests refused in %.0fs" % (len(REPLAYED_TESTS), seconds)


PANIC_SYSCALL = os.path.join("kernel", "sys", "sysproc.c")
PANIC_AT = "uint64 sys_uptime(void) {"    # of cowtest's tests, only concurrent_release asks
PANIC_TESTS = ("oom_kills_only_child", "concurrent_release", "sole_owner_reuses")
ALL_WITH_RACE_KERNEL = "all: kernel/kernel kernel/kernel-race fs.img"
ALL_BEFORE_RACE_KERNEL = "all: kernel/kernel fs.img"
NO_RACE_KERNEL_NOTE = "note: the build made no kernel/kernel-race"


@suite.test
def grader_boots_the_plain_kernel_for_a_tree_without_a_race_kernel(m):
    with tree_copy() as tree:
        path = os.path.join(tree, "Makefile")
        with open(path) as handle:
            text = handle.read()
        check(ALL_WITH_RACE_KERNEL in text, "expected %r in the Makefile, to remove the race "
              "kernel from it" % ALL_WITH_RACE_KERNEL)
        with open(path, "w") as handle:
            handle.write(text.replace(ALL_WITH_RACE_KERNEL, ALL_BEFORE_RACE_KERNEL))
        status, output, seconds = run_grader(tree, ["concurrent_release"], PROVEN_RUN_TIMEOUT,
                                             m.cpus)
    check(status == 0 and NO_RACE_KERNEL_NOTE in output,
          "expected a tree whose Makefile builds no race kernel to pass concurrent_release on "
          "kernel/kernel, with a note saying so; got exit status %d:\n%s"
          % (status, output[-1500:]))
    return "passed on kernel/kernel in %.0fs, with the note" % seconds


PANIC_INCLUDES = '#include "lib/printf.h"\n#include "lib/string.h"\n#include "sched/process.h"\n'
PANIC_PLANTED = '\n  if (strncmp(myproc()->name, "cowtest", 7) == 0)\n    panic("planted");'


@suite.test
def grader_charges_a_panic_to_the_test_that_was_running(m):
    with tree_copy() as tree:
        path = os.path.join(tree, PANIC_SYSCALL)
        with open(path) as handle:
            text = handle.read()
        check(PANIC_AT in text, "expected %r in %s, to plant a panic" % (PANIC_AT, PANIC_SYSCALL))
        with open(path, "w") as handle:
            handle.write(PANIC_INCLUDES + text.replace(PANIC_AT, PANIC_AT + PANIC_PLANTED))
        status, output, seconds = run_grader(tree, list(PANIC_TESTS), FULL_RUN_TIMEOUT, m.cpus)
    results = {name: (passed, "\n".join(reasons))
               for name, passed, reasons in PrintedReport(output).results}
    before, running, after = (results.get(name, (None, "")) for name in PANIC_TESTS)
    check(before[0] is True, "expected %s, which finished before the panic, to keep its points; "
          "got:\n%s" % (PANIC_TESTS[0], output[-3000:]))
    check(running[0] is False and "kernel panic in %s" % PANIC_TESTS[1] in running[1]
          and "sys_uptime at kernel/sys/sysproc.c:" in running[1],
          "expected %s to fail with the panic and its backtrace symbolized (sys_uptime at "
          "kernel/sys/sysproc.c:N); got:\n%s" % (PANIC_TESTS[1], output[-3000:]))
    check(after[0] is False and after[1].strip().startswith("not run")
          and PANIC_TESTS[1] in after[1],
          "expected %s \"not run\", naming %s; got:\n%s" % (PANIC_TESTS[2], PANIC_TESTS[1],
                                                            output[-3000:]))
    return "the panic charged to %s, symbolized, in %.0fs" % (PANIC_TESTS[1], seconds)


@suite.test
def race_kernel_boots_only_when_concurrent_release_is_graded(m):
    tests = labgrader.lab_grader(proof.new_nonce()).tests
    full = set(gradelib.command_kernels(tests).values())
    without = [test for test in tests if test.name != RACE_TEST]
    partial = set(gradelib.command_kernels(without).values())
    check(RACE_KERNEL in full and RACE_KERNEL not in partial,
          "expected a full grade to boot %s for cowtest and a grade without %s to boot only %s; "
          "a full grade boots %s, one without it %s"
          % (RACE_KERNEL, RACE_TEST, KERNEL, sorted(full), sorted(partial)))
    return "full grade: %s; without %s: %s" % (", ".join(sorted(full)), RACE_TEST,
                                                 ", ".join(sorted(partial)))


HINT = "stale check of refcount+0x10 (4 bytes):\n    ..."
REPORT = "data race on refcount+0x10 (4 bytes):\n    ..."
CHECK_FAILURE = "concurrent_release: FAILED: a page leaked"


def race_check_outcome(races, test_passes):
    """What grade-lab-cow's race check makes of an output whose race kernel
    reported races (told paragraphs), around a test that passes or fails:
    None for a pass, else the failure's text."""
    def check_test(output):
        if not test_passes:
            gradelib.fail(CHECK_FAILURE)
        return 1.0
    output = gradelib.Output(gradelib.Command("cowtest", 1))
    output.races = races
    try:
        labgrader.no_race_reported(check_test)(output)
    except TestFailure as failure:
        return str(failure)
    return None


@suite.test
def a_stale_check_alone_costs_no_points(m):
    outcomes = {
        "hint, test passes": race_check_outcome([HINT], True),
        "hint, test fails": race_check_outcome([HINT], False),
        "report, test passes": race_check_outcome([REPORT], True),
    }
    check(outcomes["hint, test passes"] is None,
          "expected a stale check alone to cost no points, got: %s" % outcomes["hint, test passes"])
    check(CHECK_FAILURE in (outcomes["hint, test fails"] or "")
          and HINT in outcomes["hint, test fails"],
          "expected a failed test to show its failure and then the stale check as its likely "
          "cause, got: %s" % outcomes["hint, test fails"])
    check(REPORT in (outcomes["report, test passes"] or ""),
          "expected a data race report to fail the test, got: %s"
          % outcomes["report, test passes"])
    return "hint alone passes; with a failure it follows; a data race fails"
