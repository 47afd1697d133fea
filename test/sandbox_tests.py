"""The batch grader's sandbox (tools/sandbox.py), checked from outside.

- A hostile submission graded next to an honest one: its build runs
  test/hostile_probe.py in place of user/lib/gen_usys.py, which tries to
  write outside its folder (the instructor's tree, $HOME, the honest
  submission, the batch's scratch, the real /tmp), read the honest
  submission and the other scratch folders, connect to a socket this test
  listens on, and fork without bound. The honest one must score full
  marks, the hostile one 0 (its build fails on purpose, so its log quotes
  what it tried), and no file outside its folder may change.
- The same probe run through a Sandbox by a user who is not root (when the
  tests run as root: as nobody), the other way tools/sandbox.py starts bwrap.
- Without bwrap, grade-batch refuses, saying what it needs, unless
  --unsandboxed.
"""

import csv
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile

from harness import REPO, Suite, check
from grade_tests import tree_copy
from gradescale_tests import copy_tree, run, surviving_qemus

sys.path.insert(0, os.path.join(REPO, "tools"))
import sandbox  # noqa: E402  (needs the path above)

suite = Suite("sandbox", cpus=(3,), boot=False)

PROBE = os.path.join(REPO, "test", "hostile_probe.py")
PROBE_VICTIM = os.path.join("user", "lib", "gen_usys.py")   # a host program the build runs
TARGETS_NAME = "hostile_targets.json"
BATCH_TESTS = ("simple", "three")
BATCH_TIMEOUT = 600            # seconds for the whole batch
SUBMISSION_TIMEOUT = 240       # seconds for one submission's grade
PROBE_TIMEOUT = 60             # seconds for the probe run directly through a Sandbox
MOST_FORKS = 1000              # the probe stops here; the sandbox should stop it far sooner
QUICK_TIMEOUT = 30             # seconds for a grade-batch that refuses or has nothing to do
NOT_ROOT = ["setpriv", "--reuid=%d" % sandbox.SANDBOX_UID, "--regid=%d" % sandbox.SANDBOX_GID,
            "--clear-groups"]
SYSTEM_PYTHON = "/usr/bin/python3"    # one that nobody can run (a pyenv under /root is not)


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


def listener():
    """A TCP socket listening on 127.0.0.1, which accept()s without blocking."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.setblocking(False)
    return server


def was_contacted(server):
    """Whether anyone connected to server."""
    try:
        server.accept()[0].close()
        return True
    except BlockingIOError:
        return False


def arm(folder, targets, script_name):
    """Put the probe at folder/script_name with its targets beside it."""
    shutil.copy2(PROBE, os.path.join(folder, script_name))
    with open(os.path.join(os.path.dirname(os.path.join(folder, script_name)), TARGETS_NAME),
              "w") as handle:
        json.dump(targets, handle)


def probe_lines(text):
    """{attempt: outcome} from the probe's `hostile: ATTEMPT: OUTCOME` lines in text."""
    found = {}
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("hostile: "):
            attempt, _, outcome = line[len("hostile: "):].partition(": ")
            found[attempt] = outcome
    return found


def expect_contained(lines, own_file, secrets, text):
    """The probe ran (it wrote its own folder) and everything else it tried failed."""
    check(lines.get("write " + own_file) == "ok",
          "expected the probe to write its own folder (%s); got %r in:\n%s"
          % (own_file, lines, text[-3000:]))
    escaped = [attempt for attempt, outcome in lines.items()
               if outcome.startswith("ok") and attempt != "write " + own_file]
    check(not escaped, "expected every other attempt refused, but these worked: %s\n%s"
          % (escaped, text[-3000:]))
    leaked = [secret for secret in secrets if secret in text]
    check(not leaked, "expected no secret in the probe's output, found %s" % leaked)
    forks = lines.get("forks", "")
    count = int(forks.split()[0]) if forks[:1].isdigit() else None
    check(count is not None and count < sandbox.MAX_PROCESSES,
          "expected the fork bomb stopped below %d processes, got %r"
          % (sandbox.MAX_PROCESSES, forks))
    return count


