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
//
// Each new bit is also counted for the process the hart runs (its slot in
// the process table, which the scheduler tells cov_owner()), and a process
// reads its own count through the covblocks system call: user/fuzz.c keeps
// the calls after which it grew.
//
// Invariants: a bit, once set, stays set until the machine restarts; the
// counts of found_by add up to the bits set.
// Locks: none.  Any hart sets bits at any time (with interrupts on or off,
// in machine or supervisor mode) with one atomic OR, so no update is lost,
// and the hart whose OR set the bit adds it to found_by atomically.  Only
// hart h reads or writes owner_of[h].  This file is not instrumented
// itself, and calls nothing.
#include "types.h"
#include "param.h"
#include "riscv.h"
#include "memlayout.h"
#include "cov/cov.h"

#define COVERED_TEXT (1024 * 1024)  // bytes of kernel text from KERNBASE the bits cover
#define SLOT_BYTES   2
#define SLOTS        (COVERED_TEXT / SLOT_BYTES)

// Read by the host (test/kcov.py finds it with nm); never by the kernel.
uint64 coverage_bits[SLOTS / 64];

// found_by[slot + 1]: new bits set while slot's process ran; [0]: nobody's.
static uint64 found_by[NPROC + 1];
static int owner_of[NCPU];  // per hart: the slot + 1 found_by counts for

// The compiler's hook; its return address lies just after the call.
void __sanitizer_cov_trace_pc(void) {
  uint64 slot = ((uint64)__builtin_return_address(0) - KERNBASE) / SLOT_BYTES;
  if (slot >= SLOTS)
    return;
  uint64 bit = 1UL << (slot % 64);
  if ((__atomic_fetch_or(&coverage_bits[slot / 64], bit, __ATOMIC_RELAXED) & bit) != 0)
    return;
  uint64 hart = r_tp();
  __atomic_fetch_add(&found_by[hart < NCPU ? owner_of[hart] : 0], 1, __ATOMIC_RELAXED);
}

void cov_owner(int owner) {
  owner_of[r_tp()] = owner + 1;
}

uint64 cov_blocks(int owner) {
  return __atomic_load_n(&found_by[owner + 1], __ATOMIC_RELAXED);
}
