"""Grade a lab: build the tree from clean, run commands in the kernel, score their output.

A lab's grading script (grade-lab-NAME at the top level) declares Commands
(a shell command line typed once at a fresh kernel's prompt, with a time
limit) and Tests (a name, points, and a check of one command's output), then
returns Grader.main(). main() builds the tree from clean, runs each command
the selected tests need exactly once, prints `NAME: OK (1.2s)` or
`NAME: FAIL` and an indented reason per test, then `Score: X/Y` and, last,
`N passed, N failed` (report.py writes it). Its exit status is 0 only on full marks. With
`--json FILE` it also writes the same results to FILE in the format of
Gradescope's results.json (see Report.write_json), even when it refuses to
start or is stopped early.

A tree other than the grader's own: `--tree DIR` grades DIR, and
`--confine bwrap|user` runs its build and QEMU confined (test/sandbox.py),
while the grader itself, its checks and its report stay outside, where the
tree's code cannot reach them (test/submission.py grades submissions so).
Either way the tree's own files are read only before its build
(TreeFiles), and each QEMU boots its fs.img with -snapshot.

QEMU comes from harness.Machine, so the QEMU command line, the console
transcript xv6.out, and the guarantee that no QEMU outlives the grader (on a
timeout, Ctrl-C or SIGTERM) are the harness's. Each command gets a machine of
its own, booted from a fresh copy of fs.img, so one command that wrecks the
kernel cannot fail another command's tests.

Port lock (ports.py): every QEMU the grader starts listens for gdb on one TCP
port, GRADE_PORT or else the Makefile's GDBPORT. While no QEMU of ours holds that
port, the grader holds it with a bound socket. A second grader of the same
user (or a `make qemu-gdb`) therefore finds it taken and the grader refuses to
start, before it touches the tree, instead of both cleaning and building the
tree under each other.
"""

import argparse
import copy
import functools
import os
import re
import stat
import sys
import time

import harness
import proof
import racereport
from harness import REASON_INDENT, TestFailure, check
from ports import PortLock, PortTaken, grade_port
from report import EXIT_FULL_MARKS, EXIT_INTERRUPTED, EXIT_NOT_FULL, Report

DEFAULT_CPUS = 3
CONSOLE_TAIL_LINES = 8    # console lines quoted when a test's line is missing
FINAL_GRACE = 5           # seconds to wait for the prompt after a command's last line
MAX_TREE_FILE = 4096      # bytes read of a file of the tree (time.txt)
CONFINEMENTS = ("bwrap", "user")   # sandbox.Sandbox.kind, sandbox.Unprivileged.kind
PROMPT_OR_NEWLINE = "\n|" + re.escape(harness.PROMPT)


# --- What a command printed ---------------------------------------------------

class Output:
    """What one command printed, line by line, with when each line ended.

    problem is None when the command ran to its next prompt, else why it did
    not (a timeout, a panic, QEMU exiting, a failed boot).
    """

    def __init__(self, command):
        self.command = command
        self.lines = []            # (seconds since the command was typed, text)
        self.seconds = 0.0         # from typing the command to its prompt (or failure)
        self.problem = None        # a whole message, quoting what it is about
        self.console_tail = []     # the console's last lines, for failure reasons
        self.problem_shown = None  # the test under whose failure problem was shown
        self.races = []            # the race kernel's reports, told (racereport.py)
        self.test = None           # the test being checked now (set by the grader)

    def index_of(self, text):
        """Index of the first line equal to text (trailing spaces ignored), or None."""
        for index, (_, line) in enumerate(self.lines):
            if line.rstrip() == text:
                return index
        return None

    def matches(self, regex):
        """(index, match) for each line that regex matches, in order."""
        pattern = re.compile(regex)
        found = ((index, pattern.match(line)) for index, (_, line) in enumerate(self.lines))
        return [(index, match) for index, match in found if match]

    def duration(self, index, first=None):
        """Seconds from the result line before line first (default index), or
        from the command's start, to line index.

        A result line is one the command's result regex matches, so progress
        lines between two results do not shorten the second one's time.
        """
        pattern = re.compile(self.command.result)
        started = 0.0
        for seconds, line in self.lines[:index if first is None else first]:
            if pattern.match(line):
                started = seconds
        return self.lines[index][0] - started

    def texts(self):
        """The lines the command printed, without their times."""
        return [line for _, line in self.lines]

    def explain(self, test):
        """Why the command did not finish (its problem), for test's failure.
        The first test to fail that way shows the whole message; later ones
        name the test it is shown under. Call only when test fails."""
        if self.problem_shown is None:
            self.problem_shown = test
            cause = ("\nBefore that, the race kernel caught harts racing, the likely cause; "
                     "its report is under the test that looks for races." if self.races else "")
            return "`%s` did not finish: %s%s" % (self.command.line, self.problem, cause)
        return "`%s` did not finish (see %s above)" % (self.command.line, self.problem_shown)

    def missing(self, what):
        """A failure reason for the test being checked: no line what was
        printed. Call only when the test fails: the reason quotes the
        command's last lines, or the message of the problem that stopped it."""
        if self.problem:
            return "no %s line; %s" % (what, self.explain(self.test))
        return "no %s line; `%s` ended with:\n%s" % (
            what, self.command.line,
            "\n".join(REASON_INDENT + line for line in self.console_tail))


