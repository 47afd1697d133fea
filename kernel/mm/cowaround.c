// Fault-around reuse: one copy-on-write fault, many pages made writable.
//
// When a child exits, its parent's pages are sole-owned again but still
// copy-on-write: without this file, writing them takes one fault each,
// only to find the count at 1 and give PTE_W back (mm/cow.c, reuse_page()).
// A fault costs a trap (tens of microseconds on QEMU), far more than the
// write.  So when cow_break() reuses a page, cow_reuse_around() looks at
// the whole leaf page-table page around it and gives PTE_W back to every
// other copy-on-write PTE there whose page has count 1.  Those pages are
// not faults: they are counted in pages_reused_around (kernel/cowstat.h),
// apart from cow_faults = pages_copied + pages_reused + out_of_memory.
//
// Why no lock is needed, with several harts: a page's count is the number
// of leaf page-table pages that map it (kalloc.c, mm/vm.c).  A count of 1,
// for a page mapped here, means this leaf page-table page is its only one,
// and cow_break() got it from pte_to_write(), so this page table alone
// holds it.  The count can rise only by one of those holders forking (or,
// in the FORK=shared build, copying a shared leaf page-table page that
// maps it: again a holder), and the only holder is the faulting process,
// which is in a fault, not in fork.  Other processes may fork at this very
// moment, on other harts, but they do not map the page: their forks raise
// other counts.  Nor can the count fall: only a holder drops it.  So a
// count of 1 read here stays 1 until this process itself forks.
//
// TLBs: the PTEs only gain permission.  Stale read-only translations on
// this hart are flushed when the process returns to user space (userret
// switches satp with sfence.vma), and no other hart runs this page table.
#include "types.h"
#include "riscv.h"
#include "mm/cow.h"
#include "mm/cowaround.h"
#include "mm/cowcount.h"
#include "mm/kalloc.h"
#include "mm/vm.h"

void cow_reuse_around(pte_t *pte) {
  pte_t *leaf = (pte_t *)PGROUNDDOWN((uint64)pte);
  uint64 reused = 0;
  for (pte_t *p = leaf; p < leaf + PTES_PER_TABLE; p++)
    reused += cow_reuse_if_sole_owner(p);
  cow_count_many(COW_EVENT_REUSE_AROUND, reused);
}
