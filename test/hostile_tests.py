"""Hostile submissions graded beside an honest one: no grade can be forged.

One batch (tools/grade-batch.py, bubblewrap) grades an honest solution
next to one submission per attack, and the same kinds of submission go
through tools/gradescope/run_autograder in a simulated /autograder layout
(the build and QEMU run as nobody, without namespaces: Gradescope's
fallback). The honest one must get full marks; every hostile one 0 or
status error, with the reason; the CSV must be complete; and nothing
outside the hostile submissions' own scratch folders may be created,
changed, read or deleted (canary files' checksums and access times, a
snapshot of the test's folder, listeners' logs).

The attacks:
- hostile: its build (test/hostile_probe.py in place of gen_usys.py)
  forges results.json files, kills every grade-lab-cow it can find, plants
  links at the names the host used to open (results.json.partial,
  grader.log, xv6.out, time.txt), writes outside its folder, reads the
  canary, connects to TCP and abstract sockets of the host and to Unix
  sockets in every folder of SERVICE_FOLDERS it may write, and forks
  without bound; then fails its build;
- inner_links: a folder whose time.txt links to the canary and whose
  user/ and test/ link to another folder (the victim);
- linked_folder, stolen: entries that are themselves links, to the victim
  folder and to another student's archive;
- bomb.tar.gz, bomb.zip: 1 GB of zeros, compressed (the unpack suite's);
- =HYPERLINK(1), @SUM(1): names a spreadsheet would run;
- dup.zip, dup.tar.gz: two submissions with one name;
- replay: a correct solution whose kernel swaps the nonce the grader types
  for another (in exec's arguments), so cowtest prints the genuine lines
  of another run;
- forger: a kernel that prints a recorded passing transcript as it boots,
  and again instead of running cowtest;
- user_forger: the starter, with a user program that prints every result
  line with this run's proofs and a shell that runs it for cowtest (the
  batch boots the instructor's fs.img, so neither is ever run).
Checks of the results reader itself (clamped points, non-numeric scores,
missing tests) and of a row that raises run without QEMU.
"""

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile

import batch
import labgrader
import sandbox
from archives import pack, write_tar_bomb, write_zip_bomb
from canaries import Canary, Listener, changes, snapshot
from graderun import patch, tree_copy
from harness import REPO, Suite, TestSkipped, check, copy_tree, run
from ports import PortPool
import submission
from starter import starter_tree

suite = Suite("hostile", cpus=(3,), boot=False)

PROBE = os.path.join(REPO, "test", "hostile_probe.py")
PROBE_VICTIM = os.path.join("user", "lib", "gen_usys.py")   # a host program the build runs
TARGETS_NAME = "hostile_targets.json"
GRADE_BATCH = os.path.join(REPO, "tools", "grade-batch.py")
RUN_AUTOGRADER = os.path.join(REPO, "tools", "gradescope", "run_autograder")
BATCH_TESTS = ("simple", "three")
BATCH_TIMEOUT = 900            # seconds for the whole batch
SUBMISSION_TIMEOUT = 240       # seconds for one submission's grade
AUTOGRADER_TIMEOUT = 300       # seconds for one run_autograder
MOST_FORKS = 1000
WALKABLE = 0o755
FORMULA_NAMES = ("=HYPERLINK(1)", "@SUM(1)")
REPLAYED_NONCE = "0123456789abcdef"
# Where host services put their sockets, each tried when this user may write it.
SERVICE_FOLDERS = ("/run", "/run/user/%d" % os.getuid(), "/var/run", "/var/tmp", "/dev/shm",
                   "/tmp")
COWTEST_NAMES = labgrader.cowtest_order()


# --- Building hostile submissions ---------------------------------------------

def place_probe(folder, script_name, targets):
    """Put the probe at folder/script_name with its targets beside it."""
    path = os.path.join(folder, script_name)
    shutil.copy2(PROBE, path)
    with open(os.path.join(os.path.dirname(path), TARGETS_NAME), "w") as handle:
        json.dump(targets, handle)


