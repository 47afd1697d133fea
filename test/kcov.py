"""Kernel coverage: which lines of the kernel a workload executed.

kernel/kernel-cov (`make kernel/kernel-cov`) is the kernel with every C file
compiled with -fsanitize-coverage=trace-pc: each basic block starts with a
call to __sanitizer_cov_trace_pc(), and kernel/cov/cov.c sets one bit of
coverage_bits for the address that call returns to.  So:

- the sites are the calls to the hook in the kernel's code (objdump), each
  with the source line of its block (addr2line);
- after a workload, the host reads coverage_bits out of guest memory
  through QEMU's monitor (pmemsave), and a site ran if its bit is set;
- a line is executed if a site on it ran, and instrumented if it has a
  site at all.  Lines with no site (declarations, braces, code the
  compiler folded into a neighbouring block) count for neither.

record_into() makes a Machine boot the coverage kernel and save its bits
when it is killed; the harness does that for every Machine of the tree
when XV6_COVERAGE names a folder, so whole suites can be measured.
coverage_of() ORs the saved bits, and Coverage turns them into per-file
tables and an lcov tracefile for genhtml (and back: from_lcov()).
tools/coverage.py is the command-line front end (`make coverage`).

Every line make test leaves unexecuted needs a reason in
tools/unexecuted.txt (its top says how one is written); explain() pairs
lines with reasons and says which lines have none and which patterns
explain nothing.
"""

import collections
import fnmatch
import functools
import os
import re
import shutil
import socket
import sys
import tempfile
import time

from csource import function_lines
from harness import COVERAGE_KERNEL, REPO, Machine, TestFailure, cross_tool, make, scaled

KERNEL = COVERAGE_KERNEL
HOOK = "__sanitizer_cov_trace_pc"
BITS_SYMBOL = "coverage_bits"
KERNBASE = 0x80000000
SLOT_BYTES = 2                 # kernel/cov/cov.c: one bit per 2-byte slot
MONITOR_TIMEOUT = 10           # seconds for QEMU's monitor to answer
# objdump -d -l's lines: a function, a source place, an instruction.
FUNCTION = re.compile(r"^[0-9a-f]+ <(\S+)>:$")
PLACE = re.compile(r"^(/\S+|\S+\.[chS]):(\d+)(?: \(discriminator \d+\))?$")
INSTRUCTION = re.compile(r"^\s*([0-9a-f]+):\s+[0-9a-f]+\s+(\S+)\s*(.*)$")
TARGET = re.compile(r"\b([0-9a-f]+) <")
# Instructions after which a basic block ends (calls, jalr through ra, do not).
BRANCHES = frozenset("beq bne blt bge bltu bgeu beqz bnez blez bgez bltz bgtz bgt ble bgtu "
                     "bleu j jr ret mret sret".split())
JALR_BYTES = 4
BITS_SUFFIX = ".bits"          # a file of coverage_bits saved by record_into()
REASONS = os.path.join(REPO, "tools", "unexecuted.txt")
LCOV_FILE = re.compile(r"^SF:(.*)$")
LCOV_LINE = re.compile(r"^DA:(\d+),(\d+)")


def build():
    """Build the coverage kernel (make); fail, quoting make, if it does not build."""
    make(KERNEL)


def functions(kernel=KERNEL):
    """{function: [(address, mnemonic, operands, (file, line))]} of kernel's
    code, from objdump -d -l; file is relative to the tree."""
    found, current, place = {}, None, None
    for text in cross_tool("objdump", ["-d", "-l", kernel], keep=None).splitlines():
        function, where, instruction = FUNCTION.match(text), PLACE.match(text), INSTRUCTION.match(text)
        if function:
            current = found.setdefault(function.group(1), [])
        elif where:
            path = where.group(1)
            place = (os.path.relpath(path, REPO) if os.path.isabs(path) else path,
                     int(where.group(2)))
        elif instruction and current is not None and place is not None:
            current.append((int(instruction.group(1), 16), instruction.group(2),
                            instruction.group(3), place))
    return found


