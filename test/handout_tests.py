"""The solved tree and the starter trees, as the grader and a student see them.

tools/handout.py (`make handout LEVEL=standard|guided`) writes the lab's
starter tree: the sources with the solution regions cut out, fork copying
memory eagerly.  The starter must still build with -Werror, boot and pass
usertests, while the grader must fail it on cowtest's simple and three.
That failure, beside full marks on the solved tree (the grade suite's
solved_tree_scores_full_marks_with_a_consistent_report), is our proof that
the grader can tell a kernel without copy-on-write from one with it.

The leak check reads every solution region of the solved tree and looks for
each of its non-trivial lines in every file of each starter (see
is_trivial() for what "trivial" means and why).

This suite is instructor-only: the handout leaves it out.
"""

import collections
import os
import re
import subprocess
import sys
import tarfile

from graderun import run_grader
from handinfiles import HANDIN
from harness import REPO, SUMMARY, Suite, check, scaled
from ports import free_port
from report import RESULT
import starter
from starter import HANDOUT_TIMEOUT, starter_tree

suite = Suite("handout", cpus=(3,), boot=False, host_only=True)

HANDIN_TIMEOUT = 60         # seconds for make handin (git and a tarball)
GRADE_TIMEOUT = 2400        # seconds for a whole grade
MAKE_TEST_TIMEOUT = 3600    # seconds for a starter's whole make test
# A solution written apart from ours (see the file).
SECOND_SOLUTION = os.path.join(REPO, "test", "solution_from_guided_steps.txt")
MUST_FAIL = ("simple", "oom_kills_only_child")   # the tests an eager fork cannot pass
MUST_PASS = ("build", "usertests", "usertests_copyin", "usertests_copyout")
TRAP_FILE = os.path.join("kernel", "trap", "trap.c")
TRAP_TODO = "a store page fault may be a write"
TRAP_TODO_FUNCTION = "fault_served"   # the TODO for the trap path must sit in its body
TODO = "TODO (COW lab)"
IDIOM_FILES = 2             # other files with a line outside regions make it given code
PROOF_FILES = (os.path.join("user", "proof.h"), os.path.join("test", "proof.py"))

# Words that say nothing about a solution: C keywords and the kernel's basic
# types (struct proc among them).  See is_trivial().
PLAIN_WORDS = frozenset("""
    auto break case char const continue default do double else enum extern float for
    goto if inline int long register return short signed sizeof static struct switch
    typedef union unsigned void volatile while uint uint8 uint16 uint32 uint64 pte_t
    pagetable_t proc define endif ifdef ifndef include""".split())
# Fault-around reuse, and shared page-table pages (the challenge students write).
BEYOND_THE_LAB = (os.path.join("kernel", "mm", "cowaround.c"),
                  os.path.join("kernel", "mm", "cowaround.h"),
                  os.path.join("kernel", "mm", "sharedpt.c"))


def normalized(text):
    return " ".join(text.split())


def is_trivial(text):
    """True for a line that names fewer than two things.

    A name here is an identifier of two or more characters that is not a C
    keyword or a basic type: one-letter variables (p, i) are names of
    nothing in particular.  Lines with fewer (`}`, `return 0;`, `#endif`,
    `if (copy == 0)`, `COW_DONE,`, `setkilled(p);`,
    `struct proc *p = myproc();`) stand in any C file of this kernel, so
    finding one in the starter proves nothing, while a line that connects
    two names (`*child = *parent;`, `kfree(shared);`) or a comment of a few
    words shows how the solution is built."""
    names = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]+", text)) - PLAIN_WORDS
    return len(names) < 2


def parts(line):
    """The normalized code and comment of a C line, those that are not empty."""
    code, _, comment = line.partition("//")
    return [text for text in (normalized(code), normalized(comment)) if text]


def solution_lines():
    """{text: 'file:line'} for each non-trivial line of every solution region.

    A line with a comment after code counts as two texts (the code, the
    comment).  Given code is left out: a line that the same file also has
    outside its regions (usercopy.c's last `return`) or in a STARTER line
    (the signature of a stub the starter replaces), or that at least
    IDIOM_FILES other files have outside any region (an idiom of the
    kernel, like the user_pte() look-up).  A solution line pasted into one
    other file is still found.
    """
    outside = collections.defaultdict(set)     # text -> files that have it outside regions
    candidates = []
    for path in starter.tracked_files(REPO):
        if not path.endswith(starter.SOURCE_SUFFIXES):
            continue
        with open(os.path.join(REPO, path), encoding="utf-8") as f:
            lines = f.readlines()
        inside = False
        for number, line in enumerate(lines, 1):
            stub = starter.STARTER.match(line)
            if starter.BEGIN.match(line) or starter.END.match(line):
                inside = bool(starter.BEGIN.match(line))
            elif stub:                      # code the starter is given (a stub's signature)
                for text in parts(stub.group(2)):
                    outside[text].add(path)
            elif starter.ANY_MARKER not in line:
                if inside:
                    candidates.append((path, number, line))
                else:
                    for text in parts(line):
                        outside[text].add(path)
    found = {}
    for path, number, line in candidates:
        for text in parts(line):
            others = outside[text] - {path}
            given = path in outside[text] or len(others) >= IDIOM_FILES
            if not given and not is_trivial(text):
                found.setdefault(text, "%s:%d" % (path, number))
    return found


