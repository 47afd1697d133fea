#!/usr/bin/env python3
"""Write the COW lab's starter tree: the solved tree minus the solution.

The solution is marked in the sources with comment lines:

    // COW-LAB BEGIN: <what to implement here>
    ... solution code ...
    // COW-LAB END

becomes, in the starter, the single line

    // TODO (COW lab): <what to implement here>

and a line

    // COW-LAB STARTER: <code>

(a comment in the solved tree) becomes <code> in the starter, at the same
indentation: it is how the starter keeps working without the solution (for
example, fork copying memory eagerly).

Usage: tools/handout.py OUTDIR   (OUTDIR must not exist yet)

Only files tracked by git are copied, so build outputs never leak into the
handout.  Exits 1 with file:line on a malformed marker.
"""
import os
import re
import shutil
import subprocess
import sys

BEGIN = re.compile(r"^(\s*)// COW-LAB BEGIN: (.+)$")
END = re.compile(r"^\s*// COW-LAB END\s*$")
STARTER = re.compile(r"^(\s*)// COW-LAB STARTER: (.*)$")
ANY_MARKER = "// COW-LAB"

# Left out of a student's tree: the starter check, the tools for grading many
# submissions, time.txt (students write their own), and the kernel's work
# beyond the lab: fault-around reuse and shared page-table pages (the
# challenge, docs/lab-cow-challenge.md, asks students to write the latter).
# A path ending in / stands for everything under it.
INSTRUCTOR_ONLY = ("test/handout_tests.py", "test/gradescale_tests.py", "time.txt",
                   "tools/gradescope/", "tools/grade-batch.py", "tools/sandbox.py",
                   "test/sandbox_tests.py", "test/hostile_probe.py",
                   "kernel/mm/cowaround.c", "kernel/mm/sharedpt.c")
TEXT_SUFFIXES = (".c", ".h", ".S")


class MarkerError(Exception):
    pass


def strip_solution(lines, path):
    """Returns the starter version of a source file's lines."""
    out = []
    inside = None  # line number of the open BEGIN
    for number, line in enumerate(lines, 1):
        where = "%s:%d" % (path, number)
        begin, end, starter = BEGIN.match(line), END.match(line), STARTER.match(line)
        if begin:
            if inside:
                raise MarkerError("%s: COW-LAB BEGIN inside the region opened at line %d" % (where, inside))
            inside = number
            out.append("%s// TODO (COW lab): %s\n" % (begin.group(1), begin.group(2)))
        elif end:
            if not inside:
                raise MarkerError("%s: COW-LAB END without BEGIN" % where)
            inside = None
        elif starter:
            if inside:
                raise MarkerError("%s: COW-LAB STARTER inside a solution region" % where)
            out.append("%s%s\n" % (starter.group(1), starter.group(2)))
        elif ANY_MARKER in line:
            raise MarkerError("%s: unknown COW-LAB marker" % where)
        elif not inside:
            out.append(line)
    if inside:
        raise MarkerError("%s: COW-LAB BEGIN at line %d is never closed" % (path, inside))
    return out


def instructor_only(path):
    return any(path == p or (p.endswith("/") and path.startswith(p)) for p in INSTRUCTOR_ONLY)


def tracked_files(root):
    result = subprocess.run(["git", "-C", root, "ls-files", "-z"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    if result.returncode != 0:
        sys.exit("handout: %s is not a git checkout: %s" % (root, result.stderr.decode().strip()))
    return [p for p in result.stdout.decode().split("\0") if p]


def write_handout(root, outdir):
    if os.path.exists(outdir):
        sys.exit("handout: %s already exists; remove it or pick another directory" % outdir)
    regions = 0
    for path in tracked_files(root):
        if instructor_only(path) or not os.path.isfile(os.path.join(root, path)):
            continue
        src, dst = os.path.join(root, path), os.path.join(outdir, path)
        os.makedirs(os.path.dirname(dst) or ".", exist_ok=True)
        if path.endswith(TEXT_SUFFIXES):
            with open(src) as f:
                lines = f.readlines()
            starter = strip_solution(lines, path)
            regions += sum(1 for line in lines if BEGIN.match(line))
            with open(dst, "w") as f:
                f.writelines(starter)
            shutil.copymode(src, dst)
        else:
            shutil.copy2(src, dst)
    return regions


def main(argv):
    if len(argv) != 2:
        sys.exit("usage: tools/handout.py OUTDIR")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        regions = write_handout(root, argv[1])
    except MarkerError as e:
        shutil.rmtree(argv[1], ignore_errors=True)
        sys.exit("handout: %s" % e)
    print("handout: wrote the starter tree to %s (%d solution regions removed)" % (argv[1], regions))


if __name__ == "__main__":
    main(sys.argv)
