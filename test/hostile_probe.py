"""A hostile submission's payload, for test/sandbox_tests.py; not a test suite.

sandbox_tests.py puts this file, with a JSON file of targets beside it, in
place of a submission's user/lib/gen_usys.py, which the build runs on the
host. It tries what a hostile student could: write outside its folder, read
other people's files, reach the network, fork without bound. It prints one
`hostile: ...` line per attempt on stderr, then exits 1 so that the build
fails and the grader's log quotes those lines.

Targets (JSON, in hostile_targets.json next to this file):
  writes    paths to create or append to (the first is inside its own folder)
  reads     paths whose contents to print
  globs     patterns whose matches to print (other submissions' scratch)
  connect   [host, port] to open a TCP connection to
  forks     how many processes to try to start at most
"""

import glob
import json
import os
import socket
import sys
import time

CONNECT_TIMEOUT = 3        # seconds
CHILD_SECONDS = 30         # a forked child sleeps this long unless killed first


def say(text):
    print("hostile: " + text, file=sys.stderr, flush=True)


def try_writes(paths):
    for path in paths:
        try:
            with open(path, "a") as handle:
                handle.write("written by a hostile submission\n")
            say("write %s: ok" % path)
        except OSError as problem:
            say("write %s: refused (%s)" % (path, problem.strerror))


def try_reads(paths, patterns):
    for pattern in patterns:
        paths = paths + sorted(glob.glob(pattern))
    for path in paths:
        try:
            with open(path, errors="replace") as handle:
                say("read %s: ok: %s" % (path, handle.read(200).strip()))
        except OSError as problem:
            say("read %s: refused (%s)" % (path, problem.strerror))


def try_connect(host, port):
    try:
        socket.create_connection((host, port), CONNECT_TIMEOUT).close()
        say("connect %s:%d: ok" % (host, port))
    except OSError as problem:
        say("connect %s:%d: refused (%s)" % (host, port, problem))


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
    try_writes(targets["writes"])
    try_reads(targets["reads"], targets["globs"])
    try_connect(*targets["connect"])
    try_forks(targets["forks"])
    return 1


if __name__ == "__main__":
    sys.exit(main())
