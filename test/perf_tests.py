"""Perf suite: tools/perf.py judges its verdicts on the median round.

tools/perf.py keeps the lines of every benchmark run it made in a record
and writes its report from that record alone (`perf.py --replay RECORD`
does only the writing, with no QEMU).  The test feeds it records made up
for the purpose: rounds in which a busy host disturbed one run must not
decide a verdict, and rounds on both sides of a target must be called out.

Run alone: python3 test/run.py perf
"""

import json
import os
import subprocess
import sys
import tempfile

from harness import REPO, Suite, check

suite = Suite("perf", cpus=(1,), boot=False)

PERF = os.path.join(REPO, "tools", "perf.py")
REPORT, RECORD = "perf.md", "perf-runs.json"
REPLAY_TIMEOUT = 60    # seconds; a replay only parses and formats
STRADDLE = "Some rounds fall on each side of"


def replay(record_path, directory):
    """Run perf.py --replay record_path, writing into directory; return the report."""
    output = os.path.join(directory, REPORT)
    result = subprocess.run([sys.executable, PERF, "--replay", record_path, "--output", output],
                            capture_output=True, text=True, timeout=REPLAY_TIMEOUT)
    check(result.returncode == 0, "expected `tools/perf.py --replay %s` to succeed, it exited "
          "with %d:\n%s" % (record_path, result.returncode, result.stderr.strip()))
    with open(output) as f:
        return f.read()


# --- Verdicts on made-up records -------------------------------------------------

LAB_MB, AROUND_MB = 32, 16          # the sizes perf.py judges the two figures at
COW_US = 2000                       # COW's fastest fork+exit+wait at LAB_MB
EAGER_PARENT_US = 30000             # eager's fastest parent-writes trial at AROUND_MB
ORDER_RESULT = ("orderbench script=foreground order=parent_first commands=100 cow_faults=0 "
                "pages_copied=0 pages_reused=0")   # the report needs one


def bench_lines(fork_us, parent_us):
    """One round's forkbench lines for one kernel: the two figures judged here."""
    return ["forkbench fig=fork_exit_wait heap_mb=%d reps=3 us=%d min_us=%d"
            % (LAB_MB, fork_us, fork_us),
            "forkbench fig=parent_write heap_mb=%d reps=3 us=%d min_us=%d"
            % (AROUND_MB, parent_us, parent_us),
            "forkbench done"]


def made_up_record(lab_ratios, around_ratios):
    """A record of len(lab_ratios) rounds in which eager's fork+exit+wait
    over COW's is lab_ratios[i] and COW's parent-writes trial over eager's
    is around_ratios[i]."""
    rounds = list(zip(lab_ratios, around_ratios))
    return {
        "facts": {"date": "made up", "machine": "test", "cpus": 1, "load": "0.0",
                  "qemu": "none", "commit": "none", "window": None},
        "options": {"quick": True, "rounds": len(rounds), "ahead_rounds": 0, "cpus": [1]},
        "seconds": 0,
        "main": {
            "eager": [bench_lines(int(COW_US * lab), EAGER_PARENT_US) for lab, _ in rounds],
            "cow": [bench_lines(COW_US, int(EAGER_PARENT_US * around)) for _, around in rounds],
        },
        "ahead": [],
        "order": [ORDER_RESULT],
    }


def verdict_line(report, label):
    lines = [line for line in report.splitlines() if line.startswith("- %s: " % label)]
    check(len(lines) == 1, "expected one verdict line on %s in the report, found %d:\n%s"
          % (label, len(lines), report[:2000]))
    return lines[0]


# (lab target rounds, fault-around rounds, lab met?, fault-around met?, straddling?)
CASES = (
    ((25, 26, 27), (0.05, 0.06, 0.07), True, True, False),
    ((30, 5, 31), (0.05, 0.9, 0.06), True, True, True),       # one disturbed round each
    ((12, 30, 13), (0.2, 0.05, 0.3), False, False, True),     # one lucky round each
    ((15, 16, 17), (0.2, 0.3, 0.4), False, False, False),
)


@suite.test
def perf_verdicts_take_the_median_round(m):
    with tempfile.TemporaryDirectory(prefix="xv6-perf-verdict-") as scratch:
        path = os.path.join(scratch, RECORD)
        for lab, around, lab_met, around_met, straddling in CASES:
            with open(path, "w") as f:
                json.dump(made_up_record(lab, around), f)
            report = replay(path, scratch)
            for label, rounds, met in (("Lab target (COW kernel)", lab, lab_met),
                                       ("Fault-around (COW kernel)", around, around_met)):
                line = verdict_line(report, label)
                expected = "**Met.**" if met else "**Not met.**"
                check(expected in line, "expected %s for rounds with ratios %s (median %s), "
                      "got:\n%s" % (expected, rounds, sorted(rounds)[1], line))
                check((STRADDLE in line) == straddling,
                      "expected the verdict %s say that some rounds fall on each side of its "
                      "target (rounds %s), got:\n%s"
                      % ("to" if straddling else "not to", rounds, line))
    return "%d made-up records" % len(CASES)
