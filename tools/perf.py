#!/usr/bin/env python3
"""Measure fork three ways, and write docs/perf.md and its chart.

Usage: python3 tools/perf.py [--quick] [--rounds N] [--ahead-rounds N]
                             [--cpus N ...] [--output PATH]
       python3 tools/perf.py --replay RECORD [--output PATH]

In one run: builds this tree (the solved kernel, copy-on-write fork) with
`make`; writes the lab's starter tree (fork copies memory eagerly) with
`make handout` into a temporary directory and builds it; copies this tree
there too and builds it with `make FORK=shared` (fork shares leaf
page-table pages, kernel/mm/sharedpt.c).  Then it boots each kernel in
turn with test/harness.py's Machine and runs user/forkbench in it on one
CPU, so that no other hart competes for the host; its figures (see the
top of user/forkbench.c) become the tables of docs/perf.md, with a verdict
on each target, and a chart of fork time against heap size,
docs/perf-fork.svg (beside the report; stdlib only).  Copy-ahead's target
is judged on more rounds of `forkbench child_write` alone, with each
--cpus count (default: 1 and 3).  Every verdict on a ratio is judged the
same way: in each round, one kernel's fastest repetition over the other's
(the two ran one after the other), and the median of those ratios over the
rounds, with their range.

Every kernel runs the same benchmark: this tree's user/forkbench.c is
copied into the starter before it is built (the handout holds only files
git tracks, and the two copies must not drift apart).

Each kernel boots through its own tree's Makefile, on a fresh copy of
that tree's disk image (harness.tree_machine).

Each run keeps the lines of every benchmark run it made in perf-runs.json
beside the report, and the report is written from that record alone; with
--replay RECORD, perf.py measures nothing and writes the report from an
earlier run's record.

--quick runs `forkbench -q` (fewer repetitions) to try the script out; the
committed docs/perf.md comes from a full run.
"""

import argparse
import datetime
import json
import math
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time

import labpath
import harness  # noqa: E402  (found through labpath)
from copyahead import max_window  # noqa: E402
from forkbench import ORDER_LINE, parse_forkbench  # noqa: E402
from table import table  # noqa: E402

REPO = labpath.TREE

CPU_COUNTS = (1, 3)           # harts per machine: one first, for steady numbers
BENCH = "forkbench"
BENCH_SOURCE = os.path.join("user", "forkbench.c")
SHARED_SOURCE = os.path.join("kernel", "mm", "sharedpt.c")   # what FORK=shared builds
BENCH_TIMEOUT = 1800          # seconds for one full forkbench run (times XV6_TIME_SCALE)
DEFAULT_OUTPUT = os.path.join(REPO, "docs", "perf.md")
REPRODUCE = "python3 tools/perf.py"
QEMU = "qemu-system-riscv64"

PAGE_BYTES = 4096
PAGES_PER_MB = 1024 * 1024 // PAGE_BYTES
PTES_PER_TABLE = 512          # Sv39: one leaf page-table page maps 512 pages
PAGES_PER_BATCH = 16          # pages per timed batch, as in user/forkbench.c
TARGET_MB = 32                # the lab's target: fork of a 32 MB process...
TARGET_RATIO = 20             # ...at least this many times faster than eager copy
AROUND_MB = 16                # fault-around: the parent's writes to 16 MB after
AROUND_RATIO = 0.1            # its child exited, at most this times eager's
FLAT_MB = (0, 64)             # shared tables: fork+exit+wait at 64 MB at most
FLAT_RATIO = 1.5              # this times that at 0 MB,
PAGES_MB = 16                 # a 16 MB fork at most
PAGES_EXTRA = 3               # this many pages more than a 0 MB one,
SHARED_MB = 32                # and a 32 MB fork+exit+wait at least
SHARED_RATIO = 200            # this many times faster than eager copy
AHEAD_MB = (4, 16, 32)        # copy-ahead: the child's writes to these heaps,
AHEAD_RATIO = 1.0             # at most this times eager's time (the target)
AHEAD_GOAL = 0.8              # and, better, at most this
SPARSE_RATIO = 2              # a sparse writer: at most this many copies per page written

TIME_FIGURES = ("fork_exit_wait", "child_write", "parent_write")
EXEC_FIGURES = ("fork_exit_wait", "fork_exec_wait", "vfork_exec_wait")
ORDER_COMMAND = "orderbench 100"  # the COW work of a 100-command shell script, by fork order
KERNELS = ("eager", "cow", "shared")   # the starter's kernel, the solved one, FORK=shared
NAMES = {"eager": "eager", "cow": "COW", "shared": "shared tables"}
CHART = "perf-fork.svg"       # written beside the report
RECORD = "perf-runs.json"     # and the runs it was written from
RECORDED_PREFIXES = ("forkbench ", "orderbench ")   # the lines of a run the report reads
ROUNDS = 5                    # alternating runs of the kernels; each figure is their median
AHEAD_ROUNDS = 7              # alternating runs of `forkbench child_write`, at each CPU count
AHEAD_COMMAND = BENCH + " child_write"   # that figure alone: copy-ahead's target


class PerfError(Exception):
    """A build or a benchmark run went wrong; the message says how."""


# --- Building and running ---------------------------------------------------

def run_make(directory, *arguments):
    """Run make in directory; raise PerfError quoting its output if it fails."""
    try:
        harness.make(*arguments, tree=directory)
    except harness.TestFailure as failure:
        raise PerfError(str(failure))


