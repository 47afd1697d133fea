"""Run a submission's own code (its build, its kernel in QEMU) confined.

Grading a submission runs code the student wrote: the build runs host
programs from the tree (user/lib/gen_usys.py, mkfs/mkfs), and QEMU runs
the kernel. The grader itself (the instructor's grade-lab-cow, which drives
QEMU's console and scores it) runs outside, as the instructor, and starts
each of those programs through a confinement from this file. Two kinds:

- Sandbox (bubblewrap, `bwrap`): tools/grade-batch.py, and Gradescope when
  bwrap works in its container.
- Unprivileged (setpriv only, for root): Gradescope's fallback where a
  container forbids the namespaces bwrap needs.

Both have popen(command, cwd, environment, **streams) and prepare(folder),
which hands the scratch tree to the user the code runs as.

What the Sandbox protects against, for the code of one submission:
- seeing the host's files: the new root holds only ROOT_FOLDERS (/usr, /etc,
  /opt and the /bin, /lib... links), read-only, the Python that runs the
  build, read-only, and the scratch tree, writable. Everything else (/home,
  /root, /run, /var, /srv, /mnt, the submissions, the logs, the CSV, the
  instructor's tree, the results the grader writes) is simply not there;
  folders the caller names that lie inside a bound folder are covered by an
  empty tmpfs;
- host services: no /run, /var/run or /run/user (session buses,
  `systemd --user`, Docker's socket), no host /tmp, /var/tmp or /dev/shm
  (its own /dev, and a private /tmp and /var/tmp of TMP_SIZE each), and a
  network namespace of its own
  (only a loopback), which also hides abstract Unix sockets;
- other processes: a PID namespace of its own, and a session of its own so
  it cannot push characters into the instructor's terminal (TIOCSTI);
- running forever: the grader's limits kill bwrap, and --die-with-parent
  takes everything inside with it;
- fork bombs and runaway processes: RLIMIT_NPROC (MAX_PROCESSES tasks,
  threads included), RLIMIT_AS per process (MAX_ADDRESS_SPACE: QEMU reserves
  about 1.8 GB of address space for a 128 MB guest, so this is generous) and
  RLIMIT_FSIZE (MAX_FILE_SIZE), set by prlimit inside the sandbox;
- the instructor's environment variables (tokens, keys): the environment is
  cleared, and only KEPT_VARIABLES and names starting with KEPT_PREFIXES pass.

What it does not protect against:
- filling the disk under the scratch tree (RLIMIT_FSIZE bounds one file,
  not their number), or the machine's memory: the limits are per process
  and there is no cgroup;
- reading what /usr, /etc and /opt show the user it runs as (nobody for
  a root instructor; the instructor, with their groups, otherwise);
- filling memory through /tmp with bubblewrap before 0.5 (Debian 11 has
  0.4.1), which has no --size: there the private /tmp has no size limit of
  its own (the kernel's default, half the memory);
- kernel bugs in namespaces or bwrap itself: this is a seatbelt, not a VM.

Who runs inside. RLIMIT_NPROC never binds the real root user, so a fork
bomb run as root would be unbounded. A submission therefore never runs as
root:
- An instructor who is not root runs bwrap unprivileged, with
  --unshare-user (bwrap needs unprivileged user namespaces for that, which
  Debian and Ubuntu enable by default). The code inside runs as the
  instructor's uid but reaches only what the new root holds, and its PID
  namespace keeps it from naming, so from signalling, the grader.
- An instructor who is root runs bwrap privileged (it can then bind paths
  under a 0700 /root), keeping only CAP_SETUID and CAP_SETGID for setpriv,
  which switches to SANDBOX_UID (nobody) with no capabilities and
  no_new_privs before anything of the submission's runs; unshare then puts
  it in a user namespace of its own, so that RLIMIT_NPROC counts only the
  processes of this sandbox.

Unprivileged (root only) is setpriv to nobody, no_new_privs, no
capabilities, and the same prlimit limits, without namespaces: the code
cannot write what nobody cannot (the grading files, the results folder,
the grader's own files), cannot signal or trace the grader (it runs as
root), but it sees the network and every world-readable file and socket.
RLIMIT_NPROC then counts every process of nobody's, and sweep() kills
every process of nobody's after each command: meant for a container that
grades one submission (Gradescope), not for a shared machine.

Before Linux 5.14, RLIMIT_NPROC counts a user's processes in every user
namespace together: there, sandboxes run at once by a root instructor
(all nobody) share the MAX_PROCESSES, so one fork bomb can fail another
submission's build; grade with --jobs 1 on such a kernel.

The wrapper programs (setpriv, unshare, prlimit) are run by absolute
path, and the PATH the code gets keeps only absolute folders.
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
# Temporary folders, each a tmpfs of the sandbox's own: /var/tmp is where
# QEMU 7.2 and later put -snapshot's overlay, whatever TMPDIR says.
PRIVATE_TMPS = ("/tmp", "/var/tmp")
SHARED_TMP_MODE = "1777"            # their mode, as a /tmp has (bwrap would make it 0755)
# The host folders the new root holds, read-only: programs, their libraries
# and configuration. /bin, /lib... are links into /usr on a merged-/usr system.
ROOT_FOLDERS = ("/usr", "/etc", "/opt", "/bin", "/sbin", "/lib", "/lib32", "/lib64",
                "/libx32")
# Environment variables the code inside may see; the rest are dropped.
KEPT_VARIABLES = ("PATH", "CPUS", "GRADE_PORT", "TOOLPREFIX", "LANG", "LC_ALL", "TERM")
KEPT_PREFIXES = ("XV6_", "GRADE_")
# The Python that runs the build's scripts, bound read-only at its own path
# inside (it may live under /root or $HOME, as a pyenv does).
PYTHON_PREFIX = os.path.realpath(sys.base_prefix)
NAMESPACES = ("--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
              "--unshare-cgroup")
# Where the wrapper programs are looked for: system folders only, never the
# PATH, whose empty or relative entries would find a program of the tree's.
SYSTEM_PATH = "/usr/bin:/bin:/usr/sbin:/sbin"


def system_tool(name):
    """The absolute path of util-linux's name (its name alone if it is missing,
    which find_bwrap() reports)."""
    return shutil.which(name, path=SYSTEM_PATH) or name


# For root: become nobody, with no capabilities.
BECOME_NOBODY = [system_tool("setpriv"), "--reuid=%d" % SANDBOX_UID,
                 "--regid=%d" % SANDBOX_GID, "--clear-groups", "--no-new-privs",
                 "--inh-caps=-all"]
OWN_USER_NAMESPACE = [system_tool("unshare"), "--user", "--map-current-user"]
LIMITS = [system_tool("prlimit"), "--nproc=%d" % MAX_PROCESSES, "--as=%d" % MAX_ADDRESS_SPACE,
          "--fsize=%d" % MAX_FILE_SIZE, "--"]
# Run as nobody after each confined command of Unprivileged's: ends every
# process of nobody's that escaped the grader's process group (setsid).
# kill(-1) reaches every process the caller may signal but itself; the
# system's Python, since nobody may not reach the grader's (a pyenv in /root).
KILL_ALL_OF_NOBODY = BECOME_NOBODY + [system_tool("python3"), "-c",
                                      "import os, signal; os.kill(-1, signal.SIGKILL)"]
PROBE_TIMEOUT = 30                  # seconds for works(): one `true` in the sandbox


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
    missing = [tool for tool in UTILITIES if shutil.which(tool, path=SYSTEM_PATH) is None]
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


def give_to_nobody(folder):
    """Make SANDBOX_UID own folder and everything under it (links not followed)."""
    for parent, folders, files in os.walk(folder):
        for name in [parent] + [os.path.join(parent, entry) for entry in folders + files]:
            os.lchown(name, SANDBOX_UID, SANDBOX_GID)


def confined_environment(environment, home, tmpdir=PRIVATE_TMPS[0]):
    """The environment the confined code gets: the kept part of environment,
    with the grader's Python first on PATH, HOME at home and TMPDIR at tmpdir."""
    python_bin = os.path.dirname(os.path.realpath(sys.executable))
    kept = kept_environment(environment)
    # Only absolute entries: an empty or relative one would name the tree.
    folders = [folder for folder in kept.get("PATH", os.defpath).split(os.pathsep)
               if os.path.isabs(folder)]
    kept["PATH"] = os.pathsep.join([python_bin] + folders)
    kept.update(HOME=home, TMPDIR=tmpdir)
    return kept


