#!/usr/bin/env python3
"""Measure fork with and without copy-on-write, and write docs/perf.md.

Usage: python3 tools/perf.py [--quick] [--rounds N] [--output PATH]

In one run: builds this tree (the solved kernel, copy-on-write fork) with
`make`, writes the lab's starter tree (fork copies memory eagerly) with
`make handout` into a temporary directory and builds it too, then boots each
kernel in turn with test/harness.py's Machine, on one CPU so that no other
hart competes for the host, and runs user/forkbench in it. The figures of
both kernels (see the top of user/forkbench.c) become the tables of
docs/perf.md, with a verdict on the lab's targets.

Both kernels run the same benchmark: this tree's user/forkbench.c is copied
into the starter before it is built (the handout holds only files git
tracks, and the two copies must not drift apart).

The starter boots through this tree's Makefile (the harness's only source of
the QEMU command line) with its own disk image and a second -kernel option,
which QEMU takes over the first.

--quick runs `forkbench -q` (fewer repetitions) to try the script out; the
committed docs/perf.md comes from a full run.
"""

import argparse
import datetime
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

TOOLS_DIR = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(TOOLS_DIR)
sys.path.insert(0, os.path.join(REPO, "test"))
import harness  # noqa: E402  (needs the path above)

CPUS = 1                      # harts per machine: one, for steady numbers
BENCH = "forkbench"
BENCH_SOURCE = os.path.join("user", "forkbench.c")
BENCH_TIMEOUT = 1800          # seconds for one full forkbench run (times XV6_TIME_SCALE)
DEFAULT_OUTPUT = os.path.join(REPO, "docs", "perf.md")
REPRODUCE = "python3 tools/perf.py"
QEMU = "qemu-system-riscv64"

PAGE_BYTES = 4096
PAGES_PER_MB = 1024 * 1024 // PAGE_BYTES
PTES_PER_TABLE = 512          # Sv39: one leaf page-table page maps 512 pages
TARGET_MB = 32                # the lab's target: fork of a 32 MB process...
TARGET_RATIO = 20             # ...at least this many times faster than eager copy

LINE_PREFIX = "forkbench "
DONE_LINE = "forkbench done"
TIME_FIGURES = ("fork_exit_wait", "child_write", "parent_write")
EXEC_FIGURES = ("fork_exit_wait", "fork_exec_wait", "vfork_exec_wait")
ORDER_COMMAND = "orderbench 100"  # the COW work of a 100-command shell script, by fork order
ORDER_LINE = re.compile(r"^orderbench script=(\w+) order=(\w+) commands=\d+ cow_faults=(\d+) "
                        r"pages_copied=(\d+) pages_reused=(\d+)$", re.M)
KERNELS = ("eager", "cow")    # the starter's kernel, then the solved one
ROUNDS = 3                    # alternating runs of both kernels; each figure is their median


class PerfError(Exception):
    """A build or a benchmark run went wrong; the message says how."""


# --- forkbench's output -----------------------------------------------------

def parse_forkbench(output):
    """Parse forkbench's output into (figures, failures, done).

    figures maps (fig, heap_mb) to a dict of that line's key=value tokens
    (values that are numbers become ints); failures maps heap_mb to the
    line's tokens for lines without fig= (fork=failed, sbrk=failed); done
    says whether the closing "forkbench done" line came. Raises ValueError
    on a forkbench line that does not parse.
    """
    figures, failures, done = {}, {}, False
    for line in output.splitlines():
        line = line.strip()
        if line == DONE_LINE:
            done = True
            continue
        if not line.startswith(LINE_PREFIX):
            continue
        tokens = {}
        for token in line[len(LINE_PREFIX):].split():
            key, equals, value = token.partition("=")
            if not equals or not key or not value:
                raise ValueError("forkbench line %r: %r is not key=value" % (line, token))
            tokens[key] = int(value) if re.fullmatch(r"-?\d+", value) else value
        if not isinstance(tokens.get("heap_mb"), int):
            raise ValueError("forkbench line %r has no numeric heap_mb" % line)
        if "fig" in tokens:
            figures[(tokens["fig"], tokens["heap_mb"])] = tokens
        else:
            failures[tokens["heap_mb"]] = tokens
    return figures, failures, done


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


