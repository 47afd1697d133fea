#!/usr/bin/env python3
"""Which kernel lines the tests execute: `make coverage`.

Usage: python3 tools/coverage.py [--report DIR] [--docs] [PATTERN ...]
       python3 tools/coverage.py --reasons TRACEFILE
       python3 tools/coverage.py --fuzz-compare [--seed N] [--seconds S]

Builds kernel/kernel-cov (the kernel compiled with
-fsanitize-coverage=trace-pc, kernel/cov/cov.c), runs test/run.py (every
suite, or the tests whose names contain a PATTERN) with each machine of
the tree booting that kernel, and prints, per kernel source file, the
lines executed of the lines that hold code, then one line with the total.
DIR (default coverage/) gets kernel.info, an lcov tracefile, and, when
genhtml is installed (Debian's lcov), an HTML report in DIR/html.  --docs
writes the table to docs/coverage.md, with the total of the fuzzer alone
(the fuzz suite, measured again) beside it, and every line make test
leaves unexecuted under its reason from tools/unexecuted.txt; --reasons
rewrites that list from a saved tracefile (DIR/kernel.info of a make
test run) without running anything.  test/kcov.py says what a line
"executed" means.  Exit status: test/run.py's, or 2 if no coverage came
back, or 3 if an unexecuted line has no reason or a reason's pattern
matches no line.

--fuzz-compare boots two coverage kernels at the same time, runs
`fuzz SEED S` (guided by coverage) in one and `fuzz SEED S random` in the
other, and writes their kernel coverage side by side into
docs/coverage.md's fuzzer section.  Exit status 1 unless both runs end ok
and the guided one executed more lines.
"""

import argparse
import datetime
import os
import shutil
import re
import subprocess
import sys
import tempfile
import threading

TOOLS = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(TOOLS)
sys.path[:0] = [TOOLS, os.path.join(REPO, "test")]

import kcov  # noqa: E402  (needs the path above)
from harness import Machine, TestFailure  # noqa: E402
from perf import table  # noqa: E402

DOC = os.path.join(REPO, "docs", "coverage.md")
HEADER = ("file", "lines executed", "lines with code", "executed")


FUZZER = ["fuzz/"]           # the fuzz suite's tests, for --docs
FUZZ_CPUS = 3                # as the fuzz suite runs it
FUZZ_MODES = (("guided", ""), ("random", " random"))   # (name, fuzz's argument)
VERDICT = re.compile(r"(?m)^fuzz: seed \d+: (ok.*|FAILED.*)$")
COMPARE_HEADER = ("fuzzer", "lines executed", "lines with code", "executed",
                  "blocks run", "lines only this one executed", "its verdict")


def what_ran(patterns):
    return "test/run.py " + " ".join(patterns) if patterns else "make test"


def measured(patterns):
    """(Coverage or None, test/run.py's status, machines measured) of the
    tests that patterns select, each machine booting the coverage kernel."""
    with tempfile.TemporaryDirectory(prefix="xv6-coverage-") as folder:
        environment = dict(os.environ, XV6_COVERAGE=folder)
        status = subprocess.run([sys.executable, os.path.join(REPO, "test", "run.py")]
                                + patterns, cwd=REPO, env=environment).returncode
        machines = sum(name.endswith(kcov.BITS_SUFFIX) for name in os.listdir(folder))
        return (kcov.coverage_of(folder) if machines else None), status, machines


def rows(coverage):
    return [("`%s`" % path, executed, instrumented, "%.0f %%" % percent)
            for path, executed, instrumented, percent in coverage.table()]


def total_line(coverage, what):
    executed, instrumented = coverage.totals()
    return "kernel coverage of %s: %d of %d lines with code executed (%.1f %%)" % (
        what, executed, instrumented, 100.0 * executed / instrumented)


def write_report(coverage, directory, what):
    """kernel.info, and the HTML report if genhtml is there; says where."""
    os.makedirs(directory, exist_ok=True)
    info = os.path.join(directory, "kernel.info")
    with open(info, "w") as f:
        f.write(coverage.lcov(what))
    if shutil.which("genhtml") is None:
        print("coverage: wrote %s; for an HTML report install lcov "
              "(sudo apt-get install lcov) and run: genhtml -o %s/html %s"
              % (info, directory, info))
        return
    html = os.path.join(directory, "html")
    subprocess.run(["genhtml", "--quiet", "-o", html, info], check=True)
    print("coverage: wrote %s and %s/index.html" % (info, html))


