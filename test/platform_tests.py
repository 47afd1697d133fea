"""Platform suite: the tree finds its tools wherever students have them.

Runs no kernel. It checks, on fake tool directories put on the PATH:
the Makefile finds the cross compiler by every common name; `make qemu` and
`make grade` refuse a QEMU older than the Makefile's QEMU_MINIMUM with a
message naming the version found, the version needed and how to get one;
tools/setup.sh prints the right install commands on macOS, Arch and Fedora
(through its --os hook). And .gitattributes keeps scripts LF on Windows.
tools/platform-test.py (a clean Debian in a chroot) is run by .ci/run, not
here: it takes many minutes and needs root.
"""

import os
import shutil
import socket
import subprocess
import tempfile

import harness
from harness import REPO, Suite, check, make_environment

suite = Suite("platform", cpus=(3,), boot=False)

PREFIXES = ("riscv64-unknown-elf-", "riscv64-elf-", "riscv64-none-elf-",
            "riscv64-linux-gnu-", "riscv64-unknown-linux-gnu-")
DEFAULT_PREFIX = "riscv64-unknown-elf-"
MAKE = shutil.which("make") or "make"
COMMAND_TIMEOUT = 120     # seconds for one make or setup.sh run

# What `sh tools/setup.sh --print --os ID` must print, line for line.
INSTALL_COMMANDS = {
    "macos": ["xcode-select --install    # make, a host C compiler and python3, if missing",
              "brew install riscv64-elf-gcc riscv64-elf-binutils riscv64-elf-gdb qemu"],
    "arch": ["sudo pacman -S --needed riscv64-elf-gcc riscv64-elf-binutils riscv64-elf-gdb "
             "qemu-system-riscv python gcc make"],
    "fedora": ["sudo dnf install gcc-riscv64-linux-gnu binutils-riscv64-linux-gnu "
               "qemu-system-riscv gdb python3 gcc make"],
}

# Files a Windows checkout must leave with LF line endings.
LF_FILES = ("Makefile", "grade-lab-cow", ".ci/run", "tools/gradescope/run_autograder",
            "tools/setup.sh", "tools/platform-test.py", "test/run.py",
            "kernel/boot/entry.S", "kernel/boot/start.c", "kernel/riscv.h", "kernel/kernel.ld")


def fake_tools(directory, scripts):
    """Write each name: shell-script-body pair as an executable in directory."""
    for name, body in scripts.items():
        path = os.path.join(directory, name)
        with open(path, "w") as script:
            script.write("#!/bin/sh\n" + body + "\n")
        os.chmod(path, 0o755)


def run(argv, path, *assignments):
    """Run argv (plus make assignments) in the repository with PATH=path; (status, output)."""
    environment = make_environment()
    environment["PATH"] = path
    environment.setdefault("GDBPORT", "26000")    # else the Makefile runs id and expr
    result = subprocess.run(list(argv) + list(assignments), cwd=REPO, env=environment,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            universal_newlines=True, timeout=COMMAND_TIMEOUT)
    return result.returncode, result.stdout


def chosen_prefix(compilers, *assignments):
    """The TOOLPREFIX the Makefile picks when only these compilers are on the PATH."""
    with tempfile.TemporaryDirectory(prefix="xv6-tools-") as directory:
        fake_tools(directory, {name: "exit 1" for name in compilers})
        status, output = run([MAKE, "-s", "--no-print-directory", "print-toolprefix"],
                             directory, *assignments)
    check(status == 0, "`make print-toolprefix` failed:\n%s" % output)
    return output.strip()


@suite.test
def makefile_finds_the_compiler_by_every_common_name(m):
    for prefix in PREFIXES:
        found = chosen_prefix([prefix + "gcc"])
        check(found == prefix, "with only %sgcc on the PATH the Makefile chose TOOLPREFIX=%r"
              % (prefix, found))
    found = chosen_prefix([])
    check(found == DEFAULT_PREFIX, "with no compiler it should name the one setup.sh "
          "installs, %r; it chose %r" % (DEFAULT_PREFIX, found))


@suite.test
def makefile_prefers_bare_metal_and_obeys_toolprefix(m):
    found = chosen_prefix(["riscv64-linux-gnu-gcc", "riscv64-elf-gcc"])
    check(found == "riscv64-elf-", "with riscv64-linux-gnu-gcc and riscv64-elf-gcc the "
          "bare-metal riscv64-elf- should win; it chose %r" % found)
    found = chosen_prefix(["riscv64-elf-gcc"], "TOOLPREFIX=my-riscv-")
    check(found == "my-riscv-", "TOOLPREFIX=my-riscv- should override; it chose %r" % found)


def with_fake_qemu(version, target, *assignments):
    """(status, output) of `make TARGET` when qemu-system-riscv64 says it is version."""
    with tempfile.TemporaryDirectory(prefix="xv6-qemu-") as directory:
        fake_tools(directory, {"qemu-system-riscv64":
                               'echo "QEMU emulator version %s (fake)"; exit 1' % version})
        return run([MAKE, "--no-print-directory", target],
                   directory + os.pathsep + os.environ["PATH"], *assignments)


