// What the coverage layer offers the rest of the kernel.
//
// Two files implement it, chosen when the kernel is linked (Makefile):
// cov.c in kernel/kernel-cov, which counts the basic blocks that run, and
// nocov.c in every other kernel, which counts nothing and costs nothing.
#ifndef KERNEL_COV_COV_H
#define KERNEL_COV_COV_H

#include "types.h"

#define COV_NONE ((uint64)-1)  // cov_blocks() of a kernel without coverage

// The number of distinct basic blocks of the kernel that have run since
// boot (each counted once, whoever ran it), or COV_NONE.  Never decreases.
uint64 cov_blocks(void);

#endif
