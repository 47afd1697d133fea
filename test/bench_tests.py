"""Benchmark suite: forkbench runs to the end and prints every figure it promises.

Runs `cowstat forkbench -q` (the quick mode) and `forkbench -q child_write`
(the figure copy-ahead is judged by) on three CPUs only, the machine `make
qemu` boots, to keep `make test` short; tools/perf.py takes the real
measurements. The tests never judge a time: they check
that each figure is printed and parses (with test/forkbench.py's parser, the one
tools/perf.py uses), and that the kernel could fork a 64 MB process, which in
128 MB of RAM only copy-on-write fork can do.

The tests of the full run share one run per machine: the first test to need it
runs it, and each test reads the same output.
"""

from forkbench import parse_forkbench
from harness import Suite, TestFailure, check

suite = Suite("bench", cpus=(3,))

COMMAND = "cowstat forkbench -q"
BENCH_TIMEOUT = 600               # seconds; quick mode takes well under a minute alone
HEAP_SIZES_MB = (0, 4, 16, 32, 64)  # as in user/forkbench.c
LARGEST_MB = HEAP_SIZES_MB[-1]
TIME_KEYS = ("reps", "us", "min_us")
PER_PAGE_KEYS = ("reps", "ns_per_page", "min_ns_per_page")
EXIT_LINE = "cowstat: forkbench exited with status 0"

_outputs = {}                     # Machine -> what COMMAND printed on it


def bench_output(m):
    """What `cowstat forkbench -q` printed on m, running it the first time."""
    if m not in _outputs:
        _outputs[m] = m.run(COMMAND, BENCH_TIMEOUT)
    return _outputs[m]


def parsed(m):
    """forkbench's figures and failures on m; fails the test if they do not parse."""
    output = bench_output(m)
    try:
        figures, failures, done = parse_forkbench(output)
    except ValueError as error:
        raise TestFailure("expected every forkbench line to parse, got: %s" % error)
    check(done, "expected forkbench to end with 'forkbench done', got %r" % output)
    return figures, failures


def missing_numbers(tokens, keys):
    """The keys among keys that tokens lacks or holds as a non-number."""
    return [key for key in keys if not isinstance(tokens.get(key), int)]


def figure_problems(figures, mb):
    """What is wrong with heap size mb's figures, as a list of sentences."""
    problems = []

    def need(fig, keys):
        tokens = figures.get((fig, mb))
        if tokens is None:
            problems.append("no %s figure for %d MB" % (fig, mb))
        elif missing_numbers(tokens, keys):
            problems.append("%s at %d MB lacks numbers for %s: %r"
                            % (fig, mb, ", ".join(missing_numbers(tokens, keys)), tokens))

    need("fork_exit_wait", TIME_KEYS)
    need("fork_exec_wait", TIME_KEYS)
    need("vfork_exec_wait", TIME_KEYS)
    need("fork_pages", ("before", "after", "used"))
    need("parent_write", TIME_KEYS)
    need("getpid", ("calls", "ns_per_call", "min_ns_per_call"))
    child_skipped = figures.get(("child_write", mb), {}).get("skipped") == "no_memory"
    if not child_skipped:
        need("child_write", TIME_KEYS)
    if mb > 0:
        need("reuse_fault", PER_PAGE_KEYS)
        need("plain_write", PER_PAGE_KEYS)
        if not child_skipped:
            need("copy_fault", PER_PAGE_KEYS)
    return problems


@suite.test
def forkbench_prints_every_figure_in_parseable_form(m):
    figures, failures = parsed(m)
    output = bench_output(m)
    check(EXIT_LINE in output.splitlines(),
          "expected the line %r (forkbench never crashes), got %r" % (EXIT_LINE, output))
    sbrk_failed = [mb for mb, tokens in failures.items() if tokens.get("sbrk") == "failed"]
    check(not sbrk_failed, "expected sbrk to reach %d MB, but it failed at %s MB"
          % (LARGEST_MB, sbrk_failed))
    problems = [p for mb in HEAP_SIZES_MB if mb not in failures
                for p in figure_problems(figures, mb)]
    check(not problems, "expected every figure for every heap size: %s; output %r"
          % ("; ".join(problems), output))
    return "%d figures parsed" % len(figures)


@suite.test
def cow_fork_of_64mb_process_succeeds(m):
    figures, failures = parsed(m)
    check(LARGEST_MB not in failures and ("fork_exit_wait", LARGEST_MB) in figures,
          "expected fork of a %d MB process to succeed (COW shares its pages), got %r"
          % (LARGEST_MB, failures.get(LARGEST_MB)))


CHILD_WRITE_COMMAND = "forkbench -q child_write"
CHILD_WRITE_FIGURES = {"child_write", "copy_fault"}  # the figure and its per-page loop


@suite.test
def forkbench_child_write_mode_prints_that_figure_alone(m):
    output = m.run(CHILD_WRITE_COMMAND, BENCH_TIMEOUT)
    figures, failures, done = parse_forkbench(output)
    check(done and not failures, "expected `%s` to run to 'forkbench done' with no "
          "failure line, got %r" % (CHILD_WRITE_COMMAND, output))
    others = sorted({fig for fig, _ in figures} - CHILD_WRITE_FIGURES)
    check(not others, "expected `%s` to print only %s, but it printed %s too: %r"
          % (CHILD_WRITE_COMMAND, " and ".join(sorted(CHILD_WRITE_FIGURES)),
             ", ".join(others), output))
    measured = [mb for mb in HEAP_SIZES_MB if ("child_write", mb) in figures
                and not missing_numbers(figures[("child_write", mb)], TIME_KEYS)]
    check(measured == list(HEAP_SIZES_MB[:-1]),
          "expected child_write times at %s MB (%d MB is skipped: no memory), got them at "
          "%s: %r" % (HEAP_SIZES_MB[:-1], LARGEST_MB, measured, output))
    return "child_write at %s MB" % ", ".join(str(mb) for mb in measured)
