"""Run one submission's build and grade inside bubblewrap (bwrap).

tools/grade-batch.py runs each submission's grader through a Sandbox. A
submission's own code runs during its grade: the build runs host programs
from its tree (user/lib/gen_usys.py, mkfs/mkfs), and its kernel runs in QEMU.
The instructor's grading files are laid over the tree first
(tools/submission.py), but the rest is the student's.

What the sandbox protects against, for the code of one submission:
- writing anywhere but its own scratch folder: the host is bound read-only,
  /tmp is a private tmpfs, and only the scratch folder is bound writable;
- reading the folders the caller names (grade-batch: the submissions, the
  logs, the CSV's folder, the instructor's tree), the instructor's home and
  the other scratch folders beside this one: each is covered by an empty
  tmpfs (the Python that runs the grader is bound back, read-only, when it
  lives under one of them, as a pyenv in $HOME does);
- the network: a network namespace of its own, with only a loopback (so
  QEMU's gdb port cannot collide with anyone's either);
- other processes: a PID namespace of its own, and a session of its own so
  it cannot push characters into the instructor's terminal (TIOCSTI);
- running forever: the batch's --timeout kills bwrap, and --die-with-parent
  takes everything inside with it;
- fork bombs and runaway processes: RLIMIT_NPROC (MAX_PROCESSES tasks,
  threads included), RLIMIT_AS per process (MAX_ADDRESS_SPACE: QEMU reserves
  about 1.8 GB of address space for a 128 MB guest, so this is generous) and
  RLIMIT_FSIZE (MAX_FILE_SIZE), set by prlimit inside the sandbox;
- the instructor's environment variables (tokens, keys): the environment is
  cleared, and only KEPT_VARIABLES and names starting with KEPT_PREFIXES pass.

What it does not protect against:
- filling the disk under the scratch folder (RLIMIT_FSIZE bounds one file,
  not their number), or the machine's memory: the limits are per process
  and there is no cgroup, so MAX_PROCESSES processes of MAX_ADDRESS_SPACE
  each can still press on memory;
- reading what the host shows every user: /usr, /etc (not /etc/shadow
  unless the sandbox user may read it), other users' world-readable files;
- filling memory through /tmp with bubblewrap before 0.5 (Debian 11 has
  0.4.1), which has no --size: there the private /tmp is a tmpfs without a
  size limit of its own (the kernel's default, half the memory);
- kernel bugs in namespaces or bwrap itself: this is a seatbelt, not a VM;
- a submission tampering with its own grade: its tree (with the grader's
  files laid over it) and its results.json are in the writable scratch
  folder. The sandbox protects the instructor and the other submissions,
  not the honesty of this submission's score.

Who runs inside. RLIMIT_NPROC never binds the real root user, so a fork
bomb run as root would be unbounded. The sandbox therefore never runs a
submission as root:
- An instructor who is not root runs bwrap unprivileged, with
  --unshare-user (bwrap needs unprivileged user namespaces for that, which
  Debian and Ubuntu enable by default). The code inside runs as the
  instructor's uid but cannot reach what the mounts hide.
- An instructor who is root runs bwrap privileged (it can then mount from
  any path, even under a 0700 /root), keeping only CAP_SETUID and CAP_SETGID
  for setpriv, which switches to SANDBOX_UID (nobody) with no capabilities and
  no_new_privs before anything of the submission's runs; unshare then puts it
  in a user namespace of its own. The scratch folder is given to nobody first.
In both cases the code runs in a user namespace of its own, so RLIMIT_NPROC
counts only the processes inside this sandbox (the kernel counts per user
namespace): one submission's fork bomb cannot starve another's build, even
when both run as nobody. Folders bwrap creates to reach a mount point inside
a tmpfs are made 0755 (--perms; bubblewrap before 0.5 has no --perms and
makes them 0755 itself), so the sandbox user can walk to them.
"""

import functools
import os
import pwd
import shutil
import subprocess
import sys

BWRAP = "bwrap"
PACKAGE = "bubblewrap"
INSTALL_COMMAND = "sudo apt-get update && sudo apt-get install -y " + PACKAGE
UTILITIES = ("prlimit", "setpriv", "unshare")     # util-linux, in every Debian system

SANDBOX_UID = 65534                 # nobody, for an instructor who is root
SANDBOX_GID = 65534
MAX_PROCESSES = 256                 # tasks (processes and threads) inside one sandbox
MAX_ADDRESS_SPACE = 4 << 30         # bytes per process; QEMU alone takes ~1.8 GB
MAX_FILE_SIZE = 1 << 30             # bytes per file written
TMP_SIZE = 512 << 20                # bytes of the private /tmp
WALKABLE = "0755"                   # mode of the folders bwrap creates on the way to a mount
# Environment variables the grader inside may see; the rest are dropped.
KEPT_VARIABLES = ("PATH", "CPUS", "GRADE_PORT", "TOOLPREFIX", "LANG", "LC_ALL", "TERM")
KEPT_PREFIXES = ("XV6_", "GRADE_")
# The Python that runs the grader, bound read-only at its own path inside
# (it may live in a hidden $HOME, as a pyenv does).
PYTHON_PREFIX = os.path.realpath(sys.base_prefix)
NAMESPACES = ("--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
              "--unshare-cgroup")
# For root: become nobody, with no capabilities, then enter a user namespace.
DROP_ROOT = ["setpriv", "--reuid=%d" % SANDBOX_UID, "--regid=%d" % SANDBOX_GID,
             "--clear-groups", "--no-new-privs", "--inh-caps=-all",
             "unshare", "--user", "--map-current-user"]
LIMITS = ["prlimit", "--nproc=%d" % MAX_PROCESSES, "--as=%d" % MAX_ADDRESS_SPACE,
          "--fsize=%d" % MAX_FILE_SIZE, "--"]


