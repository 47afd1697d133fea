#!/usr/bin/env python3
"""The grader's mistake suite: does `make grade` fail each classic student mistake?

Usage: python3 tools/mistakes.py [--list] [--races N] [--shape SHAPE ...]
                                [--solution N] [--docs] [NAME ...]

Each mistake is one of test/mutations.py's mutations (MUTATIONS there holds
their search/replace edits, and its mutated_files() applies them): the
solved tree with one deliberate student mistake. For each, the tool copies
the tree (the files `make handin` packs), applies the mistake, and runs
./grade-lab-cow in the copy as a student would (test/graderun.py), then
records the score, the first message the report shows, and the time the
whole grade took. A mistake is caught when it loses points; a grade must
also finish within GRADE_LIMIT seconds.

The reference-count races lose points only when harts meet, so --races N
grades each race mistake N more times, grading only the tests that look
for races (RACE_TESTS), and reports how many runs lost points; --shape
(repeatable: free, one-core, half-cpu; see test/machineshape.py) runs those
grades as on a smaller grading machine, and --solution N grades the solved
tree N times on RACE_TESTS in each shape, counting false alarms. --docs writes the results as docs/grader-mistakes.md and
docs/grader-mistakes.zh.md. Exit status: 0 every mistake caught in time,
1 otherwise, 2 the tool failed.

Environment: GRADE_PORT (the graders' QEMU gdb port, default a free one),
CPUS (harts, default 3), XV6_TIME_SCALE (multiplies every time limit).
"""

import argparse
import collections
import datetime
import os
import shutil
import sys
import tempfile
import time

import labpath
import harness  # noqa: E402  (found through labpath)
import machineshape  # noqa: E402
import mutations  # noqa: E402
from gradelib import DEFAULT_CPUS  # noqa: E402
from gradedmistakes import (GRADE_LIMIT, MISTAKES, MISTAKES_BY_NAME, RACE_TESTS,  # noqa: E402
                            grade, mistake_tree)
from table import table  # noqa: E402

REPO = labpath.TREE
MESSAGE_CHARS = 160          # of the first message, in the tables
DOCS = (os.path.join(REPO, "docs", "grader-mistakes.md"),
        os.path.join(REPO, "docs", "grader-mistakes.zh.md"))

def race_runs(name, tree, runs, cpus, shapes):
    """{shape: (grades that lost points, of them those whose message named
    a race, runs)}: tree (of mistake name, or the solution) graded runs
    times on RACE_TESTS in each machine shape. Each grade is printed as it
    ends."""
    counts = collections.OrderedDict()
    for shape in shapes:
        lost = named = 0
        for run in range(1, runs + 1):
            g = grade(tree, RACE_TESTS, cpus, shape)
            lost += g.score < g.possible
            named += g.score < g.possible and g.named
            print("  %s, %s, run %d/%d: %d/%d in %d s; %s" % (
                name, shape, run, runs, g.score, g.possible, g.seconds, g.first[:120]),
                flush=True)
        counts[shape] = (lost, named, runs)
    return counts


def told_runs(counts):
    """race_runs()'s counts as "free 10/10 (named in 10), one-core 0/10", or "-"."""
    return ", ".join("%s %d/%d%s" % (shape, lost, runs, " (named in %d)" % named if lost else "")
                     for shape, (lost, named, runs) in counts.items() if runs) or "-"


def solution_runs(scratch, runs, cpus, shapes):
    """race_runs() of the solved tree: its false alarms. Printed too."""
    if runs == 0:
        return {}
    tree = os.path.join(scratch, "solution")
    mutations.copy_sources(tree)
    try:
        counts = race_runs("solution", tree, runs, cpus, shapes)
    finally:
        shutil.rmtree(tree, ignore_errors=True)
    print("solution: race runs that lost points (false alarms): %s" % told_runs(counts),
          flush=True)
    return counts


def run_mistake(scratch, mistake, cpus, races, shapes):
    """Grade mistake once in full, and races more times on RACE_TESTS in each
    shape if it is a race; returns (Grade, race_runs())."""
    tree = mistake_tree(scratch, mistake.name)
    try:
        return grade(tree, (), cpus), race_runs(mistake.name, tree, races if mistake.race else 0,
                                                cpus, shapes)
    finally:
        shutil.rmtree(tree, ignore_errors=True)


def caught(result):
    full, _ = result
    return full.score < full.possible and full.seconds <= harness.scaled(GRADE_LIMIT)


def rows(results, zh):
    """Table rows, one per mistake, in English or Chinese."""
    out = []
    for name, (full, counts) in results.items():
        what = MISTAKES_BY_NAME[name].zh if zh else mutations.MUTATIONS_BY_NAME[name].summary
        out.append(("`%s`" % name, what, "%d/%d" % (full.score, full.possible),
                    "%d s" % full.seconds, told_runs(counts),
                    "`%s`" % full.first[:MESSAGE_CHARS].replace("`", "'").replace("|", "\\|")))
    return out


HEADERS = {
    False: ("mistake", "what the student did", "score", "grade time",
            "race runs that lost points", "first message the student sees"),
    True: ("错误", "学生做了什么", "得分", "评分用时", "竞争：扣分的次数", "学生看到的第一条信息"),
}

