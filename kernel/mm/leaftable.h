// Who owns a leaf page-table page: the level-0 pages that hold the PTEs of
// user pages.  mm/vm.c reads PTEs through walk(), but changes one only
// through walk_to_write(), and frees a leaf page-table page only through
// leaf_table_drop(); fork offers each leaf page to leaf_table_share().
//
// The build chooses the file that provides this interface (Makefile FORK=):
//   FORK=pages (the default, and the lab)  mm/leafprivate.c: every leaf
//       page-table page belongs to one page table; fork shares user pages
//       one PTE at a time (mm/cow.c).
//   FORK=shared  mm/sharedpt.c: fork shares the parent's leaf page-table
//       pages themselves, and a process that changes a PTE in a shared one
//       first gets its own copy (the lab's challenge,
//       docs/lab-cow-challenge.md).
#ifndef KERNEL_MM_LEAFTABLE_H
#define KERNEL_MM_LEAFTABLE_H

#include "types.h"
#include "riscv.h"

// The leaf PTE for va, in a leaf page-table page that pagetable alone
// holds, so that the caller may change it: a shared one is copied first.
// Creates missing page-table pages when alloc is set, as walk() does.
// Returns 0 if va is out of range, a page-table page is missing and alloc
// is 0, or memory ran out.
pte_t *walk_to_write(pagetable_t pagetable, uint64 va, int alloc);

// The same, for a caller that already holds pte, the leaf PTE a walk of
// pagetable found for va.  The default build returns pte itself (no second
// walk); FORK=shared walks again, as walk_to_write() does.
pte_t *pte_to_write(pagetable_t pagetable, uint64 va, pte_t *pte);

// Drops one page table's hold on the leaf page-table page leaf (the caller
// clears the PTE that pointed at it).  When no other page table holds it,
// frees it and the pages it maps (leaf_table_free() in mm/vm.c).
void leaf_table_drop(pagetable_t leaf);

// Fork's offer for the LEAF_SPAN bytes of user memory from va (a multiple
// of LEAF_SPAN, below the parent's size): make the child's page table new
// hold the parent's (old) leaf page-table page for them.  Returns 1 if it
// did (those pages are done), 0 if fork must share them page by page, -1
// when out of memory.
int leaf_table_share(pagetable_t old, pagetable_t new, uint64 va);

// For pageinfo: how many page tables map the user page that pagetable maps
// at va, given leaf_tables, the page's reference count (the number of leaf
// page-table pages that map it).  In the default build each of those
// belongs to one page table, so that is the answer; with FORK=shared one
// may be held by several.  A snapshot, like the count it starts from.
int page_tables_mapping(pagetable_t pagetable, uint64 va, int leaf_tables);

// For the kernel self-audit: checks what this build promises about the
// leaf page-table page that the valid level-1 PTE upper points at
// (FORK=shared: a shared one has no writable PTE; the default build
// promises nothing more).  Returns 0 if all holds, or what is wrong, in words.
// (Its count itself is the number of level-1 PTEs that point at it.)
const char *leaf_table_check(pte_t upper);

#endif