class SandboxMissing(Exception):
    """bwrap (or a util-linux tool) is not installed; the message says what to do."""


def find_bwrap():
    """The path of bwrap; raises SandboxMissing saying what was found and how to get it."""
    found = shutil.which(BWRAP)
    if found is None:
        raise SandboxMissing(
            "no `%s` on PATH (%s). Grading runs each submission's own build and "
            "kernel; to keep them from your files and network it needs bubblewrap "
            "(Debian/Ubuntu package `%s`). Install it with:\n    %s\n"
            "or pass --unsandboxed to run submissions with your own rights."
            % (BWRAP, os.environ.get("PATH", ""), PACKAGE, INSTALL_COMMAND))
    missing = [tool for tool in UTILITIES if shutil.which(tool) is None]
    if missing:
        raise SandboxMissing("found %s but not %s (Debian package util-linux); install it "
                             "with: sudo apt-get install -y util-linux"
                             % (found, ", ".join(missing)))
    return found


@functools.lru_cache(maxsize=None)
def bwrap_options(bwrap):
    """The options this bwrap's --help lists (0.4 lacks --size, --perms, --clearenv)."""
    listed = subprocess.run([bwrap, "--help"], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, universal_newlines=True).stdout
    return frozenset(word for word in listed.split() if word.startswith("--"))


def kept_environment(environment):
    """The part of environment (a dict) that may enter the sandbox."""
    return {name: value for name, value in environment.items()
            if name in KEPT_VARIABLES or name.startswith(KEPT_PREFIXES)}


def homes():
    """The instructor's home folders: $HOME, and the one the password file names."""
    found = [os.environ.get("HOME", "")]
    try:
        found.append(pwd.getpwuid(os.getuid()).pw_dir)
    except KeyError:
        pass                       # a uid with no entry has no home to hide
    return found


def inside(path, folder):
    """Whether path lies strictly inside folder."""
    return path.startswith(folder.rstrip("/") + "/")


def outermost(paths):
    """The existing folders among paths that lie inside no other one, parents first."""
    real = sorted({os.path.realpath(path) for path in paths if path and os.path.isdir(path)})
    kept = []
    for path in real:
        if path != "/" and not any(inside(path, outer) for outer in kept):
            kept.append(path)
    return kept


class Sandbox:
    """A bwrap jail in which only scratch (a folder) is writable.

    hidden: folders the code inside must not see (each becomes an empty
    tmpfs); the instructor's home (homes()) and the folder holding scratch
    (where the other submissions' scratch folders are) are always hidden.
    """

    def __init__(self, scratch, hidden=(), bwrap=None):
        self.scratch = os.path.realpath(scratch)
        self.bwrap = bwrap or find_bwrap()
        self.as_root = os.geteuid() == 0
        self.tmpfs = ["/tmp"] + [path for path in outermost(
            list(hidden) + homes() + [os.path.dirname(self.scratch)])
            if not inside(path, "/tmp") and path != "/tmp"]

    def _give_scratch_away(self):
        """Make the sandbox user own scratch, so that it can write there."""
        if not self.as_root:
            return
        for folder, folders, files in os.walk(self.scratch):
            for name in [folder] + [os.path.join(folder, entry) for entry in folders + files]:
                os.lchown(name, SANDBOX_UID, SANDBOX_GID)

    def _walkable(self, path):
        """bwrap options that create path's ancestors inside a tmpfs as 0755 folders."""
        options = []
        ancestor = os.path.dirname(path)
        while ancestor != "/":
            if any(inside(ancestor, mount) for mount in self.tmpfs):
                options[:0] = self._if_known("--perms", WALKABLE) + ["--dir", ancestor]
            ancestor = os.path.dirname(ancestor)
        return options

    def _if_known(self, *option):
        """option (a flag and its values) if this bwrap has it, else nothing."""
        return list(option) if option[0] in bwrap_options(self.bwrap) else []

    def command(self, command, cwd, environment):
        """The bwrap argv that runs command (a list) in cwd (inside scratch) with
        the kept part of environment, under the limits, never as root."""
        python_bin = os.path.dirname(os.path.realpath(sys.executable))
        kept = kept_environment(environment)
        kept["PATH"] = python_bin + os.pathsep + kept.get("PATH", os.defpath)
        kept.update(HOME=self.scratch, TMPDIR="/tmp")
        argv = [self.bwrap, "--die-with-parent", "--new-session"] + list(NAMESPACES)
        if self.as_root:
            argv += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
        else:
            argv += ["--unshare-user"]
        argv += ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
        argv += self._if_known("--size", str(TMP_SIZE)) + ["--tmpfs", "/tmp"]
        for path in self.tmpfs[1:]:
            argv += ["--tmpfs", path]
        for path, how in ((PYTHON_PREFIX, "--ro-bind"), (self.scratch, "--bind")):
            argv += self._walkable(path) + [how, path, path]
        # Without --clearenv (bwrap 0.4), bwrap's own environment is what popen
        # gives it, PATH alone, which the --setenv below overrides.
        argv += ["--chdir", cwd] + self._if_known("--clearenv")
        for name, value in sorted(kept.items()):
            argv += ["--setenv", name, value]
        return argv + ["--"] + (DROP_ROOT if self.as_root else []) + LIMITS + list(command)

    def popen(self, command, cwd, environment, **options):
        """subprocess.Popen(command, **options), run in the sandbox from cwd
        (inside scratch) with the kept part of environment."""
        self._give_scratch_away()
        return subprocess.Popen(self.command(command, cwd, environment), cwd="/",
                                env={"PATH": environment.get("PATH", os.defpath)}, **options)