class Command:
    """A shell command line typed once at the prompt of a freshly booted kernel.

    timeout bounds the command (boot time not included); idle, if given,
    bounds each wait for its next line, so a hang shows before timeout;
    result is a regex for the lines that end one result, which
    Output.duration() uses. final, if given, is a regex for the command's
    last line: once it is printed the prompt is awaited only FINAL_GRACE
    seconds more, so a prompt garbled by stray output costs no time.
    running, if given, names from an Output what the command was running
    when it stopped (the test in progress), for failure messages.
    takes_names: the command runs only the tests named after it, with the
    names of the grader's tests (cowtest does); tests is then the list of
    names typed, or None when the command was typed with none (it runs all).
    """

    def __init__(self, line, timeout, result="", idle=None, final=None, running=None,
                 takes_names=False):
        self.line = line
        self.timeout = timeout
        self.result = result
        self.idle = idle
        self.final = final
        self.running = running
        self.takes_names = takes_names
        self.tests = None

    def naming(self, tests):
        """This command typed with the test names tests after it."""
        named = copy.copy(self)
        named.line = " ".join([self.line] + list(tests))
        named.tests = list(tests)
        return named

    def read(self, machine, output):
        """Type the command on machine; record each line it prints into output.

        Raises TestFailure if the prompt does not come back: on a timeout its
        problem is "timed out after N s in TEST: last lines: ...".
        """
        started = time.monotonic()
        ends = harness.deadline(self.timeout)
        try:
            self._read(machine, output, started, ends)
        except TestFailure as failure:
            output.seconds = time.monotonic() - started
            problem = getattr(failure, "problem", str(failure))
            if problem.startswith("timed out"):
                problem = self._timed_out(output, ends)
            elif problem.startswith("kernel panic"):
                problem = "kernel panic in %s%s" % (self.where(output), problem[problem.index(":"):])
            failure.problem = problem
            raise failure

    def _read(self, machine, output, started, ends):
        machine.send_line(self.line)
        machine.expect(re.escape(self.line + "\n"), what="the echo of `%s`" % self.line,
                       until=self._next_wait(ends))
        start = machine.cursor
        final_seen = False
        while True:
            until = self._next_wait(ends)
            if final_seen:
                until = min(until, harness.deadline(FINAL_GRACE))
            try:
                match = machine.expect(PROMPT_OR_NEWLINE,
                                       what="the prompt after `%s`" % self.line, until=until)
            except TestFailure:
                if final_seen:
                    return          # finished; its prompt never came out whole
                raise
            output.seconds = time.monotonic() - started
            text = machine.output[start:match.start()]
            if match.group() != "\n":
                if text:
                    output.lines.append((output.seconds, text))
                return
            output.lines.append((output.seconds, text))
            final_seen = final_seen or bool(self.final and re.search(self.final, text))
            start = match.end()

    def where(self, output):
        """What was running when the command stopped: a test's name, or the command."""
        name = self.running(output) if self.running else None
        return name or "`%s`" % self.line

    def _timed_out(self, output, ends):
        """The problem for a command that ran out of time: which limit, where, last lines."""
        if self.idle is not None and time.monotonic() < ends - 1:
            limit = "printing nothing for %g s" % harness.scaled(self.idle)
        else:
            limit = "%g s" % harness.scaled(self.timeout)
        last = [line for line in output.texts() if line.strip()][-CONSOLE_TAIL_LINES:]
        return "timed out after %s in %s: last lines:\n%s" % (
            limit, self.where(output),
            "\n".join(REASON_INDENT + line for line in last) or REASON_INDENT + "(none)")

    def _next_wait(self, ends):
        """When the next wait runs out: at ends, or sooner after idle seconds."""
        return ends if self.idle is None else min(ends, harness.deadline(self.idle))


