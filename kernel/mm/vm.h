// Page tables: the kernel's own, and one per user process.
//
// The names follow the public labs (walk, mappages, uvm*: user virtual
// memory, kvm*: kernel virtual memory), so a student's habits and gdb
// breakpoints carry over.  How each reports failure:
//  - a function that returns a pointer or an address returns 0;
//  - one that returns int returns 0, or -1 on failure;
//  - uvmalloc returns the new size, or 0 on failure (a size of 0 can never
//    be the answer to a request to grow);
//  - misuse that only a kernel bug can cause (an unaligned or unmapped
//    range, out of memory while building the kernel's own table) panics.
#ifndef KERNEL_MM_VM_H
#define KERNEL_MM_VM_H

#include "types.h"
#include "riscv.h"

#define PTES_PER_TABLE (PXMASK + 1)  // 512 PTEs in a page-table page
#define LEAF_SPAN \
  ((uint64)PTES_PER_TABLE * PGSIZE)  // bytes one leaf page-table page maps
#define LEAF_ROUNDDOWN(va) ((va) & ~(LEAF_SPAN - 1))  // first address its leaf page maps

// The kernel page table, shared by every hart.
extern pagetable_t kernel_pagetable;
void kvminit(void);
void kvminithart(void);
void kvmmap(pagetable_t kpgtbl, uint64 va, uint64 pa, uint64 sz, int perm);

// Generic page-table operations.
pte_t *walk(pagetable_t pagetable, uint64 va, int alloc);
pte_t *walk_leaf_table(pagetable_t pagetable, uint64 va, int alloc);
pte_t *user_pte(pagetable_t pagetable, uint64 va);
uint64 walkaddr(pagetable_t pagetable, uint64 va);
pte_t *walk_in_order(pagetable_t pagetable, uint64 va, int alloc, pte_t **leaf);
int mappages(pagetable_t pagetable, uint64 va, uint64 size, uint64 pa, int perm);

// User address spaces.  A function that fails has freed whatever it
// allocated along the way.
pagetable_t uvmcreate(void);
uint64 uvmalloc(pagetable_t pagetable, uint64 oldsz, uint64 newsz, int xperm);
uint64 uvmdealloc(pagetable_t pagetable, uint64 oldsz, uint64 newsz);
int uvmcopy(pagetable_t old, pagetable_t new, uint64 sz);
void uvmunmap(pagetable_t pagetable, uint64 va, uint64 npages, int do_free);
void uvmfree(pagetable_t pagetable);
void leaf_table_free(pagetable_t leaf);
void uvmclear(pagetable_t pagetable, uint64 va);

#endif
