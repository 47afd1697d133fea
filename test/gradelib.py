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
import os
import re
import sys
import time

import harness
from harness import REASON_INDENT, TestFailure, check
from ports import PortLock, PortTaken, grade_port
from report import EXIT_FULL_MARKS, EXIT_INTERRUPTED, EXIT_NOT_FULL, Report

DEFAULT_CPUS = 3
CONSOLE_TAIL_LINES = 8    # console lines quoted when a test's line is missing
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
        self.problem = None
        self.console_tail = []     # the console's last lines, for failure reasons
        self._tail_quoted = False  # missing() has quoted console_tail once

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

    def missing(self, what):
        """A failure reason: no line what was printed. Quotes the console's
        end the first time, and refers to that quote after."""
        if self._tail_quoted:
            reason = "no %s line; last output: as quoted above" % what
        else:
            reason = "no %s line; last output:\n%s" % (
                what, "\n".join(REASON_INDENT + line for line in self.console_tail))
            self._tail_quoted = True
        if self.problem:
            reason += "\n`%s` did not finish: %s" % (self.command.line, self.problem)
        return reason


class Command:
    """A shell command line typed once at the prompt of a freshly booted kernel.

    timeout bounds the command (boot time not included); idle, if given,
    bounds each wait for its next line, so a hang shows before timeout
    (tools/mutate.py uses it); result is a regex for the lines that end
    one result, which Output.duration() uses.
    """

    def __init__(self, line, timeout, result="", idle=None):
        self.line = line
        self.timeout = timeout
        self.result = result
        self.idle = idle

    def read(self, machine, output):
        """Type the command on machine; record each line it prints into output.

        Raises TestFailure (from the harness) if the prompt does not come back.
        """
        started = time.monotonic()
        ends = harness.deadline(self.timeout)
        machine.send_line(self.line)
        machine.expect(re.escape(self.line + "\n"), what="the echo of `%s`" % self.line,
                       until=self._next_wait(ends))
        start = machine.cursor
        while True:
            match = machine.expect(PROMPT_OR_NEWLINE, what="the prompt after `%s`" % self.line,
                                   until=self._next_wait(ends))
            output.seconds = time.monotonic() - started
            text = machine.output[start:match.start()]
            if match.group() != "\n":
                if text:
                    output.lines.append((output.seconds, text))
                return
            output.lines.append((output.seconds, text))
            start = match.end()

    def _next_wait(self, ends):
        """When the next wait runs out: at ends, or sooner after idle seconds."""
        return ends if self.idle is None else min(ends, harness.deadline(self.idle))


class Test:
    """A named, pointed check. check(output) returns the seconds the test took
    or raises TestFailure with the reason; output is command's Output, or
    None for a test of the tree itself (command None)."""

    def __init__(self, name, points, check, command=None):
        self.name = name
        self.points = points
        self.check = check
        self.command = command


# --- Ready-made checks --------------------------------------------------------

def line_check(text):
    """A check that passes if the command printed the line text."""
    def check_line(output):
        index = output.index_of(text)
        check(index is not None, output.missing(repr(text)))
        return output.duration(index)
    return check_line


USERTESTS_RESULT = r"test (\S+): (OK|FAILED)$"
USERTESTS_PASSED = "ALL TESTS PASSED"
USERTESTS_FAILED = "SOME TESTS FAILED"
USERTESTS_OTHER_FAILURE = r"FAILED -- "     # a failure no single test owns (a leak)


def usertests_passed(output):
    """A check that passes if usertests ended with ALL TESTS PASSED."""
    failed = [match.group(1) for _, match in output.matches(USERTESTS_RESULT)
              if match.group(2) != "OK"]
    others = [match.string for _, match in output.matches(USERTESTS_OTHER_FAILURE)]
    check(not failed, "failed: " + ", ".join(failed))
    check(not others, "\n".join(others))
    last = output.lines[-1][1].rstrip() if output.lines else ""
    check(output.problem is None and last == USERTESTS_PASSED,
          output.missing(repr(USERTESTS_PASSED)))
    return output.seconds