def arm(tree, targets):
    """Put the probe in place of tree's gen_usys.py, which the build runs."""
    place_probe(tree, PROBE_VICTIM, targets)


def forged_transcript():
    """The lines of a passing cowtest run without valid proofs, as C literals."""
    lines = ["cowtest: 30000 pages free"]
    lines += ["%s: ok 0000000000000000" % name for name in COWTEST_NAMES]
    lines.append("cowtest summary: " + " ".join("%s=ok" % name for name in COWTEST_NAMES))
    lines.append("ALL COW TESTS PASSED")
    return "".join('    "%s\\n"\n' % line for line in lines)


# In sys_exec, with the program's arguments fetched: the replaying kernel
# swaps the 16 hex digits after -n for REPLAYED_NONCE (cowtest then runs for
# real but proves another run's nonce); the forging kernel answers an exec
# of cowtest by printing a recorded passing transcript.
EXEC_ANCHOR = "  if (fetch_args(uargv, argv) == 0)\n    ret = exec(path, argv);"
EXEC_HOOKED = "  if (fetch_args(uargv, argv) == 0) {\n    %s\n    ret = exec(path, argv);\n  }"
EXEC_FILE = os.path.join("kernel", "sys", "sysfile.c")
KERNEL_PREFIX = '#include "lib/printf.h"\n#include "lib/string.h"\n'
REPLAY_FUNCTION = r"""
static void replay_nonce(char **argv) {
  for (int i = 1; argv[i] != 0 && argv[i + 1] != 0; i++)
    if (strncmp(argv[i], "-n", 3) == 0)
      for (int k = 0; k < 16 && argv[i + 1][k] != 0; k++)
        argv[i + 1][k] = "%s"[k];
}
""" % REPLAYED_NONCE
FORGER_FUNCTION = r"""
static const char *transcript =
%s    ;
static int forge_results(const char *path) {
  if (strncmp(path, "cowtest", 8) != 0 && strncmp(path, "/cowtest", 9) != 0)
    return 0;
  printf("%%s", transcript);
  return 1;
}
"""
KERNEL_MAIN = os.path.join("kernel", "boot", "main.c")
KERNEL_BANNER = '  printf("\\nxv6-cow kernel is booting (timer: %s)\\n\\n", timer_name());'


def arm_replayer(tree):
    """Make tree's kernel swap the nonce of every exec's -n; return tree."""
    return patch(tree, EXEC_FILE, EXEC_ANCHOR, EXEC_HOOKED % "replay_nonce(argv);",
                 KERNEL_PREFIX + REPLAY_FUNCTION)


def arm_forger(tree):
    """Make tree's kernel print the transcript as it boots and instead of
    running cowtest; return tree."""
    patch(tree, EXEC_FILE, EXEC_ANCHOR,
          EXEC_HOOKED % "if (forge_results(path)) {\n      free_args(argv);\n      return -1;\n    }",
          KERNEL_PREFIX + FORGER_FUNCTION % forged_transcript())
    return patch(tree, KERNEL_MAIN, KERNEL_BANNER, "%s\n  printf(\n%s  );" % (
        KERNEL_BANNER, forged_transcript()))


# A user program that prints every cowtest result line with this run's
# proofs (it reads the nonce like cowtest), and a shell that runs it for
# cowtest: a forger in user space, on the starter's kernel.
USER_FORGER = r"""#include "kernel/types.h"
#include "user/user.h"
#include "user/proof.h"
static const char *labels[] = { %s };
int main(int argc, char *argv[]) {
  uint64 nonce = 0;
  char proof[PROOF_TEXT_SIZE];
  if (argc > 2)
    proof_parse_nonce(argv[2], &nonce);
  printf("cowtest: 30000 pages free\n");
  for (int i = 0; i < (int)(sizeof(labels) / sizeof(labels[0])); i++) {
    proof_format(proof_of(nonce, labels[i], 0), proof);
    printf("%%s: ok %%s\n", labels[i], proof);
  }
  printf("cowtest summary: %s\nALL COW TESTS PASSED\n");
  exit(0);
}
"""
SHELL = os.path.join("user", "sh.c")
SHELL_EXEC = "  exec(name, c->argv);"
SHELL_REDIRECTED = ('  if (strcmp(name, "cowtest") == 0)\n    name = "fakecow";\n'
                    "  exec(name, c->argv);")


