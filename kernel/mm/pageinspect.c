// pageinfo: a read-only look at one user page, so that a program (cowdemo)
// can watch fork share a page, a store copy it, and its last owner reuse it.
//
// Only pages mapped with PTE_U count: the trampoline, the trap frame and a
// stack guard page are not the user's to inspect.
//
// Locking: none.  The page table is the caller's own (nobody else changes
// it while the caller is in the kernel), and the reference count is read
// atomically; it may change right after, as any snapshot may.  The count
// reported is of page tables, not of what the reference count counts: the
// build decides how one becomes the other (mm/leaftable.h).
#include "types.h"
#include "riscv.h"
#include "pageinfo.h"
#include "lib/string.h"
#include "mm/pageinspect.h"
#include "mm/vm.h"
#include "mm/kalloc.h"
#include "mm/cow.h"
#include "mm/leaftable.h"

int page_inspect(pagetable_t pagetable, uint64 va, struct pageinfo *info) {
  pte_t *pte = user_pte(pagetable, PGROUNDDOWN(va));
  if (pte == 0)
    return -1;
  void *pa = (void *)PTE2PA(*pte);
  memset(info, 0, sizeof(*info));
  info->va = PGROUNDDOWN(va);
  info->pa = (uint64)pa;
  info->flags = PTE_FLAGS(*pte);
  // COW-LAB BEGIN: report the page's reference count and whether this PTE is copy-on-write
  // COW-LAB GUIDED: cow: whether the PTE has PTE_COW; refcount: how many page tables map
  // COW-LAB GUIDED: the page, page_tables_mapping(pagetable, va, krefcount(pa)) (mm/leaftable.h).
  info->refcount = page_tables_mapping(pagetable, va, krefcount(pa));
  info->cow = (*pte & PTE_COW) != 0;
  // COW-LAB END
  // COW-LAB STARTER: info->refcount = 1;  // without COW, every user page has one owner
  // COW-LAB STARTER: info->cow = 0;
  return 0;
}
