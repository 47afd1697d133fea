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
// Batches: a window is handled AHEAD_BATCH_PAGES at a time.  A batch first
// gathers the shared pages, then takes the pages for their copies off the
// free list in one go (kalloc_many()) and copies them, so the free list's
// lock is taken once a batch, not once a page.  (Measured with forkbench:
// a child writing all of 16 MB went from 1.14x eager copying's time with
// one kalloc() per page and 64-page windows to 0.99x with batches, and
// 0.97x with 512-page windows.)
//
// The bound on guessing wrong: a window doubles only when the writer has
// reached its end, so a run of n pages written in order gets at most
// 2n - 1 pages handled, and never more than COPY_AHEAD_MAX_PAGES - 1 (2 MB)
// past its last write.  A writer that skips pages (every 16th, say) never lands
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
// Out of memory: the window ends with the first batch that cannot get a
// page for each of its copies, keeping the copies made; the pages left
// without one stay shared.  The fault itself succeeded, so the writer goes
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
#include "mm/cowaround.h"
#include "mm/cowcount.h"
#include "mm/kalloc.h"
#include "mm/vm.h"
#include "lib/string.h"
#include "sched/process.h"

// The pages a copy fault of p at va handles, the faulting one included.
static uint64 window_pages(struct proc *p, uint64 va) {
  if (p->ahead_pages == 0 || va != p->ahead_next)
    return 1;
  uint64 doubled = p->ahead_pages * 2;
  return doubled < COPY_AHEAD_MAX_PAGES ? doubled : COPY_AHEAD_MAX_PAGES;
}

// A window's pages are gathered, copied and counted in batches of at most
// this many, which bounds what a batch keeps on the kernel stack.
#define AHEAD_BATCH_PAGES 32

// One batch of a window: the shared pages it found, to copy in one go.
struct batch {
  uint64 next;  // the first page not yet looked at
  pte_t *leaf;  // the leaf page-table page that maps the page before next
  pte_t *shared[AHEAD_BATCH_PAGES];
  int nshared;
  uint64 reused;
};

// Goes on through the window from b->next, in order, up to end or a full
// batch: makes writable each copy-on-write page this page table alone maps
// and gathers the shared ones.  An unmapped page ends the window.
static void gather(pagetable_t pagetable, uint64 end, struct batch *b) {
  b->nshared = 0;
  b->reused = 0;
  for (; b->next < end && b->nshared < AHEAD_BATCH_PAGES; b->next += PGSIZE) {
    pte_t *pte = walk_in_order(pagetable, b->next, 0, &b->leaf);
    if (pte == 0 || (*pte & PTE_V) == 0) {
      b->next = end;
      return;
    }
    if ((*pte & PTE_COW) == 0)
      continue;
    if (cow_reuse_if_sole_owner(pte))
      b->reused++;
    else
      b->shared[b->nshared++] = pte;
  }
}

// Points *pte at copy, a copy of the page it maps made ahead of any write,
// and drops the reference to the shared page.
static void map_copy_ahead(pte_t *pte, void *copy) {
  void *shared = (void *)PTE2PA(*pte);
  memmove(copy, shared, PGSIZE);
  *pte = PA2PTE(copy) | ((PTE_FLAGS(*pte) | PTE_W | PTE_AHEAD) & ~(PTE_COW | PTE_D));
  kfree(shared);
}

// Copies the batch's shared pages, their new pages taken off the free list
// in one go (not even the free list's lock when a batch held none), and
// counts the batch.  Returns 0, or -1 if memory ran out: the pages it could
// not copy stay shared.
static int copy_batch(struct batch *b) {
  void *copies[AHEAD_BATCH_PAGES];
  int copied = b->nshared > 0 ? kalloc_many(copies, b->nshared) : 0;
  for (int i = 0; i < copied; i++)
    map_copy_ahead(b->shared[i], copies[i]);
  cow_count_many(COW_EVENT_REUSE_AROUND, b->reused);
  cow_count_many(COW_EVENT_COPY_AHEAD, copied);
  return copied < b->nshared ? -1 : 0;
}

// Breaks the shares of the copy-on-write pages after va, up to end; leaf is
// the leaf page-table page that maps va.  Returns 0, or -1 if memory ran
// out on the way.
static int break_window(pagetable_t pagetable, uint64 va, uint64 end, pte_t *leaf) {
  struct batch b = { .next = va + PGSIZE, .leaf = leaf };
  while (b.next < end) {
    gather(pagetable, end, &b);
    if (copy_batch(&b) < 0)
      return -1;
  }
  return 0;
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