def guided_hints():
    """{text: 'file:line'} for each step-by-step hint of the guided level."""
    found = {}
    for path in starter.tracked_files(REPO):
        if path.endswith(starter.SOURCE_SUFFIXES):
            with open(os.path.join(REPO, path), encoding="utf-8") as f:
                for number, line in enumerate(f, 1):
                    hint = starter.GUIDED.match(line)
                    if hint and not is_trivial(hint.group(1)):
                        found[normalized(hint.group(1))] = "%s:%d" % (path, number)
    return found


SENTENCE_WORDS = 4          # a note's shorter fragments ("Counts:") prove nothing


def comment_text(line):
    return normalized(line.strip().lstrip("/").lstrip("*"))


def note_sentences():
    """{sentence: 'file:line'} for each sentence of the solved tree's design
    notes (COW-LAB NOTE regions), which the standard starter must not have."""
    found = {}
    for path in starter.tracked_files(REPO):
        if not path.endswith(starter.SOURCE_SUFFIXES):
            continue
        with open(os.path.join(REPO, path), encoding="utf-8") as f:
            lines = list(enumerate(f, 1))
        note, opened = [], None
        for number, line in lines:
            if starter.NOTE_BEGIN.match(line):
                note, opened = [], number
            elif starter.NOTE_END.match(line):
                for sentence in re.split(r"(?<=[.;:])\s+", " ".join(note)):
                    if len(sentence.split()) >= SENTENCE_WORDS:
                        found[sentence] = "%s:%d" % (path, opened)
                opened = None
            elif opened and starter.ANY_MARKER not in line:
                note.append(comment_text(line))
    return found


def tree_text(tree):
    """Every text file of tree as one normalized string, comment marks left out."""
    return " ".join(comment_text(line) for _, lines in starter_files(tree) for line in lines)


def starter_files(tree):
    """(path relative to tree, normalized lines) of every text file in tree."""
    for folder, _, names in os.walk(tree):
        for name in names:
            path = os.path.join(folder, name)
            try:
                with open(path, encoding="utf-8") as f:
                    lines = [normalized(line) for line in f]
            except UnicodeDecodeError:
                continue              # a binary file holds no source line
            yield os.path.relpath(path, tree), lines


def leaks(tree, forbidden):
    """'starter file:line has TEXT (from WHERE)' for each forbidden text in tree."""
    found = []
    for path, lines in starter_files(tree):
        for number, line in enumerate(lines, 1):
            found += ["%s:%d has %r (from %s)" % (path, number, text, where)
                      for text, where in forbidden.items() if text in line]
    return found


def trap_todo_function(tree):
    """The function whose body holds the store page fault's TODO in the
    starter's trap.c."""
    with open(os.path.join(tree, TRAP_FILE)) as f:
        source = f.read()
    todo = "%s: %s" % (TODO, TRAP_TODO)
    before = source[:source.index(todo)] if todo in source else ""
    functions = re.findall(r"^\w[^;]*?\b(\w+)\([^;]*\{$", before, re.MULTILINE)
    check(functions, "expected a %s line inside a function of %s" % (TODO, TRAP_FILE))
    closed = before[before.rindex(functions[-1] + "("):].count("\n}")
    return functions[-1] if closed == 0 else None


