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


def cat_lines(m, keys):
    """The lines `cat` prints when keys, then Ctrl-D, are typed to it."""
    m.send_line("cat")
    start = m.expect(re.escape("cat\n"), what="the echo of `cat`").end()
    m.send(keys + CTRL_D)
    prompt = m.expect(re.escape(PROMPT), what="the prompt after Ctrl-D ends cat's input")
    return m.output[start:prompt.start()]


@suite.test
def backspace_and_ctrl_u_edit_the_line_before_a_reader_sees_it(m):
    keys = BACKSPACE + "abx" + BACKSPACE + "c" + DELETE + "d\n" + "junk" + CTRL_U + "kept\n"
    out = cat_lines(m, keys)
    # The echo shows the raw keys (and Ctrl-D as itself); cat's lines are clean.
    printed = [line for line in (raw.lstrip(CTRL_D) for raw in out.split("\n"))
               if line in ("abd", "kept", "abx", "junk")]
    check(printed == ["abd", "kept"],
          "expected cat to print the edited lines 'abd' and 'kept', got %r" % out)
    return "typed %r, cat printed %s" % (keys, printed)


@suite.test
def ctrl_p_lists_the_processes(m):
    m.send(CTRL_P)
    listing = m.expect(r"ticks \d+\n1 sleep init on \S+\n2 sleep sh on \S+\n",
                       what="Ctrl-P's list of init and the shell, asleep")
    m.run("echo done")
    return listing.group().replace("\n", "; ").strip("; ")
