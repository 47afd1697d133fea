"""Structure suite: the rules of the source tree that no compiler checks.

- Layers: every #include in kernel/ reaches only its own layer or a lower
  one, as kernel/layers.txt declares (with the upward edges it allows).
- Comment paths: every repository path that a comment or a doc names
  exists, so the text never sends a reader to a file that is gone.
- House style: the C sources are as .clang-format formats them (checked
  with the clang-format versions that format them alike: 14 and 19).
- Code places: each FUNCTION ... FILE:LINE a doc quotes (gdb sessions, race
  reports) lies inside that function, in the mistaken file for an example
  its prose says comes from a mistake of test/mutations.py.
- README is tools/README.in rendered for the solved tree, with no marker.
- README's tree: every top folder and kernel layer has an entry, and each
  layer's entry names its .c and .S files.
- Translations: each docs/*.zh.md has its English doc's headings, fenced
  blocks, inline code and numbers.
- Lint: every Python file is clean under pyflakes, every shell script
  under shellcheck, every YAML file (the GitHub workflows) under yamllint.
- Python's tiers: every import reaches only the test library (a tool's
  also tools/labpath.py, the one file that edits sys.path); the library
  imports no suite and no tool.
- The mutation table: every mutation's text still occurs once.

Run alone: python3 test/run.py structure
"""

import ast
import collections
import os
import re
import shutil
import subprocess

from csource import function_lines
from handinfiles import files_to_hand_in
from harness import REPO, Suite, TestSkipped, check
import mutations
import starter

KERNEL = os.path.join(REPO, "kernel")
LAYERS_FILE = os.path.join(KERNEL, "layers.txt")
BASE = "(kernel/*.h)"          # the headers below every layer
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
ALLOW = re.compile(r"^allow\s+(\w+)\s*->\s*(\w+)\b")

suite = Suite("structure", cpus=(1,), boot=False)


def tracked_files(*patterns):
    """The files of the tree (see handinfiles.py) that match patterns, sorted."""
    return files_to_hand_in(REPO, patterns or (".",))


# --- Layers -------------------------------------------------------------------

def read_layers(path=LAYERS_FILE):
    """(rank of each layer, allowed (from, to) edges) from the declaration."""
    ranks, allowed = {}, set()
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            edge = ALLOW.match(line)
            if edge:
                allowed.add(edge.groups())
            else:
                ranks[line.split()[0]] = len(ranks)
    return ranks, allowed


def layer_of(kernel_path):
    """The layer of a path relative to kernel/: its folder, or BASE."""
    return kernel_path.split("/")[0] if "/" in kernel_path else BASE


def upward_includes(ranks, allowed):
    """Lines 'file: includes header (layer A is below layer B)' for each violation."""
    problems = []
    for path in tracked_files("kernel/*.c", "kernel/*.h", "kernel/*.S"):
        source = os.path.relpath(path, "kernel")
        from_layer = layer_of(source)
        if from_layer != BASE and from_layer not in ranks:
            problems.append("%s: folder %s is not declared in kernel/layers.txt"
                            % (path, from_layer))
            continue
        with open(os.path.join(REPO, path)) as f:
            headers = INCLUDE.findall(f.read())
        for header in headers:
            to_layer = layer_of(header)
            if to_layer == BASE or to_layer == from_layer:
                continue
            if from_layer == BASE:
                problems.append("%s includes %s: the headers in kernel/ must include only "
                                "each other" % (path, header))
            elif to_layer not in ranks:
                problems.append("%s includes %s: no layer %s in kernel/layers.txt"
                                % (path, header, to_layer))
            elif ranks[to_layer] > ranks[from_layer] and (from_layer, to_layer) not in allowed:
                problems.append("%s includes %s: layer %s is below %s" % (path, header,
                                                                          from_layer, to_layer))
    return problems