def write_section(name, text):
    """Put text into DOC between the markers of section name (each command
    rewrites only its own section), or at the end if DOC has none yet."""
    begin, end = "<!-- %s -->\n" % name, "<!-- /%s -->\n" % name
    doc = open(DOC).read() if os.path.exists(DOC) else "# Kernel coverage\n\n"
    if begin in doc and end in doc:
        doc = doc[:doc.index(begin)] + begin + text + doc[doc.index(end):]
    else:
        doc = doc.rstrip("\n") + "\n\n" + begin + text + end
    with open(DOC, "w") as f:
        f.write(doc)
    print("coverage: wrote %s (%s)" % (os.path.relpath(DOC, REPO), name))


def generated(command):
    return "Generated by `%s` on %s; do not edit by hand.\n" % (
        command, datetime.date.today().isoformat())


def write_doc(coverage, what, fuzzer, command):
    write_section("make-test", generated(command) +
                  "A line counts when it holds code of a basic block that the compiler\n"
                  "instrumented (`test/kcov.py`); it is executed when that block ran in\n"
                  "the coverage kernel during %s.\n\n%s\n\n%s.\n\n"
                  "The fuzzer alone (%s): %s.\n"
                  % (what, table(HEADER, rows(coverage)), total_line(coverage, what),
                     what_ran(FUZZER), total_line(fuzzer, what_ran(FUZZER)) if fuzzer
                     else "no coverage came back"))


def write_unexecuted(coverage, command):
    """List coverage's unexecuted lines under their reasons in DOC; print
    and count the lines without one and the patterns that match none."""
    lines = kcov.unexecuted_lines(coverage)
    explained, unexplained, unused = kcov.explain(lines, kcov.read_reasons())
    write_section("unexecuted", generated(command) +
                  "Each of the %d lines with code above that make test does not execute,\n"
                  "under its reason from `tools/unexecuted.txt` (whose patterns name a\n"
                  "function and code, not line numbers).  The coverage suite checks that\n"
                  "each line is still in its function and that the reasons still match.\n\n%s"
                  % (len(lines), kcov.unexecuted_markdown(explained, unexplained)))
    for path, number, function, code in unexplained:
        print("coverage: %s:%d (%s): no reason in tools/unexecuted.txt: %s"
              % (path, number, function or "no function", code))
    for reason, path, function, text in unused:
        print("coverage: tools/unexecuted.txt: '%s %s %s' matches no unexecuted line (%s)"
              % (path, function, text, reason))
    return len(unexplained) + len(unused)


def fuzz_run(mode, argument, seed, seconds, folder, results):
    """Boot a coverage kernel, run fuzz SEED SECONDS in it and save its
    bits in folder; results[mode] = fuzz's verdict (or the failure)."""
    command = "fuzz %d %d%s" % (seed, seconds, argument)
    try:
        with Machine(cpus=FUZZ_CPUS, label="fuzz " + mode) as machine:
            kcov.record_into(machine, folder)
            machine.start()
            machine.boot()
            out = machine.run(command, timeout=3 * seconds + 600)
            verdict = VERDICT.search(out)
            results[mode] = verdict.group(1) if verdict else "no verdict: " + out[-300:]
    except TestFailure as failure:
        results[mode] = "FAILED: %s" % failure


def host_cpu():
    """The host's processor, as /proc/cpuinfo names it."""
    try:
        with open("/proc/cpuinfo") as f:
            return next(line.split(":", 1)[1].strip() for line in f
                        if line.startswith("model name"))
    except (OSError, StopIteration):
        return "unknown processor"


def blocks_run(folder):
    """(blocks that ran, instrumented blocks) by the bits saved in folder."""
    sites = set().union(*kcov.line_sites().values())
    bits = kcov.merged_bits(folder)
    return sum(kcov.site_ran(bits, site) for site in sites), len(sites)


def only_in(one, other):
    return sum(ran and not other.executed(path, number)
               for path, lines in one.lines.items() for number, ran in lines.items())