def build_starter(scratch):
    """Write and build the starter tree under scratch; return its directory."""
    starter = os.path.join(scratch, "starter")
    run_make(REPO, "handout", "HANDOUT=" + starter)
    shutil.copyfile(os.path.join(REPO, BENCH_SOURCE), os.path.join(starter, BENCH_SOURCE))
    run_make(starter)
    return starter


def run_bench(tree, label, command, cpus):
    """Boot tree's kernel and disk on cpus harts, run command; return its output."""
    with harness.tree_machine(tree, cpus, "perf " + label) as machine:
        try:
            machine.boot()
            return machine.run(command, BENCH_TIMEOUT)
        except harness.TestFailure as failure:
            raise PerfError("%s kernel: `%s` did not finish: %s" % (label, command, failure))


def build_shared(scratch):
    """Copy this tree under scratch and build it with FORK=shared; return its directory."""
    shared = harness.copy_tree(REPO, os.path.join(scratch, "shared"))
    run_make(shared, "FORK=shared")
    return shared


def alternate(trees, command, rounds, cpus):
    """Run command on each kernel in turn, rounds times, on cpus harts, so
    that a change in the host's load falls on all alike; return {kernel:
    [its output in each round]}."""
    outputs = {kernel: [] for kernel in KERNELS}
    for round_number in range(1, rounds + 1):
        for kernel, tree in sorted(trees.items(), key=lambda item: KERNELS.index(item[0])):
            progress("round %d/%d: running `%s` on the %s kernel (CPUS=%d)"
                     % (round_number, rounds, command, kernel, cpus))
            outputs[kernel].append(run_bench(tree, kernel, command, cpus))
    return outputs


def measure(quick, rounds, ahead_rounds, cpu_counts):
    """Build the three trees; run the whole forkbench on each, on the first
    count of harts, for rounds rounds, then `forkbench child_write` with
    each count for ahead_rounds rounds.  Return (the first's outputs,
    {cpus: the second's outputs}), each output as alternate() returns."""
    scratch = tempfile.mkdtemp(prefix="xv6-perf-")
    try:
        progress("building the solved tree (make)")
        run_make(REPO)
        progress("writing and building the starter tree (make handout)")
        trees = {"eager": build_starter(scratch), "cow": REPO}
        if os.path.exists(os.path.join(REPO, SHARED_SOURCE)):
            progress("copying the solved tree and building it with FORK=shared")
            trees["shared"] = build_shared(scratch)
        else:
            progress("no %s here (the lab's challenge): the shared kernel is left out"
                     % SHARED_SOURCE)
        quick_flag = " -q" if quick else ""
        main = alternate(trees, BENCH + quick_flag, rounds, cpu_counts[0])
        ahead = {cpus: alternate(trees, AHEAD_COMMAND + quick_flag, ahead_rounds, cpus)
                 for cpus in cpu_counts}
        return main, ahead
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def progress(message):
    print("perf: " + message, file=sys.stderr, flush=True)


# --- The host ---------------------------------------------------------------

def command_lines(command):
    """The lines command prints (run in REPO), or None if it cannot run or fails."""
    try:
        result = subprocess.run(command, cwd=REPO, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, universal_newlines=True)
    except OSError:
        return None
    return result.stdout.strip().splitlines() if result.returncode == 0 else None


def first_line(command):
    lines = command_lines(command)
    return lines[0] if lines else "?"


def host_facts():
    """What the report says about where and when it was measured."""
    commit = first_line(["git", "rev-parse", "--short", "HEAD"])
    if command_lines(["git", "status", "--porcelain", "--untracked-files=no"]):
        commit += " plus uncommitted changes"
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "load": "%.1f" % os.getloadavg()[0],
        "qemu": first_line([QEMU, "--version"]),
        "commit": commit,
        "window": max_window(),
    }


# --- The report -------------------------------------------------------------

# Where each time figure keeps its median and its minimum.
TIME_KEYS = ("us", "min_us")
PAGE_KEYS = ("ns_per_page", "min_ns_per_page")
CALL_KEYS = ("ns_per_call", "min_ns_per_call")