@suite.test
def kernel_includes_reach_only_lower_layers(m):
    ranks, allowed = read_layers()
    problems = upward_includes(ranks, allowed)
    check(not problems,
          "expected every #include to reach down (kernel/layers.txt), found %d reaching up:\n"
          "%s\nMove what the lower file needs down, or let the upper layer register it "
          "(as boot/main.c does); allow an edge only when the two layers call each other "
          "by nature." % (len(problems), "\n".join(problems)))
    return "%d layers, %d allowed upward edge(s)" % (len(ranks), len(allowed))


# --- Paths named in comments and docs -----------------------------------------

# A path-like word: folders and a file name with an extension we keep in git.
PATH_WORD = re.compile(r"(?<![\w./:<>*@-])((?:[\w.-]+/)*[\w-]+\.(?:c|h|S|py|md|ld|sh|txt|tmpl))"
                       r"(?![\w/*])")
C_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)
HASH_COMMENT = re.compile(r"(?m)#[^\n]*$")
# Where a name in a file under kernel/ may be relative to (kernel code says
# "mm/cow.c"); anywhere else, names are relative to the repository or to the
# file's own folder.
PLACEHOLDER = re.compile(r"(^|/)(NAME|SUITE|FILE)(?![A-Za-z])")  # user/NAME.c, test/SUITE_tests.py


def comments_of(path, text):
    """The comment text of a source file, or the whole text of a doc."""
    if path.endswith((".c", ".h", ".S", ".ld")):
        return "\n".join(C_COMMENT.findall(text))
    if path.endswith((".py", ".sh")) or os.path.basename(path) in ("Makefile", "run"):
        return "\n".join(HASH_COMMENT.findall(text))
    return text


def path_exists(name, source, basenames):
    if PLACEHOLDER.search(name):
        return True
    if "/" not in name:
        return name in basenames
    folders = [REPO, os.path.join(REPO, os.path.dirname(source)), KERNEL]
    return any(os.path.exists(os.path.join(folder, name)) for folder in folders)


def missing_paths(files):
    """'file:line: name' for each path named in files' comments that does not exist."""
    basenames = {os.path.basename(path) for path in tracked_files()}
    problems = []
    for path in files:
        with open(os.path.join(REPO, path), errors="replace") as f:
            text = f.read()
        for match in PATH_WORD.finditer(comments_of(path, text)):
            name = match.group(1)
            if not path_exists(name, path, basenames):
                line = text.count("\n", 0, text.find(name)) + 1
                problems.append("%s:%d: %s" % (path, line, name))
    return problems


def commented_files():
    return tracked_files("*.c", "*.h", "*.S", "*.ld", "*.py", "*.sh", "*.md", "Makefile",
                         "README", ".ci/run", "grade-lab-cow")


@suite.test
def paths_named_in_comments_and_docs_exist(m):
    files = commented_files()
    problems = missing_paths(files)
    check(not problems,
          "expected every repository path named in a comment or doc to exist, "
          "found %d that do not:\n%s" % (len(problems), "\n".join(problems)))
    return "%d files read" % len(files)


# An input section pattern of kernel.ld that names one object file.
LINKED_OBJECT = re.compile(r"^\s*\*(kernel/[\w/]+)\.o\(", re.M)


@suite.test
def objects_kernel_ld_places_first_are_built(m):
    # kernel.ld lists a few objects by name to fix their place in the image;
    # a pattern whose source is renamed matches nothing, silently.
    with open(os.path.join(KERNEL, "kernel.ld")) as f:
        named = LINKED_OBJECT.findall(f.read())
    check(named, "expected kernel.ld to place some objects by name (*kernel/...o), found none")
    missing = [name + ".o" for name in named
               if not any(os.path.exists(os.path.join(REPO, name + suffix))
                          for suffix in (".c", ".S"))]
    check(not missing, "expected each object kernel.ld names to have a source (.c or .S) to "
          "build it from; none for: %s" % ", ".join(missing))
    return ", ".join(name + ".o" for name in named)


# --- House style --------------------------------------------------------------