@suite.test
def starters_hold_no_solution_line(m):
    solution, hints = solution_lines(), guided_hints()
    check(len(solution) > 20 and hints, "expected solution regions and guided hints in the solved "
          "tree, found %d solution lines and %d hints" % (len(solution), len(hints)))
    for level in starter.LEVELS:
        forbidden = dict(solution, **(hints if level == "standard" else {}))
        with starter_tree(level) as tree:
            found = leaks(tree, forbidden)
            check(not found, "expected no solution line in the %s starter, found %d:\n  %s"
                  % (level, len(found), "\n  ".join(found[:20])))
            markers = leaks(tree, {starter.ANY_MARKER: "tools/handout.py"})
            check(not markers, "expected no markers in the %s starter, found:\n  %s"
                  % (level, "\n  ".join(markers[:20])))
            listed = subprocess.run([sys.executable, os.path.join("test", "run.py"), "--list"], cwd=tree,
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    universal_newlines=True, timeout=scaled(HANDOUT_TIMEOUT))
            check(listed.returncode == 0 and "FAIL" not in listed.stdout,
                  "expected the %s starter's test suites to load (test/run.py --list), got status %d:\n%s"
                  % (level, listed.returncode, listed.stdout[-1500:]))
            beyond = [path for path in BEYOND_THE_LAB if os.path.exists(os.path.join(tree, path))]
            check(not beyond, "expected the %s starter to leave out the kernel's work beyond "
                  "the lab, found %s" % (level, beyond))
            where = trap_todo_function(tree)
            check(where == TRAP_TODO_FUNCTION, "expected the %s starter's TODO in %s to sit in %s(), "
                  "where code placed there runs; it is in %s" % (level, TRAP_FILE, TRAP_TODO_FUNCTION,
                                                                 where or "no function"))
    return "%d solution lines and %d guided hints checked" % (len(solution), len(hints))


@suite.test
def only_the_guided_starter_keeps_the_design_notes(m):
    # At the standard level the design is the student's: the solved tree's
    # reasoning (why no lock, in which order) must not reach that starter.
    notes = note_sentences()
    check(len(notes) >= 5, "expected design notes in the solved tree, found %d sentences"
          % len(notes))
    for level in starter.LEVELS:
        with starter_tree(level) as tree:
            text = tree_text(tree)
        present = ["%s (%s)" % (sentence, where) for sentence, where in notes.items()
                   if sentence in text]
        expected = len(notes) if level == "guided" else 0
        check(len(present) == expected, "expected %d of the %d design-note sentences in the %s "
              "starter, found %d:\n  %s" % (expected, len(notes), level, len(present),
                                           "\n  ".join(present[:10])))
    return "%d sentences" % len(notes)


@suite.test
def starters_ship_the_proof_files(m):
    # The starter's cowtest and usertests include user/proof.h, and its
    # grader imports test/proof.py: without either it cannot be graded.
    for level in starter.LEVELS:
        with starter_tree(level) as tree:
            missing = [path for path in PROOF_FILES
                       if not os.path.isfile(os.path.join(tree, path))]
        check(not missing, "expected the %s starter to hold %s, it lacks %s"
              % (level, " and ".join(PROOF_FILES), " and ".join(missing)))


def grader_results(output):
    results = {}
    for line in output.splitlines():
        match = RESULT.match(line)
        if match:
            results[match.group(1)] = "FAIL" if match.group(2) else "OK"
    return results


def expect_results(level, output, expected):
    results = grader_results(output)
    for name, result in expected:
        check(results.get(name) == result,
              "expected the grader to %s %s on the %s starter, got %s; output:\n%s"
              % ("pass" if result == "OK" else "FAIL", name, level,
                 results.get(name, "no result"), output[-1500:]))


@suite.test
def grader_fails_cow_tests_on_standard_starter(m):
    with starter_tree("standard") as tree:
        status, output, seconds = run_grader(tree, [], GRADE_TIMEOUT, m.cpus)
    expect_results("standard", output, [(name, "OK") for name in MUST_PASS] +
                   [(name, "FAIL") for name in MUST_FAIL])
    check(status != 0, "expected the grader to exit non-zero on the starter, got %d" % status)
    return "graded in %.0fs: %s fail, %s pass" % (seconds, ", ".join(MUST_FAIL), ", ".join(MUST_PASS))


@suite.test
def grader_fails_cow_tests_on_guided_starter(m):
    # Only what differs between the levels is graded again: they share every
    # line of code, so the guided starter builds (its TODOs are comments) and
    # fails the same COW tests.
    with starter_tree("guided") as tree:
        status, output, seconds = run_grader(tree, list(MUST_FAIL), GRADE_TIMEOUT, m.cpus)
    expect_results("guided", output, [("build", "OK")] + [(name, "FAIL") for name in MUST_FAIL])
    return "graded in %.0fs" % seconds


def solved_lines(path, region):
    """Non-blank lines of the solved tree's file path inside doc regions of kind region."""
    kept, inside = [], False
    with open(os.path.join(REPO, path), encoding="utf-8") as f:
        for line in f:
            marker = starter.DOC_REGION.match(line.strip())
            if marker and marker.group(1) == region:
                inside = marker.group(2) == "BEGIN"
            elif inside and line.strip():
                kept.append(normalized(line))
    return kept


