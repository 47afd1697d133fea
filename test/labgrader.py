"""The copy-on-write fork lab's grader: its tests, points and checks.

./grade-lab-cow [-v] [--list] [TEST ...] runs it (lab_grader(nonce).main()).

Builds the tree from clean, then boots the kernel (CPUS harts, default 3)
once for `cowtest` and once for `usertests -q`, and scores each test below
from the one run of its command. -v prints the console as it goes; the
console is also saved to xv6.out. Exit status 0 only on full marks.
The machinery is test/gradelib.py (with test/harness.py for the build and
QEMU, test/ports.py for the port lock, test/report.py for the report).
Every time limit is multiplied by XV6_TIME_SCALE (default 1).

A grade of only some of cowtest's tests types their names after it
(`cowtest -n NONCE simple three`), so cowtest runs only those.

Proofs: each grade draws a fresh random nonce (test/proof.py) and types it
on the command line, `cowtest -n NONCE` and `usertests -q -n NONCE`, and
both programs end each passing result line with a proof computed from the
nonce and the line's label (user/proof.h): `simple: ok PROOF`, `simple
(run 2): ok PROOF`, `test NAME: OK PROOF`. A result line counts only if
its proof is this grade's, so a recorded transcript of a passing run,
replayed by a kernel or a shell, fails every test it would have passed.
test/proof.py says what a proof shows and what it cannot.

A cowtest test passes when cowtest's summary line (printed once every
process of cowtest is gone, so it cannot be garbled) says `NAME=ok`, no
FAILED line of it was printed, and it printed an ok line, every ok line of
it (there is one per run, for a test that runs more than once) carrying
its proof; if cowtest never got to its summary (a panic, a timeout), when
it printed such an ok line for each of its runs (user/cowtest.c's table
says how many) and no FAILED line. A failed test's reason is its FAILED
line, as printed. When cowtest stopped, the test it was running shows the
whole reason (a panic, with its backtrace symbolized, or the time limit
and the last lines printed) and the tests after it are "not run", naming
it; the tests that had finished keep their points. usertests_copyin and
usertests_copyout pass when every usertests test with that word in its
name printed a proven OK line and usertests finished; usertests, when it
ended with ALL TESTS PASSED and printed a proven OK line for every quick
test in user/usertests.c's table.
When concurrent_release is graded, cowtest runs on the race kernel
(kernel/kernel-race, docs/races.md), which makes harts that share memory
meet and reports those that race: any report fails concurrent_release, with
the two accesses' file:line, except a hint (a stale check, which correct
code may also show), which is only added to a failure as its likely cause.
A grade of other tests only boots kernel/kernel.
Each command has a time limit, and a shorter one for printing nothing at
all: a kernel that hangs loses that command's tests, with the test that
was running and the last lines printed.
"""

import functools
import os
import re

import gradelib
import proof
import racereport
from gradelib import fail
from handinfiles import TIME_FILE
from harness import RACE_KERNEL, REPO, TestFailure, check

# Seconds; a correct kernel takes ~15 s for cowtest and ~30 s for usertests -q
# here, with other QEMUs running. XV6_TIME_SCALE stretches them all.
COWTEST_TIMEOUT = 90       # for one run of every cowtest test
COWTEST_IDLE = 45          # printing nothing (its slowest test takes ~10 s)
USERTESTS_TIMEOUT = 150    # for `usertests -q`
USERTESTS_IDLE = 45        # printing nothing (its slowest quick test takes ~5 s)

# cowtest's tests, in the order it runs them, and their points.
COWTEST_POINTS = (
    ("simple", 10),
    ("three", 10),
    ("file", 10),
    ("forkfork", 10),
    ("text_readonly", 5),
    ("oom_kills_only_child", 5),
    ("concurrent_release", 10),
    ("sole_owner_reuses", 4),
    ("failed_fork_releases", 5),
    ("nofree_leak", 5),
)
RACE_TEST = "concurrent_release"   # fails, whatever cowtest says, if a race was reported
USERTESTS_GROUP_POINTS = 5     # for all copyin tests, and again for all copyout tests
USERTESTS_POINTS = 20          # for ALL TESTS PASSED
TIME_POINTS = 1

