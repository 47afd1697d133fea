"""Proofs on test results: user/proof.h in the guest, test/proof.py on the host.

In the guest (suite proof, booted):
- cowtest -n NONCE and usertests -n NONCE end each passing result line with
  the proof test/proof.py computes for its label: the C hash and the Python
  one agree;
- without -n, both print their result lines as they always did;
- a nonce that is not 16 hex digits is refused, and no test runs.

On the host (suite proofcheck, no QEMU): gradelib's usertests checks accept
a transcript whose OK lines carry this grade's proofs, and refuse the same
transcript under another nonce (a replay), without its proofs, with the
proof of a failed status, or with a quick test's line missing, quoting the
line or naming the test.

test/grade_tests.py checks the grader from outside: a real run passes it,
and a shell replaying a recorded run fails it.
"""

import re

import gradelib
import labgrader
import proof
from gradelib import NOT_PROVEN
from harness import Suite, TestFailure, check

suite = Suite("proof", cpus=(3,))
host_suite = Suite("proofcheck", cpus=(3,), boot=False)

COWTEST_TIMEOUT = 300       # seconds for `cowtest -n NONCE simple three`
USERTESTS_TIMEOUT = 120     # seconds for two quick usertests
COWTEST_TESTS = ("simple", "three")
COWTEST_LABELS = ("simple", "simple (run 2)", "three", "three (run 2)", "three (run 3)")
USERTESTS_TESTS = ("copyin_bad_pointer", "copyout_read_bad_pointer")
COWTEST_OK_LINE = re.compile(r"(?m)^.*: ok\b.*$")
USERTESTS_VERDICT = re.compile(r"(?m)^test \S+: .*$")
MALFORMED_NONCES = ("", "0123456789abcde", "0123456789abcdef0", "0123456789abcdeg")


def ok_lines(out, pattern):
    return pattern.findall(out)


@suite.test
def cowtest_proofs_are_the_hosts(m):
    nonce = proof.new_nonce()
    command = "cowtest -n %s %s" % (proof.hex16(nonce), " ".join(COWTEST_TESTS))
    out = m.run(command, timeout=COWTEST_TIMEOUT)
    expected = [proof.proven_line(nonce, label, "ok") for label in COWTEST_LABELS]
    got = ok_lines(out, COWTEST_OK_LINE)
    check(got == expected, "expected `%s` to print these ok lines (proofs from test/proof.py):"
          "\n%s\ngot:\n%s" % (command, "\n".join(expected), out.strip()))
    return "%d ok lines proven" % len(got)


@suite.test
def usertests_proofs_are_the_hosts(m):
    nonce = proof.new_nonce()
    command = "usertests -n %s %s" % (proof.hex16(nonce), " ".join(USERTESTS_TESTS))
    out = m.run(command, timeout=USERTESTS_TIMEOUT)
    expected = [proof.proven_line(nonce, "test " + name, "OK") for name in USERTESTS_TESTS]
    got = ok_lines(out, USERTESTS_VERDICT)
    check(got == expected, "expected `%s` to print these verdicts (proofs from test/proof.py):"
          "\n%s\ngot:\n%s" % (command, "\n".join(expected), out.strip()))


@suite.test
def results_without_a_nonce_carry_no_proof(m):
    out = m.run("cowtest simple", timeout=COWTEST_TIMEOUT)
    got = ok_lines(out, COWTEST_OK_LINE)
    check(got == ["simple: ok", "simple (run 2): ok"],
          "expected `cowtest simple` to print `simple: ok` and `simple (run 2): ok` "
          "and nothing after them, got:\n%s" % out.strip())
    name = USERTESTS_TESTS[0]
    out = m.run("usertests " + name, timeout=USERTESTS_TIMEOUT)
    got = ok_lines(out, USERTESTS_VERDICT)
    check(got == ["test %s: OK" % name],
          "expected `usertests %s` to print `test %s: OK` and nothing after it, got:\n%s"
          % (name, name, out.strip()))


@suite.test
def a_malformed_nonce_is_refused(m):
    for program, test in (("cowtest", COWTEST_TESTS[0]), ("usertests", USERTESTS_TESTS[0])):
        for nonce in MALFORMED_NONCES:
            command = "%s -n %s %s" % (program, nonce, test) if nonce else "%s -n" % program
            out = m.run(command, timeout=USERTESTS_TIMEOUT)
            check("16 hex digits" in out and not re.search(r"(?m): (ok|OK)\b", out),
                  "expected `%s` to refuse the nonce (saying it wants 16 hex digits) and "
                  "run no test, got:\n%s" % (command, out.strip()))
    return "%d nonces refused" % (2 * len(MALFORMED_NONCES))


# --- gradelib's usertests checks, on transcripts made here ------------------

def usertests_transcript(nonce, label_proof=proof.proof_text):
    """The lines of a passing `usertests -q` whose OK lines carry
    label_proof(nonce, label): every quick test of user/usertests.c."""
    lines = ["test %s: OK %s" % (name, label_proof(nonce, "test " + name))
             for name in gradelib.usertests_table(quick_only=True)]
    return lines + ["%s %s" % (gradelib.USERTESTS_PASSED,
                               label_proof(nonce, gradelib.USERTESTS_PASSED))]


def graded(nonce, lines):
    """An Output of `usertests -q -n NONCE` that printed lines."""
    command = gradelib.Command("usertests -q -n %s" % proof.hex16(nonce), 1,
                               result=gradelib.USERTESTS_RESULT)
    output = gradelib.Output(command)
    output.lines = [(float(second), line) for second, line in enumerate(lines)]
    return output


