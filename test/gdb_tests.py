"""gdb suite: the kernel can be debugged with gdb-multiarch through QEMU's gdb stub.

One debugging session per CPU count, shared by the tests below; each test
checks one thing about it. The session:

1. starts QEMU halted (-S) with its gdb stub on a free TCP port, as
   `make qemu-gdb` does, but through the harness (a private disk image);
2. runs gdb-multiarch in batch mode on a temporary script: .gdbinit.tmpl,
   filled in the way the Makefile's .gdbinit rule fills it, then SESSION;
3. once the shell prompt shows, types COMMAND. The shell forks; whichever of
   parent and child first writes to its stack (a page they now share
   copy-on-write; the child does before it execs echo) takes a store page
   fault, which reaches cow_resolve() from usertrap(). The breakpoint on
   cow_resolve is set only when the first typed key arrives (consoleintr),
   since init's fork at boot reaches cow_resolve too.
4. At the breakpoint gdb prints the backtrace, the faulting PTE (calling
   walk()), the same PTE through the template's ptewalk command (reading
   memory), and calls vmprint(), which prints on the console; then `kill`
   ends QEMU and gdb exits.

Cleanup: gdb is killed in a finally block if it has not exited by then, and
QEMU by Machine.kill() (the runner's, and the harness's at exit). Every wait
is bounded: a session lasts at most about BOOT_TIMEOUT + SESSION_TIMEOUT, and
after a failed session no other starts.
"""

import os
import re
import shutil
import subprocess
import tempfile

from harness import REPO, Suite, TestFailure, TestSkipped, check, scaled
from ports import free_port

suite = Suite("gdb", cpus=(1, 3), boot=False)

GDB = "gdb-multiarch"
TEMPLATE = os.path.join(REPO, ".gdbinit.tmpl")
KERNEL = os.path.join(REPO, "kernel", "kernel")
KERNEL_SYMBOLS = os.path.join(REPO, "kernel", "kernel.sym")
BREAKPOINT = "cow_resolve"
BOOT_TIMEOUT = 30        # seconds from starting QEMU to the shell prompt
SESSION_TIMEOUT = 20     # seconds from typing COMMAND to gdb's exit
CONNECT_TIMEOUT = 10     # seconds gdb keeps retrying to reach QEMU's stub
KILL_TIMEOUT = 5         # seconds to wait for a killed gdb
COMMAND = "echo cow"

# Before the template: no pager or questions in batch mode; let
# `target remote` retry while QEMU is still opening its port.
PREAMBLE = """set pagination off
set confirm off
set tcp auto-retry on
set tcp connect-timeout %d
""" % scaled(CONNECT_TIMEOUT)

# After the template (which has connected to QEMU). At the breakpoint,
# pagetable and va are cow_resolve's arguments. The backtrace stops at four
# frames: beyond usertrap lies the trampoline, where older gdb (10, Debian
# 11) keeps unwinding until the session times out.
SESSION = r"""
tbreak consoleintr
continue
break """ + BREAKPOINT + r"""
continue
backtrace 4
"""
# The part that runs kernel functions from gdb.
CALLS = r"""
printf "fault pagetable 0x%lx va 0x%lx pte 0x%lx\n", pagetable, va, *walk(pagetable, va, 0)
ptewalk pagetable va
call vmprint(myproc()->pagetable)
"""
# gdb 10 (Debian 11) reads every register, fflags included, before it calls a
# function; QEMU refuses that read while the FPU is off, and the call hangs
# or fails. gdb 13 (Debian 12) calls them; 11 and 12 were not tried.
OLDEST_GDB_THAT_CALLS = 13