class Test:
    """A named, pointed check. check(output) returns the seconds the test took
    or raises TestFailure with the reason; output is command's Output, or
    None for a test of the tree itself (command None). kernel is the kernel
    the test needs command run on: harness.RACE_KERNEL for a test that
    reads Output.races, the race reports. A command runs once per grade,
    on the race kernel only if a test graded from it needs that (it is
    slower: only the tests that read its reports pay for it)."""

    def __init__(self, name, points, check, command=None, kernel=harness.KERNEL):
        self.name = name
        self.points = points
        self.check = check
        self.command = command
        self.kernel = kernel


# --- Ready-made checks --------------------------------------------------------

def fail(reason):
    """Fail the current check with reason (built only once the check fails)."""
    raise TestFailure(reason)


# "test NAME: OK PROOF" (PROOF as test/proof.py says), "test NAME: FAILED";
# an OK line without a proof, or with anything else after OK, still
# matches (group 3 is what follows), and counts as unproven.
USERTESTS_RESULT = r"test (\S+): (OK|FAILED)(?: (\S+))?$"
USERTESTS_OK = "OK"
USERTESTS_PASSED = "ALL TESTS PASSED"
USERTESTS_FAILED = "SOME TESTS FAILED"
USERTESTS_FINAL = r"(%s(?: [0-9a-f]{16})?|%s)$" % (USERTESTS_PASSED, USERTESTS_FAILED)
USERTESTS_OTHER_FAILURE = r"FAILED -- "     # a failure no single test owns (a leak)
USERTESTS_FAILED_LIST = r"usertests: failed tests:(.*)$"   # printed last, cannot garble
USERTESTS_MESSAGE = r"  \S"                  # usertests indents what went wrong
SHOWN_PER_REASON = 3       # usertests failures shown in full for each reason
NAMED_PER_REASON = 12      # of the others that failed the same way, named
USERTESTS_TABLE = re.compile(r"TEST\((\w+), (QUICK|SLOW)\)")


@functools.lru_cache(maxsize=None)
def usertests_table(quick_only=False):
    """The names in user/usertests.c's table of tests, in the order they run."""
    with open(os.path.join(harness.REPO, "user", "usertests.c"), errors="replace") as source:
        found = USERTESTS_TABLE.findall(source.read())
    return [name for name, speed in found if speed == "QUICK" or not quick_only]


def usertests_running(output, quick_only=True):
    """The usertests test that was running when output stopped: the first
    in table order after the last verdict printed."""
    verdicts = [match.group(1) for _, match in output.matches(USERTESTS_RESULT)]
    order = usertests_table(quick_only)
    if not verdicts:
        return order[0] if order else None
    if verdicts[-1] in order and order.index(verdicts[-1]) + 1 < len(order):
        return order[order.index(verdicts[-1]) + 1]
    return None


def usertests_failed(output):
    """The failed tests' names, each once and only names of user/usertests.c's
    table: from usertests' final list if it printed one, else from the
    verdict lines."""
    listed = output.matches(USERTESTS_FAILED_LIST)
    if listed:
        names = listed[-1][1].group(1).split()
    else:
        names = [match.group(1) for _, match in output.matches(USERTESTS_RESULT)
                 if match.group(2) != USERTESTS_OK]
    known = set(usertests_table())
    return [name for name in dict.fromkeys(names) if name in known]


