#!/usr/bin/env python3
"""Run the README's quick start on a clean Debian release, as a student would.

    sudo python3 tools/platform-test.py [--log-dir DIR] [--step STEP]
                                        [--largest-count-only] RELEASE...

RELEASE is a Debian code name (bullseye, bookworm, trixie). For each one:

 1. Build a clean minimal root file system with debootstrap (minbase: only
    the packages every Debian system has, and apt). The first run keeps it as
    a tarball under /var/cache/xv6-platform; later runs unpack that tarball,
    so every run starts from the same untouched system. Packages apt fetches
    inside it are kept there too, so reruns download nothing.
 2. Clone the repository (its committed HEAD) into /root/xv6 of that system
    and install the two prerequisites the README names: git and make.
 3. Inside it (chroot, as root), run `make test`: it must install the
    toolchain itself through tools/setup.sh and end with "N passed, 0 failed".
    With --largest-count-only (CI's run, whose host stage runs every count),
    each suite runs at its largest count of harts only.
 4. Run `make qemu` on a pseudo-terminal: it must print the shell prompt
    "$ "; then type Ctrl-A x, which must end QEMU. (On its own, with
    --step make-qemu, it builds the tree first, as `make qemu` does.)

It prints the versions it found (QEMU, cross gcc, Python, gdb, clang-format,
graphviz), one line
`PASS debian-RELEASE/STEP (...)` or `FAIL debian-RELEASE/STEP: why` per
step, and last `N passed, N failed`. Each step's full output is kept in the
log directory (default /var/tmp/xv6-platform-logs). Exit status 0 only if
every step passed.

Needs root (debootstrap, chroot, mounts) and installs debootstrap with
apt-get if it is missing. Mounts (/proc, /dev, the package cache) are undone
and the root file system removed when a release is done, even on failure or
Ctrl-C. GDBPORT and GRADE_PORT are passed into the chroot: it shares the
host's network, so the tests there must use ports nobody else is using.
"""

import argparse
import os
import pty
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import labpath
from harness import (LARGEST_COUNT_VARIABLE, PLATFORM_VARIABLE, SUMMARY,  # noqa: E402
                     last_lines)  # (found through labpath)

REPO = labpath.TREE
CACHE = "/var/cache/xv6-platform"
DEFAULT_LOG_DIR = "/var/tmp/xv6-platform-logs"
MIRROR = "http://deb.debian.org/debian"
RELEASES = ("bullseye", "bookworm", "trixie")
STEPS = ("make-test", "make-qemu")   # the README's two commands
CHECKOUT = "/root/xv6"             # where the clone lives inside the chroot
README_PREREQUISITES = "git make"  # what the README asks students to install first

DEBOOTSTRAP_TIMEOUT = 1800         # seconds
APT_TIMEOUT = 900
MAKE_TEST_TIMEOUT = 3600           # includes installing the toolchain
MAKE_QEMU_TIMEOUT = 300            # from `make qemu` to the prompt (already built)
QEMU_EXIT_TIMEOUT = 20             # from Ctrl-A x to QEMU's exit
CTRL_A_X = b"\x01x"
PROMPT = b"$ "
PASSED_THROUGH = ("GDBPORT", "GRADE_PORT")
FAILURE_LINES = 12                 # of a failed test's reason, shown in the step's failure
TAIL_LINES = 15                    # of a failed command's output, shown in its failure
# Run by sh inside unshare's new mount namespace, with the system's folder
# and the command as arguments: make that folder the namespace's root, drop
# the host's root from view, and mount the PID namespace's own /proc.
ENTER_SYSTEM = (
    'root=$1; shift; PATH=/usr/sbin:/usr/bin:/sbin:/bin; '
    'mount --rbind "$root" "$root" && cd "$root" && mkdir -p .host-root && '
    'pivot_root . .host-root && exec chroot . sh -c '
    '\'umount -l /.host-root && rmdir /.host-root && mount -t proc proc /proc && exec "$@"\' '
    'sh "$@"')
CHROOT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class StepFailure(Exception):
    """A step did not do what the README promises; the message says how."""


def log(text):
    print(text, flush=True)


def run(command, timeout, **options):
    """Run command on the host; raise StepFailure if it fails. Returns its output."""
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            universal_newlines=True, timeout=timeout, **options)
    if result.returncode != 0:
        raise StepFailure("`%s` exited with %d:\n%s" % (" ".join(command), result.returncode,
                                                        last_lines(result.stdout, TAIL_LINES)))
    return result.stdout


