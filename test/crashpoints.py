"""Kill points: a machine killed in the middle of writing files, then checked.

The crash suite (test/crash_tests.py) runs them, and tools/mutate.py runs
them on file-system mutants.

A kill point boots a machine on a fresh copy of fs.img, starts
`crashwrite -loop NFILES` (user/crashwrite.c) and SIGKILLs QEMU after a
number of `done` lines plus a delay (no lines and a sub-second delay lands
in the first file's writes and commits; later points land in later rounds,
which rewrite the files). Then, on that same image:

  1. `mkfs/fsck IMAGE` must find it clean. fsck replays a committed but
     uninstalled log in memory first, exactly as the kernel does at boot;
     it says "log not empty" when there is one, and such points are counted.
  2. A second machine boots on the image (its kernel replays the log) and
     must reach the shell, where every file is checked (below).
  3. Once that machine is killed at a prompt, fsck must find the image
     clean with nothing left in the log.

What must survive. crashwrite runs steps (file I, round R) in the order
(0, 0), (1, 0) ... (NFILES-1, 0), (0, 1) ..., and prints "done fI R SIZE"
once step (I, R) has written and closed fI. Let (J, R) be the last step
whose done line reached the host complete (a line cut short by the kill
counts as not printed: this only weakens the check of that one file). Then
  - the file of the next step, which may have started, must be in a state a
    crash during that step can leave (`crashwrite -torn fI R`): a file
    rewritten in place (even I, O_TRUNC then several write() calls, each
    write() a series of transactions) holds the previous round's complete
    content or any prefix of the new round's, or is absent in round 0; a
    file rewritten by rename (odd I) holds the previous or the new round's
    complete content, or is absent;
  - every other file that has a done line holds exactly the content of its
    latest done line's round, of that line's size (`crashwrite -check`);
  - every other file is absent: no step for it ever started.
"""

import collections
import os
import random
import re
import time

from harness import Machine, check, fresh_image, fsck

NFILES = 4
WORKLOAD = "crashwrite -loop %d" % NFILES
LINE_TIMEOUT = 30          # seconds to wait for each done line
CHECK_TIMEOUT = 30         # seconds for one check command on the rebooted machine
DONE_LINE = re.compile(r"(?m)^done (f\d+) (\d+) (\d+)\n")
PENDING_LOG = "log not empty"
WORKLOAD_ERROR = re.compile(r"(?m)^crashwrite: .*")

# Kill QEMU once done_lines done lines have appeared, delay seconds later.
KillPoint = collections.namedtuple("KillPoint", "done_lines delay")

SAMPLE_POINTS = (
    KillPoint(0, 0.4),     # writing or committing f0 in round 0
    KillPoint(2, 0.0),     # just after f1's rename, in the metadata churn
    KillPoint(0, 1.2),     # a few files into the first round
    KillPoint(6, 0.1),     # rewriting f2 in place in round 1
)
RANDOM_MAX_DONE_LINES = 3 * NFILES   # reaches round 2
RANDOM_MAX_DELAY = 1.0               # seconds; about two steps of crashwrite
DEFAULT_SEED = 1
REPORT_LINES = 8                     # lines of problems quoted per failed point


def kill_points():
    """The sample points, then seeded random ones up to XV6_CRASH_POINTS."""
    count = int(os.environ.get("XV6_CRASH_POINTS", len(SAMPLE_POINTS)))
    seed = int(os.environ.get("XV6_CRASH_SEED", DEFAULT_SEED))
    generator = random.Random(seed)
    points = list(SAMPLE_POINTS[:count])
    while len(points) < count:
        points.append(KillPoint(generator.randint(0, RANDOM_MAX_DONE_LINES),
                                round(generator.uniform(0, RANDOM_MAX_DELAY), 3)))
    return seed, points


def crash(cpus, image, point, label):
    """Run the workload on image and kill QEMU at point; return its done lines.

    The done lines are (name, round, size) tuples in the order printed.
    """
    with Machine(cpus=cpus, fs_image=image, label=label + " crash") as machine:
        machine.boot()
        machine.send_line(WORKLOAD)
        machine.expect(re.escape(WORKLOAD + "\n"), what="the echo of `%s`" % WORKLOAD)
        start = machine.cursor
        for number in range(1, point.done_lines + 1):
            machine.expect(DONE_LINE.pattern, LINE_TIMEOUT, "done line %d" % number)
        time.sleep(point.delay)
        machine.kill()
        console = machine.output[start:]
    error = WORKLOAD_ERROR.search(console)
    check(error is None, "crashwrite failed before the kill: %r" % (error and error.group()))
    return [(name, int(rnd), int(size)) for name, rnd, size in DONE_LINE.findall(console)]


def next_step(done):
    """The (file number, round) of the step after the last done line."""
    if not done:
        return 0, 0
    name, rnd, _ = done[-1]
    number = int(name[1:]) + 1
    return (number, rnd) if number < NFILES else (0, rnd + 1)


def checks_after(done):
    """Checker commands for the files, and the names that must be absent."""
    latest = {name: (rnd, size) for name, rnd, size in done}   # last line wins
    torn_number, torn_round = next_step(done)
    torn = "f%d" % torn_number
    commands = ["crashwrite -torn %s %d" % (torn, torn_round)]
    absent = set()
    for number in range(NFILES):
        name = "f%d" % number
        if name == torn:
            continue
        if name in latest:
            commands.append("crashwrite -check %s %d %d" % ((name,) + latest[name]))
        else:
            absent.add(name)
    return commands, absent


def verify_files(machine, done):
    """Check every file on the rebooted machine; return a list of problems."""
    problems = []
    commands, absent = checks_after(done)
    for command in commands:
        name = command.split()[2]
        out = machine.run(command, CHECK_TIMEOUT)
        if not re.search(r"(?m)^ok %s\b" % name, out):
            problems.append("`%s` printed %r" % (command, out.strip()))
    listing = machine.run("ls /cw", CHECK_TIMEOUT).splitlines()
    present = {line.split()[0] for line in listing if line.split()}
    for name in sorted(absent & present):
        problems.append("%s exists, but no step ever wrote it (ls /cw: %r)"
                        % (name, listing))
    return problems


def recover(cpus, image, done, label):
    """Reboot on image and check the files; return a list of problems."""
    with Machine(cpus=cpus, fs_image=image, label=label + " reboot") as machine:
        machine.boot()
        return verify_files(machine, done)


def run_point(cpus, point, label):
    """Crash, check and recover one image; return (log was pending, problems)."""
    image = fresh_image()
    done = crash(cpus, image, point, label)
    clean, report = fsck(image)
    pending = PENDING_LOG in report
    if not clean:
        return pending, ["fsck after the crash: %s" % report.strip()]
    problems = recover(cpus, image, done, label)
    clean, report = fsck(image)
    if not clean or PENDING_LOG in report:
        problems.append("fsck after the reboot: %s" % report.strip())
    os.remove(image)                      # 2 MB that nothing reads again
    return pending, problems