def usertests_checks(nonce):
    """(name, check) for the grader's three usertests checks under nonce."""
    return [("usertests", gradelib.usertests_passed(nonce)),
            ("usertests_copyin", gradelib.usertests_group("copyin", nonce)),
            ("usertests_copyout", gradelib.usertests_group("copyout", nonce))]


def failure_of(check_output, output):
    """The reason check_output fails output for, or None if it passes."""
    try:
        check_output(output)
    except TestFailure as failure:
        return str(failure)
    return None


def expect_refused(nonce, lines, why, quoted):
    """Each usertests check under nonce fails lines, naming the proof and
    quoting a line that quoted() accepts."""
    for name, check_output in usertests_checks(nonce):
        reason = failure_of(check_output, graded(nonce, lines))
        check(reason is not None and NOT_PROVEN in reason and quoted(reason),
              "expected %s to fail a transcript %s, saying it %s; got %s"
              % (name, why, NOT_PROVEN, "a pass" if reason is None else repr(reason)))


@host_suite.test
def usertests_checks_accept_this_grades_proofs(m):
    nonce = proof.new_nonce()
    for name, check_output in usertests_checks(nonce):
        reason = failure_of(check_output, graded(nonce, usertests_transcript(nonce)))
        check(reason is None, "expected %s to pass a transcript carrying this grade's "
              "proofs, got: %s" % (name, reason))


@host_suite.test
def usertests_checks_refuse_a_replayed_transcript(m):
    nonce, recorded = proof.new_nonce(), proof.new_nonce()
    lines = usertests_transcript(recorded)
    expect_refused(nonce, lines, "recorded under another nonce",
                   lambda reason: any("`%s`" % line in reason for line in lines))


@host_suite.test
def usertests_checks_refuse_results_without_proofs(m):
    nonce = proof.new_nonce()
    lines = [line.rsplit(" ", 1)[0] if line.startswith("test ") else line
             for line in usertests_transcript(nonce)]
    expect_refused(nonce, lines, "whose OK lines have no proof",
                   lambda reason: re.search(r"`test \w+: OK`", reason))


@host_suite.test
def usertests_checks_refuse_the_proof_of_a_failed_status(m):
    nonce = proof.new_nonce()
    lines = usertests_transcript(nonce, lambda n, label: proof.proof_text(n, label, witness=1))
    expect_refused(nonce, lines, "whose proofs fold in exit status 1",
                   lambda reason: any("`%s`" % line in reason for line in lines))


@host_suite.test
def usertests_passed_wants_every_quick_test(m):
    nonce = proof.new_nonce()
    lines = usertests_transcript(nonce)
    dropped = lines.pop(len(lines) // 2)
    name = dropped.split()[1].rstrip(":")
    reason = failure_of(gradelib.usertests_passed(nonce), graded(nonce, lines))
    check(reason is not None and name in reason,
          "expected usertests to fail a transcript without `test %s: OK ...`, naming %s; got %s"
          % (name, name, "a pass" if reason is None else repr(reason)))


@host_suite.test
def a_proof_counts_only_on_its_exact_line(m):
    nonce = proof.new_nonce()
    good = proof.proven_line(nonce, "three (run 2)", "ok")
    proof_digits = good.rsplit(" ", 1)[1]
    check(proof.carries_proof(good, "ok", nonce) and proof.carries_proof(good + "  ", "ok", nonce),
          "expected %r (with or without trailing spaces) to carry its proof" % good)
    for bad in (good.replace("run 2", "run 3"), good + " extra", good.upper(),
                "three: ok " + proof_digits, good.replace(": ok ", ": OK ")):
        check(not proof.carries_proof(bad, "ok", nonce),
              "expected %r not to carry the proof of its label (it is %r's)" % (bad, good))


@host_suite.test
def usertests_checks_refuse_failures_with_their_lines_dropped(m):
    """What a console filter could do without the nonce: drop or rewrite the
    lines that say FAILED, which carry no proof."""
    nonce = proof.new_nonce()
    lines = usertests_transcript(nonce)
    groups = [check_output for name, check_output in usertests_checks(nonce)
              if name != "usertests"]
    failed_groups = [line.split(":")[0] + ": FAILED" if "copy" in line else line
                     for line in lines[:-1]] + ["usertests: failed tests:",
                                                gradelib.USERTESTS_FAILED]
    for check_output in groups:
        check(failure_of(check_output, graded(nonce, failed_groups)) is not None,
              "expected a group check to fail when its tests say FAILED and the failed "
              "list is emptied")
    leaked = lines[:-1] + [gradelib.USERTESTS_PASSED]      # the leak line dropped
    reason = failure_of(gradelib.usertests_passed(nonce), graded(nonce, leaked))
    check(reason is not None and NOT_PROVEN in reason,
          "expected usertests to fail an ALL TESTS PASSED without its proof (the leak "
          "check's FAILED line dropped), got %s" % ("a pass" if reason is None else repr(reason)))


@host_suite.test
def cowtest_check_wants_a_proven_line_for_every_run(m):
    nonce = proof.new_nonce()
    runs = labgrader.cowtest_runs()
    name = next(test for test in labgrader.cowtest_order() if runs.get(test, 1) > 1)
    lines = [proof.proven_line(nonce, name, "ok"),
             "cowtest summary: %s=ok" % name, "ALL COW TESTS PASSED"]
    output = graded(nonce, lines)
    output.command = gradelib.Command("cowtest -n %s" % proof.hex16(nonce), 1,
                                      result=labgrader.COWTEST_RESULT)
    reason = failure_of(labgrader.cowtest_passed(name, nonce), output)
    check(reason is not None and "runs %d times" % runs[name] in reason,
          "expected %s (which runs %d times) to fail with one proven ok line, its other "
          "runs' lines dropped; got %s" % (name, runs[name],
                                           "a pass" if reason is None else repr(reason)))
