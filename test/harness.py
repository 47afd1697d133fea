"""Boot the kernel in QEMU and drive its console, for the test suites.

Machine runs one QEMU. Its command line comes from `make print-qemu-cmd`, so
the Makefile stays the only place that spells the QEMU options. Each machine
boots from a private copy of fs.img, so every boot starts from the same disk,
unless it is given an image path (a crash-recovery test boots twice on one
image). A reader thread appends everything QEMU prints to a buffer, and to
the transcript file xv6.out (and, if asked, to an echo stream such as the
grader's stdout under -v); expect() waits on that buffer.

Console: `-nographic` alone puts QEMU's monitor on stdio too, multiplexed
with the serial port, and takes Ctrl-A as its escape key. The harness adds
`-monitor none` (through the Makefile's QEMUEXTRA), which leaves the serial
port alone on stdio: every byte written reaches the UART unchanged, and the
kernel's output arrives on QEMU's stdout.

Confined code: make() and Machine take a runner (a test/sandbox.py
confinement, for a submission's tree) that starts the build or QEMU in
place of subprocess. What the harness keeps of their output is bounded
either way: the last OUTPUT_TAIL_BYTES of a build, and MAX_CONSOLE_CHARS
of a console (a kernel that prints more is stopped, and expect() says so).

Cleanup invariant: a started QEMU stays in _live until kill() has SIGKILLed
and reaped it. _cleanup() kills whatever is left at interpreter exit and on
SIGINT or SIGTERM, so no QEMU outlives the test run.

Suites: a test module creates a Suite and registers functions on it with
@suite.test; test/run.py imports every test/*_tests.py and runs SUITES.

Building: make() runs make in a tree and turns a failure into a
TestFailure quoting the end of its output; make_print() reads a print-*
target. Both leave out what an enclosing make passes down.

Time limits: every limit in the harness, the grader and the suites is
multiplied by XV6_TIME_SCALE (default 1), where the limit is enforced
(scaled(), deadline()), so a slow machine can grade and test with, say,
XV6_TIME_SCALE=3. Numbers in failure messages are the scaled ones.
"""

import atexit
import codecs
import os
import re
import selectors
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

TEST_DIR = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(TEST_DIR)
FS_IMAGE = os.path.join(REPO, "fs.img")
TRANSCRIPT = os.path.join(REPO, "xv6.out")
FSCK = os.path.join(REPO, "mkfs", "fsck")
KERNEL = "kernel/kernel"            # the kernels a tree builds, relative to it
RACE_KERNEL = "kernel/kernel-race"  # with the race watcher (docs/races.md)
COVERAGE_KERNEL = "kernel/kernel-cov"  # with coverage bits (test/kcov.py)
# `make coverage` (tools/coverage.py) names a folder here: then each Machine
# of this tree that would boot KERNEL (and is not under gdb) boots the
# coverage kernel instead, and leaves what it executed in that folder when
# killed (test/kcov.py).
COVERAGE_FOLDER = os.environ.get("XV6_COVERAGE")
PLATFORM_VARIABLE = "XV6_PLATFORM_RUN"   # names the release tools/platform-test.py runs on
LARGEST_COUNT_VARIABLE = "XV6_LARGEST_COUNT_ONLY"   # its --largest-count-only
PLATFORM_RUN = os.environ.get(PLATFORM_VARIABLE)

