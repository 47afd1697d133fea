// Copy-ahead (mm/cowahead.c): a kernel optimization beyond the lab, which
// the lab's starter trees leave out (tools/handout.py).
#ifndef KERNEL_MM_COWAHEAD_H
#define KERNEL_MM_COWAHEAD_H

#include "types.h"
#include "riscv.h"
#include "mm/cowcount.h"

// RSW bit 9 of a leaf PTE (bit 8 is PTE_COW): the page is a copy made
// ahead of its first write.  It is set with PTE_D clear, and the MMU sets
// PTE_D on the first store through the PTE (copyout() sets it for the
// kernel's writes).
#define PTE_AHEAD (1L << 9)

// The most pages one copy-on-write fault handles: the faulting page and
// the ones after it.  Bounds what a writer that stops can leave unwritten;
// 512 is one leaf page-table page's span, 2 MB.
#define COPY_AHEAD_MAX_PAGES 512

// Called by cow_break() after it copied the page at va, whose PTE is now
// pte: when this process's copy-on-write faults run in sequence, breaks
// the shares of the next pages of its copy-ahead window too.
void cow_copy_ahead(pagetable_t pagetable, uint64 va, pte_t *pte);

// Called for each user page as its PTE goes away: counts a page that was
// copied ahead and never written.  Inline: exit and exec call it for
// every page they free, and a call per page showed in fork+exec's time.
static inline void cow_ahead_forget(pte_t pte) {
  if ((pte & (PTE_AHEAD | PTE_D | PTE_COW)) == PTE_AHEAD)
    cow_count(COW_EVENT_AHEAD_UNWRITTEN);
}

#endif
