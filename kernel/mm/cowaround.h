// Fault-around reuse (mm/cowaround.c): a kernel optimization beyond the
// lab, which the lab's starter trees leave out (tools/handout.py).
#ifndef KERNEL_MM_COWAROUND_H
#define KERNEL_MM_COWAROUND_H

#include "types.h"
#include "riscv.h"
#include "mm/cow.h"
#include "mm/kalloc.h"

// Gives write permission back to *pte if it is a copy-on-write PTE that its
// page table alone maps; returns whether it did.  Fault-around and
// copy-ahead (mm/cowahead.c) call it for many PTEs in a row: inline.
static inline int cow_reuse_if_sole_owner(pte_t *pte) {
  if ((*pte & PTE_COW) == 0 || krefcount((void *)PTE2PA(*pte)) != 1)
    return 0;
  *pte = (*pte | PTE_W) & ~PTE_COW;
  return 1;
}

// Called by cow_break() after it reused the page that pte maps: gives
// write permission back to every other copy-on-write page in the same leaf
// page-table page that this page table alone maps.
void cow_reuse_around(pte_t *pte);

#endif
