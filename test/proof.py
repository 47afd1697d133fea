"""Proofs on test results, host side: the hash of user/proof.h, in Python.

Why: the grader scores what the guest prints on its console, so a kernel
or a shell that prints a recorded transcript of a passing run would score
full marks. Instead each grade draws a fresh nonce here (new_nonce()),
types it on the guest's command line (`cowtest -n NONCE`, `usertests -q
-n NONCE`, NONCE being hex16(nonce)), and accepts a result line only if it
ends with this grade's proof of its label:

    LABEL: ok PROOF         cowtest; LABEL is the text before ": ok"
    test NAME: OK PROOF     usertests; LABEL is "test NAME"

PROOF is hex16(proof_of(nonce, LABEL)): the C programs fold a witness into
it that is 0 when the printing process saw what it expected, and the host
expects exactly that. carries_proof(line, verdict, nonce) checks one line.

What a valid proof shows: the line was printed by a program that knew this
grade's nonce, which was drawn after the kernel was built and exists
nowhere but on this grade's console. So a transcript recorded earlier, or
text canned in a kernel or a shell that does not read the command line,
fails: it carries another nonce's proofs, or none.

What remains possible: the proof is a hash, not a signature, and the guest
sees the nonce (it is typed on its console). A kernel written to recognise
the grader's command and compute the proofs itself, printing forged
results, would pass. Writing one takes reading user/cowtest.c and
user/proof.h and putting a forger for their output into the kernel: more
work than the lab itself, and the kernel's source is what students hand
in, where a forger is there for anyone grading to read. Nor does a proof
say that the checks behind a line were sound; the C programs' own checks
say that (test/submission.py lays the instructor's user/cowtest.c,
user/usertests.c and user/proof.h over a submission, but the other headers
and the library they include are the submission's).

The hash (the same as user/proof.h): FNV-1a over 64 bits, fed the nonce's
8 bytes (least significant first), the label's bytes, and the witness's 8
bytes (least significant first), then a finalizer of xorshift and multiply
rounds. Standard library only.
"""

import secrets

PROOF_DIGITS = 16                    # hex digits of a nonce or a proof
MASK = (1 << 64) - 1                 # arithmetic is modulo 2**64, as in C
FNV_OFFSET = 0xcbf29ce484222325      # FNV-1a 64-bit starting value
FNV_PRIME = 0x100000001b3            # FNV-1a 64-bit multiplier
MIX_SHIFT = 33                       # finalizer: xorshift distance
MIX_MULTIPLIERS = (0xff51afd7ed558ccd, 0xc4ceb9fe1a85ec53)
WORD_BYTES = 8


def new_nonce():
    """A fresh random 64-bit nonce, from the operating system's secure source."""
    return secrets.randbits(64)


def hex16(value):
    """value (a nonce or a proof) as the guest writes it: 16 lowercase hex digits."""
    return "%0*x" % (PROOF_DIGITS, value & MASK)


def _add_bytes(state, data):
    for byte in data:
        state = ((state ^ byte) * FNV_PRIME) & MASK
    return state


def proof_of(nonce, text, witness=0):
    """The proof (an int below 2**64) of the line labelled text, under nonce."""
    state = _add_bytes(FNV_OFFSET, (nonce & MASK).to_bytes(WORD_BYTES, "little"))
    state = _add_bytes(state, text.encode())
    state = _add_bytes(state, (witness & MASK).to_bytes(WORD_BYTES, "little"))
    for multiplier in MIX_MULTIPLIERS:
        state ^= state >> MIX_SHIFT
        state = (state * multiplier) & MASK
    return state ^ (state >> MIX_SHIFT)


def proof_text(nonce, text, witness=0):
    """proof_of() as the guest prints it: 16 lowercase hex digits."""
    return hex16(proof_of(nonce, text, witness))


def proven_line(nonce, label, verdict):
    """The line a passing result labelled label prints under nonce, e.g.
    proven_line(n, "simple", "ok") == "simple: ok " + proof_text(n, "simple")."""
    return "%s: %s %s" % (label, verdict, proof_text(nonce, label))


def carries_proof(line, verdict, nonce):
    """Whether line is exactly `LABEL: VERDICT PROOF` (trailing spaces aside)
    with PROOF this nonce's proof of LABEL and a witness of 0."""
    label, separator, _ = line.rstrip().rpartition(": %s " % verdict)
    return bool(separator) and line.rstrip() == proven_line(nonce, label, verdict)