def arm_user_forger(tree):
    """Give tree the user-space forger; return tree."""
    labels = []
    for name in COWTEST_NAMES:
        labels += [name] + ["%s (run %d)" % (name, run) for run in range(2, 4)]
    with open(os.path.join(tree, "user", "fakecow.c"), "w") as handle:
        handle.write(USER_FORGER % (", ".join('"%s"' % label for label in labels),
                                    " ".join("%s=ok" % name for name in COWTEST_NAMES)))
    return patch(tree, SHELL, SHELL_EXEC, SHELL_REDIRECTED)


def not_a_tree(path):
    """A small archive at path (.zip or .tar.gz by its name) that holds no tree."""
    if path.endswith(".zip"):
        with zipfile.ZipFile(path, "w") as bundle:
            bundle.writestr("README", "not a tree\n")
    else:
        with tarfile.open(path, "w:gz") as tar:
            info = tarfile.TarInfo("README")
            tar.addfile(info)


# --- The batch ----------------------------------------------------------------

class Scene:
    """The host around a batch: a victim folder, a canary, listeners, and the
    folder of submissions, all under scratch."""

    def __init__(self, scratch, token):
        self.scratch = scratch
        for name in ("submissions", "victim", "outside", "sockets", "tmp", "other"):
            os.mkdir(os.path.join(scratch, name))
        self.folder = os.path.join(scratch, "submissions")
        self.victim = os.path.join(scratch, "victim")
        for relative in ("Makefile", "test/keep.py", "user/keep.c"):
            os.makedirs(os.path.dirname(os.path.join(self.victim, relative)), exist_ok=True)
            with open(os.path.join(self.victim, relative), "w") as handle:
                handle.write("the victim's own %s\n" % relative)
        self.canary = Canary(os.path.join(scratch, "outside", "secret"), "canary-" + token)
        self.socket_folders = [tempfile.mkdtemp(prefix="xv6-hostile-sockets-", dir=parent)
                               for parent in SERVICE_FOLDERS if os.access(parent, os.W_OK)]
        self.listeners = [Listener("tcp"), Listener("abstract", "xv6-hostile-" + token)] + [
            Listener("unix", os.path.join(folder, "service.sock"))
            for folder in self.socket_folders]

    def targets(self, own_file):
        tcp, abstract = self.listeners[:2]
        unix = [listener.address for listener in self.listeners[2:]]
        return {"writes": [own_file, os.path.join(self.victim, "Makefile"),
                           os.path.join(self.scratch, "outside", "written")],
                "forge": ["../results.json", "../host/results.json", "results.json"],
                "plant": {"results.json.partial": self.canary.path,
                          "grader.log": self.canary.path, "xv6.out": self.canary.path,
                          "time.txt": self.canary.path},
                "kill": "grade-lab-cow",
                "reads": [self.canary.path], "globs": [os.path.join(self.scratch, "*", "*")],
                "connect": tcp.address, "unix": unix, "abstract": [abstract.address],
                "forks": MOST_FORKS}

    def contacted(self):
        return ["%s %s" % (listener.kind, listener.address) for listener in self.listeners
                if listener.contacted()]

    def close(self):
        for listener in self.listeners:
            listener.close()
        for folder in self.socket_folders:
            shutil.rmtree(folder, ignore_errors=True)


