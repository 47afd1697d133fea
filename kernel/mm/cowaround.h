// Fault-around reuse (mm/cowaround.c): a kernel optimization beyond the
// lab, which the lab's starter trees leave out (tools/handout.py).
#ifndef KERNEL_MM_COWAROUND_H
#define KERNEL_MM_COWAROUND_H

#include "types.h"
#include "riscv.h"

// Called by cow_break() after it reused the page that pte maps: gives
// write permission back to every other copy-on-write page in the same leaf
// page-table page that this page table alone maps.
void cow_reuse_around(pte_t *pte);

#endif