def run_bench(tree, label, quick):
    """Boot tree's kernel and disk on CPUS harts, run forkbench; return its output."""
    kernel = os.path.join(tree, "kernel", "kernel")
    image = harness.fresh_image(os.path.join(tree, "fs.img"))
    command = BENCH + (" -q" if quick else "")
    with harness.Machine(cpus=CPUS, fs_image=image, label="perf " + label,
                         qemu_extra="-kernel " + shlex.quote(kernel)) as machine:
        try:
            machine.boot()
            return machine.run(command, BENCH_TIMEOUT)
        except harness.TestFailure as failure:
            raise PerfError("%s kernel: `%s` did not finish: %s" % (label, command, failure))


def run_order_bench():
    """Boot this tree's kernel once and run ORDER_COMMAND; return its output."""
    image = harness.fresh_image(os.path.join(REPO, "fs.img"))
    with harness.Machine(cpus=CPUS, fs_image=image, label="perf fork order") as machine:
        try:
            machine.boot()
            return machine.run(ORDER_COMMAND, BENCH_TIMEOUT)
        except harness.TestFailure as failure:
            raise PerfError("`%s` did not finish: %s" % (ORDER_COMMAND, failure))


def measure(quick, rounds):
    """Build both trees and run forkbench on each, alternating kernels for
    rounds rounds, so that a change in the host's load falls on both alike;
    return {kernel: [output of each round]}."""
    scratch = tempfile.mkdtemp(prefix="xv6-perf-")
    try:
        progress("building the solved tree (make)")
        run_make(REPO)
        progress("writing and building the starter tree (make handout)")
        starter = build_starter(scratch)
        outputs = {kernel: [] for kernel in KERNELS}
        for round_number in range(1, rounds + 1):
            for kernel, tree in (("eager", starter), ("cow", REPO)):
                progress("round %d/%d: running %s on the %s kernel (CPUS=%d)"
                         % (round_number, rounds, BENCH, kernel, CPUS))
                outputs[kernel].append(run_bench(tree, kernel, quick))
        return outputs
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
    }


# --- The report -------------------------------------------------------------