FAULT = re.compile(r"(?m)^fault pagetable 0x([0-9a-f]+) va 0x([0-9a-f]+) pte 0x([0-9a-f]+)$")
PTEWALK = re.compile(r"(?m)^va 0x([0-9a-f]+): pte 0x([0-9a-f]+) pa 0x[0-9a-f]+ \(level 0\)$")
FRAME = re.compile(r"(?m)^#\d+\s+(?:0x[0-9a-f]+ in )?(\w+) \(")
VMPRINT_HEADER = re.compile(r"(?m)^page table 0x([0-9a-f]+)$")
PAGE_SIZE = 4096
# A leaf line of vmprint: " .. .. ..9: pte 0x... pa 0x... va 0x9000 [VRU C]".
VMPRINT_LEAF = r"(?m)^(?: \.\.)+\d+: pte 0x([0-9a-f]+) pa 0x[0-9a-f]+ va 0x%x \[([A-Z ]*)\]$"

_sessions = {}           # cpus -> (gdb output, console output), or its TestFailure
_gdb_major = []          # the installed gdb's major version, once asked


def gdb_major():
    """The major version of the installed gdb (0 if it does not say)."""
    if not _gdb_major:
        out = subprocess.run([GDB, "--version"], capture_output=True, text=True).stdout
        found = re.search(r"(\d+)\.\d+", out.splitlines()[0] if out else "")
        _gdb_major.append(int(found.group(1)) if found else 0)
    return _gdb_major[0]


def gdb_calls_work():
    return gdb_major() >= OLDEST_GDB_THAT_CALLS


def needs_calls():
    """Skip a test that calls kernel functions from gdb, on a gdb that cannot."""
    if not gdb_calls_work():
        raise TestSkipped("gdb %d cannot call kernel functions on QEMU (it reads fflags, which "
                          "QEMU refuses while the FPU is off); gdb %d or newer can"
                          % (gdb_major(), OLDEST_GDB_THAT_CALLS))


def kernel_defines(symbol):
    """Whether kernel/kernel.sym (the kernel's `nm -n`) lists symbol."""
    try:
        with open(KERNEL_SYMBOLS) as symbols:
            return any(line.split()[-1:] == [symbol] for line in symbols)
    except OSError:
        return False


def gdb_script(port):
    """The session's gdb commands: PREAMBLE, the filled-in template, SESSION."""
    with open(TEMPLATE) as template:
        text = template.read()
    for name, value in (("GDBPORT", str(port)), ("KERNEL", KERNEL), ("REPO", REPO)):
        text = text.replace("@%s@" % name, value)
    return PREAMBLE + text + SESSION + (CALLS if gdb_calls_work() else "") + "kill\n"


def run_session(m, directory):
    """Boot m under gdb, type COMMAND, and return (gdb output, console output)."""
    port = free_port()
    script = os.path.join(directory, "gdbinit")
    log_path = os.path.join(directory, "gdb.out")
    with open(script, "w") as out:
        out.write(gdb_script(port))
    m.qemu_extra = "-S -gdb tcp::%d" % port
    m.start()
    gdb = None
    problem = None
    try:
        with open(log_path, "w") as log:
            gdb = subprocess.Popen([GDB, "-batch", "-nx", "-x", script], cwd=REPO,
                                   stdin=subprocess.DEVNULL, stdout=log,
                                   stderr=subprocess.STDOUT)
        m.boot(BOOT_TIMEOUT)
        m.send_line(COMMAND)
        gdb.wait(timeout=scaled(SESSION_TIMEOUT))
    except subprocess.TimeoutExpired:
        problem = "gdb did not finish within %gs of typing `%s`" % (scaled(SESSION_TIMEOUT),
                                                                   COMMAND)
    except TestFailure as failure:
        problem = str(failure)
    finally:
        if gdb is not None and gdb.poll() is None:
            gdb.kill()
            gdb.wait(timeout=scaled(KILL_TIMEOUT))
        m.kill()                                  # also waits for the console reader
    with open(log_path) as log:
        output = log.read()
    check(problem is None, "%s; gdb printed:\n%s" % (problem, output))
    return output, m.output