# The major versions of clang-format that format the tree the same way:
# Debian 12's and Debian 13's. Others may break some lines differently (11,
# Debian 11's, does), so they are not asked.
STYLE_VERSIONS = (14, 19)
STYLE_SOURCES = ("kernel/*.c", "kernel/*.h", "user/*.c", "user/*.h", "mkfs/*.c", "mkfs/*.h")


def clang_format_version(tool):
    out = subprocess.run([tool, "--version"], capture_output=True, text=True).stdout
    match = re.search(r"version (\d+)\.", out)
    return int(match.group(1)) if match else None


def unformatted(tool, files):
    """The files that clang-format (following .clang-format) would change."""
    changed = []
    for path in files:
        with open(os.path.join(REPO, path), "rb") as f:
            original = f.read()
        formatted = subprocess.run([tool, "--style=file", path], cwd=REPO, check=True,
                                   capture_output=True).stdout
        if formatted != original:
            changed.append(path)
    return changed


@suite.test
def c_sources_follow_the_house_style(m):
    tool = shutil.which("clang-format")
    if tool is None:
        raise TestSkipped("no clang-format on PATH; the style check needs clang-format %s "
                          "(Debian 12 and 13: apt-get install clang-format)"
                          % " or ".join(map(str, STYLE_VERSIONS)))
    version = clang_format_version(tool)
    if version not in STYLE_VERSIONS:
        raise TestSkipped("clang-format %s found; the house style is checked with versions %s "
                          "only, which format the tree alike" % (version,
                                                                 " and ".join(map(str, STYLE_VERSIONS))))
    files = tracked_files(*STYLE_SOURCES)
    changed = unformatted(tool, files)
    check(not changed,
          "expected every C file to follow .clang-format, %d do not:\n%s\n"
          "Fix with: clang-format -i %s" % (len(changed), "\n".join(changed), " ".join(changed)))
    return "%d files" % len(files)


# --- Lint ---------------------------------------------------------------------

LINT_INSTALL = ("Debian: apt-get install python3-pyflakes shellcheck yamllint; or "
                "sh tools/setup.sh --test")


def scripts(suffix, interpreter):
    """Tracked files named *suffix, or whose #! line names interpreter."""
    found = []
    for path in tracked_files():
        with open(os.path.join(REPO, path), "rb") as f:
            first = f.readline(200)
        if path.endswith(suffix) or (first.startswith(b"#!") and interpreter in first):
            found.append(path)
    return found


def lint(names, what, files, options=()):
    """Run the first of the tools names on PATH over files (relative to the
    tree); fail with what it printed unless it found nothing, skip if none
    of them is installed. Returns a note for the test's PASS line."""
    tool = next(filter(None, map(shutil.which, names)), None)
    if tool is None:
        raise TestSkipped("no %s on PATH (%s)" % (" or ".join(names), LINT_INSTALL))
    result = subprocess.run([tool] + list(options) + files, cwd=REPO, capture_output=True,
                            text=True)
    check(result.returncode == 0, "expected %s to find nothing in %s, it found:\n%s"
          % (os.path.basename(tool), what, (result.stdout + result.stderr).strip()))
    return "%d files" % len(files)


@suite.test
def python_is_clean_under_pyflakes(m):
    return lint(("pyflakes3", "pyflakes"), "the Python files", scripts(".py", b"python"))


@suite.test
def shell_scripts_are_clean_under_shellcheck(m):
    return lint(("shellcheck",), "the shell scripts", scripts(".sh", b"sh"))


@suite.test
def yaml_files_are_clean_under_yamllint(m):
    return lint(("yamllint",), "the YAML files (following .yamllint)",
                tracked_files("*.yml", "*.yaml", ".yamllint"), ("--strict",))


# --- Python's tiers -------------------------------------------------------------
# tools/labpath.py declares them: the library (test/*.py but the suites) at the
# bottom, the suites (test/*_tests.py) and the tools (tools/, grade-lab-cow,
# run_autograder) above it, each importing only the library; the tools also
# import labpath, the one file that may touch sys.path.

BOOTSTRAP = "tools/labpath.py"
TIER_IMPORTS = {"library": {"library"}, "suite": {"library"},
                "tool": {"library", "bootstrap"}, "bootstrap": set()}