def build_submissions(scene, source, starter):
    """Every submission of the batch, in scene.folder (starter: the lab's
    starter tree, for the user-space forger)."""
    folder = scene.folder
    copy_tree(source, os.path.join(folder, "honest"))
    arm(copy_tree(source, os.path.join(folder, "hostile")), scene.targets("owned-by-hostile"))
    inner = copy_tree(source, os.path.join(folder, "inner_links"))
    for relative, target in (("time.txt", scene.canary.path), ("user", scene.victim),
                             ("test", os.path.join(scene.victim, "test"))):
        path = os.path.join(inner, relative)
        shutil.rmtree(path) if os.path.isdir(path) else os.unlink(path)
        os.symlink(target, path)
    os.symlink(scene.victim, os.path.join(folder, "linked_folder"))
    other = os.path.join(scene.scratch, "other", "someone.tar.gz")
    pack(source, other)
    os.symlink(other, os.path.join(folder, "stolen.tar.gz"))
    write_tar_bomb(os.path.join(folder, "bomb.tar.gz"))
    write_zip_bomb(os.path.join(folder, "bomb.zip"))
    for name in FORMULA_NAMES:
        os.mkdir(os.path.join(folder, name))
    not_a_tree(os.path.join(folder, "dup.zip"))
    not_a_tree(os.path.join(folder, "dup.tar.gz"))
    arm_replayer(copy_tree(source, os.path.join(folder, "replay")))
    arm_forger(copy_tree(source, os.path.join(folder, "forger")))
    arm_user_forger(copy_tree(starter, os.path.join(folder, "user_forger")))


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
    """The probe ran (it wrote its own folder) and everything else it tried
    failed; returns how many processes its fork bomb got."""
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


# What each submission's row must show: (status, words its note holds).
EXPECTED_ROWS = {
    "hostile": ("build_failed", ""),
    "inner_links": ("build_failed", ""),
    "linked_folder": ("error", "symbolic link"),
    "stolen": ("error", "symbolic link"),
    "bomb.tar.gz": ("error", "more than 256 MB unpacked"),
    "bomb.zip": ("error", "more than 256 MB unpacked"),
    "dup.zip": ("error", "no kernel/ folder"),
    "dup.tar.gz": ("error", "no kernel/ folder"),
    "replay": ("graded", ""),
    "forger": ("graded", ""),
    "user_forger": ("graded", ""),
}
EXPECTED_ROWS.update((name, ("error", "no kernel/ folder")) for name in FORMULA_NAMES)


def expect_rows(rows, output):
    """Honest: graded, full marks. Every other: its status, 0 points, its note."""
    wanted = sorted(["honest"] + list(EXPECTED_ROWS))
    check(sorted(rows) == wanted, "expected rows %s, got %s\n%s" % (wanted, sorted(rows), output))
    honest = rows["honest"]
    check(honest["status"] == "graded" and honest["score"] == honest["max_score"] != "0",
          "expected the honest submission graded with full marks, got %r\n%s" % (honest, output))
    for name, (status, words) in EXPECTED_ROWS.items():
        row = rows[name]
        check((row["status"], row["score"]) == (status, "0") and words in row["note"],
              "expected %s to score 0 with status %s and a note saying %r, got %r\n%s"
              % (name, status, words, row, output))


def expect_proofs_refused(logs):
    """The replay's and the forger's grades failed on their proofs, and say so."""
    for name in ("replay", "forger"):
        with open(os.path.join(logs, name + ".log"), errors="replace") as handle:
            log = handle.read()
        check("simple: FAIL" in log and "proof" in log,
              "expected %s's simple to fail for want of this run's proof; its log:\n%s"
              % (name, log[-3000:]))