PROMPT = "$ "
BOOT_TIMEOUT = 60        # seconds from starting QEMU to the first prompt
COMMAND_TIMEOUT = 30     # seconds for a shell command, unless a test says more
KILL_TIMEOUT = 10        # seconds to wait for a killed QEMU to be reaped
EXIT_WAIT = 2            # seconds to wait for a QEMU whose console closed to be reaped
MAKE_TIMEOUT = 60        # seconds for `make print-qemu-cmd`
BUILD_TIMEOUT = 1800     # seconds for a build (it may install the toolchain)
BUILD_TAIL_LINES = 25    # lines of a failed build's output quoted
REASON_INDENT = "    "   # indents quoted output under a failure reason
FSCK_TIMEOUT = 30        # seconds for one fsck run
AUDIT_TIMEOUT = 60       # seconds for the kernel self-audit
TAIL_CHARS = 1200        # console characters quoted in a failure message
# test/run.py's last line, `N passed, N failed[, N skipped]`.
SUMMARY = re.compile(r"(?m)^((\d+) passed, (\d+) failed(?:, (\d+) skipped)?)$")
READ_CHUNK = 4096
OUTPUT_TAIL_BYTES = 64 << 10   # of a build's output kept for its failure message
MAX_CONSOLE_CHARS = 8 << 20    # console text kept; a kernel printing more is stopped
CONSOLE_ONLY_OPTIONS = "-monitor none"
PANIC = re.compile(r"(?m)^panic: ")
PANIC_QUIET = 0.5        # seconds of silence after a panic that end its backtrace
PANIC_WAIT = 3           # seconds at most spent reading a panic's backtrace
PANIC_LINES = 24         # lines of a panic (its line and backtrace) quoted
BACKTRACE_ADDRESS = re.compile(r"^\s+(0x[0-9a-f]+)$")   # a line of the kernel's backtrace
ADDR2LINE_TIMEOUT = 10   # seconds to symbolize a backtrace
TOOL_TIMEOUT = 120       # seconds for a cross tool (objdump, nm) on the whole kernel
# Variables by which an enclosing `make test` would pass its jobserver and
# flags to our own `make print-qemu-cmd`.
MAKE_ENVIRONMENT = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")
TIME_SCALE_VARIABLE = "XV6_TIME_SCALE"


class TestFailure(AssertionError):
    """A test's expectation was not met; the message says what and why."""


class TestSkipped(Exception):
    """A test cannot run on this machine (a tool it needs is missing or too
    old); the message says what was found and what the test needs."""


# --- Time limits --------------------------------------------------------------

def _time_scale():
    text = os.environ.get(TIME_SCALE_VARIABLE, "1")
    try:
        scale = float(text)
    except ValueError:
        scale = 0
    if not scale > 0:
        sys.exit("%s must be a positive number (the factor for every time limit), not %r"
                 % (TIME_SCALE_VARIABLE, text))
    return scale


TIME_SCALE = _time_scale()


def scaled(seconds):
    """A time limit of seconds, on this machine: times XV6_TIME_SCALE."""
    return seconds * TIME_SCALE


def deadline(seconds):
    """The time.monotonic() at which a limit of seconds (scaled) runs out."""
    return time.monotonic() + scaled(seconds)


def check(condition, message):
    """Fail the current test with message unless condition holds."""
    if not condition:
        raise TestFailure(message)


def expect_line(output, line, command):
    """Fail unless output (of command) has line as one of its lines."""
    check(line in output.splitlines(),
          "expected the line %r from `%s`, got %r" % (line, command, output))


# --- Cleanup ------------------------------------------------------------------

_live = set()             # started machines not yet killed
_scratch = []             # at most one temporary directory, for disk images
_signals_installed = False


def _cleanup(wait=True):
    """Kill every live machine; with wait, also reap it and remove scratch images."""
    for machine in list(_live):
        machine.kill(wait=wait)
    if wait:
        for directory in _scratch:
            shutil.rmtree(directory, ignore_errors=True)


atexit.register(_cleanup)


def _on_signal(signum, frame):
    # The interrupted code may hold a machine's lock, so do not wait here;
    # the exit that follows runs _cleanup() again, which does.
    _cleanup(wait=False)
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    sys.exit(128 + signum)


def install_signal_handlers():
    """Make SIGINT and SIGTERM kill every live machine first (main thread only)."""
    global _signals_installed
    if _signals_installed or threading.current_thread() is not threading.main_thread():
        return
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _on_signal)
    _signals_installed = True


def header_number(header, name):
    """The number a kernel header (a path relative to the tree) gives name
    with a plain `#define NAME NUMBER`, decimal or hex."""
    with open(os.path.join(REPO, header)) as f:
        found = re.search(r"(?m)^#define\s+%s\s+(0x[0-9a-fA-F]+|\d+)\b" % re.escape(name),
                          f.read())
    if found is None:
        raise ValueError("%s defines no number %s" % (header, name))
    return int(found.group(1), 0)