def python_tier(path):
    """The tier of a Python file of the tree (None: a build script, outside them)."""
    if path == BOOTSTRAP:
        return "bootstrap"
    if path.startswith("test/"):
        if path.endswith("_tests.py"):
            return "suite"
        return "tool" if path == "test/run.py" else "library"   # run.py: the suites' command line
    if path.startswith("tools/") or path == "grade-lab-cow":
        return "tool"
    return None


def imported_names(tree):
    """(line, top-level module name) of each import statement in an ast tree."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name.split(".")[0]) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.lineno, node.module.split(".")[0]


def sys_path_uses(tree):
    """Lines of an ast tree that name sys.path (to read it or to change it)."""
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and node.attr == "path"
            and isinstance(node.value, ast.Name) and node.value.id == "sys"]


def forbidden_imports(files):
    """'file:line: ...' for each import that reaches a tier its file may not
    import, and each use of sys.path outside BOOTSTRAP."""
    tiers = {os.path.splitext(os.path.basename(path))[0]: python_tier(path) for path in files}
    problems = []
    for path in files:
        mine = python_tier(path)
        with open(os.path.join(REPO, path)) as f:
            tree = ast.parse(f.read(), path)
        for line, name in imported_names(tree):
            theirs = tiers.get(name)
            if theirs is not None and theirs not in TIER_IMPORTS.get(mine, ()):
                problems.append("%s:%d: a %s imports %s, a %s"
                                % (path, line, mine or "build script", name, theirs))
        if path != BOOTSTRAP:
            problems += ["%s:%d: uses sys.path (only %s may)" % (path, line, BOOTSTRAP)
                         for line in sys_path_uses(tree)]
    return problems


@suite.test
def python_imports_reach_only_the_library(m):
    files = scripts(".py", b"python")
    problems = forbidden_imports(files)
    check(not problems, "expected suites and tools to import only the library, and the library "
          "no suite or tool (see tools/labpath.py), found %d:\n%s"
          % (len(problems), "\n".join(problems)))
    return "%d Python files" % len(files)


# --- Code places quoted in docs -------------------------------------------------

# A gdb frame "FUNC (ARGS) at FILE:LINE", a race report's "in FUNC at
# FILE:LINE", and gdb's answer to "break FUNC": "... file FILE, line LINE."
QUOTED_PLACES = (re.compile(r"(\w+) \((?:[^()\n]|\([^()\n]*\))*\) at ([\w/]+\.[chS]):(\d+)"),
                 re.compile(r"\bin (\w+) at ([\w/]+\.[chS]):(\d+)"),
                 re.compile(r"break (\w+)\n[^\n]*file ([\w/]+\.[chS]), line (\d+)\."))
# The prose before a fenced block may say which mistake of test/mutations.py
# it was taken from: its places are then checked in the mistaken files.
BLOCK_MISTAKE = re.compile(r"mistake\s+`(\w+)`[^`]*$")


def source_of(path, mistake):
    """The text of path (relative to the tree), with mistake's edits if given."""
    if mistake:
        edited = mutations.mutated_files(REPO, mutations.MUTATIONS_BY_NAME[mistake])
        if os.path.join(REPO, path) in edited:
            return edited[os.path.join(REPO, path)]
    with open(os.path.join(REPO, path)) as f:
        return f.read()


def quoted_places(text):
    """(mistake or None, function, file, line) of each code place quoted in
    the fenced blocks of a doc's text."""
    places = []
    previous_end = 0
    for block in FENCED.finditer(text):
        mistake = BLOCK_MISTAKE.search(text[previous_end:block.start()])
        previous_end = block.end()
        for pattern in QUOTED_PLACES:
            places += [(mistake and mistake.group(1),) + place.groups()
                       for place in pattern.finditer(block.group())]
    return places


