// Page tables: the kernel's own, and one per user process.
#ifndef KERNEL_MM_VM_H
#define KERNEL_MM_VM_H

#include "types.h"
#include "riscv.h"

// The kernel page table, shared by every hart.
extern pagetable_t kernel_pagetable;
void kvminit(void);
void kvminithart(void);
void kvmmap(pagetable_t kpgtbl, uint64 va, uint64 pa, uint64 sz, int perm);

// Generic page-table operations.
pte_t *walk(pagetable_t pagetable, uint64 va, int alloc);
pte_t *user_pte(pagetable_t pagetable, uint64 va);
uint64 walkaddr(pagetable_t pagetable, uint64 va);
pte_t *walk_in_order(pagetable_t pagetable, uint64 va, int alloc, pte_t **leaf);
int mappages(pagetable_t pagetable, uint64 va, uint64 size, uint64 pa, int perm);

// User address spaces.  Functions that allocate return 0 (or -1) on
// failure, having freed whatever they allocated along the way.
pagetable_t uvmcreate(void);
uint64 uvmalloc(pagetable_t pagetable, uint64 oldsz, uint64 newsz, int xperm);
uint64 uvmdealloc(pagetable_t pagetable, uint64 oldsz, uint64 newsz);
int uvmcopy(pagetable_t old, pagetable_t new, uint64 sz);
int map_page_copy(pagetable_t pagetable, uint64 va, uint64 pa, int flags);
void uvmunmap(pagetable_t pagetable, uint64 va, uint64 npages, int do_free);
void uvmfree(pagetable_t pagetable, uint64 sz);
void uvmclear(pagetable_t pagetable, uint64 va);

#endif
