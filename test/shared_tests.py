"""The FORK=shared kernel: fork shares leaf page-table pages
(kernel/mm/sharedpt.c) instead of sharing user pages one PTE at a time.

Builds a copy of this tree with `make FORK=shared` once per run, then boots
that kernel on one CPU and on three and runs what the default kernel must
pass too: cowtest with its counters (the cow suite's check),
usertests (test/kernelchecks.py's) and cowdemo's facts (test/cowdemo.py), each followed
by the kernel self-audit (which counts a shared leaf page-table page's
references once); the fuzz suite fuzzes it too (test/fuzz_tests.py).
One more test holds only for shared page tables: forking a 16 MB process
takes at most MAX_EXTRA_FORK_PAGES more free pages than forking an empty
one (forkbench's fork_pages figure), where the default kernel needs 8 leaf
page-table pages.

Each test boots its own machine (the harness's default machine boots this
tree's kernel, not the shared one).  The lab's starter tree leaves
kernel/mm/sharedpt.c out (students may write it: docs/lab-cow-challenge.md);
until it exists, this suite has no tests.
"""

import cowdemo
import harness
from copyahead import COPY_AHEAD, check_copy_ahead
from forkbench import parse_forkbench
from harness import Suite, TestFailure, check
from kernelchecks import check_cowtest, check_usertests
from sharedkernel import AVAILABLE, booted_shared_kernel

suite = Suite("shared", cpus=(1, 3) if AVAILABLE else (), boot=False)

SMALL_MB, LARGE_MB = 0, 16        # heap sizes compared (both in user/forkbench.c)
MAX_EXTRA_FORK_PAGES = 3          # the goal of docs/lab-cow-challenge.md
BENCH_TIMEOUT = 600               # seconds for `forkbench -q`


@suite.test
def cowtest_passes_with_shared_page_tables(m):
    with booted_shared_kernel(m.cpus, "shared cowtest") as shared:
        note = check_cowtest(shared)
        return "%s; %s" % (note, shared.audit())


@suite.test
def usertests_pass_with_shared_page_tables(m):
    with booted_shared_kernel(m.cpus, "shared usertests") as shared:
        note = check_usertests(shared)
        return "%s; %s" % (note, shared.audit())


@suite.test
def copy_ahead_holds_with_shared_page_tables(m):
    if not COPY_AHEAD:
        raise harness.TestSkipped("this tree has no copy-ahead (kernel/mm/cowahead.c)")
    with booted_shared_kernel(m.cpus, "shared cowahead") as shared:
        return "%s; %s" % (check_copy_ahead(shared), shared.audit())


@suite.test
def cowdemo_facts_hold_with_shared_page_tables(m):
    with booted_shared_kernel(m.cpus, "shared cowdemo") as shared:
        # cowdemo's facts (page shared after fork, copied by the child's
        # store, reused by its last owner, borrowed by vfork, counted once per
        # page table that maps it) hold on this kernel as on the default one.
        for scenario in cowdemo.SCENARIOS:
            scenario(shared)
        return shared.audit()


@suite.test
def fork_of_16mb_takes_few_more_pages_than_empty_fork(m):
    with booted_shared_kernel(m.cpus, "shared forkbench") as shared:
        output = shared.run("forkbench -q", BENCH_TIMEOUT)
    try:
        figures, _, done = parse_forkbench(output)
    except ValueError as error:
        raise TestFailure("expected forkbench's lines to parse, got: %s" % error)
    used = {mb: figures.get(("fork_pages", mb), {}).get("used") for mb in (SMALL_MB, LARGE_MB)}
    check(done and all(isinstance(u, int) for u in used.values()),
          "expected forkbench to print fork_pages for %d and %d MB, got %r"
          % (SMALL_MB, LARGE_MB, output[-harness.TAIL_CHARS:]))
    extra = used[LARGE_MB] - used[SMALL_MB]
    check(extra <= MAX_EXTRA_FORK_PAGES,
          "expected a fork of a %d MB process to take at most %d pages more than one of "
          "a %d MB process, got %d (%d against %d)"
          % (LARGE_MB, MAX_EXTRA_FORK_PAGES, SMALL_MB, extra, used[LARGE_MB], used[SMALL_MB]))
    return "%d MB fork: %d pages, %d MB fork: %d" % (LARGE_MB, used[LARGE_MB], SMALL_MB,
                                                     used[SMALL_MB])