@suite.test
def code_places_in_docs_are_inside_their_functions(m):
    problems, checked = [], 0
    for doc in tracked_files("README", "*.md"):
        with open(os.path.join(REPO, doc)) as f:
            places = quoted_places(f.read())
        for mistake, function, path, line in places:
            if not os.path.exists(os.path.join(REPO, path)):
                problems.append("%s: %s:%s: no such file" % (doc, path, line))
                continue
            extents = function_lines(source_of(path, mistake)).get(function)
            if extents is None:
                continue        # a frame gdb shows inlined into another file's line
            checked += 1
            if not any(first <= int(line) <= last for first, last in extents):
                problems.append("%s: %s at %s:%s, but %s%s is at lines %s" % (
                    doc, function, path, line, function,
                    " (with mistake %s)" % mistake if mistake else "",
                    ", ".join("%d-%d" % extent for extent in extents)))
    check(not problems, "expected each file:line a doc quotes to lie inside the function "
          "named with it; %d do not (rerun the session, or fix the line):\n%s"
          % (len(problems), "\n".join(problems)))
    return "%d places checked" % checked


# --- README, rendered from its template -----------------------------------------

@suite.test
def readme_is_its_template_rendered_for_the_solved_tree(m):
    with open(os.path.join(REPO, starter.README)) as f:
        readme = f.read()
    check(readme == starter.rendered_readme(REPO, starter.SOLVED),
          "expected README to be %s rendered for the solved tree (its markers gone); "
          "edit the template and run: python3 tools/handout.py --readme"
          % starter.README_TEMPLATE)
    check(starter.ANY_MARKER not in readme, "expected no COW-LAB marker in README")
    return "%d lines" % readme.count("\n")


# --- README's tree ---------------------------------------------------------------

TREE_SECTION = re.compile(r"(?ms)^The source tree\n-+\n(.*?)^\S")
TREE_ENTRY = re.compile(r"(?m)^( {4}| {6})(\S+)/ ")


def tree_entries(readme):
    """{folder as README's tree names it ("kernel", "kernel/mm" ...): the
    text of its entry}, from README's section "The source tree"."""
    section = TREE_SECTION.search(readme)
    if section is None:
        return {}
    text, entries, parent = section.group(1), {}, None
    starts = list(TREE_ENTRY.finditer(text))
    for entry, after in zip(starts, starts[1:] + [None]):
        indent, name = entry.groups()
        if len(indent) == 4:
            parent = name
        folder = name if len(indent) == 4 else "%s/%s" % (parent, name)
        entries[folder] = text[entry.end():after.start() if after else len(text)]
    return entries


@suite.test
def readme_tree_names_every_folder_and_kernel_source(m):
    with open(os.path.join(REPO, "README")) as f:
        entries = tree_entries(f.read())
    files = tracked_files()
    folders = {path.split("/")[0] for path in files if "/" in path and not path.startswith(".")}
    layers = {os.path.dirname(path) for path in files
              if path.startswith("kernel/") and path.count("/") == 2}
    problems = ["no entry for %s/" % folder for folder in sorted((folders | layers) - set(entries))]
    for path in files:
        folder, name = os.path.split(path)
        if folder in layers and name.endswith((".c", ".S")) and name not in entries.get(folder, name):
            problems.append("%s/ does not name %s" % (folder, name))
    check(entries and not problems, "expected README's tree to list every top folder and kernel "
          "layer, naming each layer's .c and .S files; %d problems:\n%s"
          % (len(problems), "\n".join(problems)))
    return "%d folders, %d layers" % (len(folders), len(layers))


# --- Translated docs -------------------------------------------------------------

FENCED = re.compile(r"(?ms)^```.*?^```")
HEADING = re.compile(r"(?m)^(#+) ")
INLINE_CODE = re.compile(r"`([^`\n]+)`")
NUMBER = re.compile(r"\d+")


