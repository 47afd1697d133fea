// Copy-on-write sharing of user pages between a parent and its fork()ed child.
#ifndef KERNEL_MM_COW_H
#define KERNEL_MM_COW_H

#include "types.h"
#include "riscv.h"

// COW-LAB BEGIN: name a PTE bit for copy-on-write pages, and declare what vm.c, trap.c and usercopy.c will call
// COW-LAB GUIDED: PTE_COW: RSW bit 8 (bits 8 and 9 are for software; the MMU ignores them),
// COW-LAB GUIDED: and pte_is_cow(pte) testing it (in place of the stub below this TODO).
// COW-LAB GUIDED: enum cow_result: COW_DONE, COW_NOT_COW (a real fault), COW_OUT_OF_MEMORY.
// COW-LAB GUIDED: cow_share_page(pte_t *parent, pte_t *child), for fork_page() in vm.c.
// COW-LAB GUIDED: pte_t *cow_break(pagetable, va, pte), for copyout: the PTE now writable, or 0.
// COW-LAB GUIDED: cow_resolve(pagetable, va), for usertrap, returning an enum cow_result.
// A reserved-for-software PTE bit (RSW, bits 8-9; the hardware ignores it).
// Set on a page that was writable and is now shared read-only by fork.
#define PTE_COW (1L << 8)

// Whether pte maps a copy-on-write page (vmprint and the self-audit ask).
static inline int pte_is_cow(pte_t pte) {
  return (pte & PTE_COW) != 0;
}

enum cow_result {
  COW_DONE,           // the page at va is now writable by this page table
  COW_NOT_COW,        // va is not a copy-on-write page: a real fault
  COW_OUT_OF_MEMORY,  // it is, but there was no page to copy it into
};

// Fork's step for one page: the child's PTE *child maps the page that the
// parent's PTE *parent maps, and a writable page becomes copy-on-write in
// both.  *child must be empty.
void cow_share_page(pte_t *parent, pte_t *child);

// Breaks the share of the copy-on-write page that pte (a PTE_COW PTE that
// a walk of pagetable found for va) maps: gives write permission back when
// this page table is the page's only owner, else maps a private copy.
// Returns the PTE now writable (pte itself, unless FORK=shared had to copy
// its leaf page-table page), or 0 when out of memory, with nothing changed.
// It decides nothing else: what out of memory means is the caller's.
pte_t *cow_break(pagetable_t pagetable, uint64 va, pte_t *pte);

// A store page fault at va: breaks the share if va is a copy-on-write page.
enum cow_result cow_resolve(pagetable_t pagetable, uint64 va);
// COW-LAB END
// COW-LAB STARTER: // A stub, so that the starter builds: replace it (the TODO above).
// COW-LAB STARTER: static inline int pte_is_cow(pte_t pte) {
// COW-LAB STARTER:   return 0;
// COW-LAB STARTER: }

#endif
