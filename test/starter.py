"""The COW lab's starter tree: the solved tree minus the solution.

tools/handout.py (`make handout`) writes one with write_handout(); the
handout and structure suites read the markers below.

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
example, fork copying memory eagerly).  With the solution put back, the
STARTER lines are left out and the regions kept, without their markers.

The solution's reasoning (why it is correct, what it chose) stays in the
solved tree and the guided starter; at the standard level the design is the
student's, so a note

    // COW-LAB NOTE BEGIN
    // ... the reasoning ...
    // COW-LAB STANDARD: <what the standard starter says instead>
    // COW-LAB NOTE END

loses its lines there, and each STANDARD line becomes `// <text>` (STANDARD
lines are in no other tree).  A line of code that ends in

    ...;  // COW-LAB BEYOND: <what it adds>

belongs to the kernel's work beyond the lab (fault-around, copy-ahead): no starter has
it, not even with the solution put back.

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
import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile

from handinfiles import GitFailed, git
from harness import REPO, check, scaled

LEVELS = ("standard", "guided")

BEGIN = re.compile(r"^(\s*)// COW-LAB BEGIN: (.+)$")
GUIDED = re.compile(r"^\s*// COW-LAB GUIDED: (.*)$")
END = re.compile(r"^\s*// COW-LAB END\s*$")
STARTER = re.compile(r"^(\s*)// COW-LAB STARTER: (.*)$")
NOTE_BEGIN = re.compile(r"^\s*// COW-LAB NOTE BEGIN\s*$")
NOTE_END = re.compile(r"^\s*// COW-LAB NOTE END\s*$")
STANDARD = re.compile(r"^(\s*)// COW-LAB STANDARD: (.*)$")
BEYOND = re.compile(r"\S.*// COW-LAB BEYOND(: .*)?$")
# Each source marker by name, in the order they are tried (see the top).
SOURCE_MARKERS = (("BEGIN", BEGIN), ("GUIDED", GUIDED), ("END", END), ("STARTER", STARTER),
                  ("NOTE BEGIN", NOTE_BEGIN), ("NOTE END", NOTE_END),
                  ("STANDARD", STANDARD), ("BEYOND", BEYOND))
ANY_MARKER = "COW-LAB"
OURS = "ours"       # --with-solution without a file: the solved tree's own code
# A section of a solution file: "== <file>: <task of its region>".
SOLUTION_SECTION = re.compile(r"^== (\S+): (.+)$")

DOC_REGION = re.compile(r"^<!-- COW-LAB (SOLVED|GUIDED) (BEGIN|END) -->$")
DOC_STARTER_BEGIN = "<!-- COW-LAB STARTER BEGIN"
DOC_STARTER_END = "COW-LAB STARTER END -->"
# Which doc regions each level keeps; SOLVED renders README for the solved tree.
SOLVED = "solved"
DOC_KEPT = {"standard": ("STARTER",), "guided": ("STARTER", "GUIDED"),
            SOLVED: ("SOLVED", "GUIDED")}
README = "README"
README_TEMPLATE = "tools/README.in"   # README with its markers (see the top)

# Left out of every student's tree: the starter's own tools, library
# (this file) and checks, the
# tools for grading many submissions, the mutation tests (test/mutations.py
# holds solution lines), time.txt (students write their own), the
# project's own CI workflow and its yamllint rules, and the kernel's work
# beyond the lab: fault-around reuse, copy-ahead and shared page-table
# pages (the challenge, docs/lab-cow-challenge.md, asks students to write
# the latter), and docs/coverage.md (it quotes the solved kernel's lines).
# A path ending in / stands for everything under it.  tools/perf.py stays:
# a student can measure their fork with it.
INSTRUCTOR_ONLY = ("test/handout_tests.py", "test/gradescale_tests.py", "time.txt",
                   "tools/gradescope/", "tools/grade-batch.py", "test/sandbox.py",
                   "test/unpack_tests.py", "test/hostile_tests.py", "test/canaries.py",
                   "test/hostile_probe.py", "tools/handout.py", "test/starter.py",
                   "tools/mutate.py", "test/mutations.py", "docs/mutation.md", "docs/grading.md",
                   "docs/coverage.md",
                   "tools/mistakes.py", "test/gradedmistakes.py", "test/mistakes_tests.py",
                   "test/structure_tests.py", "test/batch.py", "test/archives.py",
                   "kernel/mm/cowaround.c", "kernel/mm/cowaround.h", "kernel/mm/cowahead.c",
                   "kernel/mm/cowahead.h", "kernel/mm/sharedpt.c",
                   "tools/README.in", "test/solution_from_guided_steps.txt",
                   ".github/workflows/ci.yml", ".yamllint")
# Files that only the guided starter gets.
GUIDED_ONLY = ("docs/lab-cow-guided.md", "docs/lab-cow-guided.zh.md")
SOURCE_SUFFIXES = (".c", ".h", ".S")
HANDOUT_AUTHOR = ("xv6-cow handout", "handout@xv6-cow.invalid")   # of the starter's commit
HANDOUT_COMMIT = "The COW lab's starter"
HANDOUT_TOOL = os.path.join(REPO, "tools", "handout.py")
HANDOUT_TIMEOUT = 60        # seconds to write a starter tree


class MarkerError(Exception):
    pass


class HandoutError(Exception):
    """The starter cannot be written where asked (see its message)."""


def marker_of(line):
    """(kind, match) for a source line: kind is one of SOURCE_MARKERS' names,
    UNKNOWN for any other line that names COW-LAB, or None for plain code."""
    for kind, pattern in SOURCE_MARKERS:
        match = pattern.search(line)
        if match:
            return kind, match
    return ("UNKNOWN" if ANY_MARKER in line else None), None


class SourceStrip:
    """One pass over a source file's lines, writing what the tree gets.
    solution: None (a starter), OURS (our solution put back), or
    {(file, task): lines} read by read_solution(), whose used keys are
    added to the set used."""

    def __init__(self, path, level, solution, used=None):
        self.path, self.level, self.solution, self.used = path, level, solution, used
        self.out = []
        self.region = None    # line number of the open solution region's BEGIN
        self.note = None      # line number of the open NOTE's BEGIN
        self.hinting = False  # still in the GUIDED lines right after BEGIN
        self.indent = ""
        self.where = path

    def run(self, lines):
        for number, line in enumerate(lines, 1):
            self.where = "%s:%d" % (self.path, number)
            kind, match = marker_of(line)
            if kind != "GUIDED":
                self.hinting = False
            getattr(self, "on_" + (kind or "CODE").replace(" ", "_"))(number, match, line)
        if self.region or self.note:
            raise MarkerError("%s: COW-LAB %s at line %d is never closed"
                              % (self.path, "BEGIN" if self.region else "NOTE BEGIN",
                                 self.region or self.note))
        return self.out

    def outside(self, what):
        if self.region or self.note:
            raise MarkerError("%s: COW-LAB %s inside the %s opened at line %d"
                              % (self.where, what, "solution region" if self.region else "NOTE",
                                 self.region or self.note))

    def on_BEGIN(self, number, match, line):
        self.outside("BEGIN")
        self.region, self.hinting, self.indent = number, True, match.group(1)
        task = match.group(2)
        if self.solution is None:
            self.out.append("%s// TODO (COW lab): %s\n" % (self.indent, task))
        elif self.solution is not OURS:
            code = self.solution.get((self.path, task))
            if code is None:
                raise MarkerError("%s: the solution has no section '== %s: %s'"
                                  % (self.where, self.path, task))
            self.used.add((self.path, task))
            self.out += code

    def on_GUIDED(self, number, match, line):
        if not self.hinting:
            raise MarkerError("%s: COW-LAB GUIDED must follow COW-LAB BEGIN or another GUIDED line"
                              % self.where)
        if self.level == "guided" and self.solution is None:
            self.out.append("%s//   %s\n" % (self.indent, match.group(1)))

    def on_END(self, number, match, line):
        if not self.region:
            raise MarkerError("%s: COW-LAB END without BEGIN" % self.where)
        self.region = None

    def on_STARTER(self, number, match, line):
        self.outside("STARTER")
        if self.solution is None:
            self.out.append("%s%s\n" % (match.group(1), match.group(2)))

    def on_NOTE_BEGIN(self, number, match, line):
        self.outside("NOTE BEGIN")
        self.note = number

    def on_NOTE_END(self, number, match, line):
        if not self.note:
            raise MarkerError("%s: COW-LAB NOTE END without NOTE BEGIN" % self.where)
        self.note = None

    def on_STANDARD(self, number, match, line):
        if not self.note:
            raise MarkerError("%s: COW-LAB STANDARD outside a NOTE" % self.where)
        if self.level == "standard":
            self.out.append("%s// %s\n" % (match.group(1), match.group(2)))

    def on_BEYOND(self, number, match, line):
        if self.note:
            raise MarkerError("%s: COW-LAB BEYOND inside the NOTE opened at line %d"
                              % (self.where, self.note))

    def on_UNKNOWN(self, number, match, line):
        raise MarkerError("%s: unknown COW-LAB marker" % self.where)

    def on_CODE(self, number, match, line):
        in_solution = self.region is not None
        in_note = self.note is not None
        if (not in_solution or self.solution is OURS) and (not in_note or self.level != "standard"):
            self.out.append(line)


def strip_solution(lines, path, level="standard", solution=None, used=None):
    """Returns the starter version of a source file's lines; with solution,
    the starter with a solution put back (see SourceStrip)."""
    return SourceStrip(path, level, solution, used).run(lines)


def read_solution(path):
    """{(file, task): lines} from a solution file (see the top)."""
    regions, current = {}, None
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            section = SOLUTION_SECTION.match(line.rstrip("\n"))
            if section and section.groups() in regions:
                raise MarkerError("%s:%d: a second section for %s: %s"
                                  % ((path, number) + section.groups()))
            if section:
                current = regions[section.groups()] = []
            elif current is not None:
                current.append(line)
    return regions


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
    try:
        listed = git(root, "ls-files", "-z")
    except GitFailed as failure:
        raise HandoutError("%s: %s" % (root, failure))
    return [p for p in listed.split("\0") if p]


def write_handout(root, outdir, level="standard", solution=None):
    """Writes the starter at the level, with solution put back if given (see
    SourceStrip); returns the number of solution regions removed (or put back)."""
    if os.path.exists(outdir):
        raise HandoutError("%s already exists; remove it or pick another directory" % outdir)
    regions, used = 0, set()
    for path in tracked_files(root):
        if left_out(path, level) or not os.path.isfile(os.path.join(root, path)):
            continue
        src = os.path.join(root, README_TEMPLATE if path == README else path)
        dst = os.path.join(outdir, path)
        os.makedirs(os.path.dirname(dst) or ".", exist_ok=True)
        with open(src, "rb") as f:
            content = f.read()
        kept, lines = None, None
        if path.endswith(SOURCE_SUFFIXES) or is_doc(path):
            lines = content.decode("utf-8").splitlines(keepends=True)
        if path.endswith(SOURCE_SUFFIXES):
            regions += sum(1 for line in lines if BEGIN.match(line))
            kept = strip_solution(lines, path, level, solution, used)
        elif is_doc(path):
            kept = strip_doc(lines, path, level)
        with open(dst, "wb") as f:
            f.write(content if kept is None else "".join(kept).encode("utf-8"))
        shutil.copymode(src, dst)
    unused = sorted(set(solution) - used) if isinstance(solution, dict) else []
    if unused:
        raise MarkerError("the solution's section '== %s: %s' matches no region of the tree"
                          % unused[0])
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


@contextlib.contextmanager
def starter_tree(level="standard", options=()):
    """Writes the starter at level (with tools/handout.py's options) into a
    temporary folder; yields its path."""
    with tempfile.TemporaryDirectory(prefix="xv6-starter-") as scratch:
        tree = os.path.join(scratch, "starter")
        result = subprocess.run([sys.executable, HANDOUT_TOOL, "--level", level] + list(options)
                                + [tree], cwd=REPO,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                universal_newlines=True, timeout=scaled(HANDOUT_TIMEOUT))
        check(result.returncode == 0, "expected tools/handout.py to succeed, got:\n" + result.stdout)
        yield tree
