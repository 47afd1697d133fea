"""Console suite: the line editing abi.md promises programs and users.

Typed bytes are echoed and held until a line is complete; Backspace and
Delete erase one character, Ctrl-U the whole line, Ctrl-D ends the input,
and Ctrl-P lists the processes (kernel/dev/console.c).  `cat` shows what a
reader receives.  Each test starts and ends at a prompt.
"""

import re

from harness import PROMPT, Suite, check

suite = Suite("console", cpus=(3,))

BACKSPACE, DELETE, CTRL_U, CTRL_D, CTRL_P = "\x08", "\x7f", "\x15", "\x04", "\x10"


def cat_lines(m, lines):
    """What `cat` prints when each of lines (keys ending in a newline) is
    typed to it, then Ctrl-D.  Each line is typed only once cat has printed
    the one before, so that its echo cannot run into cat's output."""
    m.send_line("cat")
    m.expect(re.escape("cat\n"), what="the echo of `cat`")
    printed = []
    for keys in lines:
        m.send(keys)
        echoed = m.expect(r"\n", what="the echo of the newline in %r" % keys)
        line = m.expect(r"([^\n]*)\n", what="cat's line after %r" % keys)
        printed.append(line.group(1))
        check(echoed.end() == line.start(), "expected cat's line right after the echo")
    m.send(CTRL_D)
    m.expect(re.escape(PROMPT), what="the prompt after Ctrl-D ends cat's input")
    return printed


@suite.test
def backspace_and_ctrl_u_edit_the_line_before_a_reader_sees_it(m):
    lines = (BACKSPACE + "abx" + BACKSPACE + "c" + DELETE + "d\n", "junk" + CTRL_U + "kept\n")
    printed = cat_lines(m, lines)
    check(printed == ["abd", "kept"],
          "expected cat to print the edited lines 'abd' and 'kept' for the keys %r, got %r"
          % (lines, printed))
    return "typed %r, cat printed %s" % (lines, printed)


@suite.test
def ctrl_p_lists_the_processes(m):
    # procdump() prints from the keyboard interrupt, before the next
    # command's echo: the listing is what comes between.  It is a snapshot
    # taken without locks, so the shell may be caught running or asleep.
    mark = len(m.output)
    m.send(CTRL_P)
    m.run("echo done")
    listing = m.output[mark:]
    for wanted in (r"(?m)^ticks \d+$", r"(?m)^1 sleep init on \S+$", r"(?m)^\d+ \S+ sh\b"):
        check(re.search(wanted, listing),
              "expected Ctrl-P's list to have a line matching %r, got %r" % (wanted, listing))
    return "; ".join(line for line in listing.splitlines() if re.match(r"\d+ ", line))