def fresh_image(source=FS_IMAGE):
    """Return the path of a new private copy of source (fs.img by default).

    The copy lives in a temporary directory removed when the test run ends.
    """
    if not _scratch:
        _scratch.append(tempfile.mkdtemp(prefix="xv6-test-"))
    handle, path = tempfile.mkstemp(suffix=".img", dir=_scratch[0])
    os.close(handle)
    shutil.copyfile(source, path)
    return path


NOT_COPIED = shutil.ignore_patterns(".git", "__pycache__")


def copy_tree(source, destination):
    """Copy the tree at source (not its .git or Python caches) to the new destination."""
    shutil.copytree(source, destination, symlinks=True, ignore=NOT_COPIED)
    return destination


def fsck(image):
    """Run mkfs/fsck on image; return (clean, output)."""
    result = subprocess.run([FSCK, image], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            timeout=scaled(FSCK_TIMEOUT))
    # A damaged directory can hold any bytes, and fsck prints its names.
    return result.returncode == 0, result.stdout.decode("utf-8", "replace")


def reset_transcript():
    """Start an empty xv6.out; machines append their console output to it."""
    open(TRANSCRIPT, "wb").close()


def make_environment():
    """os.environ without what an enclosing make passes to its sub-makes."""
    return {name: value for name, value in os.environ.items()
            if name not in MAKE_ENVIRONMENT}