@suite.test
def batch_scores_every_attack_zero_and_the_honest_one_full(m):
    with tree_copy() as source, starter_tree() as starter:
        scratch = os.path.dirname(source)
        scene = Scene(scratch, os.path.basename(scratch))
        try:
            build_submissions(scene, source, starter)
            logs, out = os.path.join(scratch, "logs"), os.path.join(scratch, "results.csv")
            temporary = os.path.join(scratch, "tmp")
            before = snapshot(scratch, skip=(temporary, logs, scene.canary.path))
            status, output = run([sys.executable, GRADE_BATCH, scene.folder, "--out", out,
                                  "--logs", logs, "--jobs", "2", "--tests", ",".join(BATCH_TESTS),
                                  "--timeout", str(SUBMISSION_TIMEOUT)],
                                 scratch, BATCH_TIMEOUT, TMPDIR=temporary, CPUS=str(m.cpus))
            after = snapshot(scratch, skip=(temporary, logs, out, scene.canary.path))
            contacted = scene.contacted()
        finally:
            scene.close()
        check(status == 0 and os.path.isfile(out),
              "expected grade-batch to write %s, got exit status %d:\n%s" % (out, status, output))
        with open(out, newline="") as handle:
            text = handle.read()
        rows = {row["name"].lstrip("'"): row for row in csv.DictReader(text.splitlines())}
        with open(os.path.join(logs, "hostile.log"), errors="replace") as handle:
            hostile_log = handle.read()
        touched = scene.canary.touched()
        expect_proofs_refused(logs)
    check(not changes(before, after), "expected nothing outside the submissions' scratch "
          "folders to change; changed: %s" % ", ".join(changes(before, after)[:10]))
    check(not touched, "expected the canary untouched, but it was %s" % touched)
    check(not contacted, "expected no connection to the host's listeners; reached: %s"
          % ", ".join(contacted))
    forks = expect_contained(probe_lines(hostile_log), "owned-by-hostile",
                             [scene.canary.secret], hostile_log)
    check(scene.canary.secret not in text + output,
          "expected the canary's secret in neither the CSV nor the batch's output")
    for name in FORMULA_NAMES:
        check(("'" + name) in text, "expected the name %s escaped as '%s in the CSV:\n%s"
              % (name, name, text))
    expect_rows(rows, output)
    return "%d submissions; honest %s/%s, every attack 0; fork bomb stopped at %d" % (
        len(rows), rows["honest"]["score"], rows["honest"]["max_score"], forks)


# --- Gradescope ---------------------------------------------------------------

def autograde(layout, case, **environment):
    """run_autograder on layout/submissions/case, as nobody; return (results, output)."""
    submission_folder = os.path.join(layout, "submissions", case)
    results = os.path.join(layout, "results", "results.json")
    if os.path.exists(results):
        os.unlink(results)
    status, output = run([sys.executable, RUN_AUTOGRADER], layout, AUTOGRADER_TIMEOUT,
                         AUTOGRADER_ROOT=layout, AUTOGRADER_SUBMISSION=submission_folder,
                         AUTOGRADER_TESTS="simple time", AUTOGRADER_CONFINE="user",
                         **environment)
    check(status == 0 and os.path.isfile(results),
          "expected run_autograder to exit 0 and write %s for %s, got %d:\n%s"
          % (results, case, status, output))
    with open(results) as handle:
        return json.load(handle), output


