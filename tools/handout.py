#!/usr/bin/env python3
"""Write the COW lab's starter tree: the solved tree minus the solution.

Usage: tools/handout.py [--level standard|guided] OUTDIR
(OUTDIR must not exist yet; the level defaults to standard.)
       tools/handout.py --readme     (README from tools/README.in, see below)

The two levels differ only in how much help the starter gives: the standard
level states the task and points to the places to change; the guided level
adds step-by-step text (in the TODO comments and in docs/lab-cow-guided.md).

Markers in the C and assembly sources.  A solution region

    // COW-LAB BEGIN: <what to implement here>
    // COW-LAB GUIDED: <one line of step-by-step help>     (any number of these,
    // COW-LAB GUIDED: <another line>                        right after BEGIN)
    ... solution code ...
    // COW-LAB END

becomes, in the starter, the single line

    // TODO (COW lab): <what to implement here>

and, at the guided level only, each GUIDED line after it as `//   <line>`.
A line

    // COW-LAB STARTER: <code>

(a comment in the solved tree) becomes <code> in the starter, at the same
indentation: it is how the starter keeps working without the solution (for
example, fork copying memory eagerly).

Markers in the docs (README and *.md): HTML comments, which rendered Markdown
hides, each on a line of its own.  README is plain text, where they would
show, so it has them only in its template, tools/README.in: README is that
template rendered for the solved tree (`tools/handout.py --readme` writes
it; the structure suite checks it), and a starter gets the template
rendered for its level.

    <!-- COW-LAB SOLVED BEGIN -->  ...  <!-- COW-LAB SOLVED END -->
        only in the solved tree (text for instructors)
    <!-- COW-LAB GUIDED BEGIN -->  ...  <!-- COW-LAB GUIDED END -->
        in the solved tree and in the guided starter
    <!-- COW-LAB STARTER BEGIN  ...  COW-LAB STARTER END -->
        only in the starter (one HTML comment in the solved tree; the
        starter keeps the lines between the two markers)

Only files tracked by git are copied, so build outputs never leak into the
handout.  Exits 1 with file:line on a malformed marker.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys

LEVELS = ("standard", "guided")

BEGIN = re.compile(r"^(\s*)// COW-LAB BEGIN: (.+)$")
GUIDED = re.compile(r"^\s*// COW-LAB GUIDED: (.*)$")
END = re.compile(r"^\s*// COW-LAB END\s*$")
STARTER = re.compile(r"^(\s*)// COW-LAB STARTER: (.*)$")
ANY_MARKER = "COW-LAB"

DOC_REGION = re.compile(r"^<!-- COW-LAB (SOLVED|GUIDED) (BEGIN|END) -->$")
DOC_STARTER_BEGIN = "<!-- COW-LAB STARTER BEGIN"
DOC_STARTER_END = "COW-LAB STARTER END -->"
# Which doc regions each level keeps; SOLVED renders README for the solved tree.
SOLVED = "solved"
DOC_KEPT = {"standard": ("STARTER",), "guided": ("STARTER", "GUIDED"),
            SOLVED: ("SOLVED", "GUIDED")}
README = "README"
README_TEMPLATE = "tools/README.in"   # README with its markers (see the top)

# Left out of every student's tree: the starter's own tools and checks, the
# tools for grading many submissions, the mutation tests (tools/mutate.py
# holds solution lines), time.txt (students write their own), the
# project's own CI workflow and its yamllint rules, and the kernel's work
# beyond the lab: fault-around reuse and shared page-table
# pages (the challenge, docs/lab-cow-challenge.md, asks students to write
# the latter).  A path ending in / stands for everything under it.  tools/perf.py stays: the
# bench suite reads forkbench's output with it.
INSTRUCTOR_ONLY = ("test/handout_tests.py", "test/gradescale_tests.py", "time.txt",
                   "tools/gradescope/", "tools/grade-batch.py", "test/sandbox.py",
                   "test/unpack_tests.py", "test/hostile_tests.py", "test/canaries.py",
                   "test/hostile_probe.py", "tools/handout.py",
                   "tools/mutate.py", "docs/mutation.md", "docs/grading.md",
                   "tools/mistakes.py", "test/mistakes_tests.py", "test/structure_tests.py",
                   "kernel/mm/cowaround.c", "kernel/mm/sharedpt.c", "tools/README.in",
                   ".github/workflows/ci.yml", ".yamllint")
# Files that only the guided starter gets.
GUIDED_ONLY = ("docs/lab-cow-guided.md", "docs/lab-cow-guided.zh.md")
SOURCE_SUFFIXES = (".c", ".h", ".S")
HANDOUT_AUTHOR = ("xv6-cow handout", "handout@xv6-cow.invalid")   # of the starter's commit
HANDOUT_COMMIT = "The COW lab's starter"


class MarkerError(Exception):
    pass


def strip_solution(lines, path, level="standard"):
    """Returns the starter version of a source file's lines."""
    out = []
    inside = None   # line number of the open BEGIN
    hinting = False  # still in the GUIDED lines right after BEGIN
    for number, line in enumerate(lines, 1):
        where = "%s:%d" % (path, number)
        begin, end, starter = BEGIN.match(line), END.match(line), STARTER.match(line)
        guided = GUIDED.match(line)
        if begin:
            if inside:
                raise MarkerError("%s: COW-LAB BEGIN inside the region opened at line %d" % (where, inside))
            inside, hinting, indent = number, True, begin.group(1)
            out.append("%s// TODO (COW lab): %s\n" % (indent, begin.group(2)))
        elif guided:
            if not hinting:
                raise MarkerError("%s: COW-LAB GUIDED must follow COW-LAB BEGIN or another GUIDED line" % where)
            if level == "guided":
                out.append("%s//   %s\n" % (indent, guided.group(1)))
        elif end:
            if not inside:
                raise MarkerError("%s: COW-LAB END without BEGIN" % where)
            inside, hinting = None, False
        elif starter:
            if inside:
                raise MarkerError("%s: COW-LAB STARTER inside a solution region" % where)
            out.append("%s%s\n" % (starter.group(1), starter.group(2)))
        elif ANY_MARKER in line:
            raise MarkerError("%s: unknown COW-LAB marker" % where)
        else:
            hinting = False
            if not inside:
                out.append(line)
    if inside:
        raise MarkerError("%s: COW-LAB BEGIN at line %d is never closed" % (path, inside))
    return out