def usertests_failure_lines(output, names):
    """What the tests of names printed when they failed, exactly as printed
    (their indented messages and verdict lines, read in one pass), grouped
    by reason: the first SHOWN_PER_REASON tests that failed the same way
    (numbers aside) in full, then one line naming the others."""
    texts = output.texts()
    found = {}
    start = 0
    for index, match in output.matches(USERTESTS_RESULT):
        if match.group(1) in names and match.group(2) != USERTESTS_OK:
            found.setdefault(match.group(1), [line for line in texts[start:index]
                                              if re.match(USERTESTS_MESSAGE, line)]
                             + [texts[index]])
        start = index + 1
    printed = {name: found.get(name, ["test %s: FAILED (its verdict line did not come out "
                                      "whole)" % name]) for name in names}
    by_reason = {}
    for name in names:
        reason = tuple(re.sub(r"\d+", "N", line) for line in printed[name][:-1])
        by_reason.setdefault(reason, []).append(name)
    lines = []
    for reason, group in by_reason.items():
        for name in group[:SHOWN_PER_REASON]:
            lines += printed[name]
        rest = group[SHOWN_PER_REASON:]
        if rest:
            lines.append("(%d more failed %s: %s%s)" % (
                len(rest), "the same way" if reason else "without printing why",
                " ".join(rest[:NAMED_PER_REASON]), " ..." if len(rest) > NAMED_PER_REASON else ""))
    return lines


def usertests_final(output):
    """usertests' last line, if it printed its verdict: ALL TESTS PASSED (with
    its proof) or SOME TESTS FAILED; else None."""
    verdicts = output.matches(USERTESTS_FINAL)
    return verdicts[-1][1].string.rstrip() if verdicts else None


NOT_PROVEN = "does not carry this run's proof"   # in each proof_failure() reason


def proof_failure(lines, program):
    """The reason a test fails when lines (one or more result lines, as
    printed) do not carry this grade's proofs: program did not print them."""
    more = " (and %d more like it)" % (len(lines) - 1) if len(lines) > 1 else ""
    return ("the line `%s`%s %s: it was not printed by this grade's %s (a replayed or "
            "forged result)" % (lines[0].rstrip(), more, NOT_PROVEN, program))


def check_proofs(lines, verdict, nonce, program):
    """Fail unless every one of lines (result lines saying verdict) carries
    its proof under nonce."""
    unproven = [line for line in lines if not proof.carries_proof(line, verdict, nonce)]
    if unproven:
        fail(proof_failure(unproven, program))


def usertests_passed(nonce):
    """A check that passes if usertests ended with ALL TESTS PASSED carrying
    its proof under nonce, printed an OK line carrying its proof for every
    quick test of user/usertests.c, and no OK line without one."""
    def check_usertests(output):
        failed = usertests_failed(output)
        others = [match.string for _, match in output.matches(USERTESTS_OTHER_FAILURE)]
        if failed or others:
            fail("\n".join(usertests_failure_lines(output, failed) + others))
        last = output.lines[-1][1].rstrip() if output.lines else ""
        if output.problem is not None or not last.startswith(USERTESTS_PASSED):
            fail(output.missing(repr(USERTESTS_PASSED)))
        if last != "%s %s" % (USERTESTS_PASSED, proof.proof_text(nonce, USERTESTS_PASSED)):
            fail(proof_failure([last], "usertests"))
        check_proven_tests(output, usertests_table(quick_only=True), nonce)
        return output.seconds
    return check_usertests


def check_proven_tests(output, names, nonce):
    """Fail unless every OK line carries its proof under nonce and each of
    names (tests of user/usertests.c) printed one."""
    passed = [match for _, match in output.matches(USERTESTS_RESULT)
              if match.group(2) == USERTESTS_OK]
    check_proofs([match.string for match in passed], USERTESTS_OK, nonce, "usertests")
    named = {match.group(1) for match in passed}
    missing = [name for name in names if name not in named]
    if missing:
        fail("usertests printed no `test NAME: OK` line for %d of the quick tests of "
             "user/usertests.c that this grade needs: %s" % (len(missing), " ".join(missing)))