@suite.test
def starter_readme_is_for_students(m):
    instructor = solved_lines(starter.README_TEMPLATE, "SOLVED")
    check(len(instructor) > 10, "expected instructor sections in %s, found %d lines"
          % (starter.README_TEMPLATE, len(instructor)))
    with starter_tree() as tree:
        with open(os.path.join(tree, "README"), encoding="utf-8") as f:
            readme = f.read()
    lines = {normalized(line) for line in readme.splitlines()}
    shown = [line for line in instructor if line in lines]
    check(not shown, "expected no instructor line in the starter's README, found:\n  %s"
          % "\n  ".join(shown))
    for phrase in ("holds the solution", "make handout", "tools/mutate.py", "docs/grading.md"):
        check(phrase not in readme, "expected the starter's README not to say %r" % phrase)
    check("make handin" in readme and "docs/lab-cow.md" in readme,
          "expected the starter's README to point to docs/lab-cow.md and make handin")
    return "%d instructor lines left out" % len(instructor)


TODO_GREP = '$ grep -r "TODO (COW lab)" kernel\n'
TODO_MARK = "TODO (COW lab)"


def todo_lines(tree):
    """Every line of the tree's kernel/ sources that carries a TODO of the lab,
    as `grep -r` prints it (PATH:LINE)."""
    found = set()
    for folder, _, names in os.walk(os.path.join(tree, "kernel")):
        for name in names:
            path = os.path.join(folder, name)
            with open(path, errors="replace") as f:
                found |= {"%s:%s" % (os.path.relpath(path, tree), line.rstrip("\n"))
                          for line in f if TODO_MARK in line}
    return found


LAB_DOCS = ("docs/lab-cow.md", "docs/lab-cow.zh.md")
# How each of LAB_DOCS counts the files under kernel/mm/ the student edits.
MM_FILE_COUNT = ("in %s files under `kernel/mm/`", "`kernel/mm/` 下的%s个文件")
NUMBER_WORDS = (("zero", "零"), ("one", "一"), ("two", "两"), ("three", "三"), ("four", "四"),
                ("five", "五"), ("six", "六"), ("seven", "七"), ("eight", "八"), ("nine", "九"))


def doc_text(doc):
    with open(os.path.join(REPO, doc), encoding="utf-8") as f:
        return f.read()


@suite.test
def lab_docs_list_every_todo_of_the_starter(m):
    with starter_tree() as tree:
        actual = todo_lines(tree)
    problems = []
    for doc in LAB_DOCS:
        text = doc_text(doc)
        start = text.find(TODO_GREP)
        listed = set(text[start + len(TODO_GREP):].split("```", 1)[0].splitlines()) \
            if start >= 0 else set()
        if listed != actual:
            problems.append("%s: lists %d TODO lines; missing: %s; not in the starter: %s"
                            % (doc, len(listed), sorted(actual - listed) or "-",
                               sorted(listed - actual) or "-"))
    mm_files = {line.split(":", 1)[0] for line in actual if line.startswith("kernel/mm/")}
    count_words = [phrase % NUMBER_WORDS[len(mm_files)][index]
                   for index, phrase in enumerate(MM_FILE_COUNT)]
    problems += ["%s: expected the work to be counted as %r (the starter's TODOs are in %d "
                 "files under kernel/mm/)" % (doc, phrase, len(mm_files))
                 for doc, phrase in zip(LAB_DOCS, count_words) if phrase not in doc_text(doc)]
    check(actual and not problems, "expected the lab docs' `grep -r \"TODO (COW lab)\" kernel` "
          "to list the standard starter's TODO lines exactly, and to count their files:\n%s"
          % "\n".join(problems))
    return "%d TODO lines in %d files under kernel/mm/, listed in both docs" % (
        len(actual), len(mm_files))


def git_in(tree, *args):
    subprocess.run(["git", "-c", "user.name=student", "-c", "user.email=student@example.com"]
                   + list(args), cwd=tree, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=scaled(HANDIN_TIMEOUT))


def handin(tree):
    result = subprocess.run(["make", "-s", "handin"], cwd=tree, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, universal_newlines=True,
                            timeout=scaled(HANDIN_TIMEOUT))
    return result.returncode, result.stdout


