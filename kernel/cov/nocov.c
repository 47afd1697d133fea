// The coverage interface (cov/cov.h) of every kernel but kernel/kernel-cov:
// nothing is recorded, so there is nothing to count.  The Makefile links
// this file or cov.c, never both.
//
// Invariants and locks: none; there is no state.
#include "types.h"
#include "cov/cov.h"

void cov_owner(int owner) {
}

uint64 cov_blocks(int owner) {
  return COV_NONE;
}
