// Copy-on-write sharing of user pages between a parent and its fork()ed child.
#ifndef KERNEL_MM_COW_H
#define KERNEL_MM_COW_H

#include "types.h"
#include "riscv.h"

// COW-LAB BEGIN: name a PTE bit for copy-on-write pages, and declare what vm.c, trap.c and usercopy.c will call
// COW-LAB GUIDED: PTE_COW: RSW bit 8 (bits 8 and 9 are for software; the MMU ignores them),
// COW-LAB GUIDED: and pte_is_cow(pte) testing it (in place of the stub below this TODO).
// COW-LAB GUIDED: enum cow_writer: COW_USER_STORE (from usertrap), COW_KERNEL_WRITE (from copyout).
// COW-LAB GUIDED: enum cow_result: COW_DONE, COW_NOT_COW (a real fault), COW_OUT_OF_MEMORY.
// COW-LAB GUIDED: cow_share_page(pte_t *parent, pte_t *child), for fork_page() in vm.c.
// COW-LAB GUIDED: cow_resolve(pagetable, va, writer), returning an enum cow_result.
// A reserved-for-software PTE bit (RSW, bits 8-9; the hardware ignores it).
// Set on a page that was writable and is now shared read-only by fork.
#define PTE_COW (1L << 8)

// Whether pte maps a copy-on-write page (vmprint and the self-audit ask).
static inline int pte_is_cow(pte_t pte) {
  return (pte & PTE_COW) != 0;
}

// Who wants to write to a copy-on-write page.
enum cow_writer {
  COW_USER_STORE,    // the process itself: a store page fault (usertrap)
  COW_KERNEL_WRITE,  // the kernel on its behalf (copyout)
};

enum cow_result {
  COW_DONE,           // the page at va is now writable by this page table
  COW_NOT_COW,        // va is not a copy-on-write page: a real fault
  COW_OUT_OF_MEMORY,  // it is, but there was no page to copy it into
};

// Fork's step for one page: the child's PTE *child maps the page that the
// parent's PTE *parent maps, and a writable page becomes copy-on-write in
// both.  *child must be empty.
void cow_share_page(pte_t *parent, pte_t *child);

// The one entry point for a write to a copy-on-write page at va: copies
// the page, or gives write permission back when this page table is its only
// owner.  Out of memory, a user store kills the current process (init
// instead yields, and its store is retried); a kernel write just fails.
enum cow_result cow_resolve(pagetable_t pagetable, uint64 va, enum cow_writer writer);
// COW-LAB END
// COW-LAB STARTER: // A stub, so that the starter builds: replace it (the TODO above).
// COW-LAB STARTER: static inline int pte_is_cow(pte_t pte) {
// COW-LAB STARTER:   return 0;
// COW-LAB STARTER: }

#endif