# The command lines, typed with this grade's nonce (16 hex digits).
COWTEST_LINE = "cowtest -n %s"
USERTESTS_LINE = "usertests -q -n %s"

# "NAME: ok PROOF", "NAME (run 2): ok PROOF", "NAME: FAILED: why"; group 1
# is NAME. Ok lines without a proof, or with a wrong one, match too.
COWTEST_RESULT = r"(\w+)(?: \(run \d+\))?: (ok|FAILED)"
COWTEST_OK = "ok"
COWTEST_START = r"cowtest: \d+ pages free"
COWTEST_SUMMARY = r"cowtest summary:((?: \w+=\w+)*)$"
COWTEST_VERDICT = r"(ALL|SOME) COW TESTS (PASSED|FAILED)$"
QUOTED_CHARS = 60          # of a bad time.txt line, quoted


def cowtest_order():
    """The cowtest tests the grader runs, in cowtest's order."""
    return [name for name, _ in COWTEST_POINTS]


@functools.lru_cache(maxsize=None)
def cowtest_runs():
    """{test: how many times cowtest runs it}, from user/cowtest.c's table
    (`{ "NAME", function, RUNS, ...}`, RUNS a number or a #define)."""
    with open(os.path.join(REPO, "user", "cowtest.c"), errors="replace") as source:
        text = source.read()
    defined = dict(re.findall(r"(?m)^#define\s+(\w+)\s+(\d+)\b", text))
    return {name: int(defined.get(runs, runs))
            for name, runs in re.findall(r'\{ "(\w+)", \w+, (\w+),', text)}


def cowtest_finished(output, name):
    """Whether every run of test name printed its ok line, or it failed."""
    verdicts = [match.group(2) for _, match in output.matches(COWTEST_RESULT)
                if match.group(1) == name]
    return "FAILED" in verdicts or verdicts.count(COWTEST_OK) >= cowtest_runs().get(name, 1)


def cowtest_running(output):
    """The test cowtest was running when output stopped: the last test that
    printed a result if it has runs left, else the next one it was to run."""
    order = output.command.tests or cowtest_order()
    named = [match.group(1) for _, match in output.matches(COWTEST_RESULT)
             if match.group(1) in order]
    if not named:
        return order[0]
    if not cowtest_finished(output, named[-1]):
        return named[-1]
    after = order.index(named[-1]) + 1
    return order[after] if after < len(order) else named[-1]


def cowtest_summary(output):
    """{test: outcome} from cowtest's summary line, or None if it printed none."""
    found = output.matches(COWTEST_SUMMARY)
    if not found:
        return None
    return dict(pair.split("=") for pair in found[-1][1].group(1).split())


def cowtest_failed_lines(output, name):
    """The FAILED lines of test name, exactly as printed (or, if another
    process's output garbled them, the lines that name it and say FAILED)."""
    exact = [line for _, line in output.lines
             if re.match(r"%s(?: \(run \d+\))?: FAILED" % re.escape(name), line)]
    return exact or [line for _, line in output.lines if name + ":" in line and "FAILED" in line
                     and not re.match(COWTEST_SUMMARY, line)]


