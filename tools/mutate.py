#!/usr/bin/env python3
"""Mutation testing: break the kernel on purpose and check that a test notices.

Usage: python3 tools/mutate.py [--list] [--cpus N] [--jobs N] [--keep]
                                [--markdown] [-v] [NAME ...]

Each mutation (MUTATIONS) is one small kernel bug written as exact (file,
old text, new text) replacements. The tool copies the tree (the files `make
handin` would pack) to a scratch directory, stops if an old text is not
found exactly once there (the source drifted), builds and checks the
unmodified tree (the baseline must pass everything), then for each mutant
copies the built baseline, applies the edits, builds it and runs the checks
on it: each cowtest test, cowstat, `usertests -q`, the mutation's extra
usertests, grind, fsck on every disk image, and for file-system bugs kill
points of test/crashpoints.py. docs/mutation.md says what counts as
caught, and holds the last full run's table.

The checks of one tree run in a worker process: that tree's own copy of
this script (--worker), whose test/harness.py boots that tree's kernel and
disk. --jobs N runs N workers at once. Exit status: 0 every mutant caught,
1 one SURVIVED (equivalent ones never count), 2 the tool failed (drifted
source, a mutant that does not build, a failing baseline).
"""

import argparse
import collections
import concurrent.futures
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import labpath
import crashpoints  # noqa: E402  (found through labpath)
import harness  # noqa: E402
from gradelib import DEFAULT_CPUS, Command, Output, usertests_table  # noqa: E402
from kernelchecks import COWSTAT_COUNTERS, counters  # noqa: E402
from labgrader import cowtest_runs  # noqa: E402
from mutations import (MUTATIONS, MUTATIONS_BY_NAME, ToolError, copy_sources,  # noqa: E402
                       mutated_files, write_mutant)
from table import table  # noqa: E402

REPO = labpath.TREE

MAX_CPUS = 8                  # NCPU in kernel/param.h
WORKER_TIMEOUT = 5400         # seconds for all the checks of one mutant (times XV6_TIME_SCALE)
RESULT_PREFIX = "MUTATE-RESULT "
GRIND_SEED = 7
GRIND_ITERATIONS = 40
EXIT_ALL_CAUGHT, EXIT_SURVIVORS, EXIT_TOOL_ERROR = 0, 1, 2


def build(tree, what):
    """Run make in tree; ToolError, quoting the end of its output, if it fails."""
    try:
        harness.make(tree=tree)
    except harness.TestFailure as failure:
        raise ToolError("%s does not build (a bug in the mutation?): %s" % (what, failure))


# --- The checks (run in a worker, on its own tree) ----------------------------

# A check runs one shell command. timeout bounds the whole command; idle
# bounds the wait for each line of output, so a hung test is noticed without
# waiting out the whole timeout. names: the tests the command runs.
Check = collections.namedtuple("Check", "kind command timeout idle names")

USERTESTS_TIMEOUT, USERTESTS_IDLE = 1800, 150   # seconds; quiet gaps are < 30 s
COWTEST_TIMEOUT, COWTEST_IDLE = 600, 150
COWSTAT_TIMEOUT = 60
GRIND_TIMEOUT = 180          # grind prints only at the end; ~5 s unloaded
MAX_RESUMES = 3              # restarts of a usertests run after crashes
MAX_TIMEOUTS = 2             # hangs of one mutant before its other checks are skipped
MAX_COMMAND_CHARS = 100      # user/sh.c reads lines of at most 128 bytes

USERTEST_VERDICT = re.compile(r"(?m)^test (\S+): (OK|FAILED)$")
USERTEST_MESSAGE = re.compile(r"(?m)^  \S.*$")     # usertests indents what went wrong
USERTESTS_LEAK = "FAILED -- lost some free pages"
GRIND_FAILURE = re.compile(r"(?m)^.*(expected|FAILED|died).*$")


