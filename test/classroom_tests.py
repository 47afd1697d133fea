"""GitHub Classroom grading, run here the way the workflow runs it.

.github/workflows/classroom.yml (written by tools/classroom.py) must give
every graded test of `./grade-lab-cow --list` exactly one autograding step
with the test's points, each reading the one grade run. These tests read
the workflow with a small parser for the block-style YAML it is written in
(stdlib only), check it against the grader's list, and then run its shell
commands in a copy of the tree in order: the grade step once, then each
test's step, scoring each as the command grader does (max-score on exit
status 0, else 0).

To stay quick, the grade step grades only RUN_TESTS (through
$CLASSROOM_TESTS) in a tree without time.txt, so that `time` fails (in the
solved tree simple and three pass; in a student's starter they fail too);
the other tests' steps must then fail as not graded.
"""

import os
import re
import subprocess
import time

import classroomflow
import submission
from harness import REPO, Suite, TestFailure, check, make_environment
from graderun import listed_tests, tree_copy
from handinfiles import TIME_FILE
from ports import free_port

suite = Suite("classroom", cpus=(3,), boot=False)

RUN_TESTS = ("simple", "three", "time")
BUILD = "build"                    # in the results with 0 points, not in --list
FAILING_TEST = "time"              # fails because the copy has no time.txt
GRADE_TIMEOUT = 600                # seconds for the grade step of RUN_TESTS
RESULT_TIMEOUT = 30                # seconds for one test's step
RESULT_STEP_SECONDS = 10           # a step that takes longer is not just reading results
RESULTS_NAME = "classroom-results.json"
RUN_COMMAND = "python3 tools/classroom.py run"
RESULT_COMMAND = "python3 tools/classroom.py result %s"


# --- A parser for the YAML subset the workflow is written in ------------------

KEY_VALUE = re.compile(r"([\w.-]+):(?: (.*))?$")


def yaml_lines(text):
    """[(indent, content, line number)] of text's lines, without blanks and comments."""
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            found.append((len(line) - len(line.lstrip(" ")), stripped, number))
    return found


def scalar(text, number):
    """A plain or quoted scalar; refuses the YAML this parser does not handle."""
    if text[:1] in ("[", "{", "|", ">", "&", "*", "!"):
        raise TestFailure("line %d: %r is YAML this parser does not read" % (number, text))
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def parse_block(lines, index, indent):
    """Parse the block starting at lines[index], indented by indent; return (value, next index)."""
    if lines[index][1].startswith("- "):
        items = []
        while index < len(lines) and lines[index][0] == indent and lines[index][1].startswith("- "):
            _, content, number = lines[index]
            lines[index] = (indent + 2, content[2:], number)    # the item, as its own block
            item, index = parse_block(lines, index, indent + 2)
            items.append(item)
        return items, index
    _, content, number = lines[index]
    if not KEY_VALUE.match(content):
        return scalar(content, number), index + 1
    mapping = {}
    while index < len(lines) and lines[index][0] == indent:
        _, content, number = lines[index]
        match = KEY_VALUE.match(content)
        if not match or match.group(1) in mapping:
            raise TestFailure("line %d: expected a new `key: value`, got %r" % (number, content))
        index += 1
        if match.group(2) is not None:
            mapping[match.group(1)] = scalar(match.group(2), number)
        elif index < len(lines) and lines[index][0] > indent:
            mapping[match.group(1)], index = parse_block(lines, index, lines[index][0])
        else:
            mapping[match.group(1)] = None
    if index < len(lines) and lines[index][0] > indent:
        raise TestFailure("line %d: unexpected indentation" % lines[index][2])
    return mapping, index


def parse_yaml(text):
    lines = yaml_lines(text)
    value, index = parse_block(lines, 0, lines[0][0])
    check(index == len(lines), "line %d: not part of the document" % lines[min(index, len(lines) - 1)][2])
    return value


# --- What the workflow must say -----------------------------------------------

def steps_of(workflow):
    """The job's steps; fails unless the workflow has the one job Classroom reads."""
    check(isinstance(workflow, dict) and workflow.get("name") == classroomflow.WORKFLOW_NAME,
          "expected the workflow to be named %r" % classroomflow.WORKFLOW_NAME)
    jobs = workflow.get("jobs") or {}
    check(list(jobs) == [classroomflow.JOB_NAME], "expected the one job %r, got %s"
          % (classroomflow.JOB_NAME, list(jobs)))
    steps = jobs[classroomflow.JOB_NAME].get("steps")
    check(isinstance(steps, list) and all(isinstance(step, dict) for step in steps),
          "expected a list of steps")
    return steps


