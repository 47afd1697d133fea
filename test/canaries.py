"""Tripwires on the host, for the suites that grade hostile submissions.

- snapshot()/changes(): every file under a folder, by content, mtime and
  mode, before and after, so that a test can say which changed.
- Canary: a secret file whose reading shows. Its access time is set a day
  before its modification time, so even a relatime mount (the default)
  records the next read; touched() says whether it was read, changed or
  removed, and the secret is a token no other file holds.
- Listener: a socket the host listens on, the kind a submission must not
  reach: TCP on 127.0.0.1, a Unix socket file in a folder anyone may
  write, or an abstract Unix socket. contacted() accepts without blocking.
"""

import hashlib
import os
import socket

DAY = 24 * 3600
ANYONE = 0o777             # a Unix socket folder and file anyone may use
BACKLOG = 8


def snapshot(folder, skip=()):
    """{path: (sha256, mtime_ns, mode)} of every file under folder, except
    the files and folders in skip and __pycache__ folders (the instructor's
    own Python writes those)."""
    found = {}
    for parent, folders, files in os.walk(folder):
        folders[:] = [name for name in folders if name != "__pycache__"
                      and os.path.join(parent, name) not in skip]
        for path in [os.path.join(parent, name) for name in files]:
            if path in skip:
                continue
            status = os.lstat(path)
            digest = ""
            if os.path.isfile(path) and not os.path.islink(path):
                with open(path, "rb") as handle:
                    digest = hashlib.sha256(handle.read()).hexdigest()
            found[path] = (digest, status.st_mtime_ns, status.st_mode)
    return found


def changes(before, after):
    """The paths added, removed or changed between two snapshots, sorted."""
    return sorted(path for path in set(before) | set(after) if before.get(path) != after.get(path))


class Canary:
    """A file at path holding secret, of mode (by default its owner's alone)."""

    def __init__(self, path, secret, mode=0o600):
        self.path = path
        self.secret = secret
        with open(path, "w") as handle:
            handle.write(secret + "\n")
        os.chmod(path, mode)
        status = os.stat(path)
        os.utime(path, ns=(status.st_mtime_ns - DAY * 10 ** 9, status.st_mtime_ns))
        self.status = os.stat(path)

    def touched(self):
        """What happened to the canary since it was made: "" if nothing, else
        which of read, changed, removed."""
        try:
            status = os.lstat(self.path)
        except FileNotFoundError:
            return "removed"
        happened = []
        if status.st_atime_ns != self.status.st_atime_ns:
            happened.append("read")
        if (status.st_mtime_ns, status.st_size, status.st_mode, status.st_ino) != (
                self.status.st_mtime_ns, self.status.st_size, self.status.st_mode,
                self.status.st_ino):
            happened.append("changed")
        return ", ".join(happened)


class Listener:
    """A listening socket: kind "tcp" (127.0.0.1, any port), "unix" (a file
    at address, in a folder anyone may write) or "abstract" (address is
    the name). address is what a client connects to."""

    def __init__(self, kind, address=None):
        self.kind = kind
        family = socket.AF_INET if kind == "tcp" else socket.AF_UNIX
        self.server = socket.socket(family, socket.SOCK_STREAM)
        if kind == "tcp":
            self.server.bind(("127.0.0.1", 0))
            self.address = list(self.server.getsockname())
        elif kind == "unix":
            os.chmod(os.path.dirname(address), ANYONE)
            self.server.bind(address)
            os.chmod(address, ANYONE)
            self.address = address
        else:
            self.server.bind("\0" + address)
            self.address = address
        self.server.listen(BACKLOG)
        self.server.setblocking(False)

    def contacted(self):
        """Whether anyone connected since the listener opened."""
        try:
            self.server.accept()[0].close()
            return True
        except BlockingIOError:
            return False

    def close(self):
        self.server.close()