def fuzz_compare(seed, seconds, command):
    """Run the guided and the random fuzzer at the same time; write the table."""
    results = {}
    folders = {mode: tempfile.mkdtemp(prefix="xv6-fuzzcov-") for mode, _ in FUZZ_MODES}
    runs = [threading.Thread(target=fuzz_run, args=(mode, argument, seed, seconds,
                                                     folders[mode], results))
            for mode, argument in FUZZ_MODES]
    for run in runs:
        run.start()
    for run in runs:
        run.join()
    coverage = {mode: kcov.coverage_of(folder) for mode, folder in folders.items()}
    (guided, _), (random_, _) = FUZZ_MODES
    rows_ = []
    for mode, other in ((guided, random_), (random_, guided)):
        executed, instrumented = coverage[mode].totals()
        ran, blocks = blocks_run(folders[mode])
        rows_.append(("`fuzz %d %d%s`" % (seed, seconds, dict(FUZZ_MODES)[mode]), executed,
                      instrumented, "%.1f %%" % (100.0 * executed / instrumented),
                      "%d of %d" % (ran, blocks), only_in(coverage[mode], coverage[other]),
                      "; ".join(results.get(mode, "no verdict").split("; ")[:3])))
    for folder in folders.values():
        shutil.rmtree(folder, ignore_errors=True)
    write_section("fuzz-compare", generated(command) +
                  "Both fuzzers ran at the same time, each in its own QEMU booting the\n"
                  "coverage kernel with CPUS=%d, on one host (%s, %d cores, shared with\n"
                  "other work): the same seed, the same %d seconds of xv6 ticks, the same\n"
                  "workers at a time and calls per worker (user/fuzz.c).  Lines and blocks\n"
                  "are counted as above, from boot to the end of the run; the verdict is\n"
                  "the end of fuzz's last line (workers: how many it started).\n\n"
                  "%s\n" % (FUZZ_CPUS, host_cpu(), os.cpu_count(), seconds,
                             table(COMPARE_HEADER, rows_)))
    print(table(COMPARE_HEADER, rows_))
    both_ok = all(results.get(mode, "").startswith("ok") for mode, _ in FUZZ_MODES)
    return 0 if both_ok and rows_[0][1] > rows_[1][1] else 1


def main(argv):
    parser = argparse.ArgumentParser(description="Measure the kernel lines the tests execute.")
    parser.add_argument("patterns", nargs="*", metavar="PATTERN",
                        help="run only tests whose name contains one of these")
    parser.add_argument("--report", default=os.path.join(REPO, "coverage"), metavar="DIR",
                        help="where kernel.info and html/ go (default coverage/)")
    parser.add_argument("--docs", action="store_true", help="write docs/coverage.md")
    parser.add_argument("--reasons", metavar="TRACEFILE",
                        help="only list make test's unexecuted lines from TRACEFILE")
    parser.add_argument("--fuzz-compare", action="store_true",
                        help="the guided fuzzer against the random one, into docs/coverage.md")
    parser.add_argument("--seed", type=int, default=1, help="--fuzz-compare's seed (1)")
    parser.add_argument("--seconds", type=int, default=600,
                        help="--fuzz-compare's seconds per run (600)")
    options = parser.parse_args(argv[1:])
    command = " ".join(["python3 tools/coverage.py"] + argv[1:])
    if options.reasons:
        with open(options.reasons) as f:
            return 3 if write_unexecuted(kcov.Coverage.from_lcov(f.read()), command) else 0
    subprocess.run(["make", "-s", "all", "kernel/kernel-cov"], cwd=REPO, check=True)
    if options.fuzz_compare:
        return fuzz_compare(options.seed, options.seconds, command)
    what = what_ran(options.patterns)
    coverage, status, machines = measured(options.patterns)
    if coverage is None:
        print("coverage: no machine of %s booted the coverage kernel" % what)
        return 2
    print(table(HEADER, rows(coverage)))
    write_report(coverage, options.report, what)
    if options.docs:
        fuzzer = measured(FUZZER)[0]
        write_doc(coverage, what, fuzzer, command)
        if not options.patterns and write_unexecuted(coverage, command) and status == 0:
            status = 3
    print("%s, from %d machines" % (total_line(coverage, what), machines))
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