@suite.test
def autograder_runs_the_build_as_nobody_and_scores_attacks_zero(m):
    if os.geteuid() != 0:
        raise TestSkipped("run_autograder confines the build as nobody only when run as root")
    with tree_copy() as tree:
        os.chmod(os.path.dirname(tree), WALKABLE)      # as / is, above a real /autograder
        layout = os.path.join(os.path.dirname(tree), "autograder")
        source = copy_tree(tree, os.path.join(layout, "source"))
        os.chmod(layout, WALKABLE)
        # World-readable: only the source's own mode (0700) protects it.
        secret = Canary(os.path.join(source, "SOLUTION-SECRET"), "solution-" + tree[-8:], 0o644)
        results_folder = os.path.join(layout, "results")
        os.makedirs(results_folder)
        cases = os.path.join(layout, "submissions")
        copy_tree(tree, os.path.join(cases, "honest", "lab"))
        hostile = copy_tree(tree, os.path.join(cases, "hostile", "lab"))
        arm(hostile, {"writes": ["owned-by-hostile",
                                 os.path.join(results_folder, "results.json"),
                                 os.path.join(source, "grade-lab-cow")],
                      "forge": [os.path.join(results_folder, "results.json")],
                      "kill": "grade-lab-cow", "reads": [secret.path], "forks": MOST_FORKS})
        forger = arm_forger(copy_tree(tree, os.path.join(cases, "forger", "lab")))
        os.unlink(os.path.join(forger, "time.txt"))     # so that it earns nothing honestly
        os.makedirs(os.path.join(cases, "bomb"))
        write_tar_bomb(os.path.join(cases, "bomb", "lab.tar.gz"))
        os.makedirs(os.path.join(cases, "linked"))
        os.symlink(os.path.join(cases, "honest", "lab"), os.path.join(cases, "linked", "lab"))
        graded = {}
        for case in ("honest", "hostile", "forger", "bomb", "linked"):
            before = snapshot(source, skip=(secret.path,))
            graded[case] = autograde(layout, case)
            changed = changes(before, snapshot(source, skip=(secret.path,)))
            check(not changed, "expected the grading files unchanged after %s; changed: %s"
                  % (case, changed[:5]))
        touched = secret.touched()
    check(not touched, "expected the solution's secret file untouched, but it was %s" % touched)
    honest, output = graded["honest"]
    check(honest["score"] == 11 and "as nobody" in output,
          "expected the honest submission to score 11 (simple, time) with its build run as "
          "nobody, got %r\n%s" % (honest, output[-2000:]))
    for case, words in (("hostile", "not run: the build failed"), ("forger", "proof"),
                        ("bomb", "more than 256 MB unpacked"), ("linked", "no kernel/ folder")):
        results, output = graded[case]
        check(results["score"] == 0 and words in json.dumps(results)
              and secret.secret not in output + json.dumps(results),
              "expected %s to score 0 saying %r, without the solution's secret; got %r\n%s"
              % (case, words, results, output[-3000:]))
    lines = probe_lines(graded["hostile"][1])
    expect_contained(lines, "owned-by-hostile", [secret.secret], graded["hostile"][1])
    return "honest 11; hostile, forger, bomb and link 0; the build ran as nobody"


# --- The results reader and the batch's rows, without QEMU ---------------------

@suite.test
def results_reader_clamps_points_and_refuses_what_is_not_a_score(m):
    tests = [("simple", 10), ("time", 1)]
    entry = {"status": "passed", "output": "forged"}
    forged = {"tests": [dict(entry, name="build", score=0),
                        dict(entry, name="simple", score=1000),
                        dict(entry, name="time", score=-5)]}
    checked = submission.checked_results(forged, tests)
    scores = [(test["name"], test["score"], test["status"]) for test in checked["tests"]]
    check(scores == [("build", 0, "passed"), ("simple", 10, "passed"), ("time", 0, "failed")]
          and checked["score"] == 10,
          "expected 1000 points clamped to 10 and -5 to 0, got %r" % checked)
    malformed = {
        "a string score": {"tests": [dict(entry, name="simple", score="=1+1"),
                                     dict(entry, name="time", score=1)]},
        "a missing test": {"tests": [dict(entry, name="simple", score=10)]},
        "no tests at all": {"score": 1000},
        "a boolean score": {"tests": [dict(entry, name="simple", score=True),
                                      dict(entry, name="time", score=1)]},
    }
    for what, raw in malformed.items():
        try:
            submission.checked_results(raw, tests)
        except submission.MalformedResults:
            continue
        check(False, "expected results with %s refused as malformed" % what)


# --- The sandbox alone ----------------------------------------------------------

NOT_ROOT = ["setpriv", "--reuid=%d" % sandbox.SANDBOX_UID, "--regid=%d" % sandbox.SANDBOX_GID,
            "--clear-groups"]