def strip_doc(lines, path, level="standard"):
    """Returns the starter version of a document's lines (README, *.md)."""
    out = []
    region, opened = None, None  # the open region's kind and line number
    for number, line in enumerate(lines, 1):
        where, text = "%s:%d" % (path, number), line.strip()
        marker = DOC_REGION.match(text)
        if marker and marker.group(2) == "BEGIN" or text == DOC_STARTER_BEGIN:
            if region:
                raise MarkerError("%s: a COW-LAB region begins inside the one opened at line %d"
                                  % (where, opened))
            region, opened = marker.group(1) if marker else "STARTER", number
        elif marker or text == DOC_STARTER_END:
            kind = marker.group(1) if marker else "STARTER"
            if region != kind:
                raise MarkerError("%s: COW-LAB %s END without its BEGIN" % (where, kind))
            region = None
        elif ANY_MARKER in line:
            raise MarkerError("%s: unknown COW-LAB marker" % where)
        elif region is None or region in DOC_KEPT[level]:
            out.append(line)
    if region:
        raise MarkerError("%s: COW-LAB %s BEGIN at line %d is never closed" % (path, region, opened))
    return out


def is_doc(path):
    return path == "README" or path.endswith(".md")


def left_out(path, level):
    listed = INSTRUCTOR_ONLY + (GUIDED_ONLY if level != "guided" else ())
    return any(path == p or (p.endswith("/") and path.startswith(p)) for p in listed)


def tracked_files(root):
    result = subprocess.run(["git", "-C", root, "ls-files", "-z"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    if result.returncode != 0:
        sys.exit("handout: %s is not a git checkout: %s" % (root, result.stderr.decode().strip()))
    return [p for p in result.stdout.decode().split("\0") if p]


def write_handout(root, outdir, level="standard"):
    """Writes the starter at the level; returns the number of solution regions removed."""
    if os.path.exists(outdir):
        sys.exit("handout: %s already exists; remove it or pick another directory" % outdir)
    regions = 0
    for path in tracked_files(root):
        if left_out(path, level) or not os.path.isfile(os.path.join(root, path)):
            continue
        src = os.path.join(root, README_TEMPLATE if path == README else path)
        dst = os.path.join(outdir, path)
        os.makedirs(os.path.dirname(dst) or ".", exist_ok=True)
        strip = strip_solution if path.endswith(SOURCE_SUFFIXES) else strip_doc if is_doc(path) else None
        if strip:
            with open(src, encoding="utf-8") as f:
                lines = f.readlines()
            regions += sum(1 for line in lines if BEGIN.match(line))
            with open(dst, "w", encoding="utf-8") as f:
                f.writelines(strip(lines, path, level))
            shutil.copymode(src, dst)
        else:
            shutil.copy2(src, dst)
    return regions


def rendered_readme(root, level):
    """README's text for a tree of level (standard, guided, or SOLVED)."""
    with open(os.path.join(root, README_TEMPLATE), encoding="utf-8") as f:
        return "".join(strip_doc(f.readlines(), README_TEMPLATE, level))


def make_repository(outdir):
    """Make outdir a git repository whose one commit is the starter, so that
    `make handin` (which hands in committed work) works from the start.
    Returns what happened, for the closing message."""
    command = ["git", "-c", "user.name=" + HANDOUT_AUTHOR[0], "-c",
               "user.email=" + HANDOUT_AUTHOR[1]]
    try:
        for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", HANDOUT_COMMIT]):
            subprocess.run(command + args, cwd=outdir, check=True, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT)
    except (OSError, subprocess.CalledProcessError) as problem:
        return ("not made a git repository (%s): run `git init && git add -A && "
                "git commit -m starter` in it before `make handin`" % problem)
    return "a git repository with the starter as its first commit"


def main(argv):
    parser = argparse.ArgumentParser(prog="tools/handout.py",
                                     description="Write the COW lab's starter tree.")
    parser.add_argument("--level", choices=LEVELS, default="standard",
                        help="how much help the starter gives (default standard)")
    parser.add_argument("--readme", action="store_true",
                        help="instead, write README from %s for this (solved) tree"
                        % README_TEMPLATE)
    parser.add_argument("outdir", nargs="?", help="the directory to create")
    options = parser.parse_args(argv[1:])
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if options.readme:
        with open(os.path.join(root, README), "w", encoding="utf-8") as f:
            f.write(rendered_readme(root, SOLVED))
        print("handout: wrote README from %s" % README_TEMPLATE)
        return
    if options.outdir is None:
        parser.error("the directory to create is missing")
    try:
        regions = write_handout(root, options.outdir, options.level)
    except MarkerError as e:
        shutil.rmtree(options.outdir, ignore_errors=True)
        sys.exit("handout: %s" % e)
    print("handout: wrote the %s starter tree to %s (%d solution regions removed), %s"
          % (options.level, options.outdir, regions, make_repository(options.outdir)))


if __name__ == "__main__":
    main(sys.argv)