def usertests_group(word, nonce):
    """A check that passes if every quick usertests test whose name contains
    word printed OK with its proof under nonce, and the run finished."""
    def check_group(output):
        results = [(index, match) for index, match in output.matches(USERTESTS_RESULT)
                   if word in match.group(1)]
        failed = [name for name in usertests_failed(output) if word in name]
        if failed:
            fail("\n".join(usertests_failure_lines(output, failed)))
        if not results:
            fail(output.missing("'test *%s*: OK'" % word))
        check_proven_tests(output, [name for name in usertests_table(quick_only=True)
                                    if word in name], nonce)
        if usertests_final(output) is None:
            fail("%d *%s* test(s) passed, but there may be more that never ran: %s"
                 % (len(results), word, output.missing(repr(USERTESTS_PASSED))))
        return sum(output.duration(index) for index, _ in results)
    return check_group


def grade_cpus():
    """The hart count for QEMU: CPUS from the environment (make grade CPUS=n), else 3."""
    text = os.environ.get("CPUS") or str(DEFAULT_CPUS)
    check(text.isdigit(), "CPUS must be a number, not %r" % text)
    return int(text)


# --- The grader ---------------------------------------------------------------

def build(target):
    """`make clean` then `make` in the target tree (confined if it is); return
    the seconds taken, or raise TestFailure quoting the end of the build's output."""
    started = time.monotonic()
    try:
        harness.make("clean", tree=target.tree, runner=target.runner)
        harness.make(tree=target.tree, runner=target.runner)
    finally:
        target.sweep()
    return time.monotonic() - started


class TreeFiles:
    """Reads files at the top of the tree being graded, for the tests of the
    tree itself. The grader reads them before the build, so before any of
    the submission's code runs, and even then only regular files, never
    through a link, and at most MAX_TREE_FILE bytes of each."""

    def __init__(self, tree):
        self.tree = tree

    def read(self, name):
        """The text of the file name at the top of the tree, or None if there is
        none; raises TestFailure if name is a link, a folder or a device."""
        flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK
        try:
            descriptor = os.open(os.path.join(self.tree, name), flags)
        except FileNotFoundError:
            return None
        except OSError as problem:
            raise TestFailure("cannot read %s: %s (it must be a plain file)"
                              % (name, problem.strerror))
        with os.fdopen(descriptor, "rb") as handle:
            check(stat.S_ISREG(os.fstat(descriptor).st_mode),
                  "%s is not a plain file" % name)
            return handle.read(MAX_TREE_FILE).decode("utf-8", "replace")


class Target:
    """The tree being graded and how its own code runs: tree (a folder),
    fs_image (the disk its machines boot), runner (a sandbox.py
    confinement, or None to run it as ourselves)."""

    def __init__(self, tree, fs_image, runner=None):
        self.tree = tree
        self.fs_image = fs_image
        self.runner = runner
        self.files = TreeFiles(tree)

    def built(self, path):
        """Whether the build left a plain file at path (relative to the
        tree); a link or anything else is not followed and counts as no."""
        try:
            return stat.S_ISREG(os.lstat(os.path.join(self.tree, path)).st_mode)
        except OSError:
            return False

    def sweep(self):
        """End whatever the tree's confined code left running."""
        if self.runner is not None:
            self.runner.sweep()


def confinement(kind, tree, hidden, readable):
    """The sandbox.py confinement named kind for tree, or None for kind None;
    readable: files outside tree the confined code must be able to read."""
    if kind is None:
        return None
    import sandbox                    # only graders that confine need it
    if kind == sandbox.Sandbox.kind:
        return sandbox.Sandbox(tree, hidden, readable)
    return sandbox.Unprivileged(tree)


def console_tail(machine):
    """The console's last lines, without the bare prompt it ends with."""
    lines = machine.output.rstrip().splitlines()
    if lines and lines[-1].strip() == harness.PROMPT.strip():
        lines.pop()
    return lines[-CONSOLE_TAIL_LINES:]