def session(m):
    """The (gdb output, console output) of m's CPU count, from the first test that asks.

    A session that failed fails every test that asks for it, without a rerun,
    and no other session starts after it: at most one session runs into its
    timeouts, which keeps a broken kernel from holding up `make test`.
    """
    failed = [cpus for cpus, result in _sessions.items() if isinstance(result, TestFailure)]
    if m.cpus not in _sessions and failed:
        raise TestFailure("not run: the gdb session with cpus=%d failed" % failed[0])
    if m.cpus not in _sessions:
        directory = tempfile.mkdtemp(prefix="xv6-gdb-")
        try:
            check(shutil.which(GDB) is not None,
                  "%s is not installed (tools/setup.sh installs it)" % GDB)
            check(kernel_defines(BREAKPOINT),
                  "kernel/kernel has no %s() for gdb to stop in (the COW lab's "
                  "starter, before the lab is done?)" % BREAKPOINT)
            _sessions[m.cpus] = run_session(m, directory)
        except TestFailure as failure:
            _sessions[m.cpus] = failure
        finally:
            shutil.rmtree(directory, ignore_errors=True)
    result = _sessions[m.cpus]
    if isinstance(result, TestFailure):
        raise result
    return result


def fault(gdb_output):
    """(pagetable, va, pte) that gdb printed at the breakpoint, as numbers."""
    match = FAULT.search(gdb_output)
    if match is None:
        raise TestFailure("expected gdb to print the faulting PTE at cow_resolve; "
                          "gdb printed:\n%s" % gdb_output)
    return tuple(int(number, 16) for number in match.groups())


def vmprint_leaf(console, va):
    """(pte, flags) of vmprint's line for the page holding va on the console
    (cow_resolve's va is the faulting address itself; vmprint names pages)."""
    match = re.search(VMPRINT_LEAF % (va & ~(PAGE_SIZE - 1)), console)
    if match is None:
        raise TestFailure("expected vmprint to print a line for va 0x%x; console:\n%s"
                          % (va, console[-2000:]))
    return int(match.group(1), 16), match.group(2)


@suite.test
def breakpoint_in_cow_resolve_is_reached_from_usertrap(m):
    gdb_output, _ = session(m)
    frames = FRAME.findall(gdb_output)
    check("cow_resolve" in frames and "usertrap" in frames,
          "expected a backtrace through cow_resolve and usertrap after `%s`, "
          "got frames %s; gdb printed:\n%s" % (COMMAND, frames, gdb_output))


@suite.test
def vmprint_called_from_gdb_shows_a_cow_page(m):
    needs_calls()
    gdb_output, console = session(m)
    pagetable, va, _ = fault(gdb_output)
    headers = [int(h, 16) for h in VMPRINT_HEADER.findall(console)]
    check(pagetable in headers,
          "expected `call vmprint(myproc()->pagetable)` to print 'page table 0x%x', "
          "got headers %s" % (pagetable, [hex(h) for h in headers]))
    _, flags = vmprint_leaf(console, va)
    check("C" in flags and "W" not in flags,
          "expected vmprint to show the faulting page 0x%x as COW and read-only "
          "(flags with C, without W), got [%s]" % (va, flags))


@suite.test
def walk_called_from_gdb_agrees_with_vmprint(m):
    needs_calls()
    gdb_output, console = session(m)
    _, va, pte = fault(gdb_output)
    printed, _ = vmprint_leaf(console, va)
    check(pte == printed,
          "expected walk() from gdb and vmprint to show the same PTE for va 0x%x, "
          "got 0x%x and 0x%x" % (va, pte, printed))


@suite.test
def ptewalk_command_agrees_with_walk(m):
    needs_calls()
    gdb_output, _ = session(m)
    _, va, pte = fault(gdb_output)
    match = PTEWALK.search(gdb_output)
    check(match is not None and (int(match.group(1), 16), int(match.group(2), 16)) == (va, pte),
          "expected `ptewalk pagetable va` to print va 0x%x: pte 0x%x (level 0); "
          "gdb printed:\n%s" % (va, pte, gdb_output))
