"""Fuzz suite: user/fuzz.c makes random system calls with hostile arguments
while memory hogs keep free memory near zero and random processes are
killed; afterwards every process must be reaped, free pages, inodes and
blocks must be back to their starting counts, the kernel self-audit must be
clean, and fsck must find the disk clean.

`make test` fuzzes for FUZZ_SECONDS with CPUS=3, on this kernel and on the
FORK=shared one (test/sharedkernel.py builds it); `make test-full`
(XV6_TEST_FULL=1) for FULL_FUZZ_SECONDS with CPUS=3 and with CPUS=1; a
platform run (tools/platform-test.py) for PLATFORM_FUZZ_SECONDS.
The seed is XV6_FUZZ_SEED if set, else a new one each run; it is printed
with the result, and `fuzz SEED SECONDS` in xv6 makes the same calls again.
"""

import os
import random
import re

import harness
import sharedkernel
from harness import Suite, TestSkipped, check, fsck

FULL = os.environ.get("XV6_TEST_FULL") == "1"
FUZZ_SECONDS = 60
FULL_FUZZ_SECONDS = 30 * 60
# A platform run (tools/platform-test.py) checks the fuzzer works on that
# release; the minute of fuzzing is the host's.
PLATFORM_FUZZ_SECONDS = 20
DEFAULT_SECONDS = (FULL_FUZZ_SECONDS if FULL else
                   PLATFORM_FUZZ_SECONDS if harness.PLATFORM_RUN else FUZZ_SECONDS)
SECONDS = int(os.environ.get("XV6_FUZZ_SECONDS", DEFAULT_SECONDS))
SEED = int(os.environ.get("XV6_FUZZ_SEED", random.randrange(1, 1 << 31)))
# The fuzzer's own clock runs on xv6 ticks; QEMU on a loaded host runs slow,
# and stopping and reaping everything takes up to a minute more.
TIMEOUT = 3 * SECONDS + 600

suite = Suite("fuzz", cpus=(1, 3) if FULL else (3,), boot=False)


@suite.test
def fuzz_leaves_no_leak_and_a_clean_disk(m):
    m.boot()
    command = "fuzz %d %d" % (SEED, SECONDS)
    out = m.run(command, timeout=TIMEOUT)
    verdict = re.search(r"(?m)^fuzz: seed \d+: (ok.*|FAILED.*)$", out)
    check(verdict is not None and verdict.group(1).startswith("ok"),
          "expected `%s` to end with 'fuzz: seed %d: ok', got: %s"
          % (command, SEED, verdict.group() if verdict else out[-800:]))
    summary = m.audit()
    m.kill()
    clean, report = fsck(m.fs_image)
    check(clean, "expected fsck to find the disk clean after `%s`, got:\n%s" % (command, report))
    return "seed %d, %d s: %s; %s" % (SEED, SECONDS, verdict.group(1), summary)


@suite.test
def fuzzer_finds_nothing_with_shared_page_tables(m):
    if not sharedkernel.AVAILABLE:
        raise TestSkipped("this tree has no kernel/mm/sharedpt.c to build FORK=shared with")
    with sharedkernel.shared_kernel(m.cpus, "shared fuzz") as shared:
        return fuzz_leaves_no_leak_and_a_clean_disk(shared)