@suite.test
def batch_confines_a_hostile_submission_beside_an_honest_one(m):
    with tree_copy() as source:
        scratch = os.path.dirname(source)
        folder, home, temporary = (os.path.join(scratch, name)
                                   for name in ("submissions", "home", "tmp"))
        for made in (folder, home, temporary):
            os.mkdir(made)
        token = os.path.basename(scratch)
        secrets = ["honest-secret-" + token, "home-secret-" + token]
        honest = copy_tree(source, os.path.join(folder, "honest"))
        hostile = copy_tree(source, os.path.join(folder, "hostile"))
        for path, secret in ((os.path.join(honest, "SECRET.txt"), secrets[0]),
                             (os.path.join(home, ".secret"), secrets[1])):
            with open(path, "w") as handle:
                handle.write(secret + "\n")
        real_tmp = os.path.join(tempfile.gettempdir(), "xv6-hostile-" + token)
        server = listener()
        own_file = "owned-by-hostile"      # relative: its build runs at its tree's top
        targets = {"writes": [own_file, os.path.join(source, "kernel", "HACKED"),
                              os.path.join(home, ".profile"),
                              os.path.join(honest, "Makefile"),
                              os.path.join(temporary, "HACKED"), real_tmp],
                   "reads": [os.path.join(honest, "SECRET.txt"), os.path.join(home, ".secret")],
                   "globs": [os.path.join(temporary, "*", "tree", "SECRET.txt")],
                   "connect": list(server.getsockname()), "forks": MOST_FORKS}
        arm(hostile, targets, PROBE_VICTIM)
        logs, out = os.path.join(scratch, "logs"), os.path.join(scratch, "results.csv")
        before = snapshot(scratch, skip=(temporary, logs))
        try:
            status, output = run([sys.executable, os.path.join(source, "tools", "grade-batch.py"),
                                  folder, "--out", out, "--logs", logs, "--jobs", "2",
                                  "--tests", ",".join(BATCH_TESTS),
                                  "--timeout", str(SUBMISSION_TIMEOUT)],
                                 scratch, BATCH_TIMEOUT, HOME=home, TMPDIR=temporary,
                                 CPUS=str(m.cpus))
            after = snapshot(scratch, skip=(temporary, logs, out))
            survivors = surviving_qemus(temporary)
            contacted = was_contacted(server)
            wrote_real_tmp = os.path.exists(real_tmp)
        finally:
            server.close()
            if os.path.exists(real_tmp):
                os.unlink(real_tmp)
        check(status == 0 and os.path.isfile(out),
              "expected grade-batch to write %s, got exit status %d:\n%s" % (out, status, output))
        with open(out, newline="") as handle:
            rows = {row["name"]: row for row in csv.DictReader(handle)}
        with open(os.path.join(logs, "hostile.log"), errors="replace") as handle:
            hostile_log = handle.read()
    check(not changes(before, after), "expected nothing outside the hostile folder to change; "
          "changed: %s" % ", ".join(changes(before, after)[:10]))
    check(not wrote_real_tmp, "expected no %s, but the probe created it" % real_tmp)
    check(not contacted, "expected no connection to the listener, but the probe got through")
    check(not survivors, "expected no QEMU left running, found pids %s" % survivors)
    forks = expect_contained(probe_lines(hostile_log), own_file, secrets, hostile_log)
    expect_scores(rows, output)
    return "honest %s/%s, hostile %s, its fork bomb stopped at %d" % (
        rows["honest"]["score"], rows["honest"]["max_score"], rows["hostile"]["status"], forks)


def expect_scores(rows, output):
    """Honest: graded, full marks. Hostile: build_failed, 0 (its build fails on purpose)."""
    check(sorted(rows) == ["honest", "hostile"], "expected rows honest and hostile, got %s\n%s"
          % (sorted(rows), output))
    honest, hostile = rows["honest"], rows["hostile"]
    check(honest["status"] == "graded" and honest["score"] == honest["max_score"] != "0",
          "expected the honest submission graded with full marks, got %r\n%s" % (honest, output))
    check((hostile["status"], hostile["score"]) == ("build_failed", "0"),
          "expected the hostile submission to score 0 with build_failed, got %r" % hostile)