def median_of_rounds(rounds):
    """One set of figures from several rounds' (see parse_forkbench): each
    numeric value is the median over the rounds that printed it."""
    merged = {}
    for key in set().union(*rounds):
        lines = [figures[key] for figures in rounds if key in figures]
        tokens = dict(lines[0])
        for name, value in tokens.items():
            if isinstance(value, int):
                values = sorted(line[name] for line in lines if isinstance(line.get(name), int))
                tokens[name] = values[len(values) // 2]
        merged[key] = tokens
    return merged


class Results:
    """Both kernels' parsed figures, with lookups that tolerate gaps."""

    def __init__(self, outputs):
        self.figures = {kernel: {} for kernel in KERNELS}
        self.rounds = {kernel: [] for kernel in KERNELS}   # each round's own figures
        self.failures = {kernel: {} for kernel in KERNELS}
        self.measured = [kernel for kernel in KERNELS if outputs[kernel]]
        for kernel in self.measured:
            for output in outputs[kernel]:
                figures, failures, done = parse_forkbench(output)
                if not done:
                    raise PerfError("%s kernel: forkbench stopped early:\n%s"
                                    % (kernel, output[-harness.TAIL_CHARS:]))
                self.rounds[kernel].append(figures)
                self.failures[kernel] = failures
            self.figures[kernel] = median_of_rounds(self.rounds[kernel])
        self.sizes = sorted({mb for kernel in KERNELS for _, mb in self.figures[kernel]}
                            | {mb for kernel in KERNELS for mb in self.failures[kernel]})

    def value(self, kernel, fig, mb, key):
        """The figure's value for key, or None if it was not measured."""
        value = self.figures[kernel].get((fig, mb), {}).get(key)
        return value if isinstance(value, int) else None

    def missing(self, kernel, fig, mb):
        """Why a figure is absent, for a table cell."""
        if kernel not in self.measured:
            return "not built"
        failure = self.failures[kernel].get(mb, {})
        if failure.get("fork") == "failed":
            return "fork failed"
        if failure.get("sbrk") == "failed":
            return "sbrk failed"
        tokens = self.figures[kernel].get((fig, mb), {})
        if tokens.get("skipped"):
            return "skipped (%s)" % tokens["skipped"].replace("_", " ")
        if tokens.get("child") == "failed":
            return "child failed"
        return "-"

    def ratio(self, fig, mb, key="us", over="cow", under="eager"):
        """under's figure over over's (eager over COW unless told), or None."""
        top, bottom = self.value(under, fig, mb, key), self.value(over, fig, mb, key)
        return top / bottom if top is not None and bottom else None

    def round_ratios(self, fig, top, bottom, key="min_us"):
        """top's fig over bottom's, round by round, each a (kernel, heap MB)
        pair; both ran in the same round, one after the other.  Sorted;
        rounds lacking either are left out."""
        (top_kernel, top_mb), (bottom_kernel, bottom_mb) = top, bottom
        pairs = zip(self.rounds[top_kernel], self.rounds[bottom_kernel])
        found = [(mine.get((fig, top_mb), {}).get(key), theirs.get((fig, bottom_mb), {}).get(key))
                 for mine, theirs in pairs]
        return sorted(over / under for over, under in found
                      if isinstance(over, int) and isinstance(under, int) and under)

    def sizes_with(self, fig):
        """The heap sizes at which every kernel that ran measured fig."""
        return [mb for mb in self.sizes
                if all(self.value(k, fig, mb, TIME_KEYS[0]) is not None for k in self.measured)]

    def typical(self, fig, key, kernel="cow"):
        """kernel's median of fig's key over the heap sizes above 0."""
        values = sorted(v for v in (self.value(kernel, fig, mb, key)
                                    for mb in self.sizes if mb > 0) if v is not None)
        return values[len(values) // 2] if values else None


def pair_cell(results, kernel, fig, mb, keys, scale):
    """'median (min)' of a figure, each divided by scale, or why it is missing."""
    median, least = (results.value(kernel, fig, mb, key) for key in keys)
    if median is None or least is None:
        return results.missing(kernel, fig, mb)
    return "%.2f (%.2f)" % (median / scale, least / scale)


def ms_cell(results, kernel, fig, mb):
    return pair_cell(results, kernel, fig, mb, TIME_KEYS, 1000.0)


def ratio_pair_cell(results, fig, mb, over, under="eager"):
    """'median ratio (minimum ratio)' of under over over, or '-'."""
    ratios = [results.ratio(fig, mb, key, over, under) for key in TIME_KEYS]
    return "-" if None in ratios else "%.1fx (%.1fx)" % tuple(ratios)


def slope(points):
    """Least-squares slope of (x, y) points, or None with fewer than two."""
    if len(points) < 2:
        return None
    n = float(len(points))
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    if spread == 0:
        return None
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / spread


def growth(results, fig, kernel, key="us"):
    """Slope of kernel's fig (key) in us per MB, over the sizes every kernel measured."""
    if kernel not in results.measured:
        return None
    return slope([(mb, results.value(kernel, fig, mb, key))
                  for mb in results.sizes_with(fig)])


def fork_section(results):
    rows = [[mb, mb * PAGES_PER_MB]
            + [ms_cell(results, kernel, "fork_exit_wait", mb) for kernel in KERNELS]
            + [ratio_pair_cell(results, "fork_exit_wait", mb, kernel) for kernel in KERNELS[1:]]
            for mb in results.sizes]
    return table(["heap MB", "pages"] + ["%s ms" % NAMES[k] for k in KERNELS]
                 + ["eager/%s" % NAMES[k] for k in KERNELS[1:]], rows)


def exec_section(results):
    rows = [[mb] + [ms_cell(results, kernel, fig, mb) for fig in EXEC_FIGURES for kernel in KERNELS]
            for mb in results.sizes]
    return table(["heap MB"] + ["%s: %s ms" % (fig.replace("_wait", "").replace("_", "+"), kernel)
                                for fig in EXEC_FIGURES for kernel in KERNELS], rows)


def order_section(output):
    rows = [[script, order.replace("_", " "), faults, copied, reused]
            for script, order, faults, copied, reused in ORDER_LINE.findall(output)]
    if not rows:
        raise PerfError("`%s` printed no results:\n%s" % (ORDER_COMMAND, output))
    default = re.search(r"^orderbench default=(\w+)$", output, re.M)
    return (table(["script", "order", "COW faults", "pages copied", "pages reused"], rows) +
            "\n\nThe kernel's default: **%s**." % (default.group(1).replace("_", " ")
                                                  if default else "not reported"))


def writes_section(results):
    rows = [[mb] + [ms_cell(results, kernel, fig, mb)
                    for fig in ("child_write", "parent_write") for kernel in KERNELS]
            for mb in results.sizes]
    return table(["heap MB"] + ["%s: %s ms" % (what, NAMES[k])
                                for what in ("child writes", "parent writes") for k in KERNELS],
                 rows)


def paired(results, fig, top, bottom):
    """(median, lowest, highest) over the rounds of top's fastest repetition
    of fig over bottom's in the same round (top and bottom as round_ratios
    takes them), or None if unmeasured.  The kernels of a round run one after
    the other, so a change in the host's load falls on both; within a run a
    busy host adds time to some repetitions, and the fastest is the least
    disturbed."""
    found = results.round_ratios(fig, top, bottom)
    return (found[len(found) // 2], found[0], found[-1]) if found else None


def ahead_ratio(results, kernel, mb):
    """paired() for kernel's child writes over eager's, at mb MB."""
    return paired(results, "child_write", (kernel, mb), ("eager", mb))


def ratio_text(found, digits=2):
    """'median (lowest-highest)x' of a paired() result."""
    return "{0:.{3}f}x ({1:.{3}f}-{2:.{3}f}x)".format(*(found + (digits,)))


def ahead_cell(results, kernel, mb):
    found = ahead_ratio(results, kernel, mb)
    return ratio_text(found) if found else "-"


def ahead_section(results):
    """The child-writes times at the copy-ahead sizes, and the ratios to eager."""
    rows = [[mb] + [ms_cell(results, kernel, "child_write", mb) for kernel in KERNELS]
            + [ahead_cell(results, k, mb) for k in KERNELS[1:]]
            for mb in AHEAD_MB]
    return table(["heap MB"] + ["child writes: %s ms" % NAMES[k] for k in KERNELS]
                 + ["%s/eager by round" % NAMES[k] for k in KERNELS[1:]], rows)


def sparse_section(results):
    """What a child writing every 16th page had copied, on each COW kernel."""
    rows = [[mb, results.value("cow", "sparse_pages", mb, "written") or "-"]
            + [value if value is not None else results.missing(k, "sparse_pages", mb)
               for value, k in ((results.value(k, "sparse_pages", mb, "copied"), k)
                                for k in KERNELS[1:])]
            for mb in results.sizes if mb > 0]
    return table(["heap MB", "pages written"] + ["%s: pages copied" % NAMES[k]
                                                 for k in KERNELS[1:]], rows)


def growth_section(results):
    rows = []
    for fig in TIME_FIGURES:
        sizes = results.sizes_with(fig)
        row = [fig, "%d-%d" % (sizes[0], sizes[-1]) if sizes else "-"]
        for kernel in KERNELS:
            rates = [growth(results, fig, kernel, key) for key in TIME_KEYS]
            row.append("-" if None in rates else "%.0f (%.0f)" % tuple(rates))
            row.append("-" if None in rates else
                       "%.2f (%.2f)" % tuple(r / PAGES_PER_MB for r in rates))
        rows.append(row)
    return table(["figure", "heap MB fitted"]
                 + ["%s %s" % (NAMES[k], unit) for k in KERNELS for unit in ("us/MB", "us/page")],
                 rows)


def extra_pages(results, kernel, mb):
    """Pages kernel's fork of mb MB took beyond its fork at 0 MB, or None."""
    base, used = (results.value(kernel, "fork_pages", size, "used") for size in (0, mb))
    return used - base if used is not None and base is not None else None


def pages_section(results):
    rows = []
    for mb in results.sizes:
        used = {k: results.value(k, "fork_pages", mb, "used") for k in KERNELS}
        leaf_tables = -(-mb * PAGES_PER_MB // PTES_PER_TABLE)
        extra = [extra_pages(results, k, mb) for k in KERNELS[1:]]
        rows.append([mb, mb * PAGES_PER_MB]
                    + [used[k] if used[k] is not None else results.missing(k, "fork_pages", mb)
                       for k in KERNELS]
                    + [e if e is not None else "-" for e in extra] + [leaf_tables])
    return table(["heap MB", "heap pages"] + ["%s: pages used" % NAMES[k] for k in KERNELS]
                 + ["%s: more than at 0 MB" % NAMES[k] for k in KERNELS[1:]]
                 + ["leaf page-table pages for the heap"], rows)


FAULT_COLUMNS = (("copy_fault", PAGE_KEYS, "child write (copy)"),
                 ("reuse_fault", PAGE_KEYS, "parent write (reuse)"),
                 ("plain_write", PAGE_KEYS, "plain write"),
                 ("getpid", CALL_KEYS, "getpid"))


def fault_section(results):
    columns = [(k, fig, keys, "%s: %s" % (NAMES[k], title))
               for k in ("cow", "shared") for fig, keys, title in FAULT_COLUMNS]
    columns += [("eager", fig, PAGE_KEYS, "eager: %s (no fault)" % title.split(" (")[0])
                for fig, _, title in FAULT_COLUMNS[:2]]
    rows = [[mb] + [pair_cell(results, k, fig, mb, keys, 1000.0) for k, fig, keys, _ in columns]
            for mb in results.sizes if mb > 0]
    return table(["heap MB"] + [title for _, _, _, title in columns], rows)


def us(ns):
    return "%.1f us" % (ns / 1000.0) if ns is not None else "unmeasured"


ABSENT = "a figure is missing on some kernel"


def goal(label, value, met, text, absent=ABSENT):
    """One verdict line: what was measured, against its goal (or why it was not)."""
    if value is None:
        return "- %s: **not measured** (%s)." % (label, absent)
    return "- %s: **%s.** %s" % (label, "Met" if met else "Not met", text)


STRADDLE_NOTE = (" Some rounds fall on each side of %gx, so the host's load may have "
                 "decided this verdict: run perf.py again on a quieter machine.")
VERDICT_METHOD = (
    "Each ratio is taken round by round: in a round the kernels ran one after the "
    "other, and the ratio compares their fastest repetitions. A verdict judges the "
    "median of those ratios over the rounds, shown first, with their range "
    "(lowest-highest) after it.")


def straddles(found, limit):
    """Whether a paired() result has rounds on both sides of limit."""
    _, lowest, highest = found
    return lowest < limit < highest


def ratio_goal(label, found, limit, at_least, claim, digits, absent=ABSENT):
    """A verdict line on a paired() result, met when its median is at least
    limit (at_least) or at most limit; claim is the sentence, with %s where
    the ratio goes."""
    if found is None:
        return goal(label, None, False, "", absent)
    met = found[0] >= limit if at_least else found[0] <= limit
    caveat = STRADDLE_NOTE % limit if straddles(found, limit) else ""
    return goal(label, found[0], met, claim % ratio_text(found, digits) + caveat)


def verdict(results, ahead):
    """The lines on each target, then what the numbers say: results holds
    the main figures, ahead maps each count of harts to the Results of its
    child_write rounds, on which copy-ahead's target is judged."""
    extra = extra_pages(results, "shared", PAGES_MB)
    absent = (ABSENT if "shared" in results.measured else
              "this tree has no %s to build: the lab's challenge" % SHARED_SOURCE)
    lines = [
        ratio_goal("Lab target (COW kernel)",
                   paired(results, "fork_exit_wait", ("eager", TARGET_MB), ("cow", TARGET_MB)),
                   TARGET_RATIO, True,
                   "Fork+exit+wait of a %d MB process is %%s faster with COW than with eager "
                   "copying; the target is %dx." % (TARGET_MB, TARGET_RATIO), 1),
        ratio_goal("Fault-around (COW kernel)",
                   paired(results, "parent_write", ("cow", AROUND_MB), ("eager", AROUND_MB)),
                   AROUND_RATIO, False,
                   "The parent's writes to %d MB after its child exited (the parent-writes "
                   "trial: fork, exit, wait, then one write per page) take %%s eager's time "
                   "for the same trial; the goal is at most %.1fx." % (AROUND_MB, AROUND_RATIO),
                   3),
        ratio_goal("Shared tables, flat fork",
                   paired(results, "fork_exit_wait", ("shared", FLAT_MB[1]), ("shared", FLAT_MB[0])),
                   FLAT_RATIO, False,
                   "Fork+exit+wait of a %d MB process takes %%s that of a %d MB process; the "
                   "goal is at most %.1fx." % (FLAT_MB[1], FLAT_MB[0], FLAT_RATIO), 2, absent),
        goal("Shared tables, memory", extra, extra is not None and extra <= PAGES_EXTRA,
             "A fork of a %d MB process takes %s pages more than a fork of a 0 MB one; "
             "the goal is at most %d." % (PAGES_MB, extra, PAGES_EXTRA), absent),
        ratio_goal("Shared tables, speed",
                   paired(results, "fork_exit_wait", ("eager", SHARED_MB), ("shared", SHARED_MB)),
                   SHARED_RATIO, True,
                   "Fork+exit+wait of a %d MB process is %%s faster than with eager copying; "
                   "the goal is %dx." % (SHARED_MB, SHARED_RATIO), 1, absent),
    ] + [ahead_goal(more, count) for count, more in ahead.items()] + [
        sparse_goal(results),
    ]
    return "\n\n".join([VERDICT_METHOD, "\n".join(lines), memory_paragraph(results),
                         timing_paragraph(results)])


def ahead_goal(results, cpus):
    """The verdict line on copy-ahead's target for the runs with cpus harts."""
    kernels = [k for k in KERNELS[1:] if k in results.measured]
    found = [ahead_ratio(results, k, mb) for k in kernels for mb in AHEAD_MB]
    if None in found:
        return goal("Copy-ahead (CPUS=%d)" % cpus, None, False, "")
    worst = max(median for median, _, _ in found)
    described = "; ".join("%s %s" % (NAMES[k], ", ".join(ahead_cell(results, k, mb)
                                                         for mb in AHEAD_MB))
                          for k in kernels)
    return goal("Copy-ahead (CPUS=%d)" % cpus, worst, worst <= AHEAD_RATIO,
                "A child that writes every page of its %s MB heap (fork, writes, exit, wait) "
                "takes, against eager copying, over %d rounds: %s. The target is at most "
                "%.1fx; the goal, at most %.1fx, is %s.%s"
                % ("/".join(str(mb) for mb in AHEAD_MB), len(results.rounds["eager"]),
                   described, AHEAD_RATIO, AHEAD_GOAL,
                   "met" if worst <= AHEAD_GOAL else "not met",
                   STRADDLE_NOTE % AHEAD_RATIO
                   if any(straddles(one, AHEAD_RATIO) for one in found) else ""))


def sparse_goal(results):
    """The verdict line on what a sparse writer has copied."""
    found = [(k, mb, results.value(k, "sparse_pages", mb, "written"),
              results.value(k, "sparse_pages", mb, "copied"))
             for k in KERNELS[1:] if k in results.measured for mb in results.sizes if mb > 0]
    per_page = [copied / written for _, _, written, copied in found
                if written and copied is not None]
    if not found or len(per_page) < len(found):
        return goal("Sparse writer", None, False, "")
    return goal("Sparse writer", max(per_page), max(per_page) <= SPARSE_RATIO,
                "A child writing every 16th heap page has at most %.2f pages copied per page "
                "it writes, on every COW kernel and heap size; the bound is %d."
                % (max(per_page), SPARSE_RATIO))


def memory_paragraph(results):
    ptes = TARGET_MB * PAGES_PER_MB
    cow, shared = (extra_pages(results, k, TARGET_MB) for k in ("cow", "shared"))
    if cow is None:
        return "*Memory:* the COW kernel's fork_pages figure is missing."
    text = ("*Memory:* a COW fork of the %d MB process took %d pages more than at 0 MB; "
            "the heap's %d PTEs fill %d leaf page-table pages, and the child needs its "
            "own." % (TARGET_MB, cow, ptes, ptes // PTES_PER_TABLE))
    if shared is not None:
        text += (" With shared tables it took %d more: the child's level-1 entries point "
                 "at the parent's leaf page-table pages." % shared)
    return text + (" Apart from a page or two of noise (the parent's first stack write "
                   "after fork breaks a share: a page, and with shared tables the leaf "
                   "page-table page holding it too), a COW fork's memory never grows with "
                   "the bytes of the heap.")


def timing_paragraph(results):
    cow, eager, shared = (growth(results, "fork_exit_wait", k)
                          for k in ("cow", "eager", "shared"))
    if None in (cow, eager) or cow <= 0:
        return "*Time:* too few heap sizes were measured to fit a growth rate."
    text = ("*Time:* COW fork+exit+wait grows by about %.0f us per MB (%.2f us per PTE), "
            "against %.0f us per MB (%.1f us per page) for eager copying: the COW fork's "
            "uvmcopy() still visits every PTE (a look-up in the parent's leaf page-table "
            "page, a mapping in the child's and a reference count each), and exit drops "
            "every reference again. That is %.0fx less work per page than copying and "
            "freeing 4 KB, but linear in the heap's pages."
            % (cow, cow / PAGES_PER_MB, eager, eager / PAGES_PER_MB, eager / cow))
    if shared is None:
        return text
    return text + (" With shared tables it grows by %.1f us per MB: fork takes one step per "
                   "leaf page-table page (and, when the parent wrote since its last fork, a "
                   "loop taking PTE_W away in it), and exit drops each one with a reference."
                   % shared)


def fault_paragraph(results):
    """What one fault costs, from the fastest batches (the steadiest figure)."""
    copy, reuse, plain, trap = (results.typical(fig, key) for fig, key in
                                (("copy_fault", PAGE_KEYS[1]), ("reuse_fault", PAGE_KEYS[1]),
                                 ("plain_write", PAGE_KEYS[1]), ("getpid", CALL_KEYS[1])))
    if None in (copy, reuse, plain, trap) or trap <= 0:
        return "Some per-fault figures are missing; see the table."
    text = ("In the fastest batches (the figures a busy host disturbs least; medians over "
            "heap sizes), on the COW kernel a child's write to a shared page costs %s, "
            "a write with no fault %s, and a bare trap into the kernel and back (getpid) "
            "%s. The child's figure is no copy's cost: copy-ahead copied most pages before "
            "their first write, in the fault of a page before them, so most batches hold "
            "no fault; the child-writes times above carry the copies."
            % (us(copy), us(plain), us(trap)))
    text += (" A parent's write after its child exited costs %s: the first write in each "
             "leaf page-table page faults and reuses its page, and fault-around gives "
             "write permission back to the other %d pages of that leaf page-table page "
             "at once, so the batches of %d pages that these figures time rarely hold a "
             "fault. Before fault-around, each such write cost about one trap."
             % (us(reuse), PTES_PER_TABLE - 1, PAGES_PER_BATCH))
    return text + (" The eager kernel pays for a copy, and one more junk fill when exit frees "
                   "the page, for every page at every fork; its write loops then take no "
                   "fault at all.")


def largest_row(results):
    """What the largest heap's fork did on each kernel."""
    mb = max(results.sizes)
    outcomes = ["%s: %s" % (NAMES[k], "forked, %s ms" % ms_cell(results, k, "fork_exit_wait", mb)
                            if results.value(k, "fork_exit_wait", mb, "us") is not None
                            else results.missing(k, "fork_exit_wait", mb))
                for k in KERNELS]
    return "The %d MB row, %s." % (mb, "; ".join(outcomes))


# --- The chart --------------------------------------------------------------

CHART_SIZE = (640, 380)
CHART_MARGIN = (70, 20, 30, 50)   # left, right, top, bottom
COLOURS = {"eager": "#c0392b", "cow": "#2471a3", "shared": "#1e8449"}


def chart(results):
    """An SVG line chart of fork+exit+wait (medians, ms, log scale) against heap MB."""
    width, height = CHART_SIZE
    left, right, top, bottom = CHART_MARGIN
    points = {k: [(mb, results.value(k, "fork_exit_wait", mb, "us") / 1000.0)
                  for mb in results.sizes
                  if results.value(k, "fork_exit_wait", mb, "us")] for k in KERNELS}
    values = [ms for series in points.values() for _, ms in series]
    if not values:
        return None
    low = math.floor(math.log10(min(values)))
    high = math.ceil(math.log10(max(values)))
    high += high == low
    most_mb = max(results.sizes) or 1

    def x(mb):
        return left + (width - left - right) * mb / float(most_mb)

    def y(ms):
        share = (math.log10(ms) - low) / float(high - low)
        return height - bottom - (height - top - bottom) * share

    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
           'font-family="sans-serif" font-size="12">' % (width, height),
           '<rect width="100%" height="100%" fill="white"/>']
    for power in range(low, high + 1):
        out.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ddd"/>'
                   % (left, width - right, y(10 ** power), y(10 ** power)))
        out.append('<text x="%d" y="%.1f" text-anchor="end">%g ms</text>'
                   % (left - 6, y(10 ** power) + 4, 10 ** power))
    for mb in results.sizes:
        out.append('<text x="%.1f" y="%d" text-anchor="middle">%d</text>'
                   % (x(mb), height - bottom + 16, mb))
    out.append('<text x="%.1f" y="%d" text-anchor="middle">heap MB (fork+exit+wait, '
               'median, log scale)</text>' % ((left + width - right) / 2.0, height - 10))
    for n, kernel in enumerate(k for k in KERNELS if points[k]):
        series = points[kernel]
        out.append('<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>'
                   % (COLOURS[kernel], " ".join("%.1f,%.1f" % (x(mb), y(ms))
                                                for mb, ms in series)))
        out += ['<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>' % (x(mb), y(ms), COLOURS[kernel])
                for mb, ms in series]
        out.append('<text x="%d" y="%d" fill="%s">%s</text>'
                   % (left + 10, top + 14 + 16 * n, COLOURS[kernel], NAMES[kernel]))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def report(results, ahead, order, facts, options, seconds, chart_name):
    """docs/perf.md's text: results and ahead as verdict() takes them,
    options perf.py's own (the main figures come from the first --cpus)."""
    cpus = options.cpus[0]
    mode = ("`forkbench -q` (quick mode, fewer repetitions)" if options.quick
            else "`forkbench`")
    parts = [
        "# Fork performance: eager copying, copy-on-write, shared page tables",
        "Generated by `tools/perf.py`; do not edit by hand. To measure again:\n\n"
        "    %s\n\n"
        "The runs this page was written from are kept beside it, in `%s`; to write "
        "the page again from them, without measuring (after a change to its wording, "
        "say):\n\n"
        "    %s --replay docs/%s" % (REPRODUCE, RECORD, REPRODUCE, RECORD),
        "It builds three kernels: the lab's starter tree (`make handout`: fork copies "
        "every page, *eager*), this tree (copy-on-write fork with fault-around reuse, "
        "*COW*), and this tree with `make FORK=shared` (fork shares the parent's leaf "
        "page-table pages, *shared tables*; kernel/mm/sharedpt.c). It boots each in QEMU "
        "with **CPUS=%d** and runs %s in each, alternating the kernels for %d rounds, so "
        "that a change in the host's load falls on all of them. The figures are defined "
        "at the top of `user/forkbench.c`. Times come from the `time` CSR (10 MHz), so "
        "they are wall-clock times of the emulated machine and include whatever the host "
        "takes away from QEMU: each cell is **median (minimum)** over the repetitions, "
        "each the median over the rounds, and per-page costs come from batches of pages, "
        "so preemption mostly falls outside them. Copy-ahead's figures come from %d more "
        "rounds of `%s` alone, with **CPUS=%s** (the section on copy-ahead)."
        % (cpus, mode, options.rounds, options.ahead_rounds, AHEAD_COMMAND,
           " and ".join(str(c) for c in ahead)),
        table(["measured", "value"], [
            ["date", facts["date"]],
            ["host", "%s, %s CPUs (uname -m, nproc), load average %s at the start"
             % (facts["machine"], facts["cpus"], facts["load"])],
            ["QEMU", facts["qemu"]],
            ["solved tree", facts["commit"]],
            ["perf.py run time", "%.0f s" % seconds],
            ["a trap into the kernel and back (getpid, COW kernel)",
             us(results.typical("getpid", CALL_KEYS[1]))],
        ]),
        "## Verdict",
        verdict(results, ahead),
        "## fork + exit + wait",
        "The child exits at once; the parent waits for it. Heap = touched pages "
        "(sbrk, one byte written per page). Ratios: median (minimum).",
        fork_section(results),
        largest_row(results) + " Eager copying needs a second copy of the heap, and 2 x "
        "64 MB does not fit in 128 MB of RAM; fork returns -1 and the benchmark goes on.",
        "![fork+exit+wait against heap size](%s)" % chart_name if chart_name else
        "(No chart: no fork+exit+wait figure was measured.)",
        "## fork + exec and vfork + exec",
        "The child execs `forkbench exit`, a program that exits at once; the parent "
        "waits. With vfork the child runs on the parent's memory until its exec, so "
        "nothing is shared or copied (kernel/proc/vfork.c); fork+exit+wait is repeated "
        "for scale.",
        exec_section(results),
        "## Child first or parent first",
        "`%s` on the COW kernel (one run, CPUS=%d): the shell runs a script of 100 "
        "commands (`forkbench exit`) once with each order after fork (the `forkorder` "
        "system call), and cowstat counts what copy-on-write did. *foreground*: the "
        "shell waits for each command; *background*: every other command ends in `&`, "
        "so the shell reads and parses the next line while that child starts. "
        "The default order is the one that copies fewer pages." % (ORDER_COMMAND, cpus),
        order_section(order),
        "## Writes after fork",
        "*Child writes*: the child writes every heap page, then exits (each write is a "
        "COW copy). *Parent writes*: the child exits at once; the parent waits, then "
        "writes every page (sole-owner reuses: no copy). The times include the fork. At "
        "64 MB the COW child's copies would not fit in memory, so forkbench skips that "
        "figure.",
        writes_section(results),
        "## Copy-ahead",
        "A child writing its parent's pages in order gets the next pages copied in the "
        "same fault, a window that doubles while the faults stay sequential, up to %s "
        "pages (kernel/mm/cowahead.c). *Child writes*, from `%s` alone at each CPU "
        "count, %d rounds: times as above, and the ratios the verdict takes: in each "
        "round, the kernels having run one after the other, a kernel's fastest "
        "repetition over eager copying's (median over the rounds (lowest-highest); "
        "each ratio comes from one round's two runs, not from the times shown):"
        % (facts["window"] or "?", AHEAD_COMMAND, options.ahead_rounds),
        "\n\n".join("CPUS=%d:\n\n%s" % (count, ahead_section(more))
                    for count, more in ahead.items()),
        "A *sparse writer* (forkbench's sparse_pages, CPUS=%d) writes every 16th heap page "
        "after fork. Its faults are 16 pages apart, so no window grows past two pages (its "
        "first heap fault may land just past its stack's). Pages written, and pages its "
        "own COW counters (cowstat) say were copied:" % cpus,
        sparse_section(results),
        "## Growth with heap size",
        "Least-squares slope of each time against heap size, over the sizes every kernel "
        "measured: fitted to the medians (to the minimums).",
        growth_section(results),
        "## Pages a fork uses",
        "Free pages (cowstat) before a fork, less free pages while the child exists "
        "(it waits on a pipe).",
        pages_section(results),
        "## Per-fault costs",
        "Microseconds per page written, median (fastest batch): the child's writes after "
        "fork, the parent's writes after the child exited, the same writes to pages "
        "already writable, and one getpid() system call for scale.",
        fault_section(results),
        fault_paragraph(results),
    ]
    return "\n\n".join(parts) + "\n"


# --- The record of the runs -------------------------------------------------

def kept_lines(output):
    """The lines of a run's output that the report reads."""
    return [line.strip() for line in output.splitlines()
            if line.strip().startswith(RECORDED_PREFIXES)]


def measured_record(options):
    """Build the kernels, run the benchmarks; return what render() takes:
    the host's facts, perf.py's options, the time taken and the lines of
    every run."""
    started = time.monotonic()
    facts = host_facts()
    main_outputs, ahead_outputs = measure(options.quick, options.rounds,
                                          options.ahead_rounds, options.cpus)
    progress("running %s on the COW kernel" % ORDER_COMMAND)
    order = run_bench(REPO, "cow", ORDER_COMMAND, options.cpus[0])

    def lines_of(outputs):
        return {kernel: [kept_lines(output) for output in runs]
                for kernel, runs in outputs.items()}
    return {
        "facts": facts,
        "options": {name: getattr(options, name)
                    for name in ("quick", "rounds", "ahead_rounds", "cpus")},
        "seconds": round(time.monotonic() - started),
        "main": lines_of(main_outputs),
        "ahead": [{"cpus": cpus, "runs": lines_of(ahead_outputs[cpus])}
                  for cpus in options.cpus],
        "order": kept_lines(order),
    }


def load_record(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as error:
        raise PerfError("cannot read the record %s: %s" % (path, error))


def save_record(record, path):
    with open(path, "w") as out:
        json.dump(record, out, indent=1)
        out.write("\n")


def render(record, output):
    """Write the report to output, and its chart beside it, from record."""
    def results_of(runs):
        return Results({kernel: ["\n".join(lines) for lines in runs.get(kernel, [])]
                        for kernel in KERNELS})
    try:
        options = argparse.Namespace(**record["options"])
        results = results_of(record["main"])
        ahead = {entry["cpus"]: results_of(entry["runs"]) for entry in record["ahead"]}
        order = "\n".join(record["order"])
        facts, seconds = record["facts"], record["seconds"]
    except (KeyError, TypeError, AttributeError) as error:
        raise PerfError("the record lacks %s: is it one perf.py wrote?" % error)
    directory = os.path.dirname(os.path.abspath(output))
    svg = chart(results)
    if svg:
        with open(os.path.join(directory, CHART), "w") as out:
            out.write(svg)
    with open(output, "w") as out:
        out.write(report(results, ahead, order, facts, options, seconds,
                         CHART if svg else None))


def main():
    parser = argparse.ArgumentParser(description="Compare fork with and without COW; "
                                     "write docs/perf.md.")
    parser.add_argument("--quick", action="store_true",
                        help="run forkbench -q (fewer repetitions), to try the script out")
    parser.add_argument("--output", default=DEFAULT_OUTPUT,
                        help="where to write the report (its chart and, unless "
                        "--replay, its record %s go beside it)" % RECORD)
    parser.add_argument("--replay", metavar="RECORD",
                        help="measure nothing: write the report from the runs in "
                        "RECORD, a %s an earlier run wrote" % RECORD)
    parser.add_argument("--rounds", type=int, default=ROUNDS,
                        help="alternating runs of the kernels (default %d)" % ROUNDS)
    parser.add_argument("--ahead-rounds", type=int, default=AHEAD_ROUNDS,
                        help="alternating runs of `%s` at each --cpus count (default %d)"
                        % (AHEAD_COMMAND, AHEAD_ROUNDS))
    parser.add_argument("--cpus", type=int, nargs="+", default=list(CPU_COUNTS),
                        help="harts per machine: the main figures use the first count, "
                        "copy-ahead's every one (default: %s)"
                        % " ".join(str(c) for c in CPU_COUNTS))
    options = parser.parse_args()
    options.rounds, options.ahead_rounds = max(1, options.rounds), max(1, options.ahead_rounds)
    harness.install_signal_handlers()
    started = time.monotonic()
    directory = os.path.dirname(os.path.abspath(options.output))
    try:
        if options.replay:
            record = load_record(options.replay)
        else:
            record = measured_record(options)
            os.makedirs(directory, exist_ok=True)
            save_record(record, os.path.join(directory, RECORD))
        render(record, options.output)
    except (PerfError, ValueError, subprocess.TimeoutExpired) as error:
        print("perf: %s" % error, file=sys.stderr)
        return 1
    progress("wrote %s in %.0f s" % (options.output, time.monotonic() - started))
    return 0


if __name__ == "__main__":
    sys.exit(main())
