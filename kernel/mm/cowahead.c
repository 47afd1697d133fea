// Copy-ahead: a copy-on-write fault of a sequential writer copies the
// pages it will write next, too.
//
// A child that writes all of a large buffer after fork takes one store
// page fault per page, and under QEMU the trap costs several times the
// 4 KB copy it leads to (about 15 us against 4 us): without this file such
// a child runs slower than one whose fork copied everything eagerly.  Most
// such writers go through memory in order, so, as a file system's
// readahead does, each process keeps a window (p->ahead_next and
// p->ahead_pages).  When a copy fault lands on the page just past the
// previous fault's window, the writer is sequential and the window doubles,
// up to COPY_AHEAD_MAX_PAGES; any other fault starts it again at one page.
// The fault then breaks the shares of the pages after the faulting one, up
// to the window's end, across leaf page-table pages: each copy-on-write
// page is copied, or made writable again when this page table alone maps
// it (as fault-around does, mm/cowaround.c).  Pages that are not
// copy-on-write are passed over; an unmapped page ends the window.
//
// The bound on guessing wrong: a window doubles only when the writer has
// reached its end, so a run of n pages written in order gets at most
// 2n - 1 pages handled, and never more than COPY_AHEAD_MAX_PAGES - 1 past
// its last write.  A writer that skips pages (every 16th, say) never lands
// on a window's end and gets no copy-ahead at all.
//
// Counting: pages copied ahead are not faults; they are counted in
// pages_copied_ahead, apart from the identity cow_faults = pages_copied +
// pages_reused + out_of_memory, and the ones made writable again in
// pages_reused_around.  A copy made ahead carries PTE_AHEAD and a clear
// PTE_D; if its PTE goes away (exit, exec, sbrk) with PTE_D still clear,
// nobody wrote it: ahead_never_written, the price of the guess.  (One
// case overstates it: a page copied ahead, shared again by a later fork
// and then made writable through copyout() alone, which bypasses the MMU.)
//
// Out of memory: the window ends at the first page that cannot be copied,
// keeping the copies made; the fault itself succeeded, so the writer goes
// on, and its next window starts again at one page.
//
// Lock rules: none of its own.  The window is the process's, touched only
// by its own faults.  PTEs change as in cow_break() (mm/cow.c): only this
// process changes its page table, and walk_in_order() hands out leaf
// page-table pages of its own (FORK=shared copies a shared one first).  A
// count read as 1 stays 1 (the argument of mm/cowaround.c); a count above
// 1 may fall meanwhile, which makes the copy needless, not wrong.
//
// TLBs: as in mm/cow.c, the process's stale translations are flushed when
// it returns to user space, and no other hart runs this page table.
#include "types.h"
#include "riscv.h"
#include "mm/cow.h"
#include "mm/cowahead.h"
#include "mm/cowcount.h"
#include "mm/kalloc.h"
#include "mm/vm.h"
#include "sched/process.h"

// The pages a copy fault of p at va handles, the faulting one included.
static uint64 window_pages(struct proc *p, uint64 va) {
  if (p->ahead_pages == 0 || va != p->ahead_next)
    return 1;
  uint64 doubled = p->ahead_pages * 2;
  return doubled < COPY_AHEAD_MAX_PAGES ? doubled : COPY_AHEAD_MAX_PAGES;
}

// What break_ahead() did with one page.
enum ahead_outcome { AHEAD_REUSED, AHEAD_COPIED, AHEAD_NO_MEMORY };

// Breaks the share of the copy-on-write page that *pte maps, ahead of any
// write to it.  Out of memory leaves *pte unchanged.
static enum ahead_outcome break_ahead(pte_t *pte) {
  void *shared = (void *)PTE2PA(*pte);
  if (krefcount(shared) == 1) {
    *pte = (*pte | PTE_W) & ~PTE_COW;
    return AHEAD_REUSED;
  }
  void *copy = kalloc_copy(shared);
  if (copy == 0)
    return AHEAD_NO_MEMORY;
  *pte = PA2PTE(copy) | ((PTE_FLAGS(*pte) | PTE_W | PTE_AHEAD) & ~(PTE_COW | PTE_D));
  kfree(shared);
  return AHEAD_COPIED;
}

// Breaks the shares of the copy-on-write pages after va, up to end, in
// order, and counts them (once per window: counting is not free either);
// leaf is the leaf page-table page that maps va.  Returns 0, or -1 if
// memory ran out on the way.
static int break_window(pagetable_t pagetable, uint64 va, uint64 end, pte_t *leaf) {
  uint64 done[AHEAD_NO_MEMORY + 1] = { 0 };
  for (uint64 a = va + PGSIZE; a < end && done[AHEAD_NO_MEMORY] == 0; a += PGSIZE) {
    pte_t *pte = walk_in_order(pagetable, a, 0, &leaf);
    if (pte == 0 || (*pte & PTE_V) == 0)
      break;
    if (*pte & PTE_COW)
      done[break_ahead(pte)]++;
  }
  cow_count_many(COW_EVENT_REUSE_AROUND, done[AHEAD_REUSED]);
  cow_count_many(COW_EVENT_COPY_AHEAD, done[AHEAD_COPIED]);
  return done[AHEAD_NO_MEMORY] ? -1 : 0;
}

void cow_copy_ahead(pagetable_t pagetable, uint64 va, pte_t *pte) {
  struct proc *p = myproc();
  va = PGROUNDDOWN(va);
  uint64 pages = window_pages(p, va);
  *pte &= ~PTE_AHEAD;  // a copy made for a write, not a guess
  int ran_out = break_window(pagetable, va, va + pages * PGSIZE, pte - PX(0, va));
  p->ahead_next = va + pages * PGSIZE;
  p->ahead_pages = ran_out ? 0 : pages;
}
