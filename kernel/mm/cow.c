// Copy-on-write fork.
//
// The story of one page, from fork to its first write:
//  1. fork -> uvmcopy() -> cow_share_page(): the child's PTE points at the
//     parent's physical page.  If the page was writable, both PTEs lose PTE_W
//     and gain PTE_COW; the page's reference count (kalloc.c) goes up by one.
//     Pages that were never writable (text, read-only data) are shared as
//     they are and never become COW: writing them stays a fatal fault.
//  2. The first store to the page by either process is a store page fault;
//     usertrap() calls cow_resolve().  The kernel's own writes into user
//     memory (copyout) call it too, since they bypass the user's PTE_W check.
//  3. cow_resolve(): if other owners remain, copy the page into a new one,
//     map that writable (without PTE_COW) and drop one reference on the old
//     page.  If this page table is the only owner left, the copy is
//     pointless: just turn PTE_W back on.
//
// Invariants: a PTE has PTE_COW only if it lacks PTE_W.  A user page's
// reference count equals the number of PTEs that map it, except for a
// moment inside cow_share_page() (mapped, then counted) and uvmunmap()
// (counted down, then unmapped), while no other code can look at either.
// Kernel-only pages (trap frames, page-table pages, pipes) have count 1.
//
// Locking: none of our own.  Only the process itself (or its parent inside
// fork, while the child cannot run) touches its page table.  The sole-owner
// test is safe without a lock because the count can only rise through a
// fork of an owner, and the faulting process is not forking; if the count
// falls meanwhile, the worst case is one needless copy.
//
// TLBs: a process's stale read-only translations are flushed when it next
// enters user space (userret in trap/trampoline.S switches satp with
// sfence.vma around it), so no extra flush is needed here.  This relies on
// one thread per address space: no other hart runs this page table now.
#include "types.h"
#include "riscv.h"
#include "mm/cow.h"
#include "mm/cowcount.h"
#include "mm/kalloc.h"
#include "mm/vm.h"

// COW-LAB BEGIN: implement cow_share_page() and cow_resolve(), following the story told at the top of this file
int cow_share_page(pagetable_t child, uint64 va, pte_t *parent_pte) {
  if (*parent_pte & PTE_W)
    *parent_pte = (*parent_pte & ~PTE_W) | PTE_COW;
  uint64 pa = PTE2PA(*parent_pte);
  if (mappages(child, va, PGSIZE, pa, PTE_FLAGS(*parent_pte)) != 0)
    return -1;
  kref((void *)pa);
  return 0;
}

enum cow_result cow_resolve(pagetable_t pagetable, uint64 va) {
  pte_t *pte = user_pte(pagetable, va);
  if (pte == 0 || (*pte & PTE_COW) == 0)
    return COW_NOT_COW;

  uint64 pa = PTE2PA(*pte);
  int flags = (PTE_FLAGS(*pte) | PTE_W) & ~PTE_COW;
  if (krefcount((void *)pa) == 1) {
    *pte = PA2PTE(pa) | flags;  // sole owner: reuse the page, copy nothing
    cow_count(COW_EVENT_REUSE);
    return COW_DONE;
  }
  if (map_page_copy(pagetable, PGROUNDDOWN(va), pa, flags) != 0)
    return COW_OUT_OF_MEMORY;
  kfree((void *)pa);  // drop this page table's reference to the shared page
  cow_count(COW_EVENT_COPY);
  return COW_DONE;
}
// COW-LAB END
