// Kernel coverage: which of the kernel's instructions ran.
//
// Linked only into kernel/kernel-cov (Makefile; `make coverage`), whose
// other C files are compiled with -fsanitize-coverage=trace-pc: the
// compiler puts a call to __sanitizer_cov_trace_pc() at the start of each
// basic block.  This file records where each call came from, one bit per
// 2-byte slot of kernel text (RISC-V instructions start at even
// addresses), in coverage_bits.  The host reads the bits out of guest
// memory and maps them to source lines (test/kcov.py).  The plain kernel
// and the race kernel link nocov.c instead, so their speed is untouched.
// blocks_seen counts the bits set, which a process reads through the
// covblocks system call (cov_blocks()): user/fuzz.c keeps the calls after
// which it grew.
//
// Invariants: a bit, once set, stays set until the machine restarts;
// blocks_seen is the number of bits set.
// Locks: none.  Any hart sets bits at any time (with interrupts on or off,
// in machine or supervisor mode) with one atomic OR, so no update is lost,
// and the hart whose OR set the bit adds it to blocks_seen atomically; this
// file is not instrumented itself, and calls nothing.
#include "types.h"
#include "memlayout.h"
#include "cov/cov.h"

#define COVERED_TEXT (1024 * 1024)  // bytes of kernel text from KERNBASE the bits cover
#define SLOT_BYTES   2
#define SLOTS        (COVERED_TEXT / SLOT_BYTES)

// Read by the host (test/kcov.py finds it with nm); never by the kernel.
uint64 coverage_bits[SLOTS / 64];
static uint64 blocks_seen;

// The compiler's hook; its return address lies just after the call.
void __sanitizer_cov_trace_pc(void) {
  uint64 slot = ((uint64)__builtin_return_address(0) - KERNBASE) / SLOT_BYTES;
  if (slot >= SLOTS)
    return;
  uint64 bit = 1UL << (slot % 64);
  if ((__atomic_fetch_or(&coverage_bits[slot / 64], bit, __ATOMIC_RELAXED) & bit) == 0)
    __atomic_fetch_add(&blocks_seen, 1, __ATOMIC_RELAXED);
}

uint64 cov_blocks(void) {
  return __atomic_load_n(&blocks_seen, __ATOMIC_RELAXED);
}