# --- The root file system ----------------------------------------------------

def ensure_debootstrap():
    if shutil.which("debootstrap"):
        return
    log("platform: installing debootstrap")
    run(["apt-get", "update"], APT_TIMEOUT)
    run(["apt-get", "install", "-y", "debootstrap"], APT_TIMEOUT,
        env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))


def cached_tarball(release):
    """Path of a tarball of a fresh minbase RELEASE, made by debootstrap if missing."""
    tarball = os.path.join(CACHE, release + "-minbase.tar.gz")
    if os.path.exists(tarball):
        return tarball
    ensure_debootstrap()
    os.makedirs(CACHE, exist_ok=True)
    build = tempfile.mkdtemp(prefix=release + "-", dir=CACHE)
    try:
        log("platform: debootstrap %s (first run only; kept as %s)" % (release, tarball))
        run(["debootstrap", "--variant=minbase", release, build, MIRROR], DEBOOTSTRAP_TIMEOUT)
        partial = tarball + ".partial"
        run(["tar", "-C", build, "-czf", partial, "."], DEBOOTSTRAP_TIMEOUT)
        os.rename(partial, tarball)
    finally:
        shutil.rmtree(build, ignore_errors=True)
    return tarball


def end_session(process):
    """Kill what is left of process's session (started with
    start_new_session) and reap process.  Called however a step ends: on a
    timeout, a failure, or SIGTERM unwinding us; killing unshare's session
    kills everything started inside."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


class Chroot:
    """A release's root file system, unpacked and mounted; undone on exit."""

    def __init__(self, release, largest_count_only):
        self.release = release
        self.largest_count_only = largest_count_only
        self.root = None
        self.mounts = []                   # mounted paths, innermost last

    def __enter__(self):
        tarball = cached_tarball(self.release)
        self.root = tempfile.mkdtemp(prefix="xv6-platform-%s-" % self.release, dir="/var/tmp")
        run(["tar", "-C", self.root, "-xzf", tarball], DEBOOTSTRAP_TIMEOUT)
        # mkdtemp made both this folder and the tarball's "." 0700, which tar
        # has just restored; as the system's / it must be 0755 like any root
        # directory, or no user but root (the sandbox's nobody) can reach a
        # file in it.
        os.chmod(self.root, 0o755)
        self._mount(["-t", "proc", "proc"], "proc")
        self._mount(["--bind", "/dev"], "dev")
        self._mount(["--bind", "/dev/pts"], "dev/pts")
        packages = os.path.join(CACHE, self.release + "-apt")
        os.makedirs(os.path.join(packages, "partial"), exist_ok=True)
        self._mount(["--bind", packages], "var/cache/apt/archives")
        shutil.copyfile("/etc/resolv.conf", self.path("etc/resolv.conf"))
        # The usual chroot rule: packages must not start services here.
        with open(self.path("usr/sbin/policy-rc.d"), "w") as policy:
            policy.write("#!/bin/sh\nexit 101\n")
        os.chmod(self.path("usr/sbin/policy-rc.d"), 0o755)
        return self

    def __exit__(self, *exc_info):
        for target in reversed(self.mounts):
            subprocess.run(["umount", "-l", target])
        if self.root and not any(os.path.ismount(m) for m in self.mounts):
            shutil.rmtree(self.root, ignore_errors=True)

    def path(self, inside):
        return os.path.join(self.root, inside)

    def _mount(self, options, inside):
        target = self.path(inside)
        os.makedirs(target, exist_ok=True)
        run(["mount"] + options + [target], 60)
        self.mounts.append(target)

    def command(self, script):
        """argv running the shell script inside the system, in a clean environment.

        Not a plain chroot: bubblewrap (the batch grader's sandbox) cannot
        work in one, since the kernel refuses a user namespace to a chrooted
        process and "/" is then no mount point for bwrap to make a slave. So
        the system becomes the root of a mount namespace of its own
        (pivot_root), as it is on a real machine. It also gets a PID
        namespace whose first process dies with unshare (--kill-child):
        killing unshare kills everything started inside.  XV6_PLATFORM_RUN
        names the release to the suites: a host_only suite (test/harness.py)
        is skipped, its minutes left to CI's host stage; with
        largest_count_only, XV6_LARGEST_COUNT_ONLY=1 has every suite run at
        its largest count of harts alone."""
        environment = ["HOME=/root", "PATH=" + CHROOT_PATH, "LANG=C.UTF-8", "TERM=xterm",
                       PLATFORM_VARIABLE + "=" + self.release]
        if self.largest_count_only:
            environment.append(LARGEST_COUNT_VARIABLE + "=1")
        environment += ["%s=%s" % (name, os.environ[name])
                        for name in PASSED_THROUGH if name in os.environ]
        return (["unshare", "--mount", "--pid", "--fork", "--kill-child",
                 "sh", "-c", ENTER_SYSTEM, "enter", self.root, "/usr/bin/env", "-i"]
                + environment + ["sh", "-c", script])

    def run(self, script, timeout, log_path):
        """Run script inside; return (exit status or None on timeout, output)."""
        with open(log_path, "w") as log_file:
            process = subprocess.Popen(self.command(script), stdin=subprocess.DEVNULL,
                                       stdout=log_file, stderr=subprocess.STDOUT,
                                       start_new_session=True)
            status = None
            try:
                status = process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
            finally:
                end_session(process)
        with open(log_path, errors="replace") as log_file:
            return status, log_file.read()


