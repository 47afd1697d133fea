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

On the coverage kernel the fuzzer follows coverage (user/fuzz.c, the
covblocks system call): one test runs it there for GUIDED_SECONDS, guided
and then with guidance off, and the two must differ as guidance says.
"""

import os
import random
import re

import harness
import sharedkernel
from harness import Suite, TestSkipped, check, fsck
import kcov
from kernelchecks import FULL, FUZZ_VERDICT, fuzz_timeout

FUZZ_SECONDS = 60
FULL_FUZZ_SECONDS = 30 * 60
# A platform run (tools/platform-test.py) checks the fuzzer works on that
# release; the minute of fuzzing is the host's.
PLATFORM_FUZZ_SECONDS = 20
DEFAULT_SECONDS = (FULL_FUZZ_SECONDS if FULL else
                   PLATFORM_FUZZ_SECONDS if harness.PLATFORM_RUN else FUZZ_SECONDS)
SECONDS = int(os.environ.get("XV6_FUZZ_SECONDS", DEFAULT_SECONDS))
SEED = int(os.environ.get("XV6_FUZZ_SEED", random.randrange(1, 1 << 31)))
GUIDED_SECONDS = 20
GUIDANCE = re.compile(r"guided: (\d+) sequences kept, (\d+) of them mutants")

suite = Suite("fuzz", cpus=(1, 3) if FULL else (3,), boot=False)


def fuzz_verdict(m, command, seconds):
    """The text after 'fuzz: seed S: ' of command's last line; fails unless ok."""
    out = m.run(command, timeout=fuzz_timeout(seconds))
    verdict = FUZZ_VERDICT.search(out)
    check(verdict is not None and verdict.group(1).startswith("ok"),
          "expected `%s` to end with 'fuzz: seed %d: ok', got: %s"
          % (command, SEED, verdict.group() if verdict else out[-800:]))
    return verdict.group(1)


@suite.test
def fuzz_leaves_no_leak_and_a_clean_disk(m):
    m.boot()
    command = "fuzz %d %d" % (SEED, SECONDS)
    verdict = fuzz_verdict(m, command, SECONDS)
    summary = m.audit()
    m.kill()
    clean, report = fsck(m.fs_image)
    check(clean, "expected fsck to find the disk clean after `%s`, got:\n%s" % (command, report))
    return "seed %d, %d s: %s; %s" % (SEED, SECONDS, verdict, summary)


@suite.test
def fuzzer_finds_nothing_with_shared_page_tables(m):
    if not sharedkernel.AVAILABLE:
        raise TestSkipped("this tree has no kernel/mm/sharedpt.c to build FORK=shared with")
    with sharedkernel.shared_kernel(m.cpus, "shared fuzz") as shared:
        return fuzz_leaves_no_leak_and_a_clean_disk(shared)


@suite.test
def guided_fuzzer_keeps_and_mutates_sequences_that_reach_new_blocks(m):
    kcov.build()
    m.kernel = kcov.KERNEL
    m.boot()
    guided = fuzz_verdict(m, "fuzz %d %d" % (SEED, GUIDED_SECONDS), GUIDED_SECONDS)
    unguided = fuzz_verdict(m, "fuzz %d %d random" % (SEED, GUIDED_SECONDS), GUIDED_SECONDS)
    kept = GUIDANCE.search(guided)
    check(kept is not None and int(kept.group(1)) > 0 and int(kept.group(2)) > 0,
          "expected the guided fuzzer on %s to keep sequences that reached new kernel "
          "blocks, some of them mutants of kept ones; it said: %s" % (kcov.KERNEL, guided))
    check(GUIDANCE.search(unguided) is None and "random calls" in unguided,
          "expected `fuzz SEED SECONDS random` to make random calls and keep nothing; "
          "it said: %s" % unguided)
    summary = m.audit()
    return "seed %d, %d s each: %s; unguided: random calls; %s" % (
        SEED, GUIDED_SECONDS, kept.group(), summary)