def command_kernels(tests):
    """{command: the kernel to run it on} for tests: the race kernel for a
    command that any of them needs it for, else kernel/kernel."""
    kernels = {}
    for test in tests:
        if test.command is not None and kernels.get(test.command) != harness.RACE_KERNEL:
            kernels[test.command] = test.kernel
    return kernels


def typed_commands(selected, every):
    """{command: the command as typed} for the selected tests, of every test
    the grader has: a command that takes names is typed with the names of
    the selected tests graded from it, unless they are all of its tests."""
    typed = {}
    for command in {test.command for test in selected if test.command is not None}:
        names = [test.name for test in selected if test.command is command]
        if command.takes_names and len(names) < sum(test.command is command for test in every):
            typed[command] = command.naming(names)
        else:
            typed[command] = command
    return typed


class Grader:
    """The tests of one lab, in the order they are reported."""

    def __init__(self, description):
        self.description = description
        self.tests = []

    def test(self, name, points, check, command=None, kernel=harness.KERNEL):
        """Add a test; check and kernel are as in Test."""
        self.tests.append(Test(name, points, check, command, kernel))

    def _parse(self, argv):
        parser = argparse.ArgumentParser(
            description=self.description,
            epilog="Environment: CPUS (harts, default %d), GRADE_PORT (QEMU's gdb port, "
                   "default the Makefile's GDBPORT), %s (multiplies every time limit, "
                   "default 1; say 3 on a slow machine). The console is saved to xv6.out."
                   % (DEFAULT_CPUS, harness.TIME_SCALE_VARIABLE))
        parser.add_argument("-v", "--verbose", action="store_true",
                            help="print the console as the tests run")
        parser.add_argument("--list", action="store_true",
                            help="list the tests and their points, then exit")
        parser.add_argument("--json", metavar="FILE",
                            help="also write the results to FILE as Gradescope's results.json")
        parser.add_argument("--tree", metavar="DIR", default=harness.REPO,
                            help="grade the tree in DIR (default: the one this grader is in)")
        parser.add_argument("--confine", choices=CONFINEMENTS,
                            help="run the tree's build and kernel confined (tools/grade-batch.py "
                                 "and Gradescope): in a bubblewrap sandbox, or as nobody")
        parser.add_argument("--hide", metavar="DIR", action="append", default=[],
                            help="with --confine bwrap: a folder the sandbox must not show")
        parser.add_argument("--fs-image", metavar="FILE",
                            help="boot this disk image (the instructor's user programs) "
                                 "instead of the one the tree builds")
        parser.add_argument("--transcript", metavar="FILE",
                            help="where the console goes (default: xv6.out in the tree, or "
                                 "nowhere with --confine)")
        parser.add_argument("names", nargs="*", metavar="TEST",
                            help="run only these tests (default: all)")
        options = parser.parse_args(argv)
        options.tree = os.path.realpath(options.tree)
        if options.transcript is None:
            options.transcript = (os.devnull if options.confine
                                  else os.path.join(options.tree, "xv6.out"))
        known = [test.name for test in self.tests]
        unknown = [name for name in options.names if name not in known]
        if unknown:
            parser.error("no test named %s (tests: %s)" % (", ".join(unknown), " ".join(known)))
        return options

    def main(self, argv=None):
        """Grade the tests named in argv (default sys.argv[1:]); return the exit status."""
        options = self._parse(argv)
        selected = [test for test in self.tests if not options.names or test.name in options.names]
        if options.list:
            for test in selected:
                print("%s %d" % (test.name, test.points))
            return EXIT_FULL_MARKS
        harness.install_signal_handlers()
        harness.TRANSCRIPT = options.transcript
        report = Report()
        try:
            return self._locked_grade(selected, options, report)
        finally:
            if options.json:
                report.write_json(options.json, [(test.name, test.points) for test in selected])

    def _locked_grade(self, selected, options, report):
        """Take the port lock, grade into report; return the exit status."""
        try:
            lock = PortLock(grade_port())
            lock.acquire()
            cpus = grade_cpus()
            image = os.path.realpath(options.fs_image or os.path.join(options.tree, "fs.img"))
            target = Target(options.tree, image, confinement(
                options.confine, options.tree, options.hide, [image] if options.fs_image else []))
        except (TestFailure, PortTaken, OSError) as refusal:
            report.problem = "grade: %s" % refusal
            print(report.problem, file=sys.stderr)
            return EXIT_NOT_FULL
        try:
            self._grade(selected, Session(target, options.verbose, cpus, lock), report)
        except KeyboardInterrupt:
            report.problem = "interrupted"
            print(report.problem, flush=True)
            report.finish()
            return EXIT_INTERRUPTED
        except SystemExit:                 # SIGTERM, through the harness's handler
            report.problem = "stopped by a signal"
            raise
        finally:
            lock.release()
        return report.finish()

    def _grade(self, selected, session, report):
        # The tree's own files are read before its build runs anything of it.
        tree_results = {test.name: self._check(test, session.target.files)
                        for test in selected if test.command is None}
        if session.target.runner is not None:
            session.target.runner.prepare(session.target.tree)
        try:
            report.passes("build", 0, build(session.target))
        except TestFailure as failure:
            report.fails("build", 0, failure)
            for test in selected:
                report.fails(test.name, test.points, "not run: the build failed")
            return
        harness.reset_transcript()
        kernels = command_kernels(selected)
        typed = typed_commands(selected, self.tests)
        outputs = {}
        for test in selected:
            if test.command is None:
                passed, outcome = tree_results[test.name]
            else:
                if test.command not in outputs:
                    outputs[test.command] = session.run(typed[test.command],
                                                        kernels[test.command])
                outputs[test.command].test = test.name
                passed, outcome = self._check(test, outputs[test.command])
            if passed:
                report.passes(test.name, test.points, outcome)
            else:
                report.fails(test.name, test.points, outcome)

    @staticmethod
    def _check(test, subject):
        """(True, seconds taken) or (False, the reason): test's check of subject."""
        started = time.monotonic()
        try:
            seconds = test.check(subject)
        except TestFailure as failure:
            return False, failure
        return True, time.monotonic() - started if seconds is None else seconds