INTRO = {
    False: """# What the grader says about classic mistakes

Generated by `%(command)s`
on %(date)s (CPUS=%(cpus)d, a 2-core machine); do not edit by hand. Each row is the
solved tree with one deliberate mistake (the edits are the mutation of the same
name in `test/mutations.py`), graded once by `./grade-lab-cow` as a student
would. The first message is the first FAIL of the report and its first line.
For the reference-count races, "race runs" counts the runs of
`./grade-lab-cow %(race_tests)s` (the tests that look for races) that lost
points, in each machine shape (`test/machineshape.py`: free is the host as
it is, one-core the grader pinned to one core, half-cpu a CPU quota of 50
ms per 100 ms), and of those, the runs whose message named the race (a
report of the race kernel, docs/races.md, with both accesses' file:line)
rather than only its effect on the page counts. The solved tree, graded the
same way, lost points in: %(solution)s.
""",
    True: """# 评分器对典型错误的反馈

由 `%(command)s`
于 %(date)s 生成（CPUS=%(cpus)d，一台 2 核机器）；请勿手工修改。每一行是在正确答案上故意加入一个错误（修改内容见 `test/mutations.py`
中同名的变异），再像学生一样运行一次 `./grade-lab-cow`。"第一条信息"是报告中第一个 FAIL
及其第一行原因（原样保留英文）。对引用计数竞争，"竞争"一栏是只运行
`./grade-lab-cow %(race_tests)s`（专门寻找竞争的测试）时扣分的次数，按机器形态分列
（`test/machineshape.py`：free 为主机原样，one-core 为评分器绑定到一个核，half-cpu 为每 100 ms
限 50 ms 的 CPU 配额）；括号里的 named 是其中信息直接指出竞争的次数（竞争内核的报告，
docs/races.md，给出两次访问的文件和行号），而不只是页数不对。正确答案以同样方式评分时扣分的次数：
%(solution)s。
""",
}


def write_docs(results, cpus, solution, argv):
    command = " ".join(["python3 tools/mistakes.py"] + argv)
    values = dict(command=command, date=datetime.date.today().isoformat(), cpus=cpus,
                  race_tests=" ".join(RACE_TESTS), solution=told_runs(solution))
    for path, zh in zip(DOCS, (False, True)):
        with open(path, "w") as f:
            f.write(INTRO[zh] % values + "\n" + table(HEADERS[zh], rows(results, zh)) + "\n")
        print("wrote %s" % os.path.relpath(path, REPO))


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Grade the solved tree with one classic mistake at a time.",
        epilog="Every time limit is multiplied by XV6_TIME_SCALE (default 1).")
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help="mistakes to grade (default: all; see --list)")
    parser.add_argument("--list", action="store_true", help="list the mistakes and exit")
    parser.add_argument("--races", type=int, default=0, metavar="N",
                        help="grade each race mistake N more times on %s" % " ".join(RACE_TESTS))
    parser.add_argument("--shape", dest="shapes", action="append",
                        choices=machineshape.SHAPES,
                        help="grade the --races runs in this machine shape (repeatable; "
                             "default free)")
    parser.add_argument("--solution", type=int, default=0, metavar="N",
                        help="grade the solved tree N times on %s in each shape, counting "
                             "false alarms" % " ".join(RACE_TESTS))
    parser.add_argument("--docs", action="store_true",
                        help="write docs/grader-mistakes.md and .zh.md from the results")
    args = parser.parse_args(argv)
    unknown = [name for name in args.names if name not in MISTAKES_BY_NAME]
    if unknown:
        parser.error("no mistake named %s (see --list)" % ", ".join(unknown))
    args.shapes = args.shapes or ["free"]
    return args


def main(argv):
    args = parse_args(argv)
    if args.list:
        for m in MISTAKES:
            print("%-32s %s%s" % (m.name, mutations.MUTATIONS_BY_NAME[m.name].summary,
                                  "  [race]" if m.race else ""))
        return 0
    cpus = int(os.environ.get("CPUS") or DEFAULT_CPUS)
    selected = args.names or [m.name for m in MISTAKES]
    results = collections.OrderedDict()
    scratch = tempfile.mkdtemp(prefix="mistakes-")
    harness.install_signal_handlers()
    try:
        solution = solution_runs(scratch, args.solution, cpus, args.shapes)
        for name in selected:
            started = time.monotonic()
            results[name] = run_mistake(scratch, MISTAKES_BY_NAME[name], cpus, args.races,
                                        args.shapes)
            full, counts = results[name]
            print("%s: %d/%d in %d s%s (%d s in all); %s" % (
                name, full.score, full.possible, full.seconds,
                ", race runs that lost points: %s" % told_runs(counts) if args.races else "",
                time.monotonic() - started, full.first), flush=True)
    except (mutations.ToolError, harness.TestFailure) as error:
        print("mistakes: %s" % error, file=sys.stderr)
        return 2
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if args.docs:
        write_docs(results, cpus, solution, argv)
    missed = [name for name, result in results.items() if not caught(result)]
    if missed:
        print("NOT CAUGHT (full marks, or over %g s): %s"
              % (harness.scaled(GRADE_LIMIT), ", ".join(missed)))
        return 1
    print("all %d mistakes lost points in under %g s" % (len(results),
                                                        harness.scaled(GRADE_LIMIT)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
