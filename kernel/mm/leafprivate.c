// Leaf page-table pages that belong to one page table each: the default
// build's side of mm/leaftable.h (the FORK=shared build uses mm/sharedpt.c
// instead).  A user page shared by fork is shared through one PTE in each
// page table (mm/cow.c), so nothing here is shared and nothing needs a lock.
#include "types.h"
#include "riscv.h"
#include "mm/vm.h"
#include "mm/leaftable.h"

// Every leaf page-table page is already the caller's own.
pte_t *walk_to_write(pagetable_t pagetable, uint64 va, int alloc) {
  return walk(pagetable, va, alloc);
}

pte_t *pte_to_write(pagetable_t pagetable, uint64 va, pte_t *pte) {
  return pte;
}

// The one page table that held leaf lets go: nobody else holds it.
void leaf_table_drop(pagetable_t leaf) {
  leaf_table_free(leaf);
}

// Fork always shares page by page.
int leaf_table_share(pagetable_t old, pagetable_t new, uint64 va) {
  return 0;
}

// Each leaf page-table page that maps the page is one page table's.
int page_tables_mapping(pagetable_t pagetable, uint64 va, int leaf_tables) {
  return leaf_tables;
}

// Nothing beyond what the audit counts itself: a leaf page-table page has
// as many references as level-1 PTEs point at it, here always one.
const char *leaf_table_check(pte_t upper) {
  return 0;
}