@suite.test
def sandbox_confines_an_instructor_who_is_not_root(m):
    if os.geteuid() == 0:
        runner, python = NOT_ROOT, SYSTEM_PYTHON
        check(os.access(python, os.X_OK), "expected %s to run the check as nobody" % python)
    else:
        runner, python = [], sys.executable
    with tempfile.TemporaryDirectory(prefix="xv6-sandbox-") as scratch:
        os.chmod(scratch, 0o755)
        work, outside = os.path.join(scratch, "work"), os.path.join(scratch, "outside")
        for made in (work, outside):
            os.mkdir(made)
            os.chmod(made, 0o777)         # the user may write here, the sandbox may not
        token = os.path.basename(scratch)
        with open(os.path.join(outside, "secret"), "w") as handle:
            handle.write("outside-secret-" + token)
        os.chmod(os.path.join(outside, "secret"), 0o644)
        server = listener()
        own_file = os.path.join(work, "own")
        arm(work, {"writes": [own_file, os.path.join(outside, "written")],
                   "reads": [os.path.join(outside, "secret")], "globs": [],
                   "connect": list(server.getsockname()), "forks": MOST_FORKS}, "probe.py")
        # nobody may not be able to read the repository (a clone in root's
        # 0700 home), so it imports a copy of the module from scratch.
        shutil.copy(os.path.join(REPO, "tools", "sandbox.py"), scratch)
        os.chmod(os.path.join(scratch, "sandbox.py"), 0o644)
        starter = ("import os, sys; sys.path.insert(0, %r); import sandbox; "
                   "box = sandbox.Sandbox(%r, [%r]); "
                   "sys.exit(box.popen([sys.executable, 'probe.py'], %r, dict(os.environ)).wait())"
                   % (scratch, work, outside, work))
        try:
            result = subprocess.run(runner + [python, "-c", starter], cwd=work,
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    universal_newlines=True, timeout=PROBE_TIMEOUT)
            contacted = was_contacted(server)
        finally:
            server.close()
        wrote = os.listdir(outside)
    check(result.returncode == 1, "expected the probe's own exit status 1, got %d:\n%s"
          % (result.returncode, result.stdout))
    check(wrote == ["secret"], "expected nothing new in %s, found %s" % (outside, wrote))
    check(not contacted, "expected no connection to the listener, but the probe got through")
    forks = expect_contained(probe_lines(result.stdout), own_file, ["outside-secret-" + token],
                             result.stdout)
    return "as %s; fork bomb stopped at %d" % ("nobody" if runner else "myself", forks)


@suite.test
def batch_refuses_without_bwrap_unless_unsandboxed(m):
    with tempfile.TemporaryDirectory(prefix="xv6-nobwrap-") as scratch:
        bin_folder, folder = os.path.join(scratch, "bin"), os.path.join(scratch, "submissions")
        for made in (bin_folder, folder):
            os.mkdir(made)
        os.symlink(sys.executable, os.path.join(bin_folder, "python3"))
        out = os.path.join(scratch, "results.csv")
        command = [sys.executable, os.path.join(REPO, "tools", "grade-batch.py"), folder,
                   "--out", out]
        status, output = run(command, scratch, QUICK_TIMEOUT, PATH=bin_folder)
        check(status != 0 and not os.path.exists(out),
              "expected grade-batch to refuse without bwrap, got %d:\n%s" % (status, output))
        for needed in ("no `bwrap` on PATH (%s)" % bin_folder, "apt-get install -y bubblewrap",
                       "--unsandboxed"):
            check(needed in output, "expected the refusal to say %r, got:\n%s" % (needed, output))
        status, output = run(command + ["--unsandboxed"], scratch, QUICK_TIMEOUT, PATH=bin_folder)
        check(status == 0 and os.path.isfile(out),
              "expected --unsandboxed to grade the (empty) folder, got %d:\n%s" % (status, output))
