"""CPU-variants suite: the kernel keeps time on CPUs with and without Sstc.

QEMU 7.1 and later give the rv64 CPU the Sstc extension (supervisor mode's
own timer comparator); older QEMU (Ubuntu 22.04 has 6.2), `-cpu
rv64,sstc=off` and `-cpu rv64,priv_spec=v1.11.0` do not, and there the
kernel must fall back to the CLINT timer driven from machine mode
(kernel/boot/timer.c). Each test boots one CPU variant, checks that the boot
line names the timer that variant must use, and, for the two without Sstc,
that the clock really ticks: a short COW check (`cowtest simple`), then the
quick usertests (sleep, uptime and preemption among them) on the first, and
on the second, which takes the same timer path, only its two clock tests.
"""

import re
import subprocess

from harness import Suite, check, qemu_command
from kernelchecks import check_usertests

suite = Suite("cpu-variants", cpus=(1, 3), boot=False)

FIRST_QEMU_WITH_SSTC = (7, 1)
SSTC_TIMER = "Sstc stimecmp"
MACHINE_TIMER = "CLINT via machine mode, no Sstc"
BOOT_LINE = re.compile(r"xv6-cow kernel is booting \(timer: ([^)]*)\)")
COWTEST_TIMEOUT = 120     # seconds for `cowtest simple`
CLOCK_USERTESTS = "usertests uptime_advances sleep_waits_at_least_n_ticks"


def qemu_version(m):
    """(major, minor) of the QEMU the Makefile runs."""
    binary = qemu_command(m.cpus, m.fs_image)[0]
    banner = subprocess.run([binary, "--version"], stdout=subprocess.PIPE,
                            universal_newlines=True, timeout=30).stdout
    found = re.search(r"version (\d+)\.(\d+)", banner)
    check(found, "cannot read a version from `%s --version`: %r" % (binary, banner))
    return tuple(map(int, found.groups()))


def boot_with(m, cpu_options, expected_timer):
    """Boot m with `-cpu cpu_options` (None: QEMU's default CPU); check the timer named."""
    if cpu_options:
        m.qemu_extra = "-cpu " + cpu_options
    m.boot()
    line = BOOT_LINE.search(m.output)
    check(line, "expected a boot line naming the timer, got:\n%s" % m.output[:600])
    check(line.group(1) == expected_timer,
          "with %s expected the timer %r, the kernel chose %r"
          % ("-cpu " + cpu_options if cpu_options else "QEMU's default CPU",
             expected_timer, line.group(1)))


def cow_and_usertests_pass(m, usertests):
    out = m.run("cowtest simple", timeout=COWTEST_TIMEOUT)
    check("ALL COW TESTS PASSED" in out, "expected `cowtest simple` to pass, got %r" % out)
    check_usertests(m, usertests)


def without_sstc(m, cpu_options, usertests):
    """The machine-timer fallback with -cpu cpu_options (None: the default); returns a note."""
    boot_with(m, cpu_options, MACHINE_TIMER)
    cow_and_usertests_pass(m, usertests)
    return "-cpu %s: ticks from machine mode" % (cpu_options or "default")


@suite.test
def default_cpu_uses_sstc_when_qemu_has_it(m):
    version = qemu_version(m)
    expected = SSTC_TIMER if version >= FIRST_QEMU_WITH_SSTC else MACHINE_TIMER
    boot_with(m, None, expected)
    return "QEMU %d.%d: %s" % (version + (expected,))


@suite.test
def cpu_without_sstc_ticks_from_machine_mode(m):
    # An older QEMU refuses the sstc option; its default CPU lacks Sstc anyway.
    has_sstc = qemu_version(m) >= FIRST_QEMU_WITH_SSTC
    return without_sstc(m, "rv64,sstc=off" if has_sstc else None, "usertests -q")


@suite.test
def privileged_spec_1_11_cpu_ticks_from_machine_mode(m):
    # The QEMUs with Sstc also turn on the hypervisor extension, which spec
    # 1.11 cannot have: 7.2 drops it with a warning, 10.0 refuses to start.
    has_sstc = qemu_version(m) >= FIRST_QEMU_WITH_SSTC
    return without_sstc(m, "rv64,priv_spec=v1.11.0" + (",h=false" if has_sstc else ""),
                        CLOCK_USERTESTS)