def usertests_group(word):
    """A check that passes if every usertests test whose name contains word
    printed OK, and the run finished (else some may never have run)."""
    def check_group(output):
        results = [(index, match) for index, match in output.matches(USERTESTS_RESULT)
                   if word in match.group(1)]
        check(results, output.missing("'test *%s*: OK'" % word))
        failed = [match.group(1) for _, match in results if match.group(2) != "OK"]
        check(not failed, "failed: " + ", ".join(failed))
        finished = (output.index_of(USERTESTS_PASSED) is not None
                    or output.index_of(USERTESTS_FAILED) is not None)
        check(finished, "%d *%s* test(s) passed, but there may be more that never ran: %s"
              % (len(results), word, output.missing(repr(USERTESTS_PASSED))))
        return sum(output.duration(index) for index, _ in results)
    return check_group


def grade_cpus():
    """The hart count for QEMU: CPUS from the environment (make grade CPUS=n), else 3."""
    text = os.environ.get("CPUS") or str(DEFAULT_CPUS)
    check(text.isdigit(), "CPUS must be a number, not %r" % text)
    return int(text)


# --- The grader ---------------------------------------------------------------

def build():
    """`make clean` then `make`; return the seconds taken, or raise TestFailure
    quoting the end of the build's output."""
    started = time.monotonic()
    harness.make("clean")
    harness.make()
    return time.monotonic() - started


def console_tail(machine):
    """The console's last lines, without the bare prompt it ends with."""
    lines = machine.output.rstrip().splitlines()
    if lines and lines[-1].strip() == harness.PROMPT.strip():
        lines.pop()
    return lines[-CONSOLE_TAIL_LINES:]


class Grader:
    """The tests of one lab, in the order they are reported."""

    def __init__(self, description):
        self.description = description
        self.tests = []

    def test(self, name, points, check, command=None):
        """Add a test; check is as in Test."""
        self.tests.append(Test(name, points, check, command))

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
        parser.add_argument("names", nargs="*", metavar="TEST",
                            help="run only these tests (default: all)")
        options = parser.parse_args(argv)
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
        report = Report()
        try:
            return self._locked_grade(selected, options.verbose, report)
        finally:
            if options.json:
                report.write_json(options.json, [(test.name, test.points) for test in selected])

    def _locked_grade(self, selected, verbose, report):
        """Take the port lock, grade into report; return the exit status."""
        try:
            lock = PortLock(grade_port())
            lock.acquire()
            cpus = grade_cpus()
        except (TestFailure, PortTaken) as refusal:
            report.problem = "grade: %s" % refusal
            print(report.problem, file=sys.stderr)
            return EXIT_NOT_FULL
        try:
            self._grade(selected, verbose, cpus, lock, report)
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

    def _grade(self, selected, verbose, cpus, lock, report):
        try:
            report.passes("build", 0, build())
        except TestFailure as failure:
            report.fails("build", 0, failure)
            for test in selected:
                report.fails(test.name, test.points, "not run: the build failed")
            return
        harness.reset_transcript()
        outputs = {}
        for test in selected:
            output = None
            if test.command is not None:
                if test.command not in outputs:
                    outputs[test.command] = self._run(test.command, verbose, cpus, lock)
                output = outputs[test.command]
            started = time.monotonic()
            try:
                seconds = test.check(output)
            except TestFailure as failure:
                report.fails(test.name, test.points, failure)
                continue
            if seconds is None:
                seconds = time.monotonic() - started
            report.passes(test.name, test.points, seconds)

    def _run(self, command, verbose, cpus, lock):
        """Boot a fresh machine, run command on it, kill it; return its Output."""
        output = Output(command)
        echo = sys.stdout.buffer if verbose else None
        machine = harness.Machine(cpus=cpus, label=command.line, echo=echo,
                                  qemu_extra="-gdb tcp::%d" % lock.port)
        lock.release()
        try:
            machine.boot()
            command.read(machine, output)
        except (TestFailure, OSError) as failure:
            output.problem = getattr(failure, "problem", str(failure))
        finally:
            output.console_tail = console_tail(machine)
            machine.kill()
            try:
                lock.acquire()
            except PortTaken:
                pass        # the next QEMU will fail to start, and say so
        if verbose:
            print(flush=True)
        return output