class Session:
    """One grade's machines: the target tree, the console echo, the harts and
    the port lock that every QEMU of this grade takes its gdb port from."""

    def __init__(self, target, verbose, cpus, lock):
        self.target = target
        self.verbose = verbose
        self.cpus = cpus
        self.lock = lock

    def _kernel_for(self, command, kernel):
        """The kernel to boot for command: kernel, or kernel/kernel in a tree
        whose Makefile builds no race kernel (one older than it), saying so."""
        if kernel == harness.KERNEL or self.target.built(kernel):
            return kernel
        print("note: the build made no %s (a Makefile older than the race kernel): `%s` "
              "runs on %s, where races lose points only if harts happen to meet"
              % (kernel, command.line, harness.KERNEL), flush=True)
        return harness.KERNEL

    def run(self, command, kernel=harness.KERNEL):
        """Boot a fresh machine with kernel, run command on it, kill it; return its Output.

        The machine boots the target's fs.img (the tree's, or the one
        --fs-image names) with -snapshot: its writes go to a temporary file
        of QEMU's, so every command starts from the same disk, and the image
        is opened by QEMU alone (confined, if the tree's code is), never
        read by the grader.
        """
        output = Output(command)
        echo = sys.stdout.buffer if self.verbose else None
        machine = harness.Machine(
            cpus=self.cpus, fs_image=self.target.fs_image,
            label=command.line, echo=echo, tree=self.target.tree, runner=self.target.runner,
            qemu_extra="-gdb tcp::%d -snapshot" % self.lock.port,
            kernel=self._kernel_for(command, kernel))
        self.lock.release()
        try:
            machine.boot()
            command.read(machine, output)
        except (TestFailure, OSError) as failure:
            output.problem = getattr(failure, "problem", str(failure))
        finally:
            output.console_tail = console_tail(machine)
            machine.kill()
            if machine.kernel == harness.RACE_KERNEL:
                output.races = racereport.races(machine)
            self.target.sweep()
            try:
                self.lock.acquire()
            except PortTaken:
                pass        # the next QEMU will fail to start, and say so
        if self.verbose:
            print(flush=True)
        return output