def usertests_checks(names, first_command=None):
    """Checks running the usertests names, a command line's worth each.

    first_command: run all of names as this one command instead (usertests -q).
    """
    if first_command:
        return [Check("usertests", first_command, USERTESTS_TIMEOUT, USERTESTS_IDLE, names)]
    chunks, line = [], []
    for name in names:
        if line and len(" ".join(["usertests"] + line + [name])) > MAX_COMMAND_CHARS:
            chunks.append(line)
            line = []
        line.append(name)
    if line:
        chunks.append(line)
    return [Check("usertests", " ".join(["usertests"] + chunk), USERTESTS_TIMEOUT,
                  USERTESTS_IDLE, chunk) for chunk in chunks]


def plan_checks(extra):
    """The checks for a tree, in the order they run."""
    quick = usertests_table(quick_only=True)
    checks = [Check("cowtest", "cowtest " + name, COWTEST_TIMEOUT, COWTEST_IDLE, [name])
              for name in cowtest_runs()]
    checks.append(Check("cowstat", "cowstat", COWSTAT_TIMEOUT, COWSTAT_TIMEOUT, []))
    checks += usertests_checks(quick, "usertests -q")
    checks += usertests_checks(list(extra))
    checks.append(Check("grind", "grind %d %d" % (GRIND_SEED, GRIND_ITERATIONS),
                        GRIND_TIMEOUT, GRIND_TIMEOUT, []))
    return checks


class Findings:
    """What caught a mutant: labels in order, each with one line of detail."""

    def __init__(self):
        self.caught = collections.OrderedDict()
        self.notes = []

    def add(self, label, detail=""):
        if label not in self.caught:
            self.caught[label] = detail.strip()[:200]


def last_line(text):
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def stopped(reason, output):
    """Detail for a verdict that never came: why, and the last line printed."""
    return "%s; last line: %r" % (reason, last_line(output))


def judge_usertests(check, output, ended, findings):
    """Read a usertests run's verdicts; ended says how it stopped early, or is None.

    A test fails with FAILED, or with a message (an indented line) before an
    OK verdict: that happens when wait() itself is broken. Returns the
    tests that never ran, to be run again on a fresh machine.
    """
    segment_start = 0
    seen = set()
    for match in USERTEST_VERDICT.finditer(output):
        name, result = match.groups()
        messages = USERTEST_MESSAGE.findall(output, segment_start, match.start())
        segment_start = match.end()
        seen.add(name)
        if result == "FAILED":
            findings.add("usertests:" + name, messages[0] if messages
                         else "FAILED without a message")
        elif messages:
            findings.add("usertests:%s[message, verdict OK]" % name, messages[0])
    if USERTESTS_LEAK in output:
        findings.add("usertests:leak", USERTESTS_LEAK)
    missing = [name for name in check.names if name not in seen]
    if missing:
        # Tests run one at a time in table order: the first without a
        # verdict was running (or, if it is the first, the free-page count
        # before it) when the run stopped.
        reason = ended or "no verdict"
        findings.add("usertests:%s[%s]" % (missing[0], reason.split(":")[0]),
                     stopped(reason, output))
        return missing[1:]
    if ended:
        findings.add("usertests[%s]" % ended.split(":")[0], stopped(ended, output))
    elif "ALL TESTS PASSED" not in output and "FAILED" not in output:
        findings.add("usertests[no final verdict]", stopped("no verdict", output))
    return []


def judge_cowtest(check, output, ended, findings):
    name = check.names[0]
    failed = re.search(r"(?m)^%s(?: \(run \d+\))?: FAILED: (.*)$" % re.escape(name), output)
    if failed:
        findings.add("cowtest:" + name, failed.group(1))
    elif not re.search(r"(?m)^%s: ok$" % re.escape(name), output):
        # Without its own verdict, cowtest may still have said why (say,
        # "cowtest: FAILED: ..." from the free-memory probe it runs first).
        reason = ended or "no verdict"
        said = re.search(r"(?m)^.*FAILED: .*$", output)
        findings.add("cowtest:%s[%s]" % (name, reason.split(":")[0]),
                     said.group(0) if said else stopped(reason, output))


