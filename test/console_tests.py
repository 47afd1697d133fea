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


STORM_WRITERS, STORM_LINES = 4, 25
STORM_LINE = re.compile(r"^linestorm writer=(\d+) line=(\d+) \.{48}\|$")  # 48: LINE_FILL


@suite.test
def lines_written_at_once_by_several_processes_stay_whole(m):
    # linestorm's lines are longer than the UART's ring, so each write()
    # sleeps halfway and the other writers run: without a lock over the whole
    # write, their bytes came out interleaved.
    command = "linestorm %d %d" % (STORM_WRITERS, STORM_LINES)
    output = m.run(command)
    lines = [line for line in output.splitlines() if line.strip()]
    matches = [STORM_LINE.match(line) for line in lines]
    broken = [line for line, match in zip(lines, matches)
              if not match and line != "linestorm done"]
    check(not broken, "expected every line of `%s` whole, found %d broken, such as:\n%s"
          % (command, len(broken), "\n".join(broken[:5])))
    whole = sorted(tuple(int(n) for n in match.groups()) for match in matches if match)
    expected = [(k, j) for k in range(STORM_WRITERS) for j in range(STORM_LINES)]
    check(whole == expected and "linestorm done" in lines,
          "expected each of %d writers' %d lines once, then 'linestorm done'; got %d lines: %r"
          % (STORM_WRITERS, STORM_LINES, len(whole), output[-2000:]))
    return "%d lines from %d writers, all whole" % (len(whole), STORM_WRITERS)