def workflow_problems(workflow, tests):
    """Everything wrong with workflow (parsed) for tests ([(name, points)]); [] if nothing."""
    steps = steps_of(workflow)
    problems = []
    runs = [index for index, step in enumerate(steps) if step.get("run") == RUN_COMMAND]
    graders = [(index, step) for index, step in enumerate(steps)
               if step.get("uses") == classroomflow.COMMAND_GRADER]
    reporters = [(index, step) for index, step in enumerate(steps)
                 if step.get("uses") == classroomflow.REPORTER]
    if len(runs) != 1:
        problems.append("expected one step running %r, found %d" % (RUN_COMMAND, len(runs)))
    if len(reporters) != 1:
        problems.append("expected one reporter step, found %d" % len(reporters))
    points = dict(tests)
    seen = {}
    for index, step in graders:
        inputs = step.get("with") or {}
        name = inputs.get("test-name")
        seen.setdefault(name, []).append(index)
        if name not in points:
            problems.append("step %d grades %r, which ./grade-lab-cow --list lacks" % (index, name))
            continue
        if runs and index < runs[0]:
            problems.append("%s: its step comes before the grade run" % name)
        if step.get("id") != name:
            problems.append("%s: step id %r, expected %r" % (name, step.get("id"), name))
        if inputs.get("command") != RESULT_COMMAND % name or "setup-command" in inputs:
            problems.append("%s: command %r (setup %r), expected only %r" % (
                name, inputs.get("command"), inputs.get("setup-command"), RESULT_COMMAND % name))
        if inputs.get("max-score") != str(points[name]):
            problems.append("%s: max-score %r, but the grader gives %d points"
                            % (name, inputs.get("max-score"), points[name]))
    for name, _ in tests:
        if len(seen.get(name, [])) != 1:
            problems.append("%s: expected exactly one step, found %d"
                            % (name, len(seen.get(name, []))))
    if len(reporters) == 1:
        problems += reporter_problems(reporters[0], graders, tests)
    return problems


def reporter_problems(reporter, graders, tests):
    """What is wrong with the reporter step: its runners and their _RESULTS variables."""
    index, step = reporter
    problems = []
    if graders and index < graders[-1][0]:
        problems.append("the reporter runs before the last test's step")
    runners = ((step.get("with") or {}).get("runners") or "").split(",")
    if runners != [name for name, _ in tests]:
        problems.append("reporter runners %s, expected %s" % (runners, [n for n, _ in tests]))
    environment = step.get("env") or {}
    for name, _ in tests:
        wanted = "${{ steps.%s.outputs.result }}" % name
        got = environment.get(classroomflow.results_variable(name))
        if got != wanted:
            problems.append("%s: the reporter's %s is %r, expected %r"
                            % (name, classroomflow.results_variable(name), got, wanted))
    return problems


def read_workflow():
    with open(classroomflow.WORKFLOW) as handle:
        return handle.read()


def step_commands(workflow):
    """The grade step's command, and [(test name, max-score, command)] of the
    test steps, in order."""
    steps = steps_of(workflow)
    grade = [step["run"] for step in steps if step.get("name") == classroomflow.GRADE_STEP]
    check(len(grade) == 1, "expected one step named %r" % classroomflow.GRADE_STEP)
    return grade[0], [(step["with"]["test-name"], int(step["with"]["max-score"]),
                       step["with"]["command"])
                      for step in steps if step.get("uses") == classroomflow.COMMAND_GRADER]


# --- Tests --------------------------------------------------------------------

@suite.test
def workflow_has_one_step_per_graded_test(m):
    tests = listed_tests(REPO, m.cpus)
    workflow = parse_yaml(read_workflow())
    problems = workflow_problems(workflow, tests)
    check(not problems, "%s disagrees with ./grade-lab-cow --list (regenerate it with "
          "`python3 tools/classroom.py workflow`):\n%s"
          % (classroomflow.WORKFLOW, "\n".join(problems)))
    check(read_workflow() == classroomflow.workflow_text(tests),
          "expected %s to be what `python3 tools/classroom.py workflow` writes"
          % classroomflow.WORKFLOW)
    return "%d steps, %d points" % (len(tests), sum(points for _, points in tests))