class Sandbox:
    """A bwrap jail whose root holds ROOT_FOLDERS read-only and scratch writable.

    readable: files outside scratch to bind read-only (the disk image).
    hidden: folders the code inside must not see even where they lie inside
    a bound folder (each becomes an empty tmpfs); the instructor's homes are
    always among them.
    """

    kind = "bwrap"

    def __init__(self, scratch, hidden=(), readable=(), bwrap=None):
        self.scratch = os.path.realpath(scratch)
        self.readable = [os.path.realpath(path) for path in readable]
        self.bwrap = bwrap or find_bwrap()
        self.as_root = os.geteuid() == 0
        self.hidden = sorted({os.path.realpath(path) for path in list(hidden) + homes()
                              if path and os.path.isdir(path)})

    def prepare(self, folder):
        """Make folder (inside scratch) writable by the sandbox user."""
        if self.as_root:
            give_to_nobody(folder)

    def sweep(self):
        """Nothing to do: a sandbox's processes die with its PID namespace."""

    def _if_known(self, *option):
        """option (a flag and its values) if this bwrap has it, else nothing."""
        return list(option) if option[0] in bwrap_options(self.bwrap) else []

    def _root(self):
        """bwrap options that build the new root: ROOT_FOLDERS, /dev, /proc, /tmp."""
        argv = []
        for path in ROOT_FOLDERS:
            if os.path.islink(path):
                argv += ["--symlink", os.readlink(path), path]
            elif os.path.isdir(path):
                argv += ["--ro-bind", path, path]
        argv += ["--dev", "/dev", "--proc", "/proc"]
        for folder in PRIVATE_TMPS:
            argv += self._if_known("--perms", SHARED_TMP_MODE) + \
                self._if_known("--size", str(TMP_SIZE)) + ["--tmpfs", folder]
        return argv

    def _bound(self):
        """The folders bound into the new root, real paths."""
        return [os.path.realpath(path) for path in ROOT_FOLDERS
                if os.path.isdir(path) and not os.path.islink(path)] + [PYTHON_PREFIX]

    def _covers(self):
        """--tmpfs options over the hidden folders that a bound folder would show."""
        bound = self._bound()
        argv = []
        for path in self.hidden:
            if any(path == folder or inside(path, folder) for folder in bound) \
                    and not inside(self.scratch, path) and path != self.scratch:
                argv += ["--tmpfs", path]
        return argv

    def _walkable(self, path):
        """bwrap options that create path's ancestors in the new root as 0755
        folders (bwrap would make them 0700, which nobody could not walk)."""
        options = []
        ancestor = os.path.dirname(path)
        while ancestor != "/" and ancestor not in PRIVATE_TMPS:
            options[:0] = self._if_known("--perms", WALKABLE) + ["--dir", ancestor]
            ancestor = os.path.dirname(ancestor)
        return options

    def command(self, command, cwd, environment):
        """The bwrap argv that runs command (a list) in cwd (inside scratch) with
        the kept part of environment, under the limits, never as root."""
        argv = [self.bwrap, "--die-with-parent", "--new-session"] + list(NAMESPACES)
        if self.as_root:
            argv += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
        else:
            argv += ["--unshare-user"]
        argv += self._root()
        if not any(PYTHON_PREFIX == folder or inside(PYTHON_PREFIX, folder)
                   for folder in self._bound()[:-1]):
            argv += self._walkable(PYTHON_PREFIX) + ["--ro-bind", PYTHON_PREFIX, PYTHON_PREFIX]
        argv += self._covers()
        argv += self._walkable(self.scratch) + ["--bind", self.scratch, self.scratch]
        for path in self.readable:
            argv += self._walkable(path) + ["--ro-bind", path, path]
        # Without --clearenv (bwrap 0.4), bwrap's own environment is what popen
        # gives it, PATH alone, which the --setenv below overrides.
        argv += ["--chdir", cwd] + self._if_known("--clearenv")
        # bwrap before 0.5 has no --perms: its tmpfs folders are then root's
        # 0755, which nobody cannot write, so temporary files go to scratch
        # (QEMU before 7.2, as Debian 11 has, puts -snapshot's file in TMPDIR).
        tmpdir = PRIVATE_TMPS[0] if self._if_known("--perms") else self.scratch
        for name, value in sorted(confined_environment(environment, self.scratch,
                                                       tmpdir).items()):
            argv += ["--setenv", name, value]
        inner = BECOME_NOBODY + OWN_USER_NAMESPACE if self.as_root else []
        return argv + ["--"] + inner + LIMITS + list(command)

    def popen(self, command, cwd, environment, **options):
        """subprocess.Popen(command, **options), run in the sandbox from cwd
        (inside scratch) with the kept part of environment."""
        return subprocess.Popen(self.command(command, cwd, environment), cwd="/",
                                env={"PATH": environment.get("PATH", os.defpath)}, **options)

    def works(self):
        """None if a `true` runs in this sandbox, else what went wrong (bwrap's words)."""
        try:
            result = subprocess.run(self.command(["true"], "/", {"PATH": os.defpath}),
                                    cwd="/", stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    universal_newlines=True, timeout=PROBE_TIMEOUT)
        except (OSError, subprocess.TimeoutExpired) as problem:
            return str(problem)
        return None if result.returncode == 0 else result.stdout.strip() or \
            "exit status %d" % result.returncode


class Unprivileged:
    """The code runs as nobody, without capabilities, under the prlimit
    limits; no namespaces. For root only. (The grader is started without a
    controlling terminal, so there is no terminal to push characters into.)"""

    kind = "user"

    def __init__(self, scratch):
        if os.geteuid() != 0:
            raise SandboxMissing("running submissions as nobody needs root; "
                                 "this grader runs as uid %d" % os.geteuid())
        self.scratch = os.path.realpath(scratch)

    def prepare(self, folder):
        """Make folder writable by nobody."""
        give_to_nobody(folder)

    def command(self, command, environment):
        """The argv that runs command as nobody under the limits, and the
        environment it gets."""
        return (BECOME_NOBODY + LIMITS + list(command),
                confined_environment(environment, self.scratch))

    def sweep(self):
        """Kill every process of nobody's: what a confined command left behind,
        even out of the grader's process group (the grade ends with them)."""
        subprocess.run(KILL_ALL_OF_NOBODY, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)

    def popen(self, command, cwd, environment, **options):
        """subprocess.Popen(command, **options) as nobody, from cwd."""
        argv, kept = self.command(command, environment)
        return subprocess.Popen(argv, cwd=cwd, env=kept, **options)
