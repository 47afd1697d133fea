"""Boot-and-shell suite: the kernel boots to a shell, and everyday shell use works.

Runs on one CPU and on three. The tests share one shell, in the order below;
each starts and ends at a prompt in the root directory and removes the files
it made (stressfs aside), so any one of them can also run alone.
"""

import os
import re

from harness import PROMPT, REPO, Suite, check, expect_line

suite = Suite("boot", cpus=(1, 3))

SLOW_PROGRAM_TIMEOUT = 120   # seconds for forktest and stressfs
WC_SEPARATORS = b" \r\t\n\v"  # what wc counts as space between words


def wc_of_readme_lines_with(word):
    """What `wc` prints (lines, words, bytes) for README's lines containing word."""
    with open(os.path.join(REPO, "README"), "rb") as readme:
        lines = [line for line in readme.read().split(b"\n")[:-1] if word in line]
    text = b"".join(line + b"\n" for line in lines)
    words = re.split(b"[" + re.escape(WC_SEPARATORS) + b"]+", text)
    return len(lines), len([w for w in words if w]), len(text)


@suite.test
def echo_prints_its_arguments(m):
    out = m.run("echo hello world")
    expect_line(out, "hello world", "echo hello world")


@suite.test
def pipeline_connects_three_programs(m):
    command = "cat README | grep xv6 | wc"
    out = m.run(command)
    expected = wc_of_readme_lines_with(b"xv6")
    counts = re.search(r"(\d+) (\d+) (\d+)", out)
    check(counts is not None and tuple(map(int, counts.groups())) == expected,
          "expected `%s` to print %d %d %d (lines, words, bytes), got %r"
          % ((command,) + expected + (out,)))


@suite.test
def redirection_writes_then_reads_a_file(m):
    m.run("echo hi > f")
    out = m.run("cat < f")
    m.run("rm f")
    expect_line(out, "hi", "cat < f")


@suite.test
def mkdir_and_cd_make_a_working_directory(m):
    # In d, programs are named from the root: the shell has no search path.
    for command in ("mkdir d", "cd d", "/echo x > y"):
        m.run(command)
    listing = m.run("/ls")
    m.run("cd ..")
    from_root = m.run("cat d/y")
    m.run("rm d/y")
    m.run("rm d")
    check(re.search(r"(?m)^y\s", listing) and not re.search(r"(?m)^README\s", listing),
          "expected `/ls` in d to list y and not README, got %r" % listing)
    expect_line(from_root, "x", "cat d/y (after cd ..)")


@suite.test
def link_keeps_data_after_original_is_removed(m):
    m.run("echo data > a")
    m.run("ln a b")
    m.run("rm a")
    through_link = m.run("cat b")
    m.run("rm b")
    after_rm = m.run("cat b")
    expect_line(through_link, "data", "cat b (after ln a b; rm a)")
    check("data" not in after_rm,
          "expected `cat b` to fail after rm b, got %r" % after_rm)


# "bg", with the shell's prompt possibly between its letters ("b$ g").
BACKGROUND_WORD = "b(?:%s)?g" % re.escape(PROMPT)


@suite.test
def background_job_runs_while_shell_goes_on(m):
    m.send_line("echo bg &")
    m.expect(re.escape("echo bg &\n"), what="the echo of `echo bg &`")
    # The shell's next prompt may land anywhere in the background line, even
    # inside the word (the console does not keep one process's write whole).
    m.expect(BACKGROUND_WORD, what="the output of the background `echo bg`")
    m.settle()
    out = m.run("echo after")
    expect_line(out, "after", "echo after (following a background job)")


@suite.test
def forktest_passes(m):
    out = m.run("forktest", SLOW_PROGRAM_TIMEOUT)
    check("fork test OK" in out, "expected 'fork test OK' from forktest, got %r" % out)


@suite.test
def stressfs_passes(m):
    out = m.run("stressfs", SLOW_PROGRAM_TIMEOUT)
    check("stressfs ok" in out, "expected 'stressfs ok' from stressfs, got %r" % out)


@suite.test
def faulting_program_is_killed_and_shell_survives(m):
    out = m.run("faultme")
    check(re.search(r"(?m)^usertrap\(\):", out),
          "expected a line starting 'usertrap():' from faultme, got %r" % out)
    alive = m.run("echo alive")
    expect_line(alive, "alive", "echo alive (after faultme)")


@suite.test
def program_written_for_the_public_lab_headers_runs(m):
    out = m.run("abicheck")
    expect_line(out, "abicheck: ok", "abicheck")
