"""A hostile submission's payload, for the hostile and sandbox suites; not a suite.

The suites put this file, with a JSON file of targets beside it, in place
of a submission's user/lib/gen_usys.py, which the build runs. It tries what
a student attacking the grader could: forge its results and kill the
grader, plant links where the host once wrote, write outside its folder,
read other people's files, reach host services (TCP, Unix and abstract
sockets), and fork without bound. It prints one `hostile: ATTEMPT: OUTCOME`
line per attempt on stderr, OUTCOME starting with "ok" only when the
attempt got through to something not its own (a forged file or a planted
link it could make is "written" or "made": whether the host ever reads it
is for the score to show), then exits 1 so that the build fails and the grader's
log quotes those lines.

Targets (JSON, in hostile_targets.json next to this file; each optional):
  writes    paths to create or append to (the first is inside its own folder)
  forge     paths to write a forged results.json to (full marks, and more)
  plant     {link: target}: symbolic links to make (inside its own folder)
  kill      a word of the grader's command line: SIGKILL every process
            whose command line holds it
  reads     paths whose contents to print
  globs     patterns whose matches to print (other submissions' scratch)
  connect   [host, port] to open a TCP connection to
  unix      paths of Unix sockets to connect to
  abstract  names of abstract Unix sockets to connect to
  forks     how many processes to try to start at most
"""

import glob
import json
import os
import signal
import socket
import sys
import time

CONNECT_TIMEOUT = 3        # seconds
CHILD_SECONDS = 30         # a forked child sleeps this long unless killed first
FORGED_POINTS = 1000       # per test: far above any test's points
FORGED_TESTS = ("build", "simple", "three", "usertests", "time")


def say(text):
    print("hostile: " + text, file=sys.stderr, flush=True)


def try_writes(paths, text="written by a hostile submission\n", attempt="write",
               success="ok"):
    """Write text to each of paths; say success, or why it was refused."""
    for path in paths:
        try:
            with open(path, "a") as handle:
                handle.write(text)
            say("%s %s: %s" % (attempt, path, success))
        except OSError as problem:
            say("%s %s: refused (%s)" % (attempt, path, problem.strerror))


def try_forge(paths):
    """Write results.json files claiming every test passed, with points a
    grader must clamp, and a score that is not a number at all."""
    tests = [{"name": name, "score": FORGED_POINTS, "max_score": FORGED_POINTS,
              "status": "passed", "output": "forged"} for name in FORGED_TESTS]
    try_writes(paths, json.dumps({"score": "=1+1", "tests": tests}), "forge", "written")


def try_plant(links):
    for link, target in sorted(links.items()):
        try:
            if os.path.lexists(link):
                os.unlink(link)
            os.symlink(target, link)
            say("plant %s -> %s: made" % (link, target))
        except OSError as problem:
            say("plant %s: could not (%s)" % (link, problem.strerror))


def try_kill(word):
    """SIGKILL every process whose command line holds word (walking /proc)."""
    found, killed, refused = [], [], []
    for entry in glob.glob("/proc/[0-9]*/cmdline"):
        pid = int(entry.split("/")[2])
        try:
            with open(entry, "rb") as handle:
                command = handle.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if word in command and pid != os.getpid():
            found.append(pid)
            try:
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
            except OSError as problem:
                refused.append(problem.strerror)
    if killed:
        say("kill %s: ok (killed %s)" % (word, killed))
    else:
        say("kill %s: refused (found %d: %s)" % (word, len(found), ", ".join(refused) or "none"))


def try_reads(paths, patterns):
    for pattern in patterns:
        paths = paths + sorted(glob.glob(pattern))
    for path in paths:
        try:
            with open(path, errors="replace") as handle:
                say("read %s: ok: %s" % (path, handle.read(200).strip()))
        except OSError as problem:
            say("read %s: refused (%s)" % (path, problem.strerror))


def try_socket(what, family, address):
    client = socket.socket(family, socket.SOCK_STREAM)
    client.settimeout(CONNECT_TIMEOUT)
    try:
        client.connect(address)
        say("connect %s: ok" % what)
    except OSError as problem:
        say("connect %s: refused (%s)" % (what, problem))
    finally:
        client.close()


def try_forks(most):
    """Start up to most sleeping children, count them, then kill them all."""
    children = []
    stopped = "reached %d" % most
    try:
        while len(children) < most:
            child = os.fork()
            if child == 0:
                time.sleep(CHILD_SECONDS)
                os._exit(0)
            children.append(child)
    except OSError as problem:
        stopped = problem.strerror
    for child in children:
        os.kill(child, 9)
        os.waitpid(child, 0)
    say("forks: %d (%s)" % (len(children), stopped))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "hostile_targets.json")) as handle:
        targets = json.load(handle)
    try_writes(targets.get("writes", []))
    try_forge(targets.get("forge", []))
    try_plant(targets.get("plant", {}))
    if targets.get("kill"):
        try_kill(targets["kill"])
    try_reads(targets.get("reads", []), targets.get("globs", []))
    if targets.get("connect"):
        host, port = targets["connect"]
        try_socket("tcp %s:%d" % (host, port), socket.AF_INET, (host, port))
    for path in targets.get("unix", []):
        try_socket("unix %s" % path, socket.AF_UNIX, path)
    for name in targets.get("abstract", []):
        try_socket("abstract @%s" % name, socket.AF_UNIX, "\0" + name)
    try_forks(targets.get("forks", 0))
    return 1


if __name__ == "__main__":
    sys.exit(main())
