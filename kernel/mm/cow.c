// Copy-on-write fork.
//
// The story of one page, from fork to its first write:
//  1. fork -> uvmcopy() -> cow_share_page(): the child's PTE points at the
//     parent's physical page.  If the page was writable, both PTEs lose PTE_W
//     and gain PTE_COW; the page's reference count (kalloc.c) goes up by one.
//     Pages that were never writable (text, read-only data) are shared as
//     they are and never become COW: writing them stays a fatal fault.
//  2. The first store to the page by either process is a store page fault:
//     usertrap() calls cow_resolve(), which finds the PTE and calls
//     cow_break().  The kernel's own writes into user memory (copyout) call
//     cow_break() with the PTE they found, since they bypass the user's
//     PTE_W check.
// COW-LAB NOTE BEGIN
//  3. cow_break() decides between three outcomes, each handled in one
//     place: reuse when this page table is the only owner left (just turn
//     PTE_W back on, copy nothing); copy when others still share it (map a
//     private copy, drop one reference on the old page); and out of memory
//     when no page is free for the copy.  Beyond the lab (not in starters), a
//     reuse also makes sole-owned neighbours writable (mm/cowaround.c), and a
//     copy copies a sequential writer's next pages too (mm/cowahead.c).
// COW-LAB STANDARD:  3. The writer gets a page it may write: the same page when it is the only
// COW-LAB STANDARD:     owner left, else a private copy; or the write fails when no page is
// COW-LAB STANDARD:     free for the copy.
// COW-LAB NOTE END
//
//  4. Out of memory is not this file's to judge: it tells its caller, and
//     the caller decides (usertrap() kills the process, or lets init yield
//     and fault again; copyout() fails the system call).
//
// Counting: each outcome is counted where it is decided, so for every
// counter set (mm/cowcount.c) faults = copies + reuses + out-of-memory.
//
// Invariants: a PTE has PTE_COW only if it lacks PTE_W.  A user page's
// reference count equals the number of leaf page-table pages that map it
// (in the default build each belongs to one page table, so: the number of
// PTEs).  Kernel-only pages (trap frames, pipes, root and level-1
// page-table pages) have count 1; a leaf page-table page has one per page
// table that holds it (mm/leaftable.h).
// COW-LAB NOTE BEGIN
// The count differs for a moment inside cow_share_page() (counted, then
// mapped) and uvmunmap() (counted down, then unmapped), while no other code
// can look at either.
// COW-LAB NOTE END
//
// Page tables: only the process itself (or its parent inside fork, while
// the child cannot run) touches its page table, and it changes a PTE only
// in a leaf page-table page of its own (walk_to_write()), so PTEs need no
// lock.
//
// COW-LAB NOTE BEGIN
// Counts: no lock of our own either.  The sole-owner test is safe without
// one because the count can only rise through a fork of an owner, and the
// faulting process is not forking; if the count falls meanwhile, the worst
// case is one needless copy.
// COW-LAB STANDARD: Counts: several harts fork, fault and exit at once; how each page's count
// COW-LAB STANDARD: stays right, and what a decision on a count may assume, is yours to design
// COW-LAB STANDARD: (docs/lab-cow.md, section 3, requirement 5).
// COW-LAB NOTE END
//
// TLBs: a process's stale read-only translations are flushed when it next
// enters user space (userret in trap/trampoline.S switches satp with
// sfence.vma around it), so no extra flush is needed here.  This relies on
// one thread per address space: no other hart runs this page table now (a
// vfork child borrows its parent's only while the parent sleeps).
#include "types.h"
#include "riscv.h"
#include "mm/cow.h"
#include "mm/cowahead.h"   // COW-LAB BEYOND: copy-ahead
#include "mm/cowaround.h"  // COW-LAB BEYOND: fault-around
#include "mm/cowcount.h"
#include "mm/kalloc.h"
#include "mm/leaftable.h"
#include "mm/vm.h"

// COW-LAB BEGIN: implement cow_share_page(), cow_break() and cow_resolve(), following the story told at the top of this file
// COW-LAB GUIDED: cow_share_page: a parent PTE with PTE_W loses it and gains PTE_COW; kref() the
// COW-LAB GUIDED:   page; then the child's PTE becomes a copy of the parent's (new) PTE.
// COW-LAB GUIDED: cow_break: count COW_EVENT_FAULT.  krefcount() is 1: set PTE_W, clear
// COW-LAB GUIDED:   PTE_COW, count COW_EVENT_REUSE, return pte.  Otherwise kalloc_copy() the
// COW-LAB GUIDED:   page, point the PTE at the copy with PTE_W on and PTE_COW off, then kfree()
// COW-LAB GUIDED:   the shared page; count COW_EVENT_COPY; return pte.  No page for the copy:
// COW-LAB GUIDED:   count COW_EVENT_OUT_OF_MEMORY, leave the PTE as it is, return 0.
// COW-LAB GUIDED: cow_resolve: find the PTE with user_pte(); none, or no PTE_COW: COW_NOT_COW;
// COW-LAB GUIDED:   else cow_break() it: COW_DONE, or COW_OUT_OF_MEMORY if it returned 0.
void cow_share_page(pte_t *parent, pte_t *child) {
  if (*parent & PTE_W)
    *parent = (*parent & ~PTE_W) | PTE_COW;
  kref((void *)PTE2PA(*parent));
  *child = *parent;
}

// The page's last owner writes it: give write permission back, copy nothing.
static pte_t *reuse_page(pte_t *pte) {
  *pte = (*pte | PTE_W) & ~PTE_COW;
  cow_count(COW_EVENT_REUSE);
  cow_reuse_around(pte);  // COW-LAB BEYOND: its sole-owned neighbours too
  return pte;
}

// Others still share the page: map a private, writable copy instead, and
// drop this page table's reference to the shared one.  Returns 0, or -1
// when no page is free for the copy (the PTE is left as it was).
static int copy_page(pte_t *pte) {
  void *shared = (void *)PTE2PA(*pte);
  void *copy = kalloc_copy(shared);
  if (copy == 0)
    return -1;
  *pte = PA2PTE(copy) | ((PTE_FLAGS(*pte) | PTE_W) & ~PTE_COW);
  kfree(shared);
  cow_count(COW_EVENT_COPY);
  return 0;
}

pte_t *cow_break(pagetable_t pagetable, uint64 va, pte_t *pte) {
  cow_count(COW_EVENT_FAULT);
  // The same PTE, in a leaf page-table page of our own: the FORK=shared
  // build may have to copy a shared one first (mm/leaftable.h).
  pte = pte_to_write(pagetable, va, pte);
  if (pte != 0 && krefcount((void *)PTE2PA(*pte)) == 1)
    return reuse_page(pte);
  if (pte != 0 && copy_page(pte) == 0) {
    cow_copy_ahead(pagetable, va, pte);  // COW-LAB BEYOND: and the next pages
    return pte;
  }
  cow_count(COW_EVENT_OUT_OF_MEMORY);
  return 0;
}

enum cow_result cow_resolve(pagetable_t pagetable, uint64 va) {
  pte_t *pte = user_pte(pagetable, va);
  if (pte == 0 || (*pte & PTE_COW) == 0)
    return COW_NOT_COW;
  return cow_break(pagetable, va, pte) ? COW_DONE : COW_OUT_OF_MEMORY;
}
// COW-LAB END