def blocks(instructions):
    """The basic blocks of one function: lists of its instructions, split
    after each branch and before each branch target."""
    targets = {int(match.group(1), 16) for _, mnemonic, operands, _ in instructions
               if mnemonic in BRANCHES for match in [TARGET.search(operands)] if match}
    found, block = [], []
    for instruction in instructions:
        if block and instruction[0] in targets:
            found.append(block)
            block = []
        block.append(instruction)
        if instruction[1] in BRANCHES:
            found.append(block)
            block = []
    return found + ([block] if block else [])


def site_of(block):
    """The return address of the block's call to the hook, or None."""
    for address, mnemonic, operands, _ in block:
        if mnemonic == "jalr" and ("<%s>" % HOOK) in operands:
            return address + JALR_BYTES
    return None


def line_sites(kernel=KERNEL):
    """{(file, line): [sites of the instrumented blocks with code on it]}."""
    found = collections.defaultdict(list)
    for instructions in functions(kernel).values():
        for block in blocks(instructions):
            site = site_of(block)
            if site is not None:
                for place in {instruction[3] for instruction in block}:
                    found[place].append(site)
    return found


def bits_address(kernel=KERNEL):
    """(address, size in bytes) of coverage_bits in kernel."""
    for line in cross_tool("nm", ["-S", kernel], keep=None).splitlines():
        fields = line.split()
        if len(fields) == 4 and fields[3] == BITS_SYMBOL:
            return int(fields[0], 16), int(fields[1], 16)
    raise TestFailure("%s has no %s: is it the coverage kernel?" % (kernel, BITS_SYMBOL))


