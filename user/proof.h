// Proofs on test results: why a recorded transcript cannot pass the grader.
//
// The grader (grade-lab-cow) draws a fresh random 64-bit nonce on the host
// for each grade and types it on the command line, as `cowtest -n NONCE`
// and `usertests -q -n NONCE` (NONCE: 16 hex digits).  Given one, the two
// programs end each passing result line with a proof,
//
//   LABEL: ok PROOF        (cowtest)       LABEL is the text before ": ok"
//   test NAME: OK PROOF    (usertests)     LABEL is "test NAME"
//
// where PROOF = proof_of(nonce, LABEL, witness), printed as 16 lowercase hex
// digits.  The witness is 0 when the printing process saw what it expected
// (cowtest: the differences between the values it read and the values it
// expected; usertests: the test's exit status), so the host, which knows
// only the nonce and the label, recomputes the proof with witness 0
// (test/proof.py holds the same function in Python) and accepts the line
// only if the two agree.
//
// What a proof shows: the line was printed by a program that knew this
// grade's nonce, which did not exist before the grade began.  A transcript
// recorded from an earlier run, replayed by a kernel or a shell, carries
// the proofs of another nonce and fails.
//
// What it cannot show: it is not a signature.  There is no secret: the
// nonce is typed on the guest's console, so any code that reads the
// command line (a kernel written to recognise it) can compute the proofs
// itself.  Nor does a proof say the checks behind the line were sound; it
// says only that the program which printed it reached that line with this
// nonce, and with the witness its own checks left.
//
// The hash: FNV-1a over 64 bits, fed the nonce's 8 bytes (least
// significant first), the label's bytes (without its NUL), and the
// witness's 8 bytes (least significant first), then a finalizer of
// xorshift and multiply rounds so that every bit of the result depends on
// every input bit.  Callers that build the label from pieces can feed the
// pieces in order: proof_start, proof_add_text (any number of times),
// proof_end give the same value as proof_of on the whole label.
#ifndef XV6_USER_PROOF_H
#define XV6_USER_PROOF_H

#include "kernel/types.h"

#define PROOF_DIGITS    16                  // hex digits of a nonce or a proof
#define PROOF_TEXT_SIZE (PROOF_DIGITS + 1)  // with the NUL: the size proof_format wants

#define PROOF_FNV_OFFSET 0xcbf29ce484222325UL  // FNV-1a 64-bit starting value
#define PROOF_FNV_PRIME  0x100000001b3UL       // FNV-1a 64-bit multiplier
#define PROOF_MIX_SHIFT  33                    // finalizer: xorshift distance
#define PROOF_MIX_MUL1   0xff51afd7ed558ccdUL  // finalizer: first multiplier
#define PROOF_MIX_MUL2   0xc4ceb9fe1a85ec53UL  // finalizer: second multiplier

#define PROOF_BYTE_BITS   8
#define PROOF_NIBBLE_BITS 4    // bits per hex digit
#define PROOF_NIBBLE      0xf  // the low hex digit's bits

// One FNV-1a step: the hash h with byte b folded in.
static inline uint64 proof_add_byte(uint64 h, uchar b) {
  return (h ^ b) * PROOF_FNV_PRIME;
}

// The hash h with the 8 bytes of word folded in, least significant first.
static inline uint64 proof_add_word(uint64 h, uint64 word) {
  for (int i = 0; i < (int)sizeof(word); i++)
    h = proof_add_byte(h, (uchar)(word >> (i * PROOF_BYTE_BITS)));
  return h;
}

// The hash of a proof begun for nonce.
static inline uint64 proof_start(uint64 nonce) {
  return proof_add_word(PROOF_FNV_OFFSET, nonce);
}

// The hash h with the bytes of the string text folded in.
static inline uint64 proof_add_text(uint64 h, const char *text) {
  for (; *text != 0; text++)
    h = proof_add_byte(h, (uchar)*text);
  return h;
}

// The proof: h with witness folded in, then mixed by the finalizer.
static inline uint64 proof_end(uint64 h, uint64 witness) {
  h = proof_add_word(h, witness);
  h ^= h >> PROOF_MIX_SHIFT;
  h *= PROOF_MIX_MUL1;
  h ^= h >> PROOF_MIX_SHIFT;
  h *= PROOF_MIX_MUL2;
  h ^= h >> PROOF_MIX_SHIFT;
  return h;
}

// The proof of the line labelled text, under nonce, with witness.
static inline uint64 proof_of(uint64 nonce, const char *text, uint64 witness) {
  return proof_end(proof_add_text(proof_start(nonce), text), witness);
}

// The value of hex digit c (either case), or -1 if c is not one.
static inline int proof_hex_digit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

// Reads a nonce written as exactly PROOF_DIGITS hex digits into *nonce.
// Returns 0, or -1 (leaving *nonce alone) if text is anything else.
static inline int proof_parse_nonce(const char *text, uint64 *nonce) {
  uint64 value = 0;
  int i;

  for (i = 0; text[i] != 0; i++) {
    int digit = proof_hex_digit(text[i]);
    if (digit < 0 || i == PROOF_DIGITS)
      return -1;
    value = value << PROOF_NIBBLE_BITS | (uint64)digit;
  }
  if (i != PROOF_DIGITS)
    return -1;
  *nonce = value;
  return 0;
}

// Writes value into text (PROOF_TEXT_SIZE bytes) as PROOF_DIGITS lowercase
// hex digits, leading zeros included, and a NUL.  (printf has no field
// widths, so it cannot pad.)
static inline void proof_format(uint64 value, char *text) {
  static const char digits[] = "0123456789abcdef";

  for (int i = PROOF_DIGITS - 1; i >= 0; i--) {
    text[i] = digits[value & PROOF_NIBBLE];
    value >>= PROOF_NIBBLE_BITS;
  }
  text[PROOF_DIGITS] = 0;
}

#endif
