// What the coverage layer offers the rest of the kernel.
//
// Two files implement it, chosen when the kernel is linked (Makefile):
// cov.c in kernel/kernel-cov, which counts the basic blocks that run, and
// nocov.c in every other kernel, which counts nothing.
#ifndef KERNEL_COV_COV_H
#define KERNEL_COV_COV_H

#include "types.h"

#define COV_NONE   (~(uint64)0)  // cov_blocks() of a kernel without coverage
#define COV_NOBODY (-1)          // cov_owner()'s owner between processes

// From now until the next call on this hart, a block this hart runs for the
// first time since boot is counted for owner: a process's slot in the
// process table, or COV_NOBODY.  The scheduler calls it around each switch.
void cov_owner(int owner);

// The number of the kernel's blocks first run while the process in slot
// owner ran (any process that held the slot before counts too), or
// COV_NONE.  Never decreases.
uint64 cov_blocks(int owner);

#endif
