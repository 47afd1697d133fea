// The hart this code runs on: its number and its per-hart state.
//
// Lock rules: a hart's struct cpu is touched only by that hart, with
// interrupts off (otherwise the code could move to another hart between
// finding its cpu and using it).
#ifndef KERNEL_LIB_CPU_H
#define KERNEL_LIB_CPU_H

#include "types.h"
#include "param.h"
#include "riscv.h"

struct proc;

// Callee-saved registers kept across swtch(): a kernel thread's context.
struct context {
  uint64 ra;
  uint64 sp;
  uint64 s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11;
};

// Per-hart state.
struct cpu {
  struct proc *proc;       // running on this hart, or 0
  struct context context;  // the scheduler loop's context; swtch() here to schedule
  int noff;                // depth of push_off() nesting
  int intena;              // were interrupts on before the first push_off()?
};

extern struct cpu cpus[NCPU];

// This hart's number (kept in tp by boot/start.c) and state.  Interrupts
// must be off.  Inline: every lock taken asks, and under QEMU each call
// and return costs a look-up of translated code.
static inline int cpuid(void) {
  return r_tp();
}

static inline struct cpu *mycpu(void) {
  return &cpus[cpuid()];
}

// Harts that have reached machine-mode start(), counted at reset
// (boot/start.c): after boot, how many harts run this kernel.
extern volatile int harts_started;

#endif
