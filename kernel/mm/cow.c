// Copy-on-write fork.
//
// The story of one page, from fork to its first write:
//  1. fork -> uvmcopy() -> cow_share_page(): the child's PTE points at the
//     parent's physical page.  If the page was writable, both PTEs lose PTE_W
//     and gain PTE_COW; the page's reference count (kalloc.c) goes up by one.
//     Pages that were never writable (text, read-only data) are shared as
//     they are and never become COW: writing them stays a fatal fault.
//  2. The first store to the page by either process is a store page fault:
//     usertrap() calls cow_resolve().  The kernel's own writes into user
//     memory (copyout) call it too, since they bypass the user's PTE_W check.
// COW-LAB NOTE BEGIN
//  3. cow_resolve() decides between three outcomes, each handled in one
//     place: reuse when this page table is the only owner left (just turn
//     PTE_W back on, copy nothing); copy when others still share it (map a
//     private copy, drop one reference on the old page); and out of memory
//     when no page is free for the copy.  The solved kernel's reuse also makes
//     the page's sole-owned neighbours writable (fault-around,
//     mm/cowaround.c: beyond the lab, so the starter tree leaves it out).
// COW-LAB STANDARD:  3. cow_resolve() gives the writer a page it may write: the same page
// COW-LAB STANDARD:     when it is the only owner left, else a private copy; or fails when no
// COW-LAB STANDARD:     page is free for the copy.
// COW-LAB NOTE END
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
#include "lib/printf.h"
#include "sched/process.h"
#include "sched/sched.h"
#include "mm/cow.h"
#include "mm/cowaround.h"  // COW-LAB BEYOND: fault-around
#include "mm/cowcount.h"
#include "mm/kalloc.h"
#include "mm/leaftable.h"
#include "mm/vm.h"

// COW-LAB BEGIN: implement cow_share_page() and cow_resolve(), following the story told at the top of this file
// COW-LAB GUIDED: cow_share_page: a parent PTE with PTE_W loses it and gains PTE_COW; kref() the
// COW-LAB GUIDED:   page; then the child's PTE becomes a copy of the parent's (new) PTE.
// COW-LAB GUIDED: cow_resolve: find the PTE with user_pte(); none, or no PTE_COW: COW_NOT_COW.
// COW-LAB GUIDED:   Count COW_EVENT_FAULT, and COW_EVENT_COPYOUT_BREAK for COW_KERNEL_WRITE.
// COW-LAB GUIDED:   krefcount() is 1: set PTE_W, clear PTE_COW, count COW_EVENT_REUSE.
// COW-LAB GUIDED:   Otherwise kalloc_copy() the page, point the PTE at the copy with PTE_W on
// COW-LAB GUIDED:   and PTE_COW off, then kfree() the shared page; count COW_EVENT_COPY.
// COW-LAB GUIDED:   No page for the copy: count COW_EVENT_OUT_OF_MEMORY and leave the PTE.
// COW-LAB GUIDED:   A kernel write then just fails; init yield()s; any other process
// COW-LAB GUIDED:   gets one "usertrap(): ..." line, setkilled(), COW_EVENT_OOM_KILL.
void cow_share_page(pte_t *parent, pte_t *child) {
  if (*parent & PTE_W)
    *parent = (*parent & ~PTE_W) | PTE_COW;
  kref((void *)PTE2PA(*parent));
  *child = *parent;
}

// The page's last owner writes it: give write permission back, copy nothing.
static enum cow_result reuse_page(pte_t *pte) {
  *pte = (*pte | PTE_W) & ~PTE_COW;
  cow_count(COW_EVENT_REUSE);
  cow_reuse_around(pte);  // COW-LAB BEYOND: its sole-owned neighbours too
  return COW_DONE;
}

// Others still share the page: map a private, writable copy instead, and
// drop this page table's reference to the shared one.
static enum cow_result copy_page(pte_t *pte) {
  void *shared = (void *)PTE2PA(*pte);
  void *copy = kalloc_copy(shared);
  if (copy == 0)
    return COW_OUT_OF_MEMORY;
  *pte = PA2PTE(copy) | ((PTE_FLAGS(*pte) | PTE_W) & ~PTE_COW);
  kfree(shared);
  cow_count(COW_EVENT_COPY);
  return COW_DONE;
}

// No page for the copy; the PTE is left as it was.  The kernel's own write
// just fails (copyout returns -1).  A user store kills the process, except
// init, which must never exit: it yields, and its store faults again once
// others have run and perhaps freed memory.
static enum cow_result out_of_memory(uint64 va, enum cow_writer writer) {
  cow_count(COW_EVENT_OUT_OF_MEMORY);
  struct proc *p = myproc();
  if (writer == COW_KERNEL_WRITE)
    return COW_OUT_OF_MEMORY;
  if (is_init(p)) {
    yield();
    return COW_OUT_OF_MEMORY;
  }
  cow_count(COW_EVENT_OOM_KILL);
  printf("usertrap(): out of memory for a copy-on-write page, pid=%d %s stval=%p\n",
         p->pid, p->name, (void *)va);
  setkilled(p);
  return COW_OUT_OF_MEMORY;
}

enum cow_result cow_resolve(pagetable_t pagetable, uint64 va, enum cow_writer writer) {
  pte_t *pte = user_pte(pagetable, va);
  if (pte == 0 || (*pte & PTE_COW) == 0)
    return COW_NOT_COW;
  cow_count(COW_EVENT_FAULT);
  if (writer == COW_KERNEL_WRITE)
    cow_count(COW_EVENT_COPYOUT_BREAK);

  // The same PTE, in a leaf page-table page of our own: the FORK=shared
  // build copies a shared one here (mm/leaftable.h); the default build
  // finds it already ours.
  if ((pte = walk_to_write(pagetable, PGROUNDDOWN(va), 0)) == 0)
    return out_of_memory(va, writer);
  if (krefcount((void *)PTE2PA(*pte)) == 1)
    return reuse_page(pte);
  if (copy_page(pte) == COW_DONE)
    return COW_DONE;
  return out_of_memory(va, writer);
}
// COW-LAB END