def judge_cowstat(check, output, ended, findings):
    if ended:
        findings.add("cowstat[%s]" % ended.split(":")[0], ended)
        return
    counts = counters(output)
    for name in COWSTAT_COUNTERS:
        if counts.get(name, 0) == 0:
            findings.add("cowstat:" + name, "expected some %s after cowtest, got %r"
                         % (name, counts.get(name)))


def judge_grind(check, output, ended, findings):
    if re.search(r"(?m)^grind: seed %d iterations %d ok$" % (GRIND_SEED, GRIND_ITERATIONS),
                 output):
        return
    reason = GRIND_FAILURE.search(output)
    label = "grind[%s]" % ended.split(":")[0] if ended else "grind"
    findings.add(label, reason.group(0) if reason else stopped(ended or "no verdict", output))


JUDGES = {"cowtest": judge_cowtest, "cowstat": judge_cowstat, "grind": judge_grind}


def short_problem(failure):
    """'panic: ...', 'timeout: ...' or 'exit: ...': how a harness expect() failed."""
    problem = getattr(failure, "problem", str(failure))
    for word, kind in (("panic", "panic"), ("timed out", "timeout")):
        if word in problem:
            return "%s: %s" % (kind, problem)
    return "exit: " + problem


class Session:
    """Machines for a run of checks: one at a time, replaced after a crash.

    Each machine boots on a fresh copy of fs.img; when it is retired (killed)
    its image must pass fsck.
    """

    def __init__(self, cpus, findings):
        self.cpus = cpus
        self.findings = findings
        self.machine = None
        self.boots = 0
        self.timeouts = 0
        self.boot_failed = False

    def booted(self):
        """The current machine, booting a new one if needed; None if boot fails."""
        if self.machine is None:
            self.boots += 1
            self.machine = harness.Machine(cpus=self.cpus, label="mutant boot %d" % self.boots)
            try:
                self.machine.boot()
            except harness.TestFailure as failure:
                problem = short_problem(failure)
                self.findings.add("boot[%s]" % problem.split(":")[0], problem)
                self.boot_failed = True
                self.retire()
                return None
        return self.machine

    def retire(self):
        """Kill the current machine and fsck its disk image."""
        if self.machine is None:
            return
        self.machine.kill()
        image, self.machine = self.machine.fs_image, None
        clean, report = harness.fsck(image)
        if not clean:
            problems = [line for line in report.splitlines()
                        if line.strip() and not line.startswith("fsck:")]
            self.findings.add("fsck", problems[0] if problems else last_line(report))
        os.remove(image)

    def run(self, check):
        """Run check's command: (output, None), (output so far, problem), or
        (None, problem) if no machine boots."""
        machine = self.booted()
        if machine is None:
            return None, "boot failed"
        command = Command(check.command, check.timeout, idle=check.idle)
        output = Output(command)
        try:
            command.read(machine, output)
        except harness.TestFailure as failure:
            text = "".join(line + "\n" for _, line in output.lines)
            text += machine.output[machine.cursor:]
            self.retire()
            problem = short_problem(failure)
            self.timeouts += problem.startswith("timeout")
            return text, problem
        return "".join(line + "\n" for _, line in output.lines), None


def run_usertests(session, check, findings):
    """Run a usertests check; after a crash, run the tests that never ran on
    a fresh machine, at most MAX_RESUMES times."""
    queue = [check]
    resumes = 0
    while queue and not session.boot_failed:
        current = queue.pop(0)
        output, ended = session.run(current)
        if output is None:
            return
        leftover = judge_usertests(current, output, ended, findings)
        if not leftover:
            continue
        leftover += [name for later in queue for name in later.names]
        if resumes == MAX_RESUMES or session.timeouts >= MAX_TIMEOUTS:
            findings.notes.append("usertests: %d tests never ran, from %s on"
                                  % (len(leftover), leftover[0]))
            return
        resumes += 1
        queue = usertests_checks(leftover)


