"""Run the test suites: `python3 test/run.py [--list] [PATTERN ...]`.

Imports every test/*_tests.py (in name order); each registers one or more
harness.Suite objects. Every test is named SUITE/cpus=N/FUNCTION and prints
`PASS name`, `FAIL name: reason`, or `SKIP name: reason` when the machine
lacks a tool the test needs (harness.TestSkipped); the last line is
`N passed, N failed`, with `, N skipped` after it when any were.
With PATTERNs, only tests whose name contains one of them run. The exit
status is 0 only if at least one test ran and none failed.

To add a suite, add test/NAME_tests.py:

    from harness import Suite, check
    suite = Suite("name", cpus=(1, 3))

    @suite.test
    def behaviour_being_checked(m):
        out = m.run("some command")
        check("ok" in out, "expected 'ok' from `some command`, got %r" % out)

A booting suite's machine start is reported as the test SUITE/cpus=N/boot,
and the kernel self-audit run on it after its tests as SUITE/cpus=N/audit.
Every machine's console is appended to xv6.out.
"""

import argparse
import glob
import importlib
import os
import sys
import time
import traceback

import harness  # beside this script: the test library (tools/labpath.py)


class Tally:
    """Counts results and prints one line per test: its note, or else its time."""

    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.skipped = 0

    def passes(self, name, note, seconds):
        self.passed += 1
        print("PASS %s (%s)" % (name, note or "%.1fs" % seconds), flush=True)

    def fails(self, name, reason):
        self.failed += 1
        lines = str(reason).rstrip().splitlines() or ["(no reason given)"]
        print("FAIL %s: %s" % (name, "\n    ".join(lines)), flush=True)

    def skips(self, name, reason):
        self.skipped += 1
        print("SKIP %s: %s" % (name, reason), flush=True)

    def summary(self):
        skipped = ", %d skipped" % self.skipped if self.skipped else ""
        return "%d passed, %d failed%s" % (self.passed, self.failed, skipped)


def run_case(tally, name, function, *args):
    """Run one test and report it; return whether it passed."""
    started = time.monotonic()
    try:
        note = function(*args)
    except harness.TestFailure as failure:
        tally.fails(name, failure)
        return False
    except harness.TestSkipped as reason:
        tally.skips(name, reason)
        return True
    except Exception:                             # a bug in the test itself
        tally.fails(name, traceback.format_exc())
        return False
    tally.passes(name, note, time.monotonic() - started)
    return True


def boot_case(tally, suite, cpus, prefix):
    """Boot a machine, reported as the test PREFIX/boot; return it, or None if it failed."""
    machines = []

    def boot():
        machines.append(harness.Machine(cpus=cpus, label=prefix))
        return "booted in %.1fs" % machines[0].boot(suite.boot_timeout)

    if run_case(tally, prefix + "/boot", boot):
        return machines[0]
    for machine in machines:
        machine.kill()
    return None


def run_booted(tally, suite, cpus, selected):
    """Run selected (name, function) pairs on one machine, rebooting after a failure."""
    prefix = "%s/cpus=%d" % (suite.name, cpus)
    machine = None
    try:
        for position, (name, function) in enumerate(selected):
            if machine is None:
                machine = boot_case(tally, suite, cpus, prefix)
                if machine is None:
                    for skipped, _ in selected[position:]:
                        tally.fails(skipped, "not run: the machine did not boot")
                    return
            if not run_case(tally, name, function, machine):
                machine.kill()
                machine = None
        if machine is not None:
            run_case(tally, prefix + "/audit", machine.audit)
    finally:
        if machine is not None:
            machine.kill()


def run_unbooted(tally, suite, cpus, selected):
    """Run selected (name, function) pairs, each given its own unstarted machine.

    With suite.audit, a machine a passing test left running is audited.
    """
    for name, function in selected:
        machines = []

        def test(function=function, name=name):
            machines.append(harness.Machine(cpus=cpus, label=name))
            return function(machines[0])

        if run_case(tally, name, test) and suite.audit and machines[0].running:
            run_case(tally, name + "/audit", machines[0].audit)
        for machine in machines:
            machine.kill()


def load_suites(tally):
    """Import every test/*_tests.py; a module that fails to import is a failed test."""
    for path in sorted(glob.glob(os.path.join(harness.TEST_DIR, "*_tests.py"))):
        module = os.path.splitext(os.path.basename(path))[0]
        try:
            importlib.import_module(module)
        except Exception:
            tally.fails("import " + module, traceback.format_exc())
    return harness.SUITES


def selected_tests(suite, cpus, patterns):
    """(name, function) pairs of suite to run with cpus, filtered by patterns."""
    prefix = "%s/cpus=%d/" % (suite.name, cpus)
    pairs = [(prefix + function.__name__, function) for function in suite.tests]
    return [(name, function) for name, function in pairs
            if not patterns or any(pattern in name for pattern in patterns)]


def print_suite_times(suite_seconds):
    """Print the time each suite took, longest first, to show where a run's time goes."""
    if len(suite_seconds) < 2:
        return
    total = sum(suite_seconds.values())
    print("time by suite, of %.0fs:" % total)
    for name, seconds in sorted(suite_seconds.items(), key=lambda item: -item[1]):
        print("  %6.0fs %s" % (seconds, name))


def main():
    parser = argparse.ArgumentParser(description="Run the kernel's test suites.")
    parser.add_argument("--list", action="store_true", help="list test names and exit")
    parser.add_argument("patterns", nargs="*", metavar="PATTERN",
                        help="run only tests whose name contains one of these")
    options = parser.parse_args()

    tally = Tally()
    suites = load_suites(tally)
    if not options.list:
        harness.reset_transcript()
    ran_any = False
    suite_seconds = {}
    try:
        for suite in suites:
            for cpus in suite.cpus:
                selected = selected_tests(suite, cpus, options.patterns)
                if options.list:
                    print("\n".join(name for name, _ in selected))
                    continue
                if not selected:
                    continue
                ran_any = True
                skipped = suite.skip_reason(cpus)
                if skipped:
                    for name, _ in selected:
                        tally.skips(name, skipped)
                    continue
                started = time.monotonic()
                if suite.boot:
                    run_booted(tally, suite, cpus, selected)
                else:
                    run_unbooted(tally, suite, cpus, selected)
                suite_seconds["%s/cpus=%d" % (suite.name, cpus)] = time.monotonic() - started
    except KeyboardInterrupt:
        print("interrupted", flush=True)
        print(tally.summary())
        return 130
    if options.list:
        return 0
    if not ran_any:
        print("no test matched %s" % " ".join(options.patterns))
    print_suite_times(suite_seconds)
    print(tally.summary())
    return 0 if ran_any and tally.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