# Where each time figure keeps its median and its minimum.
TIME_KEYS = ("us", "min_us")
PAGE_KEYS = ("ns_per_page", "min_ns_per_page")
CALL_KEYS = ("ns_per_call", "min_ns_per_call")
# A reuse fault within this many times a getpid() costs "about one trap".
TRAP_LIKE = (0.5, 1.5)


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
        self.figures, self.failures = {}, {}
        for kernel in KERNELS:
            rounds = []
            for output in outputs[kernel]:
                figures, failures, done = parse_forkbench(output)
                if not done:
                    raise PerfError("%s kernel: forkbench stopped early:\n%s"
                                    % (kernel, output[-harness.TAIL_CHARS:]))
                rounds.append(figures)
                self.failures[kernel] = failures
            self.figures[kernel] = median_of_rounds(rounds)
        self.sizes = sorted({mb for kernel in KERNELS for _, mb in self.figures[kernel]}
                            | {mb for kernel in KERNELS for mb in self.failures[kernel]})

    def value(self, kernel, fig, mb, key):
        """The figure's value for key, or None if it was not measured."""
        value = self.figures[kernel].get((fig, mb), {}).get(key)
        return value if isinstance(value, int) else None

    def missing(self, kernel, fig, mb):
        """Why a figure is absent, for a table cell."""
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

    def ratio(self, fig, mb, key="us"):
        """Eager over COW for one figure, or None."""
        eager, cow = self.value("eager", fig, mb, key), self.value("cow", fig, mb, key)
        return eager / cow if eager is not None and cow else None

    def sizes_with(self, fig, kernels=KERNELS):
        """The heap sizes at which every one of kernels measured fig."""
        return [mb for mb in self.sizes
                if all(self.value(k, fig, mb, TIME_KEYS[0]) is not None for k in kernels)]

    def typical(self, fig, key):
        """The COW kernel's median of fig's key over the heap sizes above 0."""
        values = sorted(v for v in (self.value("cow", fig, mb, key)
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


def ratio_cell(ratio):
    return "%.1fx" % ratio if ratio is not None else "-"


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


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
    """Slope of kernel's fig (key) in us per MB, over the sizes both kernels measured."""
    return slope([(mb, results.value(kernel, fig, mb, key))
                  for mb in results.sizes_with(fig)])


def fork_section(results):
    rows = [[mb, mb * PAGES_PER_MB,
             ms_cell(results, "eager", "fork_exit_wait", mb),
             ms_cell(results, "cow", "fork_exit_wait", mb),
             ratio_cell(results.ratio("fork_exit_wait", mb)),
             ratio_cell(results.ratio("fork_exit_wait", mb, "min_us"))]
            for mb in results.sizes]
    return table(["heap MB", "pages", "eager ms", "COW ms", "eager/COW (medians)",
                  "eager/COW (minimums)"], rows)


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
    return table(["heap MB", "child writes: eager ms", "child writes: COW ms",
                  "parent writes: eager ms", "parent writes: COW ms"], rows)


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
    return table(["figure", "heap MB fitted", "eager us/MB", "eager us/page",
                  "COW us/MB", "COW us/page"], rows)


def pages_section(results):
    base = results.value("cow", "fork_pages", 0, "used")
    rows = []
    for mb in results.sizes:
        used = {k: results.value(k, "fork_pages", mb, "used") for k in KERNELS}
        leaf_tables = -(-mb * PAGES_PER_MB // PTES_PER_TABLE)
        rows.append([mb, mb * PAGES_PER_MB]
                    + [used[k] if used[k] is not None else results.missing(k, "fork_pages", mb)
                       for k in KERNELS]
                    + [used["cow"] - base if used["cow"] is not None and base is not None
                       else "-", leaf_tables])
    return table(["heap MB", "heap pages", "eager: pages used", "COW: pages used",
                  "COW: more than at 0 MB", "leaf page-table pages for the heap"], rows)


def fault_section(results):
    columns = [("cow", "copy_fault", PAGE_KEYS), ("cow", "reuse_fault", PAGE_KEYS),
               ("cow", "plain_write", PAGE_KEYS), ("cow", "getpid", CALL_KEYS),
               ("eager", "copy_fault", PAGE_KEYS), ("eager", "reuse_fault", PAGE_KEYS)]
    rows = [[mb] + [pair_cell(results, k, fig, mb, keys, 1000.0) for k, fig, keys in columns]
            for mb in results.sizes if mb > 0]
    return table(["heap MB", "COW: child write (copy)", "COW: parent write (reuse)",
                  "COW: plain write", "COW: getpid", "eager: child write",
                  "eager: parent write"], rows)


def us(ns):
    return "%.1f us" % (ns / 1000.0) if ns is not None else "unmeasured"


def verdict(results):
    """The paragraphs on the lab's targets."""
    ratio = results.ratio("fork_exit_wait", TARGET_MB)
    min_ratio = results.ratio("fork_exit_wait", TARGET_MB, "min_us")
    if ratio is None:
        met = "**Not measured**: the %d MB fork has no figure on both kernels." % TARGET_MB
    elif ratio >= TARGET_RATIO:
        met = ("**Met.** Fork+exit+wait of a %d MB process is %.1fx faster with COW than "
               "with eager copying (medians; %.1fx comparing the fastest runs); the target "
               "is %dx." % (TARGET_MB, ratio, min_ratio or 0, TARGET_RATIO))
    else:
        met = ("**Not met.** Fork+exit+wait of a %d MB process is only %.1fx faster with "
               "COW (medians; %.1fx comparing the fastest runs); the target is %dx. What "
               "stands in the way is the COW kernel's per-PTE work in fork and exit (the "
               "growth table below)." % (TARGET_MB, ratio, min_ratio or 0, TARGET_RATIO))
    return "\n\n".join([met, memory_paragraph(results), timing_paragraph(results)])


def memory_paragraph(results):
    ptes = TARGET_MB * PAGES_PER_MB
    base = results.value("cow", "fork_pages", 0, "used")
    used = results.value("cow", "fork_pages", TARGET_MB, "used")
    if used is None or base is None:
        return "*Memory:* the COW kernel's fork_pages figure is missing."
    return ("*Memory:* a COW fork of the %d MB process took %d free pages, %d more than "
            "at 0 MB; the heap's %d PTEs fill %d leaf page-table pages. Apart from a page "
            "or two of noise (the parent's first stack write after fork breaks a share), "
            "a COW fork's memory grows with page-table pages only, never with the bytes "
            "of the heap." % (TARGET_MB, used, used - base, ptes, ptes // PTES_PER_TABLE))


def timing_paragraph(results):
    cow, eager = (growth(results, "fork_exit_wait", k) for k in ("cow", "eager"))
    if cow is None or eager is None or cow <= 0:
        return "*Time:* too few heap sizes were measured to fit a growth rate."
    return ("*Time:* it does not grow with page-table pages alone. COW fork+exit+wait "
            "grows by about %.0f us per MB (%.2f us per PTE), against %.0f us per MB "
            "(%.1f us per page) for eager copying: fork's uvmcopy() still visits every PTE "
            "(a look-up in the parent's leaf page-table page, a mapping in the child's and a "
            "reference count each), and exit drops every reference again. That is %.0fx less work per page "
            "than copying and freeing 4 KB, but linear in the heap's pages. Growing with "
            "page-table pages only would need the child to share the parent's leaf "
            "page-table pages themselves, which this design does not do."
            % (cow, cow / PAGES_PER_MB, eager, eager / PAGES_PER_MB, eager / cow))


def fault_paragraph(results):
    """What one fault costs, from the fastest batches (the steadiest figure)."""
    copy, reuse, plain, trap = (results.typical(fig, key) for fig, key in
                                (("copy_fault", PAGE_KEYS[1]), ("reuse_fault", PAGE_KEYS[1]),
                                 ("plain_write", PAGE_KEYS[1]), ("getpid", CALL_KEYS[1])))
    if None in (copy, reuse, plain, trap) or trap <= 0:
        return "Some per-fault figures are missing; see the table."
    traps = float(reuse - plain) / trap
    text = ("In the fastest batches (the figures a busy host disturbs least; medians over "
            "heap sizes), on the COW kernel a write that copies a shared page costs %s, "
            "a write that is the page's sole owner and only gets write permission back "
            "costs %s, a write with no fault %s, and a bare trap into the kernel and back "
            "(getpid) %s. Less the plain write, a reuse costs %.1f times that trap"
            % (us(copy), us(reuse), us(plain), us(trap), traps))
    if TRAP_LIKE[0] <= traps <= TRAP_LIKE[1]:
        text += ": the trap, not the COW bookkeeping, is its price on QEMU."
    else:
        text += "."
    if copy > reuse:
        text += (" A copy costs %s more than a reuse: a kalloc(), its junk fill and the "
                 "4 KB copy (8-byte loops in kernel/lib/string.c)." % us(copy - reuse))
    return text + (" The eager kernel pays for a copy, and one more junk fill when exit frees "
                   "the page, for every page at every fork; its write loops then take no "
                   "fault at all.")


def largest_row(results):
    """What the largest heap's fork did on each kernel."""
    mb = max(results.sizes)
    outcomes = ["%s: %s" % (k, "forked, %s ms" % ms_cell(results, k, "fork_exit_wait", mb)
                            if results.value(k, "fork_exit_wait", mb, "us") is not None
                            else results.missing(k, "fork_exit_wait", mb))
                for k in KERNELS]
    return "The %d MB row, %s." % (mb, "; ".join(outcomes))


def report(results, order, facts, quick, rounds, seconds):
    mode = "`forkbench -q` (quick mode, fewer repetitions)" if quick else "`forkbench`"
    parts = [
        "# Fork performance: copy-on-write against eager copying",
        "Generated by `tools/perf.py`; do not edit by hand. To reproduce:\n\n"
        "    %s" % REPRODUCE,
        "It builds this tree (COW fork) and the lab's starter tree (`make handout`: fork "
        "copies every page), boots each in QEMU with **CPUS=%d**, and runs %s in each, "
        "alternating the two kernels for %d rounds, so that a change in the host's load "
        "falls on both. The figures are defined at the top of `user/forkbench.c`. Times "
        "come from the `time` CSR (10 MHz), so they are wall-clock times of the emulated "
        "machine and include whatever the host takes away from QEMU: each cell is "
        "**median (minimum)** over the repetitions, each the median over the rounds, and "
        "per-page costs come from batches of pages, so preemption mostly falls outside "
        "them." % (CPUS, mode, rounds),
        table(["measured", "value"], [
            ["date", facts["date"]],
            ["host", "%s, %s CPUs (uname -m, nproc), load average %s at the start"
             % (facts["machine"], facts["cpus"], facts["load"])],
            ["QEMU", facts["qemu"]],
            ["solved tree", facts["commit"]],
            ["perf.py run time", "%.0f s" % seconds],
        ]),
        "## Verdict",
        verdict(results),
        "## fork + exit + wait",
        "The child exits at once; the parent waits for it. Heap = touched pages "
        "(sbrk, one byte written per page).",
        fork_section(results),
        largest_row(results) + " Eager copying needs a second copy of the heap, and 2 x "
        "64 MB does not fit in 128 MB of RAM; fork returns -1 and the benchmark goes on.",
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
        "The default order is the one that copies fewer pages." % (ORDER_COMMAND, CPUS),
        order_section(order),
        "## Writes after fork",
        "*Child writes*: the child writes every heap page, then exits (each write is a "
        "COW copy). *Parent writes*: the child exits at once; the parent waits, then "
        "writes every page (each is a sole-owner reuse: no copy). The times include the "
        "fork. At 64 MB the COW child's copies would not fit in memory, so forkbench "
        "skips that figure.",
        writes_section(results),
        "## Growth with heap size",
        "Least-squares slope of each time against heap size, over the sizes both kernels "
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


def main():
    parser = argparse.ArgumentParser(description="Compare fork with and without COW; "
                                     "write docs/perf.md.")
    parser.add_argument("--quick", action="store_true",
                        help="run forkbench -q (fewer repetitions), to try the script out")
    parser.add_argument("--output", default=DEFAULT_OUTPUT, help="where to write the report")
    parser.add_argument("--rounds", type=int, default=ROUNDS,
                        help="alternating runs of both kernels (default %d)" % ROUNDS)
    options = parser.parse_args()
    harness.install_signal_handlers()
    started = time.monotonic()
    facts = host_facts()
    try:
        results = Results(measure(options.quick, max(1, options.rounds)))
        progress("running %s on the COW kernel" % ORDER_COMMAND)
        order = run_order_bench()
    except (PerfError, ValueError, subprocess.TimeoutExpired) as error:
        print("perf: %s" % error, file=sys.stderr)
        return 1
    text = report(results, order, facts, options.quick, max(1, options.rounds),
                  time.monotonic() - started)
    os.makedirs(os.path.dirname(os.path.abspath(options.output)), exist_ok=True)
    with open(options.output, "w") as out:
        out.write(text)
    progress("wrote %s in %.0f s" % (options.output, time.monotonic() - started))
    return 0


if __name__ == "__main__":
    sys.exit(main())
