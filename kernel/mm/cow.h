// Copy-on-write sharing of user pages between a parent and its fork()ed child.
#ifndef KERNEL_MM_COW_H
#define KERNEL_MM_COW_H

#include "types.h"
#include "riscv.h"

// COW-LAB BEGIN: name a software (RSW) PTE bit for copy-on-write and declare the two COW operations
// A reserved-for-software PTE bit (RSW, bits 8-9; the hardware ignores it).
// Set on a page that was writable and is now shared read-only by fork.
#define PTE_COW (1L << 8)

enum cow_result {
  COW_DONE,           // the page at va is now writable by this process
  COW_NOT_COW,        // va is not a copy-on-write page: a real fault
  COW_OUT_OF_MEMORY,  // it is, but there was no page to copy it into
};

// Maps the page that *parent_pte maps into child at va as well, turning a
// writable page into a COW page in both.  Returns 0, or -1 when out of memory.
int cow_share_page(pagetable_t child, uint64 va, pte_t *parent_pte);

// Makes the COW page at va writable for the owner of pagetable: copies it,
// or, if this page table is its only owner, just gives write permission back.
enum cow_result cow_resolve(pagetable_t pagetable, uint64 va);
// COW-LAB END

#endif