def run_plan(session, checks, findings):
    """Run checks in order on the session's machines."""
    cowtest_boot = None
    for index, check in enumerate(checks):
        if session.boot_failed:
            return
        if session.timeouts >= MAX_TIMEOUTS:
            findings.notes.append("skipped after %d hangs: %s" % (
                session.timeouts, ", ".join(c.command for c in checks[index:])))
            return
        if check.kind == "cowstat":
            # The system-wide counters only mean something if every
            # cowtest test ran on the machine still running.
            if session.machine is None or session.boots != cowtest_boot:
                findings.notes.append("cowstat skipped: the machine restarted")
                continue
        if check.kind == "cowtest" and cowtest_boot is None:
            if session.booted() is None:
                return
            cowtest_boot = session.boots
        if check.kind == "usertests":
            run_usertests(session, check, findings)
            continue
        output, ended = session.run(check)
        if output is not None:
            JUDGES[check.kind](check, output, ended, findings)


def crash_check(cpus, npoints, findings):
    """Run npoints kill points of test/crashpoints.py (the sample ones
    first); stop at the first that leaves a damaged file system."""
    os.environ["XV6_CRASH_POINTS"] = str(npoints)
    points = crashpoints.kill_points()[1]
    pending = 0
    for index, point in enumerate(points):
        try:
            was_pending, problems = crashpoints.run_point(cpus, point,
                                                          "mutant crash point %d" % index)
        except harness.TestFailure as failure:
            was_pending, problems = False, [getattr(failure, "problem", str(failure))]
        pending += was_pending
        if problems:
            findings.add("crash", "kill point %d %s: %s" % (index, tuple(point),
                                                           problems[0].splitlines()[0]))
            return
    findings.notes.append("crash: %d kill points, %d with a committed log pending"
                          % (len(points), pending))


def worker_main(cpus, extra, crash_points):
    """Run every check on this tree (built); print the findings as one JSON line."""
    harness.reset_transcript()
    findings = Findings()
    session = Session(cpus, findings)
    try:
        run_plan(session, plan_checks(extra), findings)
    finally:
        session.retire()
    if crash_points and not session.boot_failed and session.timeouts < MAX_TIMEOUTS:
        crash_check(cpus, crash_points, findings)
    print(RESULT_PREFIX + json.dumps({"caught": list(findings.caught.items()),
                                      "notes": findings.notes}), flush=True)
    return 0


# --- Running mutants from the main process ------------------------------------

Result = collections.namedtuple("Result", "name caught notes seconds error")

_workers = set()             # worker processes still running; guarded by _workers_lock
_workers_lock = threading.Lock()


def run_checks(tree, cpus, extra, crash_points, verbose):
    """Run tree's own copy of this script as a worker; return its findings dict."""
    command = [sys.executable, os.path.join(tree, "tools", os.path.basename(__file__)),
               "--worker", "--cpus", str(cpus), "--worker-extra", json.dumps(list(extra)),
               "--worker-crash", str(crash_points)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               universal_newlines=True)
    with _workers_lock:
        _workers.add(process)
    try:
        output, _ = process.communicate(timeout=harness.scaled(WORKER_TIMEOUT))
    except subprocess.TimeoutExpired:
        process.terminate()
        output, _ = process.communicate()
        raise ToolError("worker on %s ran longer than %g s"
                        % (tree, harness.scaled(WORKER_TIMEOUT)))
    finally:
        with _workers_lock:
            _workers.discard(process)
    lines = output.splitlines()
    results = [line for line in lines if line.startswith(RESULT_PREFIX)]
    if not results:
        raise ToolError("worker on %s failed:\n%s"
                        % (tree, "\n".join(lines[-harness.BUILD_TAIL_LINES:])))
    if verbose:
        print("\n".join("  | " + line for line in lines if not line.startswith(RESULT_PREFIX)))
    return json.loads(results[-1][len(RESULT_PREFIX):])


