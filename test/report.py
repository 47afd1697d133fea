"""The grader's report: written as text and as results.json, and read back.

The text report has one result per test, `NAME: OK (1.2s)`, or `NAME: FAIL`
followed by the reason on lines indented by REASON_INDENT; then
`Score: X/Y` and, last, `N passed, N failed`. The exit status is
EXIT_FULL_MARKS only on full marks. Report writes it as results arrive,
and results() gives the same results in the format of Gradescope's
results.json, which write_json() saves. PrintedReport reads the text back (the suites that run the
grader from outside use it), refusing any line out of that format.
"""

import json
import os
import re
import tempfile
import time

from harness import REASON_INDENT, TestFailure, check

EXIT_FULL_MARKS = 0
EXIT_NOT_FULL = 1
EXIT_INTERRUPTED = 130     # stopped by Ctrl-C, as a shell reports SIGINT
PUBLISHED_MODE = 0o644     # of a results file: mkstemp makes it 0600
MAX_REASON_LINES = 60      # of one failure's reason, shown (the console quoted can be huge)
MAX_REASON_WIDTH = 500     # characters of one line of a reason

RESULT = re.compile(r"(\S+): (?:OK \(\d+\.\ds\)|(FAIL))$")
SCORE = re.compile(r"Score: (\d+)/(\d+)$")
TALLY = re.compile(r"(\d+) passed, (\d+) failed$")


def gradescope_test(name, passed, points, output):
    """One entry of results.json's tests list: all of points if passed, else none."""
    return {"name": name, "score": points if passed else 0, "max_score": points,
            "status": "passed" if passed else "failed", "output": output}


class Report:
    """Prints one result per test as it is known, then the score and the tally.

    It also keeps every result, so write_json() can save them for Gradescope.
    """

    def __init__(self):
        self.score = 0
        self.possible = 0
        self.passed = 0
        self.failed = 0
        self.started = time.monotonic()
        self.tests = []            # gradescope_test() entries, in report order
        self.problem = None        # why grading stopped before its end, if it did

    def passes(self, name, points, seconds):
        self.score += points
        self.possible += points
        self.passed += 1
        self.tests.append(gradescope_test(name, True, points, "OK (%.1fs)" % seconds))
        print("%s: OK (%.1fs)" % (name, seconds), flush=True)

    def fails(self, name, points, reason):
        self.possible += points
        self.failed += 1
        lines = str(reason).rstrip().splitlines() or ["(no reason given)"]
        if len(lines) > MAX_REASON_LINES:
            lines = lines[:MAX_REASON_LINES] + ["(%d more lines not shown)"
                                                % (len(lines) - MAX_REASON_LINES)]
        lines = [line[:MAX_REASON_WIDTH] for line in lines]
        self.tests.append(gradescope_test(name, False, points, "\n".join(lines)))
        print("%s: FAIL" % name)
        print("\n".join(REASON_INDENT + line for line in lines), flush=True)

    def finish(self):
        """Print the score and the tally; return the exit status."""
        print("Score: %d/%d" % (self.score, self.possible))
        print("%d passed, %d failed" % (self.passed, self.failed), flush=True)
        full = self.failed == 0 and self.score == self.possible
        return EXIT_FULL_MARKS if full else EXIT_NOT_FULL

    def results(self, selected):
        """The results as Gradescope's results.json (a dict): score,
        execution_time, output (a summary), visibility and tests.

        selected: (name, points) of every test meant to run. One that has
        no result yet (grading stopped early) is listed as failed and not
        run, so max_score stays the lab's total.
        """
        reported = {entry["name"] for entry in self.tests}
        why = self.problem or "grading stopped early"
        tests = self.tests + [gradescope_test(name, False, points, "not run: " + why)
                              for name, points in selected if name not in reported]
        score = sum(entry["score"] for entry in tests)
        possible = sum(entry["max_score"] for entry in tests)
        passed = sum(1 for entry in tests if entry["status"] == "passed")
        summary = "Score: %d/%d\n%d passed, %d failed" % (score, possible, passed,
                                                          len(tests) - passed)
        if self.problem:
            summary += "\n" + self.problem
        return {"score": score, "execution_time": round(time.monotonic() - self.started, 1),
                "output": summary, "visibility": "visible", "tests": tests}

    def write_json(self, path, selected):
        """Write results(selected) to path, never half-written (write_new_file)."""
        write_new_file(path, json.dumps(self.results(selected), indent=1) + "\n")


def write_new_file(path, text):
    """Put text at path, whole or not at all: it goes to a new file of a random
    name beside path (created exclusively, so never through a planted link),
    which then replaces path (a link at path is replaced, not followed)."""
    folder, name = os.path.split(os.path.abspath(path))
    descriptor, partial = tempfile.mkstemp(prefix="." + name + ".", dir=folder)
    try:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(text)
        os.chmod(partial, PUBLISHED_MODE)
        os.replace(partial, path)
    except BaseException:
        os.unlink(partial)
        raise


class PrintedReport:
    """A grader's text report, parsed; raises TestFailure at the first line out of format."""

    def __init__(self, output):
        self.results = []          # [name, passed, reason lines], in order
        self.score = None          # (score, possible)
        lines = output.rstrip("\n").splitlines()
        check(lines, "the grader printed nothing")
        tally = TALLY.match(lines[-1])
        check(tally, "expected the last line to be `N passed, N failed`, got %r" % lines[-1])
        self.tally = tuple(int(count) for count in tally.groups())
        for line in lines[:-1]:
            self._read(line)
        check(self.score is not None, "no `Score: X/Y` line in:\n" + output)

    def _read(self, line):
        result = RESULT.match(line)
        score = SCORE.match(line)
        if result and self.score is None:
            self.results.append([result.group(1), result.group(2) is None, []])
        elif line.startswith(REASON_INDENT) and self.results and self.score is None:
            self.results[-1][2].append(line)
        elif score and self.score is None:
            self.score = (int(score.group(1)), int(score.group(2)))
        else:
            raise TestFailure("unexpected line in the grader's report: %r" % line)


def check_consistent(report, tests, status):
    """The report names every test once, and its score, tally and exit status agree."""
    points = dict(tests)
    names = [name for name, _, _ in report.results]
    check(names == ["build"] + [name for name, _ in tests],
          "expected results for build, then %s; got %s" % (", ".join(points), ", ".join(names)))
    for name, passed, reasons in report.results:
        check(passed == (not reasons),
              "%s: expected a reason under FAIL and none under OK, got %r" % (name, reasons))
    earned = sum(points.get(name, 0) for name, passed, _ in report.results if passed)
    check(report.score == (earned, sum(points.values())),
          "expected Score: %d/%d from the results, got %d/%d"
          % ((earned, sum(points.values())) + report.score))
    passed = sum(1 for _, ok, _ in report.results if ok)
    check(report.tally == (passed, len(names) - passed),
          "expected %d passed, %d failed from the results, got %d, %d"
          % ((passed, len(names) - passed) + report.tally))
    full = report.score[0] == report.score[1] and report.tally[1] == 0
    check(status == (0 if full else 1),
          "expected exit status %d with Score %d/%d, got %d"
          % ((0 if full else 1,) + report.score + (status,)))