@suite.test
def workflow_check_finds_missing_steps_and_wrong_points(m):
    tests = listed_tests(REPO, m.cpus)
    text = read_workflow()
    first, second = tests[0][0], tests[1][0]
    step = re.search(r"      - name: %s\n(?:        .*\n)+" % second, text).group()
    broken = {
        "a missing step": (text.replace(step, ""), second),
        "a doubled step": (text.replace(step, step + step), second),
        "wrong points": (re.sub(r"(test-name: %s\n(?:.*\n)*?\s*max-score: )\d+" % first,
                                r"\g<1>999", text, count=1), first),
        "a missing _RESULTS": (re.sub(r".*%s.*\n" % classroomflow.results_variable(first), "",
                                      text), first),
    }
    for case, (mutant, name) in broken.items():
        check(mutant != text, "the %s mutation did not change the workflow" % case)
        problems = workflow_problems(parse_yaml(mutant), tests)
        check(any(name in problem for problem in problems),
              "expected a problem naming %s for %s, got %s" % (name, case, problems))


def run_step(command, tree, environment, timeout):
    """Run a workflow step's shell command in tree; return (exit status, output, seconds)."""
    started = time.monotonic()
    result = subprocess.run(["sh", "-c", command], cwd=tree, env=environment,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            universal_newlines=True, timeout=timeout)
    return result.returncode, result.stdout, time.monotonic() - started


@suite.test
def steps_score_the_one_grade_run(m):
    grade, steps = step_commands(parse_yaml(read_workflow()))
    environment = make_environment()
    environment.pop("CLASSROOM_RESULTS", None)
    environment.update(CPUS=str(m.cpus), GRADE_PORT=str(free_port()),
                       CLASSROOM_TESTS=" ".join(RUN_TESTS))
    with tree_copy() as tree:
        for stale in (TIME_FILE, RESULTS_NAME):      # a fresh clone has no results either
            if os.path.exists(os.path.join(tree, stale)):
                os.unlink(os.path.join(tree, stale))
        status, output, _ = run_step(steps[0][2], tree, environment, RESULT_TIMEOUT)
        check(status != 0 and "did not run" in output,
              "expected a test's step to fail before the grade run, saying it did not run; "
              "got %d: %r" % (status, output))
        status, output, seconds = run_step(grade, tree, environment, GRADE_TIMEOUT)
        check(status == 0, "expected the grade step to exit 0, got %d:\n%s" % (status, output))
        kernel = os.path.join(tree, "kernel", "kernel")
        built = os.stat(kernel).st_mtime_ns
        outcomes = {name: (points,) + run_step(command, tree, environment, RESULT_TIMEOUT)
                    for name, points, command in steps}
        check(os.stat(kernel).st_mtime_ns == built, "expected no step to rebuild the kernel")
        results = submission.load_results(os.path.join(tree, RESULTS_NAME))
    expect_outcomes(outcomes, results)
    earned = sum(points for points, status, _, _ in outcomes.values() if status == 0)
    return "grade step %.0fs; steps earned %d points" % (seconds, earned)


def expect_outcomes(outcomes, results):
    """Each step passed exactly when its test passed in results, and quickly."""
    graded = {entry["name"]: entry for entry in results["tests"] if entry["name"] != BUILD}
    check(sorted(graded) == sorted(RUN_TESTS), "expected results for %s (and %s), got %s"
          % (RUN_TESTS, BUILD, sorted(graded)))
    for name, (points, status, output, seconds) in outcomes.items():
        check(seconds < RESULT_STEP_SECONDS, "%s: its step took %.0fs; it should only read "
              "the results" % (name, seconds))
        if name not in graded:
            check(status != 0 and "not graded in this run" in output,
                  "%s: expected its step to fail as not graded, got %d: %r" % (name, status, output))
            continue
        passed = graded[name]["status"] == "passed"
        check((status == 0) == passed, "%s: the grade run says %s, its step exited %d: %r"
              % (name, graded[name]["status"], status, output))
        check(passed or graded[name]["output"] in output,
              "%s: expected its step to print the failure %r, got %r"
              % (name, graded[name]["output"], output))
    check(graded[FAILING_TEST]["status"] == "failed",
          "expected %s to fail (no %s), got %s" % (FAILING_TEST, TIME_FILE, graded[FAILING_TEST]))
    earned = sum(points for points, status, _, _ in outcomes.values() if status == 0)
    check(earned == results["score"], "expected the steps' points %d to equal the grade's score %d"
          % (earned, results["score"]))
