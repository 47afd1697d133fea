"""TCP ports for QEMU's gdb stub: finding a free one, holding one, sharing them out.

Every QEMU the grader starts listens for gdb on one port: GRADE_PORT, or
else the Makefile's GDBPORT (grade_port()). PortLock holds that port with a
bound socket while no QEMU of ours does, so a second grader (or a `make
qemu-gdb`) finds it taken. free_port() asks the kernel for a port nothing is
bound to, for a test's or a batch job's own QEMU; PortPool hands such ports
to parallel jobs without giving one port to two of them.

Run as a program, `python3 test/ports.py PORT` is `make qemu-gdb`'s check
that PORT is free before QEMU starts (check_free()).
"""

import os
import socket
import sys
import threading

import harness
from harness import check


def free_port():
    """A TCP port nothing was bound to when we asked (on every interface,
    as QEMU's -gdb tcp::PORT binds it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("", 0))
        return probe.getsockname()[1]


def grade_port():
    """The port for QEMU's gdb stub: GRADE_PORT, else the Makefile's GDBPORT."""
    text = os.environ.get("GRADE_PORT") or harness.make_print("print-gdbport")
    check(text.isdigit() and 0 < int(text) < 65536,
          "GRADE_PORT must be a TCP port number, not %r" % text)
    return int(text)


class PortTaken(Exception):
    """The grader's QEMU port is in use by someone else."""


class PortLock:
    """Holds TCP port with a bound socket while no QEMU of ours does."""

    def __init__(self, port):
        self.port = port
        self._socket = None

    def acquire(self):
        """Bind the port; raise PortTaken if something else has it."""
        if self._socket is not None:
            return
        candidate = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            candidate.bind(("", self.port))
        except OSError:
            candidate.close()
            raise PortTaken(
                "another grade run or `make qemu-gdb` is using port %d; wait for it "
                "to finish or set GRADE_PORT to a free port" % self.port)
        self._socket = candidate

    def release(self):
        """Let the port go (so QEMU can take it). Idempotent."""
        if self._socket is not None:
            self._socket.close()
            self._socket = None


class PortPool:
    """Hands out TCP ports that were free when asked and that no job of ours holds."""

    def __init__(self):
        self._lock = threading.Lock()
        self._taken = set()       # guarded by _lock

    def take(self):
        with self._lock:
            port = free_port()
            while port in self._taken:
                port = free_port()
            self._taken.add(port)
            return port

    def give_back(self, port):
        with self._lock:
            self._taken.discard(port)


def check_free(port):
    """For `make qemu-gdb`: exit 0 if port is free, else 1, saying who may
    hold it and how to choose another."""
    lock = PortLock(port)
    try:
        lock.acquire()
    except PortTaken:
        sys.exit("make qemu-gdb: port %d is in use (another `make qemu-gdb`, a grade run, or "
                 "another program holds it), so QEMU's gdb stub could not listen there.\n"
                 "Choose another port: make qemu-gdb GDBPORT=%d (gdb then reads it from the "
                 "new .gdbinit)" % (port, free_port()))
    lock.release()


if __name__ == "__main__":
    check_free(int(sys.argv[1]))
