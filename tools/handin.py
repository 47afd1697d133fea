#!/usr/bin/env python3
"""Pack the tree for handing in: `make zipball` (or `make handin`).

Writes HANDIN (lab-cow-handin.tar.gz) at the top of the tree. It holds,
under one folder HANDIN_FOLDER/, the files test/handinfiles.py lists: every
file git tracks and every untracked file git does not ignore, so build
outputs (which .gitignore lists) stay out.

Refuses, with exit status 1, while `git status --porcelain` shows
uncommitted changes, unless given --force (`make zipball FORCE=1`): what is
handed in should be what is committed. HANDIN itself never counts as a change.
New files (time.txt, which the starter does not have, is the usual one) are
named with the `git add` command that adds them, since `git commit -a`
leaves them out.
"""

import os
import sys
import tarfile

import labpath
from handinfiles import (HANDIN, HANDIN_FOLDER, TIME_FILE, GitFailed,  # noqa: E402
                         files_to_hand_in, git)

ROOT = labpath.TREE
EXIT_REFUSED = 1


def main(argv):
    force = argv == ["--force"]
    if argv and not force:
        sys.exit("usage: tools/handin.py [--force]")
    try:
        changes = git(ROOT, "status", "--porcelain")
        paths = files_to_hand_in(ROOT)
    except GitFailed as failure:
        sys.exit("handin: %s" % failure)
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
    partial = os.path.join(ROOT, HANDIN + ".partial")
    with tarfile.open(partial, "w:gz") as tar:
        for path in paths:
            tar.add(os.path.join(ROOT, path), arcname=HANDIN_FOLDER + "/" + path, recursive=False)
    os.replace(partial, os.path.join(ROOT, HANDIN))
    print("handin: wrote %s (%d files); hand in that file" % (HANDIN, len(paths)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