def make_print(target, *assignments):
    """What `make -s TARGET ASSIGNMENTS...` prints (a print-* target), stripped."""
    result = subprocess.run(
        ["make", "-s", "--no-print-directory", target] + list(assignments),
        cwd=REPO, env=make_environment(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        universal_newlines=True, timeout=scaled(MAKE_TIMEOUT))
    if result.returncode != 0:
        raise TestFailure("`make %s` failed: %s" % (target, result.stderr.strip()))
    return result.stdout.strip()


def last_lines(text, count=8):
    """The last count lines of text, for a failure message."""
    return "\n".join(text.strip().splitlines()[-count:])


def run(command, cwd, timeout, **environment):
    """Run command in cwd with make_environment() and environment, for at most
    timeout seconds (scaled); return (exit status, output and errors)."""
    variables = make_environment()
    variables.update(environment)
    result = subprocess.run(command, cwd=cwd, env=variables, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, universal_newlines=True,
                            timeout=scaled(timeout))
    return result.returncode, result.stdout


def start(command, cwd, runner=None, **streams):
    """subprocess.Popen(command, cwd=cwd, **streams), with make_environment(),
    through runner (a sandbox.py confinement) when one is given."""
    if runner is None:
        return subprocess.Popen(command, cwd=cwd, env=make_environment(), **streams)
    return runner.popen(command, cwd, make_environment(), **streams)


def run_with_tail(command, cwd, timeout, runner=None, keep=OUTPUT_TAIL_BYTES):
    """Run command (output and errors together) for at most timeout seconds
    (scaled); return (exit status, or None if it ran out of time, the last
    keep bytes of its output as text, or all of it with keep None). With
    keep, memory stays bounded however much it prints."""
    process = start(command, cwd, runner, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT)
    ends = deadline(timeout)
    tail = bytearray()
    with process, selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while True:
            remaining = ends - time.monotonic()
            if remaining <= 0 or not selector.select(remaining):
                process.kill()
                process.wait()
                return None, text_of(tail, keep)
            chunk = os.read(process.stdout.fileno(), READ_CHUNK)
            if not chunk:
                break
            tail += chunk
            if keep is not None and len(tail) > 2 * keep:   # trimmed now and then: linear time
                del tail[:-keep]
        return process.wait(), text_of(tail, keep)


def text_of(output, keep):
    """The last keep bytes of output (all with keep None), as text."""
    return bytes(output if keep is None else output[-keep:]).decode("utf-8", "replace")


def cross_tool(name, arguments, tree=REPO, runner=None, keep=OUTPUT_TAIL_BYTES,
               timeout=TOOL_TIMEOUT):
    """The output of the tree's cross tool name (objdump, nm, addr2line) run
    with arguments in tree, through runner (a sandbox.py confinement) if
    given: its last keep bytes, or all with keep None. TestFailure if it
    fails or runs out of time."""
    command = [make_print("print-toolprefix") + name] + list(arguments)
    status, output = run_with_tail(command, tree, timeout, runner, keep)
    if status != 0:
        what = "failed" if status else "ran too long"
        raise TestFailure("`%s` %s: %s" % (" ".join(command), what, output[-TAIL_CHARS:].strip()))
    return output


def make(*arguments, tree=REPO, timeout=BUILD_TIMEOUT, runner=None):
    """Run `make -s -jN ARGUMENTS...` in tree (through runner, if given);
    raise TestFailure quoting the end of its output if it fails or runs out
    of time.

    -s: on failure, the quoted tail is the errors, not the compile commands.
    """
    command = ["make", "-s", "-j%d" % (os.cpu_count() or 1)] + list(arguments)
    where = "" if tree == REPO else " in " + tree
    status, output = run_with_tail(command, tree, timeout, runner)
    if status is None:
        raise TestFailure("`%s`%s ran longer than %gs" % (" ".join(command), where,
                                                          scaled(timeout)))
    if status != 0:
        tail = output.rstrip().splitlines()[-BUILD_TAIL_LINES:]
        raise TestFailure("`%s`%s failed (exit status %d):\n%s" % (
            " ".join(command), where, status,
            "\n".join(REASON_INDENT + line for line in tail)))


def qemu_command(cpus, fs_image, extra="", kernel=KERNEL):
    """The QEMU argument list for cpus harts and disk fs_image, from the Makefile.

    extra: more QEMU options, as one string (for example "-gdb tcp::26000");
    kernel: the kernel to boot, relative to the tree (KERNEL or RACE_KERNEL).
    """
    options = (CONSOLE_ONLY_OPTIONS + " " + extra).strip()
    return shlex.split(make_print("print-qemu-cmd", "CPUS=%d" % cpus, "KERNEL=" + kernel,
                                  "FSIMG=" + fs_image, "QEMUEXTRA=" + options))


# --- Machine ------------------------------------------------------------------

class Machine:
    """One QEMU running the kernel, with its console as a growing text buffer.

    The text has carriage returns removed. expect() searches it from a
    cursor that each successful match moves past the match, so a test reads
    the console in order, like a person watching it.
    """

    def __init__(self, cpus=3, fs_image=None, label="xv6", qemu_extra="", echo=None,
                 tree=REPO, runner=None, kernel=KERNEL):
        self.cpus = cpus
        self.fs_image = fs_image if fs_image is not None else fresh_image()
        self.tree = tree                # QEMU's folder: the kernel is found there
        self.kernel = kernel            # relative to tree
        self.runner = runner            # a sandbox.py confinement for QEMU, or None
        self.label = label
        self.qemu_extra = qemu_extra    # more QEMU options, one string
        self.echo = echo                # binary stream that also gets the console, or None
        self.cursor = 0
        self.boot_seconds = None
        self._changed = threading.Condition()   # guards _text and _eof
        self._text = ""
        self._eof = False
        self._flooded = False           # it printed more than MAX_CONSOLE_CHARS: stopped
        self._process = None
        self._reader = None
        self._started_at = None
        self.on_kill = []               # functions called with QEMU still running, at kill()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.kill()

    @property
    def started(self):
        return self._process is not None

    def start(self):
        """Start QEMU. The console is read from now on; nothing is awaited."""
        assert not self.started, "a Machine is started only once"
        # A machine under gdb keeps its kernel (gdb reads kernel/kernel's
        # symbols), and so does one of a tree without the coverage kernel:
        # a grader's copy, whose harness sees XV6_COVERAGE too.
        if (COVERAGE_FOLDER and self.kernel == KERNEL and self.tree == REPO
                and "-gdb" not in self.qemu_extra
                and os.path.exists(os.path.join(self.tree, COVERAGE_KERNEL))):
            import kcov                 # here: kcov itself builds on this module
            kcov.record_into(self, COVERAGE_FOLDER)
        command = qemu_command(self.cpus, self.fs_image, self.qemu_extra, self.kernel)
        transcript = open(TRANSCRIPT, "ab")
        transcript.write(("\n===== %s: %s =====\n" % (self.label, " ".join(command))).encode())
        install_signal_handlers()
        self._started_at = time.monotonic()
        self._process = start(command, self.tree, self.runner, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        _live.add(self)
        self._reader = threading.Thread(target=self._read_console, args=(transcript,),
                                        name="console " + self.label, daemon=True)
        self._reader.start()
        return self

    def boot(self, timeout=BOOT_TIMEOUT):
        """Start QEMU if needed and wait for the shell's first prompt; return seconds taken."""
        if not self.started:
            self.start()
        self.expect(re.escape(PROMPT), timeout, "the first shell prompt")
        self.boot_seconds = time.monotonic() - self._started_at
        return self.boot_seconds

    def _read_console(self, transcript):
        # Runs on the reader thread, which owns the transcript file. Signals
        # are left to the main thread, whose handlers kill the machines.
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        descriptor = self._process.stdout.fileno()
        while True:
            try:
                chunk = os.read(descriptor, READ_CHUNK)
            except OSError:
                chunk = b""
            transcript.write(chunk)
            transcript.flush()
            self._echo(chunk)
            text = decoder.decode(chunk, final=not chunk).replace("\r", "")
            with self._changed:
                self._flooded = len(self._text) + len(text) > MAX_CONSOLE_CHARS
                if not self._flooded:
                    self._text += text
                self._eof = not chunk or self._flooded
                self._changed.notify_all()
            if self._eof:
                if self._flooded:
                    self._process.kill()
                transcript.close()
                return

    def _echo(self, chunk):
        # A closed echo stream (say, the grader piped into head) only stops the echo.
        if self.echo is None:
            return
        try:
            self.echo.write(chunk)
            self.echo.flush()
        except (OSError, ValueError):
            self.echo = None

    @property
    def output(self):
        """Everything the console has shown so far."""
        with self._changed:
            return self._text

    def tail(self, chars=TAIL_CHARS):
        """The last chars characters of the console, for failure messages."""
        return self.output[-chars:]

    def _ending(self):
        """How QEMU ended, once its console closed: "exited with status 1",
        "was killed by SIGKILL" (a wrapper's status 128+N is read as signal N)."""
        try:
            status = self._process.wait(timeout=scaled(EXIT_WAIT))
        except subprocess.TimeoutExpired:
            return "closed its console"
        signal_number = -status if status < 0 else status - 128 if status > 128 else 0
        try:
            return "was killed by %s" % signal.Signals(signal_number).name
        except ValueError:
            return "exited with status %d" % status

    def _failure(self, problem):
        failure = TestFailure("%s; console tail:\n%s" % (problem, self.tail()))
        failure.problem = problem          # the message without the tail
        return failure

    def _panic_text(self, start):
        """The panic that begins at start: its line and the backtrace after
        it, read until the console falls quiet. Called holding _changed."""
        ends = time.monotonic() + scaled(PANIC_WAIT)
        while not self._eof and time.monotonic() < ends:
            length = len(self._text)
            self._changed.wait(PANIC_QUIET)
            if len(self._text) == length:
                break
        lines = self._text[start:].rstrip().splitlines()[:PANIC_LINES]
        return "\n".join(REASON_INDENT + line for line in self._symbolized(lines))

    def _symbolized(self, lines):
        """lines, with each backtrace address followed by the function and
        file:line the kernel gives it (code_places()); the lines as they
        were if it cannot say."""
        addresses = [match.group(1) for match in map(BACKTRACE_ADDRESS.match, lines) if match]
        named = self.code_places(addresses)
        return [line if BACKTRACE_ADDRESS.match(line) is None
                else "%s %s" % (line, named[BACKTRACE_ADDRESS.match(line).group(1)])
                for line in lines] if named else lines

    def _kernel_tool(self, name, arguments):
        """cross_tool on the booted kernel, run the way the tree's own code
        runs (confined, for a submission); its output, or None if it failed."""
        try:
            return cross_tool(name, arguments, self.tree, self.runner, timeout=ADDR2LINE_TIMEOUT)
        except (OSError, TestFailure):
            return None

    def code_places(self, addresses):
        """{address: "function at file:line"} for return addresses (hex
        strings) in the booted kernel, by addr2line; {} if it cannot say."""
        if not addresses:
            return {}
        # A return address follows its call; one byte back is inside the call.
        output = self._kernel_tool("addr2line", ["-f", "-p", "-e", self.kernel] + [
            "0x%x" % (int(address, 16) - 1) for address in addresses])
        places = [place.replace(self.tree + os.sep, "").split(" (discriminator")[0]
                  for place in (output or "").splitlines()]
        return dict(zip(addresses, places)) if len(places) == len(addresses) else {}

    def data_symbols(self):
        """[(start, size, name)] of the booted kernel's data objects, by nm;
        [] if it cannot say."""
        output = self._kernel_tool("nm", ["-S", "-n", self.kernel]) or ""
        found = (re.match(r"([0-9a-f]+) ([0-9a-f]+) [bBdDrR] (\S+)$", line)
                 for line in output.splitlines())
        return [(int(m.group(1), 16), int(m.group(2), 16), m.group(3)) for m in found if m]

    def expect(self, pattern, timeout=COMMAND_TIMEOUT, what=None, until=None):
        """Wait for pattern (a regex) after the cursor; return the match.

        Waits timeout seconds (scaled), or until the time.monotonic() until
        if given (a limit shared by several waits, from deadline()). Moves
        the cursor past the match. Raises TestFailure, quoting the end of
        the console, on timeout, on a kernel panic, or if QEMU exits.
        """
        regex = re.compile(pattern)
        what = what or repr(regex.pattern)
        ends = deadline(timeout) if until is None else until
        limit = round(ends - time.monotonic(), 1)      # for the message
        with self._changed:
            while True:
                match = regex.search(self._text, self.cursor)
                if match:
                    self.cursor = match.end()
                    return match
                panic = PANIC.search(self._text)
                if panic:
                    raise self._failure("kernel panic while waiting for %s:\n%s"
                                        % (what, self._panic_text(panic.start())))
                if self._flooded:
                    raise self._failure("the kernel printed more than %d MB on the console "
                                        "while we waited for %s; QEMU was stopped"
                                        % (MAX_CONSOLE_CHARS >> 20, what))
                if self._eof:
                    raise self._failure("QEMU %s while waiting for %s" % (self._ending(), what))
                remaining = ends - time.monotonic()
                if remaining <= 0:
                    raise self._failure("timed out after %gs waiting for %s"
                                        % (max(0, limit), what))
                self._changed.wait(remaining)

    def settle(self, quiet=0.3, timeout=COMMAND_TIMEOUT):
        """Wait until the console has printed nothing for quiet seconds."""
        ends = deadline(timeout)
        with self._changed:
            while time.monotonic() < ends:
                length = len(self._text)
                self._changed.wait(quiet)
                if len(self._text) == length:
                    return
        raise self._failure("console still busy after %gs" % scaled(timeout))

    def send(self, text):
        """Type text on the console, in one write."""
        if not self.started:
            raise TestFailure("cannot type %r: the machine was never started" % text)
        try:
            self._process.stdin.write(text.encode())
            self._process.stdin.flush()
        except (OSError, ValueError):
            raise self._failure("cannot type %r: QEMU is not running" % text)

    def send_line(self, text):
        """Type text and Enter."""
        self.send(text + "\n")

    def run(self, command, timeout=COMMAND_TIMEOUT):
        """Type command at the shell prompt; return what it printed before the next prompt.

        Assumes the shell is at a prompt and that nothing else prints while
        the command line is echoed (wait for background jobs with expect()
        or settle() first).
        """
        ends = deadline(timeout)
        self.send_line(command)
        self.expect(re.escape(command + "\n"), what="the echo of `%s`" % command, until=ends)
        start = self.cursor
        prompt = self.expect(re.escape(PROMPT), what="the prompt after `%s`" % command,
                             until=ends)
        return self.output[start:prompt.start()]

    @property
    def running(self):
        """Whether QEMU was started and has not exited or been killed."""
        with self._changed:
            return self in _live and not self._eof

    def audit(self):
        """Run the kernel self-audit (`audit`) at the prompt; return its summary line.

        Raises TestFailure quoting every line the kernel printed about a bad
        page (its count, what was expected, its mappers) if the audit fails.
        """
        out = self.run("audit", timeout=AUDIT_TIMEOUT)
        clean = re.search(r"(?m)^audit: clean.*$", out)
        if clean is None:
            raise TestFailure("the kernel self-audit found reference counts wrong:\n%s"
                              % out.strip())
        return clean.group()

    def signal(self, number):
        """Send QEMU signal number, as the host might (a limit it went past)."""
        self._process.send_signal(number)

    def kill(self, wait=True):
        """SIGKILL QEMU; with wait, also reap it and let the reader finish. Idempotent."""
        process = self._process
        if process is None or self not in _live:
            return
        for call in self.on_kill:
            call()
        try:
            process.kill()
        except OSError:
            pass                                  # already reaped
        if not wait:
            return                                # still in _live: reaped at exit
        _live.discard(self)
        try:
            process.wait(timeout=scaled(KILL_TIMEOUT))
        except subprocess.TimeoutExpired:
            print("harness: QEMU pid %d survived SIGKILL" % process.pid, file=sys.stderr)
        self._reader.join(timeout=scaled(KILL_TIMEOUT))
        for pipe in (process.stdin, process.stdout):
            try:
                pipe.close()
            except OSError:
                pass


def tree_machine(tree, cpus, label):
    """A Machine, not yet booted, that boots the kernel built in another
    tree (a copy built with other options) on a fresh copy of its fs.img.
    QEMU runs in that tree, so a panic's backtrace is looked up in its
    kernel, and coverage is not recorded (its kernel is not kernel-cov's)."""
    return Machine(cpus=cpus, fs_image=fresh_image(os.path.join(tree, "fs.img")), label=label,
                   tree=tree)


# --- Suites -------------------------------------------------------------------

SUITES = []               # every Suite created, in creation order


class Suite:
    """A named list of tests, run once for each CPU count in cpus.

    With boot=True the runner boots one machine per CPU count and passes it
    to each test in turn; each test must leave the shell at a prompt in the
    root directory. After a failed test the runner boots a fresh machine for
    the next one. With boot=False each test gets its own unstarted Machine
    (cpus set, fresh image) and boots it, or others on its fs_image, itself.

    After a booting suite's tests, the runner runs the kernel self-audit on
    the machine, reported as the test SUITE/cpus=N/audit.  A suite that does
    not boot asks for the same after each of its tests with audit=True (the
    test must leave its machine at a shell prompt, or kill it).

    A test is a function taking the Machine. It fails by raising (use
    check(), or TestFailure, with a message saying what was expected and
    what happened); it may return a short note to print after PASS.
    """

    def __init__(self, name, cpus=(1, 3), boot=True, boot_timeout=BOOT_TIMEOUT, audit=False,
                 host_only=False):
        self.name = name
        self.host_only = host_only
        self.audit = boot or audit
        self.cpus = tuple(cpus)
        self.boot = boot
        self.boot_timeout = boot_timeout
        self.tests = []
        SUITES.append(self)

    def skip_reason(self, cpus, environment=os.environ):
        """Why this suite does not run at cpus harts, given the environment,
        or None if it does.

        CI's run on another Debian release (tools/platform-test.py, which
        sets XV6_PLATFORM_RUN) checks that release's compiler, QEMU and
        Python, and skips the host_only suites (tools that work alike on
        every release).  With XV6_LARGEST_COUNT_ONLY (set by CI's run, whose
        host stage runs every suite at every count), the other suites run
        at their largest count of harts alone, the one where harts race."""
        release = environment.get(PLATFORM_VARIABLE)
        if release and self.host_only:
            return ("CI's host stage runs this suite; the %s run checks the kernel and "
                    "the grader" % release)
        if environment.get(LARGEST_COUNT_VARIABLE) and cpus != max(self.cpus):
            return ("this run (XV6_LARGEST_COUNT_ONLY) takes each suite at its largest "
                    "count of harts, here %d; CI's host stage runs every count" % max(self.cpus))
        return None

    def test(self, function):
        """Decorator: add function to this suite, after those already added."""
        self.tests.append(function)
        return function