# Malformed sources and what tools/handout.py must say about each.
BAD_MARKERS = (
    ("// COW-LAB NOTE BEGIN\n// COW-LAB BEGIN: x\n// COW-LAB END\n// COW-LAB NOTE END\n",
     "COW-LAB BEGIN inside the NOTE opened at line 1"),
    ("// COW-LAB BEGIN: x\n// COW-LAB NOTE BEGIN\n// COW-LAB NOTE END\n// COW-LAB END\n",
     "COW-LAB NOTE BEGIN inside the solution region opened at line 1"),
    ("// COW-LAB STANDARD: x\n", "COW-LAB STANDARD outside a NOTE"),
    ("// COW-LAB NOTE BEGIN\nf();  // COW-LAB BEYOND\n// COW-LAB NOTE END\n",
     "COW-LAB BEYOND inside the NOTE opened at line 1"),
    ("// COW-LAB NOTE BEGIN\n", "COW-LAB NOTE BEGIN at line 1 is never closed"),
    ("// COW-LAB BEYOND\n", "unknown COW-LAB marker"),
)


@suite.test
def handout_names_each_malformed_marker(m):
    for source, expected in BAD_MARKERS:
        try:
            starter.strip_solution(source.splitlines(keepends=True), "f.c")
            said = "nothing"
        except starter.MarkerError as error:
            said = str(error)
        check(expected in said, "expected tools/handout.py to say %r about:\n%s\nit said: %s"
              % (expected, source, said))
    return "%d malformed sources" % len(BAD_MARKERS)


@suite.test
def our_solution_put_back_builds_at_both_levels(m):
    # The put-back tree of a_correct_solution_passes_the_starters_make_test,
    # with our solution: every region back, every BEYOND line out.
    for level in starter.LEVELS:
        with starter_tree(level, ("--with-solution",)) as tree:
            built = subprocess.run(["make", "-s", "kernel/kernel"], cwd=tree,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   universal_newlines=True, timeout=scaled(HANDOUT_TIMEOUT))
            todos = todo_lines(tree)
        check(built.returncode == 0, "expected the %s starter with our solution put back to "
              "build, got:\n%s" % (level, built.stdout[-2000:]))
        check(not todos, "expected no TODO left with the solution put back, found:\n%s"
              % "\n".join(sorted(todos)))


@suite.test
def a_correct_solution_passes_the_starters_make_test(m):
    # A student who did the lab right must pass everything the starter
    # ships: no check of the kernel's work beyond the lab (fault-around,
    # shared page tables) may fail them.  Our own solution put back is the
    # solved tree minus that work; this one was written apart from ours.
    # Every suite runs, at three harts only: the test code is the solved
    # tree's, which make test runs at both counts.
    with starter_tree("guided", ("--with-solution-from", SECOND_SOLUTION)) as tree:
        with open(os.path.join(tree, "time.txt"), "w") as f:
            f.write("6\n")          # a finished student's, which the grade suite wants
        environment = dict(os.environ, GRADE_PORT=str(free_port()))
        result = subprocess.run(["make", "test", "PATTERN=/cpus=3/"], cwd=tree, env=environment,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                universal_newlines=True, timeout=scaled(MAKE_TEST_TIMEOUT))
    summaries = SUMMARY.findall(result.stdout)
    failures = [line for line in result.stdout.splitlines() if line.startswith("FAIL ")]
    check(result.returncode == 0 and summaries and summaries[-1][2] == "0",
          "expected the guided starter with %s put back to pass its make test; status %d, "
          "%s:\n%s" % (os.path.basename(SECOND_SOLUTION), result.returncode,
                       summaries[-1][0] if summaries else "no summary",
                       "\n".join(failures[:10]) or result.stdout[-2000:]))
    return summaries[-1][0]


@suite.test
def starter_is_a_repository_and_handin_asks_to_add_time_txt(m):
    with starter_tree() as tree:
        commits = subprocess.run(["git", "rev-list", "--count", "HEAD"], cwd=tree,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                 universal_newlines=True).stdout.strip()
        check(commits == "1", "expected the starter to be a git repository with one commit, "
              "git says: %s" % commits)
        with open(os.path.join(tree, "time.txt"), "w") as f:
            f.write("12\n")
        status, output = handin(tree)
        check(status != 0 and "git add time.txt" in output,
              "expected make handin to refuse an untracked time.txt and say `git add time.txt`, "
              "got status %d:\n%s" % (status, output))
        git_in(tree, "add", "time.txt")
        git_in(tree, "commit", "-q", "-m", "time spent")
        status, output = handin(tree)
        check(status == 0, "expected make handin to succeed once time.txt is committed, got %d:\n%s"
              % (status, output))
        with tarfile.open(os.path.join(tree, HANDIN)) as tar:
            names = tar.getnames()
        check("lab-cow/time.txt" in names, "expected lab-cow/time.txt in the handin, found %d files "
              "without it" % len(names))
    return "untracked time.txt named, committed one handed in"