# --- The steps ---------------------------------------------------------------

def prepare(chroot, log_dir):
    """Clone the repository into the chroot and install the README's prerequisites."""
    run(["git", "clone", "--quiet", "--no-hardlinks", REPO, chroot.path(CHECKOUT.lstrip("/"))], 600)
    status, output = chroot.run(
        "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y " + README_PREREQUISITES,
        APT_TIMEOUT, os.path.join(log_dir, "prepare.log"))
    if status != 0:
        raise StepFailure("installing %s failed:\n%s"
                          % (README_PREREQUISITES, last_lines(output, TAIL_LINES)))


def make_test(chroot, log_dir):
    status, output = chroot.run("cd %s && make test" % CHECKOUT, MAKE_TEST_TIMEOUT,
                                os.path.join(log_dir, "make-test.log"))
    summaries = SUMMARY.findall(output)
    if status is None:
        raise StepFailure("timed out after %ds:\n%s"
                          % (MAKE_TEST_TIMEOUT, last_lines(output, TAIL_LINES)))
    if status != 0 or not summaries or summaries[-1][2] != "0":
        raise StepFailure("exit status %d; %s\n%s" % (
            status, "summary: " + summaries[-1][0] if summaries else "no summary",
            "\n".join(failed_tests(output)) or last_lines(output, TAIL_LINES)))
    return summaries[-1][0]


def failed_tests(output):
    """Each FAIL line of a make test output, with up to FAILURE_LINES of the
    indented reason lines test/run.py prints under it."""
    shown, reason_lines = [], None
    for line in output.splitlines():
        if line.startswith("FAIL "):
            shown.append(line)
            reason_lines = 0
        elif reason_lines is not None and line.startswith("    ") and reason_lines < FAILURE_LINES:
            shown.append(line)
            reason_lines += 1
        else:
            reason_lines = None
    return shown