def cowtest_passed(name, nonce):
    """A check that cowtest's test name passed, its ok lines carrying their
    proofs under nonce (see the top of this file)."""
    def check_cowtest(output):
        failed = cowtest_failed_lines(output, name)
        if failed:
            fail("\n".join(failed))
        summary = cowtest_summary(output)
        outcome = summary.get(name) if summary is not None else None
        if outcome == "FAILED":
            fail("cowtest's summary says %s=FAILED, and no FAILED line of it came out "
                 "whole; the lines that say FAILED:\n%s" % (name, "\n".join(
                     gradelib.REASON_INDENT + line for line in output.texts()
                     if "FAILED" in line) or "(none)"))
        if outcome == "not_run":
            fail("not run: cowtest stopped before it, after a failure of its own: %s"
                 % "; ".join(line for line in output.texts() if "FAILED:" in line))
        if outcome != "ok" and not cowtest_finished(output, name):
            if output.problem and cowtest_running(output) != name:
                fail("not run: %s" % output.explain(name))
            fail(output.missing(repr(name + ": ok")))
        own = [index for index, match in output.matches(COWTEST_RESULT)
               if match.group(1) == name and match.group(2) == COWTEST_OK]
        if not own:
            fail("cowtest's summary says %s=%s, but it printed no %r line"
                 % (name, outcome, name + ": ok"))
        gradelib.check_proofs([output.lines[index][1] for index in own], COWTEST_OK, nonce,
                              "cowtest")
        runs = cowtest_runs().get(name, 1)
        if len(own) < runs:
            fail("%s runs %d times, but printed %d ok line(s): %s"
                 % (name, runs, len(own), output.missing(repr(name + " (run %d): ok"
                                                               % (len(own) + 1)))))
        return output.duration(own[-1], own[0])
    return check_cowtest


def no_race_reported(check_test):
    """check_test, preceded by a check that the race kernel reported no race
    during the command (racereport.py tells each report). A hint (a report
    correct code may also cause) fails nothing: it is added to check_test's
    failure, as its likely cause."""
    def check_races(output):
        races = [told for told in output.races if not racereport.is_hint(told)]
        if races:
            fail("the race kernel (kernel/kernel-race, docs/races.md) caught harts racing "
                 "while `%s` ran; %s:\n%s" % (
                     output.command.line,
                     "its first report" if len(races) == 1 else
                     "the first of its %d reports" % len(races), races[0]))
        hints = [told for told in output.races if racereport.is_hint(told)]
        try:
            return check_test(output)
        except TestFailure as failure:
            if not hints:
                raise
            fail("%s\nThe race kernel (docs/races.md) saw the likely cause:\n%s"
                 % (failure, hints[0]))
    return check_races


def time_recorded(files):
    """A check that time.txt's first line is a whole number of hours
    (files: the tree's gradelib.TreeFiles)."""
    text = files.read(TIME_FILE)
    check(text is not None,
          "no %s at the top of the tree; its first line should be the hours you spent"
          % TIME_FILE)
    first = text.split("\n", 1)[0].strip()
    check(re.match(r"\d+$", first), "the first line of %s is %r, not a whole number of hours"
          % (TIME_FILE, first[:QUOTED_CHARS]))


def lab_grader(nonce):
    """The grader for one grade: its commands carry nonce, and its checks
    accept only result lines with nonce's proofs."""
    cowtest = gradelib.Command(COWTEST_LINE % proof.hex16(nonce), COWTEST_TIMEOUT,
                               idle=COWTEST_IDLE,
                               result="%s|%s" % (COWTEST_START, COWTEST_RESULT),
                               final=COWTEST_VERDICT, running=cowtest_running,
                               takes_names=True)
    usertests = gradelib.Command(USERTESTS_LINE % proof.hex16(nonce), USERTESTS_TIMEOUT,
                                 idle=USERTESTS_IDLE, result=gradelib.USERTESTS_RESULT,
                                 final="^" + gradelib.USERTESTS_FINAL,
                                 running=gradelib.usertests_running)
    grader = gradelib.Grader("Grade the copy-on-write fork lab.")
    for test_name, points in COWTEST_POINTS:
        if test_name == RACE_TEST:
            grader.test(test_name, points, no_race_reported(cowtest_passed(test_name, nonce)),
                        cowtest, kernel=RACE_KERNEL)
        else:
            grader.test(test_name, points, cowtest_passed(test_name, nonce), cowtest)
    for word in ("copyin", "copyout"):
        grader.test("usertests_" + word, USERTESTS_GROUP_POINTS,
                    gradelib.usertests_group(word, nonce), usertests)
    grader.test("usertests", USERTESTS_POINTS, gradelib.usertests_passed(nonce), usertests)
    grader.test("time", TIME_POINTS, time_recorded)
    return grader