def translation_differences(english, chinese):
    """How a Chinese doc's text departs from its English one, as lines: both
    must have the same heading levels in order, the same fenced blocks, and,
    outside those, the same inline code spans and the same numbers."""
    def outside_blocks(text):
        return FENCED.sub("", text)
    differences = []
    if HEADING.findall(english) != HEADING.findall(chinese):
        differences.append("headings: %s in English, %s in Chinese" % (
            [len(h) for h in HEADING.findall(english)], [len(h) for h in HEADING.findall(chinese)]))
    blocks = FENCED.findall(english), FENCED.findall(chinese)
    if blocks[0] != blocks[1]:
        differing = [i + 1 for i, pair in enumerate(zip(*blocks)) if pair[0] != pair[1]]
        differences.append("fenced blocks: %d in English, %d in Chinese; differing: %s"
                           % (len(blocks[0]), len(blocks[1]), differing or "-"))
    for what, pattern in (("inline code", INLINE_CODE), ("numbers", NUMBER)):
        counts = [collections.Counter(pattern.findall(outside_blocks(text)))
                  for text in (english, chinese)]
        if counts[0] != counts[1]:
            differences.append("%s only in English: %s; only in Chinese: %s" % (
                what, sorted((counts[0] - counts[1]).elements()),
                sorted((counts[1] - counts[0]).elements())))
    return differences


@suite.test
def chinese_docs_match_their_english_ones(m):
    pairs = [(path[:-len(".zh.md")] + ".md", path) for path in tracked_files("*.zh.md")]
    problems = []
    for english, chinese in pairs:
        with open(os.path.join(REPO, english)) as e, open(os.path.join(REPO, chinese)) as c:
            problems += ["%s: %s" % (chinese, difference)
                         for difference in translation_differences(e.read(), c.read())]
    check(pairs, "expected translated docs (*.zh.md) to check")
    check(not problems, "expected each Chinese doc to have its English one's headings, fenced "
          "blocks, inline code and numbers; %d differences:\n%s"
          % (len(problems), "\n".join(problems)))
    return "%d pairs" % len(pairs)


# --- The mutation table ---------------------------------------------------------

@suite.test
def every_mutation_still_applies_to_the_sources(m):
    """tools/mutate.py (and the grader's mistake suite, tools/mistakes.py) edit
    the kernel by exact text; a source change that drifts from a pattern
    must be noticed here, not in a 20-minute mutation run."""
    problems = []
    for mutation in mutations.MUTATIONS:
        try:
            mutations.mutated_files(REPO, mutation)
        except mutations.ToolError as error:
            problems.append(str(error).splitlines()[0])
    check(not problems, "expected every mutation's text to occur once in the sources, "
          "%d do not:\n%s" % (len(problems), "\n".join(problems)))
    return "%d mutations" % len(mutations.MUTATIONS)


MUTATION_DOC = os.path.join(REPO, "docs", "mutation.md")
MUTATION_ROW = re.compile(r"(?m)^\| (\w+) \| (\w+) \| (caught|equivalent|SURVIVED|ERROR) \|")


@suite.test
def mutation_doc_has_a_row_for_each_mutation(m):
    """docs/mutation.md's table comes from a 25-minute run of tools/mutate.py;
    a mutation added, renamed or regrouped since must be noticed here."""
    if not os.path.exists(MUTATION_DOC):
        raise TestSkipped("this tree has no docs/mutation.md (a starter)")
    with open(MUTATION_DOC) as f:
        rows = {name: group for name, group, _ in MUTATION_ROW.findall(f.read())}
    wanted = {mutation.name: mutation.group for mutation in mutations.MUTATIONS}
    missing = sorted(set(wanted) - set(rows))
    extra = sorted(set(rows) - set(wanted))
    regrouped = sorted(name for name in set(wanted) & set(rows) if wanted[name] != rows[name])
    check(not (missing or extra or regrouped),
          "expected docs/mutation.md to have one row per mutation of test/mutations.py; "
          "without a row: %s; rows for no mutation: %s; in another group: %s.  Rerun "
          "`python3 tools/mutate.py --jobs 2 --markdown` (or the mutations named) and "
          "update the table" % (", ".join(missing) or "none", ", ".join(extra) or "none",
                                ", ".join(regrouped) or "none"))
    return "%d rows" % len(rows)
