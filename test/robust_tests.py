"""Robustness suite: no user program can bring the kernel down.

Each test boots its own machine, because each one leaves the system in a
state worth checking from the host (a killed shell, a disk to fsck):

- init_restarts_shell_when_memory_returns: memory hogs keep free memory at
  zero and kill the shell (pid 2); init cannot fork a new one, says so,
  waits, and restarts the shell once the hogs are gone.
- failed_write_leaves_no_block_beyond_size: write() from an unmapped
  address fails, the file stays empty, and fsck finds no block past its end.
"""

import re

from harness import PROMPT, Suite, check, fsck

suite = Suite("robust", cpus=(1, 3), boot=False)

HOG_TICKS = 50            # clock ticks the hogs hold all memory (~5 s)
SHELL_PID = 2             # init's first child
RECOVERY_TIMEOUT = 120    # seconds for the hogs to finish and a shell to return


def fsck_clean(m, what):
    """Kill m and require fsck to find its disk clean."""
    m.kill()
    clean, report = fsck(m.fs_image)
    check(clean, "expected fsck to find the disk clean %s, got:\n%s" % (what, report))
    return report


@suite.test
def init_restarts_shell_when_memory_returns(m):
    m.boot()
    command = "memhog %d %d" % (HOG_TICKS, SHELL_PID)
    m.send_line(command)
    m.expect(r"init: (fork failed|sh could not start).*\n", RECOVERY_TIMEOUT,
             "init saying it cannot start a shell")
    complaint = m.cursor
    m.expect(r"memhog: done\n", RECOVERY_TIMEOUT, "the hogs to finish")
    m.expect(re.escape(PROMPT), RECOVERY_TIMEOUT, "the new shell's prompt")
    repeats = len(re.findall(r"init: ", m.output[complaint:]))
    check(repeats == 0, "expected init to say once that it cannot start a shell, "
          "it said so %d more times" % repeats)
    out = m.run("echo alive")
    check("alive" in out, "expected the new shell to run `echo alive`, got %r" % out)


@suite.test
def failed_write_leaves_no_block_beyond_size(m):
    m.boot()
    out = m.run("badwrite bad.dat")
    check("badwrite: write -1 size 0" in out,
          "expected write() from an unmapped address to return -1 and leave size 0, got %r" % out)
    report = fsck_clean(m, "after a failed write")
    check("beyond its size" not in report, "fsck found a block beyond a size:\n%s" % report)