@suite.test
def too_old_qemu_is_refused_with_the_versions_and_a_way_out(m):
    for target in ("qemu", "grade"):
        status, output = with_fake_qemu("4.2.1", target)
        check(status != 0, "`make %s` with QEMU 4.2.1 should refuse; it exited 0:\n%s"
              % (target, output))
        for words in ("is QEMU 4.2", "needs QEMU 5.2 or newer", "sh tools/setup.sh --print"):
            check(words in output, "`make %s` with QEMU 4.2.1: expected %r in its message, got:\n%s"
                  % (target, words, output))
    status, output = with_fake_qemu("5.2.0", "qemu-check")
    check(status == 0, "QEMU 5.2.0 should pass the version check:\n%s" % output)
    status, output = with_fake_qemu("10.0.2", "qemu-check")
    check(status == 0, "QEMU 10.0.2 should pass the version check (10 > 5):\n%s" % output)


@suite.test
def setup_prints_each_systems_install_commands(m):
    for system, expected in INSTALL_COMMANDS.items():
        status, output = run(["sh", "tools/setup.sh", "--print", "--os", system],
                             os.environ["PATH"])
        check(status == 0 and output.splitlines() == expected,
              "`sh tools/setup.sh --print --os %s` should print:\n%s\ngot (exit %d):\n%s"
              % (system, "\n".join(expected), status, output))


@suite.test
def setup_without_tools_off_debian_prints_the_commands_and_fails(m):
    # An empty PATH but for sed: no compiler, no QEMU, no apt-get.
    with tempfile.TemporaryDirectory(prefix="xv6-empty-") as directory:
        os.symlink(shutil.which("sed"), os.path.join(directory, "sed"))
        status, output = run(["/bin/sh", "tools/setup.sh", "--os", "arch"], directory)
    check(status == 1, "setup.sh on Arch without tools should exit 1, got %d:\n%s"
          % (status, output))
    check(INSTALL_COMMANDS["arch"][0] in output and "missing:" in output,
          "setup.sh on Arch without tools should name what is missing and print %r; got:\n%s"
          % (INSTALL_COMMANDS["arch"][0], output))


@suite.test
def gitattributes_keeps_scripts_lf(m):
    result = subprocess.run(["git", "check-attr", "eol", "--"] + list(LF_FILES), cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            universal_newlines=True, timeout=COMMAND_TIMEOUT)
    check(result.returncode == 0, "`git check-attr` failed:\n%s" % result.stdout)
    not_lf = [line for line in result.stdout.splitlines() if not line.endswith(": eol: lf")]
    check(not not_lf, "expected eol=lf for every script and source, got:\n%s" % "\n".join(not_lf))


@suite.test
def qemu_gdb_on_a_port_in_use_says_so_before_qemu_starts(m):
    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    holder.bind(("", 0))
    port = holder.getsockname()[1]
    try:
        status, output = run(["make", "-s", "qemu-gdb"], os.environ["PATH"],
                             "GDBPORT=%d" % port)
    finally:
        holder.close()
    check(status != 0 and "port %d is in use" % port in output and "GDBPORT=" in output
          and "Now run" not in output,
          "expected `make qemu-gdb` on a port in use to stop before QEMU, saying the port is "
          "in use and how to choose another (GDBPORT=); got status %d:\n%s" % (status, output))


@suite.test
def ci_platform_run_skips_host_only_suites_and_the_smaller_counts(m):
    # CI's trixie stage saves its minutes this way; the host stage, and a
    # platform run of the Debian matrix, must still run every count.
    # (A starter ships no host_only suite.)
    host, matrix = {}, {harness.PLATFORM_VARIABLE: "bullseye"}
    ci = {harness.PLATFORM_VARIABLE: "trixie", harness.LARGEST_COUNT_VARIABLE: "1"}
    expected = [(s, cpus, "largest count of harts, here %d" % max(s.cpus)
                 if cpus < max(s.cpus) else None)
                for s in harness.SUITES if not s.host_only for cpus in s.cpus]
    expected += [(s, max(s.cpus), "CI's host stage runs this suite;")
                 for s in harness.SUITES if s.host_only]
    check(any(cpus == 1 and s.name == "cow" for s, cpus, _ in expected),
          "expected the cow suite to run at CPUS=1 among the suites loaded")
    for s, cpus, said in expected:
        for where, environment in (("on the host", host), ("in a bullseye platform run", matrix)):
            reason = s.skip_reason(cpus, environment)
            check(reason is None or s.host_only and environment is matrix,
                  "expected %s at cpus=%d to run %s, it says: %s" % (s.name, cpus, where, reason))
        reason = s.skip_reason(cpus, ci)
        skipped_as_said = (reason is None) if said is None else (said in (reason or ""))
        check(skipped_as_said, "expected %s at cpus=%d in CI's trixie run to %s; it says: %r"
              % (s.name, cpus, "run" if said is None else "be skipped (%r)" % said, reason))
    return "%d suite and count pairs" % len(expected)
