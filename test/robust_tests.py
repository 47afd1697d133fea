"""Robustness suite: no user program can bring the kernel down.

Each test boots its own machine, because each one leaves the system in a
state worth checking from the host (a killed shell, a disk to fsck):

- init_restarts_shell_when_memory_returns: memory hogs keep free memory at
  zero and kill the shell (pid 2); init (usually) cannot start a new one,
  says so once, waits, and restarts the shell once the hogs are gone.  The
  old init exited there and the kernel panicked.
- audit_catches_planted_leak_and_loss: the kernel self-audit, asked to add
  a reference to one page (a leak) or to drop one from a shared page (a
  lost reference) for the check, names that page, its count and its
  mappers; a plain audit right after is clean.
- failed_write_leaves_no_block_beyond_size: write() from an unmapped
  address fails, the file stays empty, and fsck finds no block past its end.
- audit_loop_takes_little_from_others_and_no_tick: while two processes
  call audit() without pause, another counts its own loops (`callhog
  audit`): it keeps at least MIN_KEPT_PERCENT of what it counts beside two
  loops of getpid(), and the clock loses no tick.
"""

import re

from harness import PROMPT, Suite, check, fsck

suite = Suite("robust", cpus=(1, 3), boot=False, audit=True)

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
    start = m.cursor
    m.expect(r"memhog: done\n", RECOVERY_TIMEOUT, "the hogs to finish")
    # The new shell's prompt may come just before memhog's last line.
    m.cursor = start
    m.expect(re.escape(command + "\n"), what="the echo of `%s`" % command)
    m.expect(re.escape(PROMPT), RECOVERY_TIMEOUT, "a new shell's prompt")
    m.settle()
    m.cursor = len(m.output)
    complaints = re.findall(r"(?m)^init: .*retrying.*$", m.output[start:])
    check(len(complaints) <= 1, "expected init to say at most once that it cannot start a "
          "shell, it said so %d times: %s" % (len(complaints), complaints))
    out = m.run("echo alive")
    check("alive" in out, "expected the new shell to run `echo alive`, got %r" % out)
    # Usually init meets an empty free list; sometimes the pages the dying
    # shell frees reach init before the hogs take them.
    return complaints[0] if complaints else "init started a shell at once"


BAD_PAGE = re.compile(r"(?m)^audit: page (0x[0-9a-f]+): count (\d+), expected (\d+)")
MAPPER = re.compile(r"(?m)^audit:   mapped by pid \d+ at va 0x[0-9a-f]+")


def planted_audit(m, option, extra):
    """Run `audit OPTION`; require it to report one page whose count is
    expected + extra, with its mappers."""
    out = m.run("audit " + option)
    bad = BAD_PAGE.findall(out)
    check(len(bad) == 1 and int(bad[0][1]) == int(bad[0][2]) + extra and MAPPER.search(out),
          "expected `audit %s` to report one page with a count %+d off and its mappers, got:\n%s"
          % (option, extra, out))
    check("audit: 1 problems" in out, "expected `audit %s` to count 1 problem, got:\n%s"
          % (option, out))
    return bad[0][0]


@suite.test
def audit_catches_planted_leak_and_loss(m):
    m.boot()
    leaked = planted_audit(m, "-leak", +1)
    lost = planted_audit(m, "-loss", -1)
    m.audit()
    return "leak on page %s, loss on page %s found" % (leaked, lost)


@suite.test
def failed_write_leaves_no_block_beyond_size(m):
    m.boot()
    out = m.run("badwrite bad.dat")
    check("badwrite: write -1 size 0" in out,
          "expected write() from an unmapped address to return -1 and leave size 0, got %r" % out)
    report = fsck_clean(m, "after a failed write")
    check("beyond its size" not in report, "fsck found a block beyond a size:\n%s" % report)


HOG_LINE = re.compile(r"(?m)^callhog call=(\w+) hogs=\d+ loops=\d+ baseline=\d+ kept=(\d+)% "
                      r"ticks=(\d+) expected=(\d+)$")
HOG_TIMEOUT = 120         # seconds for `callhog` (12 s of counting, and the hogs' ends)
MIN_KEPT_PERCENT = 90     # the audit stops the world at most 2% of the time
                          # (kernel/sys/audit.c); the rest is a busy host's noise
MAX_LOST_TICKS = 1        # uptime() is read once at each end, maybe just before a tick


@suite.test
def audit_loop_takes_little_from_others_and_no_tick(m):
    m.boot()
    command = "callhog audit"
    out = m.run(command, HOG_TIMEOUT)
    found = HOG_LINE.search(out)
    check(found is not None and found.group(1) == "audit",
          "expected `%s` to print its callhog line, got:\n%s" % (command, out))
    kept, ticks, expected = (int(found.group(i)) for i in (2, 3, 4))
    check(kept >= MIN_KEPT_PERCENT,
          "expected a process to keep at least %d%% of its loops beside two loops of "
          "audit(), against two of getpid(), got %d%%:\n%s" % (MIN_KEPT_PERCENT, kept, out))
    check(expected - ticks <= MAX_LOST_TICKS,
          "expected the clock to lose at most %d tick while audit() ran in loops, it "
          "counted %d of %d:\n%s" % (MAX_LOST_TICKS, ticks, expected, out))
    return "kept %d%% of its loops; %d of %d ticks" % (kept, ticks, expected)
