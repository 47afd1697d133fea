"""The files `make handin` packs: every file git tracks and every untracked
one git does not ignore, so build outputs (which .gitignore lists) stay out.

tools/handin.py packs them; tools/mutate.py and tools/mistakes.py copy them
into the scratch trees they break.
"""

import os
import subprocess

HANDIN = "lab-cow-handin.tar.gz"
TIME_FILE = "time.txt"     # the hours a student spent, which the grader asks for
HANDIN_FOLDER = "lab-cow"                  # the one folder HANDIN holds the files under
NOT_HANDIN = ":(exclude)" + HANDIN + "*"   # a git pathspec: all but HANDIN and its .partial


class GitFailed(Exception):
    """git could not answer; the message names the command and what git said."""


def git(root, *args, paths=(".",)):
    """What `git ARGS -- PATHS NOT_HANDIN` prints at root; GitFailed if git fails."""
    result = subprocess.run(["git"] + list(args) + ["--"] + list(paths) + [NOT_HANDIN], cwd=root,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            universal_newlines=True)
    if result.returncode != 0:
        raise GitFailed("`git %s` failed; is this a git checkout?\n%s"
                        % (" ".join(args), result.stderr.strip()))
    return result.stdout


def files_to_hand_in(root, paths=(".",)):
    """Tracked files under root that still exist, and untracked ones git does
    not ignore, of paths (git pathspecs), sorted; GitFailed if git fails."""
    listed = git(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard",
                 paths=paths).split("\0")
    return sorted({path for path in listed if path and os.path.isfile(os.path.join(root, path))})