def make_qemu(chroot, log_dir):
    """`make qemu` on a pty must reach the prompt; Ctrl-A x must then end it."""
    master, slave = pty.openpty()
    transcript = b""
    process = subprocess.Popen(chroot.command("cd %s && make qemu" % CHECKOUT),
                               stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
    os.close(slave)
    try:
        transcript = read_until(master, process, PROMPT, MAKE_QEMU_TIMEOUT)
        if PROMPT not in transcript:
            raise StepFailure("no prompt %r within %ds; it printed:\n%s" % (
                PROMPT.decode(), MAKE_QEMU_TIMEOUT, last_lines(decode(transcript), TAIL_LINES)))
        os.write(master, CTRL_A_X)
        transcript += read_until(master, process, None, QEMU_EXIT_TIMEOUT)
        # The pty closes as the last process exits, a moment before it is reaped.
        try:
            process.wait(timeout=QEMU_EXIT_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise StepFailure("QEMU still running %ds after Ctrl-A x" % QEMU_EXIT_TIMEOUT)
    finally:
        end_session(process)
        os.close(master)
        with open(os.path.join(log_dir, "make-qemu.log"), "wb") as log_file:
            log_file.write(transcript)
    timer = re.search(r"\(timer: ([^)\n]*)\)", decode(transcript))
    return "prompt reached, Ctrl-A x quit" + ("; timer: " + timer.group(1) if timer else "")


def read_until(master, process, wanted, timeout):
    """Read the pty until wanted appears (or, if wanted is None, it closes) or timeout."""
    data = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not (wanted and wanted in data):
        ready, _, _ = select.select([master], [], [], 0.5)
        if not ready:
            if process.poll() is not None:
                break
            continue
        try:
            chunk = os.read(master, 4096)
        except OSError:                    # the other side closed: everything exited
            break
        if not chunk:
            break
        data += chunk
    return data


def decode(data):
    return data.decode(errors="replace").replace("\r", "")


def versions(chroot, log_dir):
    """One line naming the QEMU, cross gcc, Python, make, gdb, clang-format and
    graphviz versions inside (the last three only once `make test` installed them)."""
    script = ("qemu-system-riscv64 --version | head -n 1; "
              "for cc in riscv64-unknown-elf-gcc riscv64-linux-gnu-gcc; do "
              "command -v $cc >/dev/null && $cc --version | head -n 1; done; "
              "python3 --version; make --version | head -n 1; "
              "gdb-multiarch --version | head -n 1; clang-format --version; dot -V 2>&1; "
              "sed -n 's/^PRETTY_NAME=//p' /etc/os-release")
    _, output = chroot.run(script, 60, os.path.join(log_dir, "versions.log"))
    return "; ".join(line.strip() for line in output.splitlines() if line.strip())


# --- Reporting ---------------------------------------------------------------

class Tally:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def step(self, name, function, *args):
        """Run one step; print PASS or FAIL for it. Returns whether it passed."""
        started = time.monotonic()
        try:
            note = function(*args)
        except (StepFailure, subprocess.TimeoutExpired, OSError) as failure:
            self.failed += 1
            reason = str(failure).rstrip().splitlines() or ["(no reason)"]
            log("FAIL %s (%.0fs): %s" % (name, time.monotonic() - started, "\n    ".join(reason)))
            return False
        self.passed += 1
        seconds = time.monotonic() - started
        log("PASS %s (%s%.0fs)" % (name, note + ", " if note else "", seconds))
        return True


def test_release(tally, release, log_root, steps, largest_count_only):
    log_dir = os.path.join(log_root, release)
    os.makedirs(log_dir, exist_ok=True)
    prefix = "debian-%s/" % release
    started = time.monotonic()
    try:
        with Chroot(release, largest_count_only) as chroot:
            # The README's two commands, each judged on its own: make qemu
            # runs even when some test failed (it rebuilds what is missing).
            if tally.step(prefix + "prepare", prepare, chroot, log_dir):
                if "make-test" in steps:
                    tally.step(prefix + "make-test", make_test, chroot, log_dir)
                if "make-qemu" in steps:
                    tally.step(prefix + "make-qemu", make_qemu, chroot, log_dir)
                log("platform: %s: %s" % (release, versions(chroot, log_dir)))
    except (StepFailure, subprocess.TimeoutExpired, OSError) as failure:
        tally.failed += 1
        log("FAIL %ssystem: cannot set up the root file system: %s" % (prefix, failure))
    log("platform: %s done in %.0fs; logs in %s" % (release, time.monotonic() - started, log_dir))


def stop_on_signal(signum, frame):
    """SIGTERM unwinds like Ctrl-C, so the step's processes are killed and
    the mounts undone; a second one (a process group often gets one from
    each of two senders) must not cut that unwinding short."""
    signal.signal(signum, signal.SIG_IGN)
    sys.exit(128 + signum)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--log-dir", default=DEFAULT_LOG_DIR)
    parser.add_argument("--step", action="append", choices=STEPS, dest="steps",
                        help="run only this README command (repeatable; default both)")
    parser.add_argument("--largest-count-only", action="store_true",
                        help="run each suite at its largest count of harts only (CI's run: "
                        "its host stage runs every count)")
    parser.add_argument("releases", nargs="+", metavar="RELEASE", choices=RELEASES)
    options = parser.parse_args()
    if os.geteuid() != 0:
        log("platform: needs root (debootstrap, chroot, mount); run it with sudo")
        log("0 passed, 1 failed")
        return 1
    tally = Tally()
    signal.signal(signal.SIGTERM, stop_on_signal)
    for release in options.releases:
        test_release(tally, release, options.log_dir, options.steps or STEPS,
                     options.largest_count_only)
    log("%d passed, %d failed" % (tally.passed, tally.failed))
    return 0 if tally.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