class Monitor:
    """QEMU's human monitor on a unix socket (-monitor unix:PATH,server=on,wait=off)."""

    def __init__(self, path):
        self.path = path

    def option(self):
        return "-monitor unix:%s,server=on,wait=off" % self.path

    def command(self, line):
        """Send line; return what the monitor printed up to its next prompt."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.settimeout(scaled(MONITOR_TIMEOUT))
            connection.connect(self.path)
            self._until_prompt(connection)           # its greeting
            connection.sendall(line.encode() + b"\n")
            return self._until_prompt(connection).decode(errors="replace")

    @staticmethod
    def _until_prompt(connection):
        data = b""
        while not data.endswith(b"(qemu) "):
            chunk = connection.recv(4096)
            if not chunk:
                break
            data += chunk
        return data


def read_bits(monitor, address, size):
    """The bytes of guest physical memory [address, address + size)."""
    with tempfile.TemporaryDirectory(prefix="xv6-kcov-") as scratch:
        dump = os.path.join(scratch, "bits")
        monitor.command('pmemsave 0x%x %d "%s"' % (address, size, dump))
        ends = time.monotonic() + scaled(MONITOR_TIMEOUT)
        while time.monotonic() < ends:
            if os.path.exists(dump) and os.path.getsize(dump) == size:
                with open(dump, "rb") as f:
                    return f.read()
            time.sleep(0.05)
    raise TestFailure("QEMU's monitor wrote no %d bytes of coverage bits" % size)


def site_ran(bits, site):
    slot = (site - KERNBASE) // SLOT_BYTES
    return bool(bits[slot // 8] >> (slot % 8) & 1)


class Coverage:
    """Line coverage of the kernel: {file: {line: executed?}}."""

    def __init__(self, sites_by_line, bits):
        self.lines = collections.defaultdict(dict)
        for (path, number), sites in sites_by_line.items():
            self.lines[path][number] = any(site_ran(bits, site) for site in sites)

    @classmethod
    def from_lcov(cls, text):
        """The Coverage an lcov tracefile (lcov()'s) records."""
        coverage, path = cls({}, b""), None
        for line in text.splitlines():
            source, counted = LCOV_FILE.match(line), LCOV_LINE.match(line)
            if source:
                path = os.path.relpath(source.group(1), REPO)
            elif counted and path:
                coverage.lines[path][int(counted.group(1))] = counted.group(2) != "0"
        return coverage

    def unexecuted(self):
        """[(file, line)] of the instrumented lines that did not run, in order."""
        return sorted((path, number) for path, lines in self.lines.items()
                      for number, ran in lines.items() if not ran)

    def totals(self, path=None):
        """(executed lines, instrumented lines) of one file, or of them all."""
        files = [path] if path else list(self.lines)
        executed = sum(sum(self.lines[p].values()) for p in files)
        return executed, sum(len(self.lines[p]) for p in files)

    def executed(self, path, number):
        return self.lines.get(path, {}).get(number, False)

    def table(self):
        """(file, executed, instrumented, percent) rows, least covered first."""
        rows = []
        for path in self.lines:
            executed, instrumented = self.totals(path)
            rows.append((path, executed, instrumented, 100.0 * executed / instrumented))
        return sorted(rows, key=lambda row: (row[3], row[0]))

    def lcov(self, test_name):
        """The coverage as an lcov tracefile, for genhtml."""
        out = ["TN:%s" % re.sub(r"\W", "_", test_name)]
        for path in sorted(self.lines):
            out.append("SF:%s" % os.path.join(REPO, path))
            out += ["DA:%d,%d" % (number, ran) for number, ran in sorted(self.lines[path].items())]
            executed, instrumented = self.totals(path)
            out += ["LH:%d" % executed, "LF:%d" % instrumented, "end_of_record"]
        return "\n".join(out) + "\n"


@functools.lru_cache(maxsize=None)
def bits_place():
    """bits_address() of the coverage kernel, asked once per process."""
    return bits_address()


def record_into(machine, folder):
    """Make machine (not started yet) boot the coverage kernel and, when it
    is killed, save the bits that kernel set as a new file in folder."""
    scratch = tempfile.mkdtemp(prefix="xv6-kcov-")
    monitor = Monitor(os.path.join(scratch, "monitor"))
    machine.kernel = KERNEL
    machine.qemu_extra = (machine.qemu_extra + " " + monitor.option()).strip()

    def save():
        try:
            if machine.running:
                bits = read_bits(monitor, *bits_place())
                handle, path = tempfile.mkstemp(dir=folder, suffix=BITS_SUFFIX)
                with os.fdopen(handle, "wb") as f:
                    f.write(bits)
        except (OSError, TestFailure) as problem:
            print("kcov: no coverage from %s: %s" % (machine.label, problem), file=sys.stderr)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    machine.on_kill.append(save)


def merged_bits(folder):
    """The OR of every bits file in folder (all zero if there is none)."""
    merged = bytearray(bits_place()[1])
    for name in os.listdir(folder):
        if name.endswith(BITS_SUFFIX):
            with open(os.path.join(folder, name), "rb") as f:
                for index, byte in enumerate(f.read()):
                    merged[index] |= byte
    return bytes(merged)


def coverage_of(folder):
    """The Coverage of every run that left its bits in folder."""
    sites_by_line = line_sites()
    if not sites_by_line:
        raise TestFailure("%s has no call to %s: was it built with "
                          "-fsanitize-coverage=trace-pc?" % (KERNEL, HOOK))
    last = max(max(sites) for sites in sites_by_line.values())
    if (last - KERNBASE) // SLOT_BYTES >= bits_place()[1] * 8:
        raise TestFailure("the kernel's text outgrew %s (kernel/cov/cov.c)" % BITS_SYMBOL)
    return Coverage(sites_by_line, merged_bits(folder))


def measure(workload, cpus=3):
    """Boot the coverage kernel, run workload(machine) in it, and return its
    Coverage.  The kernel must be built (make kernel/kernel-cov)."""
    with tempfile.TemporaryDirectory(prefix="xv6-kcov-") as folder:
        with Machine(cpus=cpus, label="coverage") as machine:
            record_into(machine, folder)
            machine.start()
            machine.boot()
            workload(machine)
        return coverage_of(folder)


def read_reasons(path=REASONS):
    """[(reason, file pattern, function or '*', text or '')] in the file's order."""
    found, reason = [], None
    with open(path) as f:
        for number, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if line.startswith("=="):
                reason = line[2:].strip()
            elif line.strip() and not line.startswith("#"):
                fields = line.split(None, 2)
                if reason is None or len(fields) < 2:
                    raise TestFailure("%s:%d: expected '== REASON' and then 'FILE FUNCTION "
                                      "[TEXT]' lines, got %r" % (path, number, line))
                found.append((reason, fields[0], fields[1], fields[2] if len(fields) > 2 else ""))
    return found


@functools.lru_cache(maxsize=None)
def source_lines(path):
    """(the lines of kernel source path, {line number: its function})."""
    with open(os.path.join(REPO, path)) as f:
        text = f.read()
    function_at = {number: name for name, spans in function_lines(text).items()
                   for first, last in spans for number in range(first, last + 1)}
    return text.split("\n"), function_at


def unexecuted_lines(coverage):
    """[(file, line, function or '', code)] that coverage shows not executed."""
    found = []
    for path, number in coverage.unexecuted():
        lines, function_at = source_lines(path)
        found.append((path, number, function_at.get(number, ""), lines[number - 1].strip()))
    return found


def explain(lines, reasons):
    """Pair unexecuted lines (unexecuted_lines()) with reasons (read_reasons()).
    Returns ({reason: [lines]} in the reasons' order, [lines with no reason],
    [patterns that explain no line])."""
    explained = collections.OrderedDict((reason, []) for reason, _, _, _ in reasons)
    unexplained, used = [], set()
    for line in lines:
        path, _, function, code = line
        match = next((pattern for pattern in reasons
                      if fnmatch.fnmatch(path, pattern[1]) and pattern[2] in ("*", function)
                      and pattern[3] in code), None)
        if match is None:
            unexplained.append(line)
        else:
            explained[match[0]].append(line)
            used.add(match)
    return explained, unexplained, [pattern for pattern in reasons if pattern not in used]


NO_REASON = "No reason yet: add one to tools/unexecuted.txt, or a test that runs the line"
LISTED = re.compile(r"^- `([^`:]+):(\d+)`(?: in `(\w+)`)?: `(.*)`$")
REASON_HEADING = re.compile(r"^\*\*(.*)\*\* \(\d+ lines?\)$")


def unexecuted_markdown(explained, unexplained):
    """The lines explain() sorted, as docs/coverage.md lists them under
    their reasons (those with none first); listed_unexecuted() reads it."""
    out = []
    for reason, lines in [(NO_REASON, unexplained)] + list(explained.items()):
        if lines:
            out += ["", "**%s** (%d line%s)" % (reason, len(lines), "s"[len(lines) == 1:]), ""]
            out += ["- `%s:%d`%s: `%s`" % (path, number, " in `%s`" % function if function
                                           else "", code)
                    for path, number, function, code in lines]
    return "\n".join(out[1:]) + "\n"


def listed_unexecuted(markdown):
    """[((file, line, function, code), reason)] that unexecuted_markdown() listed."""
    found, reason = [], None
    for text in markdown.splitlines():
        heading, listed = REASON_HEADING.match(text), LISTED.match(text)
        if heading:
            reason = heading.group(1)
        elif listed:
            path, number, function, code = listed.groups()
            found.append(((path, int(number), function or "", code), reason))
    return found


def still_in_source(line):
    """Whether the code of an unexecuted line (path, number, function, code)
    is still a line of that function (or of the file, if none)."""
    path, _, function, code = line
    if not os.path.exists(os.path.join(REPO, path)):
        return False
    lines, function_at = source_lines(path)
    return any(text.strip() == code and function_at.get(number, "") == function
               for number, text in enumerate(lines, 1))