def run_mutant(base, mut, cpus, keep, verbose):
    """Copy the built base tree, mutate it, build it and run the checks."""
    started = time.monotonic()
    tree = base + "-" + mut.name
    harness.copy_tree(base, tree)
    try:
        write_mutant(tree, mut)
        build(tree, "mutant " + mut.name)
        found = run_checks(tree, cpus, mut.extra, mut.crash, verbose)
        return Result(mut.name, found["caught"], found["notes"],
                      time.monotonic() - started, None)
    except ToolError as error:
        return Result(mut.name, [], [], time.monotonic() - started, str(error))
    finally:
        if not keep:
            shutil.rmtree(tree, ignore_errors=True)


def run_baseline(base, cpus, verbose):
    """Build the unmodified tree and run every check any mutant may run."""
    started = time.monotonic()
    build(base, "the unmodified tree")
    extra = list(collections.OrderedDict.fromkeys(n for mut in MUTATIONS for n in mut.extra))
    found = run_checks(base, cpus, extra, max(mut.crash for mut in MUTATIONS), verbose)
    if found["caught"]:
        raise ToolError("the baseline (unmodified tree) fails, so no mutant can be judged:\n"
                        + "\n".join("  %s: %s" % tuple(item) for item in found["caught"]))
    return time.monotonic() - started, found["notes"]


# --- Reporting ------------------------------------------------------------------

MAX_LISTED = 3               # tests of one program named in the table; -v lists all


def verdict(result):
    """One word for a result: caught, SURVIVED, equivalent, ERROR."""
    if result.error:
        return "ERROR"
    if MUTATIONS_BY_NAME[result.name].equivalent:
        return "equivalent"
    return "caught" if result.caught else "SURVIVED"


def caught_text(result):
    """What caught result, briefly: per program, the first few tests."""
    if result.error:
        return result.error.splitlines()[0]
    by_program = collections.OrderedDict()
    for label, _ in result.caught:
        program, _, test = label.partition(":")
        by_program.setdefault(program, []).extend([test] if test else [])
    parts = []
    for program, tests in by_program.items():
        shown = ", ".join(tests[:MAX_LISTED])
        if len(tests) > MAX_LISTED:
            shown += " +%d more" % (len(tests) - MAX_LISTED)
        parts.append("%s (%s)" % (program, shown) if tests else program)
    return "; ".join(parts) or "-"


def print_table(results, markdown):
    header = ("mutation", "group", "result", "s", "caught by")
    rows = [(r.name, MUTATIONS_BY_NAME[r.name].group, verdict(r), "%d" % r.seconds,
             caught_text(r)) for r in results]
    if markdown:
        print(table(header, rows))
        return
    widths = [max(len(row[i]) for row in rows + [header]) for i in range(len(header) - 1)]
    for row in [header] + rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[-1])


def print_details(results):
    for r in results:
        mut = MUTATIONS_BY_NAME[r.name]
        print("%s: %s" % (r.name, mut.summary))
        lines = ([("equivalent", mut.equivalent)] if mut.equivalent else []) + list(r.caught)
        lines += [("note", note) for note in r.notes] + ([("error", r.error)] if r.error else [])
        for label, detail in lines:
            print("    %s: %s" % (label, detail))


def list_mutations():
    for mut in MUTATIONS:
        tags = (["+%d crash points" % mut.crash] if mut.crash else []) + \
               (["+usertests " + " ".join(mut.extra)] if mut.extra else []) + \
               (["equivalent"] if mut.equivalent else [])
        print("%-34s %-8s %s%s" % (mut.name, mut.group, mut.summary,
                                   "  [%s]" % "; ".join(tags) if tags else ""))


