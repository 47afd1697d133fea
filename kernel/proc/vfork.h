// vfork(): a child that runs on its parent's memory until it execs or exits.
#ifndef KERNEL_PROC_VFORK_H
#define KERNEL_PROC_VFORK_H

#include "types.h"
#include "riscv.h"
#include "sched/process.h"

void vforkinit(void);
// Starts a child on the caller's own page table and sleeps until the child
// gives it back; returns the child's pid, or -1 (no slot or no memory).
int vfork(void);
// Whether p runs on memory lent by a vfork parent.  Only p itself asks.
int vfork_borrowing(struct proc *p);
// p, a vfork child, is done with its lender's address space (pagetable, sz
// bytes): hands it back, as p left it, and wakes the lender.
void vfork_give_back(struct proc *p, pagetable_t pagetable, uint64 sz);

#endif