SYSTEM_PYTHON = "/usr/bin/python3"    # one that nobody can run (a pyenv under /root is not)
PROBE_TIMEOUT = 60             # seconds for the probe run directly through a Sandbox
QUICK_TIMEOUT = 30             # seconds for a grade-batch that refuses or has nothing to do


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
        listeners = [Listener("tcp"), Listener("unix", os.path.join(outside, "service.sock")),
                     Listener("abstract", "xv6-sandbox-" + token)]
        own_file = os.path.join(work, "own")
        place_probe(work, "probe.py", {"writes": [own_file, os.path.join(outside, "written")],
                                       "reads": [os.path.join(outside, "secret")],
                                       "connect": listeners[0].address,
                                       "unix": [listeners[1].address],
                                       "abstract": [listeners[2].address], "forks": MOST_FORKS})
        # nobody may not be able to read the repository (a clone in root's
        # 0700 home), so it imports a copy of the module from scratch.
        shutil.copy(os.path.join(REPO, "test", "sandbox.py"), scratch)
        os.chmod(os.path.join(scratch, "sandbox.py"), 0o644)
        starter = ("import os, sys; sys.path.insert(0, %r); import sandbox; "
                   "box = sandbox.Sandbox(%r, [%r]); "
                   "sys.exit(box.popen([sys.executable, 'probe.py'], %r, dict(os.environ)).wait())"
                   % (scratch, work, outside, work))
        try:
            result = subprocess.run(runner + [python, "-c", starter], cwd=work,
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    universal_newlines=True, timeout=PROBE_TIMEOUT)
            contacted = [listener.kind for listener in listeners if listener.contacted()]
        finally:
            for listener in listeners:
                listener.close()
        wrote = sorted(os.listdir(outside))
    check(result.returncode == 1, "expected the probe's own exit status 1, got %d:\n%s"
          % (result.returncode, result.stdout))
    check(wrote == ["secret", "service.sock"], "expected nothing new in %s, found %s"
          % (outside, wrote))
    check(not contacted, "expected no connection to the host's listeners; reached: %s"
          % ", ".join(contacted))
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



@suite.test
def batch_row_of_a_failing_grade_is_an_error_and_the_csv_is_written(m):
    tests = [("simple", 10), ("time", 1)]
    options = argparse.Namespace(logs=None, tests=None, timeout=1, confine=None,
                                 submissions="/nonexistent", out="/nonexistent/x.csv",
                                 columns=tests)
    real_grade = submission.grade

    def crashing_grade(path, *arguments, **keywords):
        if path.endswith("bad"):
            raise TypeError("unsupported operand type(s) for +: 'int' and 'str'")
        return submission.GRADED, "", submission.fallback_results("fine", tests)
    submission.grade = crashing_grade
    try:
        ports = PortPool()
        rows = [batch.grade_one(options, ports, path, os.path.basename(path), None)
                for path in ("/x/bad", "/x/good")]
    finally:
        submission.grade = real_grade
    check(rows[0]["status"] == "error" and "TypeError" in rows[0]["note"]
          and rows[0]["score"] == 0 and rows[1]["status"] == "graded",
          "expected the crashing grade's row as an error with its reason, and the next "
          "row graded; got %r" % rows)
    with tempfile.TemporaryDirectory(prefix="xv6-csv-") as scratch:
        out = os.path.join(scratch, "rows.csv")
        columns = batch.FIXED_COLUMNS + ("simple", "time") + batch.LAST_COLUMNS
        batch.write_csv(out, columns, rows + [dict(rows[1], name="=2+2", note="-cmd|x")])
        with open(out, newline="") as handle:
            written = list(csv.DictReader(handle))
    check([row["name"] for row in written] == ["bad", "good", "'=2+2"]
          and written[2]["note"] == "'-cmd|x",
          "expected every row written, formula-like cells escaped; got %r" % written)