def summarize(ordered, args, started):
    """Print the table and the totals; return the exit status they call for."""
    print()
    print_table(ordered, args.markdown)
    if args.verbose:
        print()
        print_details(ordered)
    verdicts = collections.OrderedDict((r.name, verdict(r)) for r in ordered)
    counts = collections.Counter(verdicts.values())
    print("\n%d mutations: %d caught, %d survived, %d equivalent (not counted), "
          "%d errors; %d s with --jobs %d, CPUS=%d"
          % (len(ordered), counts["caught"], counts["SURVIVED"], counts["equivalent"],
             counts["ERROR"], time.monotonic() - started, args.jobs, args.cpus))
    for name in (n for n, v in verdicts.items() if v == "equivalent"):
        print("equivalent %s: %s" % (name, MUTATIONS_BY_NAME[name].equivalent))
    errors = [n for n, v in verdicts.items() if v == "ERROR"]
    survivors = [n for n, v in verdicts.items() if v == "SURVIVED"]
    if errors:
        print("ERRORS (bugs in this tool or drifted source): " + ", ".join(errors))
        return EXIT_TOOL_ERROR
    if survivors:
        print("SURVIVED (no test caught them): " + ", ".join(survivors))
        return EXIT_SURVIVORS
    return EXIT_ALL_CAUGHT


# --- Main -----------------------------------------------------------------------

def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Break the kernel on purpose and check that the tests notice.",
        epilog="Every time limit is multiplied by XV6_TIME_SCALE (default 1).")
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help="mutations to run (default: all; see --list)")
    parser.add_argument("--list", action="store_true", help="list the mutations and exit")
    parser.add_argument("--cpus", type=int, default=DEFAULT_CPUS,
                        choices=range(1, MAX_CPUS + 1), metavar="N",
                        help="harts per QEMU (default %d)" % DEFAULT_CPUS)
    parser.add_argument("--jobs", type=int, default=1, metavar="N",
                        help="mutants run at once, each in its own scratch copy (default 1)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the scratch trees (their xv6.out has the consoles)")
    parser.add_argument("--markdown", action="store_true", help="print the table in Markdown")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="show the workers' output and each finding's detail")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--worker-extra", default="[]", help=argparse.SUPPRESS)
    parser.add_argument("--worker-crash", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    unknown = [name for name in args.names if name not in MUTATIONS_BY_NAME]
    if unknown:
        parser.error("no mutation named %s (see --list)" % ", ".join(unknown))
    return args


def stop_workers(signum, frame):
    """SIGTERM: stop the workers (they kill their QEMUs) and exit."""
    with _workers_lock:
        for process in _workers:
            process.terminate()
    sys.exit(128 + signum)


def run_all(args, selected, scratch):
    """Baseline, then every selected mutant; returns the exit status."""
    started = time.monotonic()
    base = os.path.join(scratch, "tree")
    copy_sources(base)
    for mut in selected:
        mutated_files(base, mut)             # fail on drifted source before any boot
    print("baseline: building and checking the unmodified tree (CPUS=%d)..." % args.cpus,
          flush=True)
    seconds, notes = run_baseline(base, args.cpus, args.verbose)
    print("baseline: everything passed in %d s%s" % (
        seconds, "".join("\n  note: " + n for n in notes)), flush=True)
    results = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = [pool.submit(run_mutant, base, mut, args.cpus, args.keep, args.verbose)
                   for mut in selected]
        for future in concurrent.futures.as_completed(futures):
            result = future.result()
            results[result.name] = result
            print("[%d/%d] %s: %s (%d s) %s" % (len(results), len(selected), result.name,
                                               verdict(result), result.seconds,
                                               caught_text(result)), flush=True)
    return summarize([results[mut.name] for mut in selected], args, started)


def main(argv):
    args = parse_args(argv)
    if args.worker:
        return worker_main(args.cpus, json.loads(args.worker_extra), args.worker_crash)
    if args.list:
        list_mutations()
        return 0
    selected = [MUTATIONS_BY_NAME[n] for n in args.names] or list(MUTATIONS)
    signal.signal(signal.SIGTERM, stop_workers)
    scratch = tempfile.mkdtemp(prefix="mutate-")
    try:
        return run_all(args, selected, scratch)
    except ToolError as error:
        print("mutate: %s" % error, file=sys.stderr)
        return EXIT_TOOL_ERROR
    finally:
        if args.keep:
            print("scratch trees kept in %s" % scratch)
        else:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
