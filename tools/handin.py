#!/usr/bin/env python3
"""Pack the tree for handing in: `make zipball` (or `make handin`).

Writes HANDIN (lab-cow-handin.tar.gz) at the top of the tree. It holds,
under one folder FOLDER/, every file git tracks and every untracked file git
does not ignore, so build outputs (which .gitignore lists) stay out.

Refuses, with exit status 1, while `git status --porcelain` shows
uncommitted changes, unless given --force (`make zipball FORCE=1`): what is
handed in should be what is committed. HANDIN itself never counts as a change.
New files (time.txt, which the starter does not have, is the usual one) are
named with the `git add` command that adds them, since `git commit -a`
leaves them out.
"""

import os
import subprocess
import sys
import tarfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HANDIN = "lab-cow-handin.tar.gz"
FOLDER = "lab-cow"
TIME_FILE = "time.txt"
NOT_HANDIN = ":(exclude)" + HANDIN + "*"   # a git pathspec: all but HANDIN and its .partial
EXIT_REFUSED = 1


def git(*args):
    """What `git ARGS -- . NOT_HANDIN` prints at the top of the tree; exits 1 if git fails."""
    result = subprocess.run(["git"] + list(args) + ["--", ".", NOT_HANDIN], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            universal_newlines=True)
    if result.returncode != 0:
        sys.exit("handin: `git %s` failed; is this a git checkout?\n%s"
                 % (" ".join(args), result.stderr.strip()))
    return result.stdout


def files_to_hand_in():
    """Tracked files that still exist, and untracked ones git does not ignore, sorted."""
    listed = git("ls-files", "-z", "--cached", "--others", "--exclude-standard").split("\0")
    return sorted({path for path in listed if path and os.path.isfile(os.path.join(ROOT, path))})


def main(argv):
    force = argv == ["--force"]
    if argv and not force:
        sys.exit("usage: tools/handin.py [--force]")
    changes = git("status", "--porcelain")
    if changes and not force:
        new = [line[3:] for line in changes.splitlines() if line.startswith("?? ")]
        print("handin: these changes are not committed:\n%s" % changes, file=sys.stderr)
        if new:
            print("handin: add the new files first: git add %s" % " ".join(new), file=sys.stderr)
        print("handin: commit them (git commit -am 'my solution') and run make handin again,\n"
              "handin: or hand in the tree as it is with: make handin FORCE=1", file=sys.stderr)
        return EXIT_REFUSED
    if not os.path.isfile(os.path.join(ROOT, TIME_FILE)):
        print("handin: warning: no %s; the time test (1 point) wants the hours you spent "
              "on its first line" % TIME_FILE, file=sys.stderr)
    paths = files_to_hand_in()
    partial = os.path.join(ROOT, HANDIN + ".partial")
    with tarfile.open(partial, "w:gz") as tar:
        for path in paths:
            tar.add(os.path.join(ROOT, path), arcname=FOLDER + "/" + path, recursive=False)
    os.replace(partial, os.path.join(ROOT, HANDIN))
    print("handin: wrote %s (%d files); hand in that file" % (HANDIN, len(paths)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
