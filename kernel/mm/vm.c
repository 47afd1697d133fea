// Page tables (Sv39).
//
// A page table is a tree of three levels of 4096-byte pages, each holding 512
// PTEs.  walk() finds (and optionally creates) the leaf PTE for a virtual
// address; everything else is built on it.
//
// The kernel page table maps devices and RAM at their physical addresses
// (the direct map) and the trampoline at the top; boot then adds each
// process's kernel stack below it, with an unmapped guard page in between
// (proc_mapstacks).
//
// A user page table maps the process's memory from address 0 up to p->sz,
// plus the trampoline and its trap frame at the top.  Invariant: every page
// below p->sz is mapped (the stack guard page too, but without PTE_U).  A
// user page may be shared with other page tables after fork: read-only
// pages as they are, writable ones as copy-on-write pages (mm/cow.c); the
// page's reference count (kalloc.c) says how many leaf page-table pages
// map it.
//
// Who may change a PTE: mm/leaftable.h.  In the default build every leaf
// page-table page belongs to one page table; the FORK=shared build lets
// fork share them (mm/sharedpt.c).  So this file reads PTEs through walk()
// but changes them only through walk_to_write(), and frees a leaf
// page-table page only through leaf_table_drop().
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/kalloc.h"
#include "mm/vm.h"
#include "mm/cow.h"
#include "mm/cowahead.h"  // COW-LAB BEYOND: copy-ahead
#include "mm/leaftable.h"

pagetable_t kernel_pagetable;

extern char etext[];       // end of kernel text (kernel.ld)
extern char trampoline[];  // trampoline.S

static pagetable_t new_pagetable_page(void) {
  pagetable_t pt = kalloc();
  if (pt)
    memset(pt, 0, PGSIZE);
  return pt;
}

// Maps a kernel range at boot; failure here means the kernel cannot run.
void kvmmap(pagetable_t kpgtbl, uint64 va, uint64 pa, uint64 sz, int perm) {
  if (mappages(kpgtbl, va, sz, pa, perm) != 0)
    panic("kvmmap: out of memory at boot");
}

void kvminit(void) {
  pagetable_t kpt = new_pagetable_page();
  if (kpt == 0)
    panic("kvminit: out of memory");
  kvmmap(kpt, UART0, UART0, PGSIZE, PTE_R | PTE_W);
  kvmmap(kpt, VIRTIO0, VIRTIO0, PGSIZE, PTE_R | PTE_W);
  kvmmap(kpt, PLIC, PLIC, PLIC_SIZE, PTE_R | PTE_W);
  kvmmap(kpt, KERNBASE, KERNBASE, (uint64)etext - KERNBASE, PTE_R | PTE_X);
  kvmmap(kpt, (uint64)etext, (uint64)etext, PHYSTOP - (uint64)etext, PTE_R | PTE_W);
  kvmmap(kpt, TRAMPOLINE, (uint64)trampoline, PGSIZE, PTE_R | PTE_X);
  kernel_pagetable = kpt;
}

// Switches this hart to the kernel page table.
void kvminithart(void) {
  sfence_vma();  // finish writes to page tables before using them
  w_satp(MAKE_SATP(kernel_pagetable));
  sfence_vma();  // drop stale translations
}

// The page-table page that the non-leaf PTE *pte points at.  A missing one
// is created (zeroed) when alloc is set; returns 0 if it is missing and
// alloc is 0, or memory ran out.
static pagetable_t next_table(pte_t *pte, int alloc) {
  if (*pte & PTE_V)
    return (pagetable_t)PTE2PA(*pte);
  pagetable_t table;
  if (!alloc || (table = new_pagetable_page()) == 0)
    return 0;
  *pte = PA2PTE(table) | PTE_V;
  return table;
}

// Returns the level-1 PTE for va: the one that points at the leaf
// page-table page holding va's PTE (it may be invalid: no leaf page yet).
// Creates the level-1 page when alloc is set.  Returns 0 if va is out of
// range, or the level-1 page is missing and alloc is 0 or memory ran out.
pte_t *walk_leaf_table(pagetable_t pagetable, uint64 va, int alloc) {
  if (va >= MAXVA)
    return 0;
  pagetable_t level1 = next_table(&pagetable[PX(2, va)], alloc);
  return level1 ? &level1[PX(1, va)] : 0;
}

// Returns the leaf PTE for va, creating the intermediate page-table pages
// when alloc is set.  Returns 0 if va is out of range, or if a page is
// missing and alloc is 0 or memory ran out.  The PTE may sit in a leaf
// page-table page that other page tables share (FORK=shared): read it, but
// change a PTE only through walk_to_write() (mm/leaftable.h).
pte_t *walk(pagetable_t pagetable, uint64 va, int alloc) {
  pte_t *upper = walk_leaf_table(pagetable, va, alloc);
  pagetable_t leaf = upper ? next_table(upper, alloc) : 0;
  return leaf ? &leaf[PX(0, va)] : 0;
}

// walk_to_write() for loops that change PTEs in increasing address order:
// *leaf remembers the leaf page-table page found by the previous call and
// is reused while va stays within the 512 pages it maps, which saves two
// levels of lookup on most pages (fork visits every page).  Start a loop
// with *leaf = 0.  Returns what walk_to_write() would.
pte_t *walk_in_order(pagetable_t pagetable, uint64 va, int alloc, pte_t **leaf) {
  if (*leaf == 0 || PX(0, va) == 0) {
    pte_t *pte = walk_to_write(pagetable, va, alloc);
    *leaf = pte ? pte - PX(0, va) : 0;
    return pte;
  }
  return &(*leaf)[PX(0, va)];
}

// The PTE that maps va for user access (valid, with PTE_U), or 0.
pte_t *user_pte(pagetable_t pagetable, uint64 va) {
  pte_t *pte = walk(pagetable, va, 0);
  if (pte == 0 || (*pte & PTE_V) == 0 || (*pte & PTE_U) == 0)
    return 0;
  return pte;
}

// Physical address of the user page at va, or 0 if it is not mapped for user.
uint64 walkaddr(pagetable_t pagetable, uint64 va) {
  pte_t *pte = user_pte(pagetable, va);
  return pte ? PTE2PA(*pte) : 0;
}

// Maps [va, va+size) to [pa, pa+size) with permissions perm.  va and size
// must be page-aligned.  Returns -1 if a page-table page could not be
// allocated; pages mapped before the failure stay mapped.
int mappages(pagetable_t pagetable, uint64 va, uint64 size, uint64 pa, int perm) {
  if (va % PGSIZE != 0 || size % PGSIZE != 0 || size == 0)
    panic("mappages: unaligned range");
  for (uint64 off = 0; off < size; off += PGSIZE) {
    pte_t *pte = walk_to_write(pagetable, va + off, 1);
    if (pte == 0)
      return -1;
    if (*pte & PTE_V)
      panic("mappages: page already mapped");
    *pte = PA2PTE(pa + off) | perm | PTE_V;
  }
  return 0;
}

// Drops the user page that pte maps (it is freed unless others map it).
static inline void drop_user_page(pte_t pte) {
  cow_ahead_forget(pte);  // COW-LAB BEYOND: copy-ahead counts a copy nobody wrote
  kfree((void *)PTE2PA(pte));
}

// Removes npages mappings starting at va, which must all exist, and frees
// the physical pages when do_free is set.
void uvmunmap(pagetable_t pagetable, uint64 va, uint64 npages, int do_free) {
  if (va % PGSIZE != 0)
    panic("uvmunmap: unaligned");
  pte_t *leaf = 0;
  for (uint64 a = va; a < va + npages * PGSIZE; a += PGSIZE) {
    pte_t *pte = walk_in_order(pagetable, a, 0, &leaf);
    if (pte == 0 || (*pte & PTE_V) == 0)
      panic("uvmunmap: page not mapped");
    if (PTE_FLAGS(*pte) == PTE_V)
      panic("uvmunmap: not a leaf");
    if (do_free)
      drop_user_page(*pte);
    *pte = 0;
  }
}

// An empty user page table, or 0 when out of memory.
pagetable_t uvmcreate(void) {
  return new_pagetable_page();
}

// Grows a process from oldsz to newsz bytes with zeroed pages mapped
// readable, user-accessible, and xperm (PTE_W and/or PTE_X).  Returns newsz,
// or 0 on failure with nothing new left mapped.
uint64 uvmalloc(pagetable_t pagetable, uint64 oldsz, uint64 newsz, int xperm) {
  if (newsz < oldsz)
    return oldsz;
  for (uint64 a = PGROUNDUP(oldsz); a < newsz; a += PGSIZE) {
    char *mem = kalloc();
    if (mem == 0) {
      uvmdealloc(pagetable, a, oldsz);
      return 0;
    }
    memset(mem, 0, PGSIZE);
    if (mappages(pagetable, a, PGSIZE, (uint64)mem, PTE_R | PTE_U | xperm) != 0) {
      kfree(mem);
      uvmdealloc(pagetable, a, oldsz);
      return 0;
    }
  }
  return newsz;
}

// Makes every leaf page-table page that maps [first, last) this page
// table's own (see walk_to_write()).  Returns 0, or -1 when out of memory.
static int leaf_tables_to_write(pagetable_t pagetable, uint64 first, uint64 last) {
  for (uint64 va = first; va < last; va = LEAF_ROUNDDOWN(va) + LEAF_SPAN)
    if (walk_to_write(pagetable, va, 0) == 0)
      return -1;
  return 0;
}

// Shrinks a process from oldsz to newsz bytes, freeing whole pages that
// are no longer needed.  Returns the new size, or oldsz with nothing
// changed when there was no memory to copy a shared leaf page-table page
// (only in the FORK=shared build, whose fork shares them).
uint64 uvmdealloc(pagetable_t pagetable, uint64 oldsz, uint64 newsz) {
  if (newsz >= oldsz)
    return oldsz;
  uint64 first = PGROUNDUP(newsz), last = PGROUNDUP(oldsz);
  if (first < last && leaf_tables_to_write(pagetable, first, last) < 0)
    return oldsz;
  if (first < last)
    uvmunmap(pagetable, first, (last - first) / PGSIZE, 1);
  return newsz;
}

// Frees the pages every leaf PTE of the leaf page-table page leaf maps,
// then leaf itself; for leaf_table_drop(), when no other page table holds it.
void leaf_table_free(pagetable_t leaf) {
  for (int i = 0; i < PTES_PER_TABLE; i++)
    if (leaf[i] & PTE_V)
      drop_user_page(leaf[i]);
  kfree(leaf);
}

// Frees the page-table page table at level (2: the root, 1) and everything
// below it: each leaf page-table page is dropped (leaf_table_drop()), which
// frees the pages it maps unless another page table still holds it.
static void freewalk(pagetable_t table, int level) {
  for (int i = 0; i < PTES_PER_TABLE; i++) {
    pte_t pte = table[i];
    if ((pte & PTE_V) == 0)
      continue;
    if (pte & (PTE_R | PTE_W | PTE_X))
      panic("freewalk: a leaf above level 0");
    if (level == 1)
      leaf_table_drop((pagetable_t)PTE2PA(pte));
    else
      freewalk((pagetable_t)PTE2PA(pte), level - 1);
    table[i] = 0;
  }
  kfree(table);
}

// Frees a user address space: the memory it maps and the table itself.
// The caller has unmapped what is not the table's to free (the trampoline
// and the trap frame).
void uvmfree(pagetable_t pagetable) {
  freewalk(pagetable, 2);
}

// Fork's step for one page: the child's empty PTE *child gets the page
// that the parent's PTE *parent maps.  Returns 0, or -1 when out of memory
// (with *child still empty): an eager copy can run out, sharing cannot.
static int fork_page(pte_t *parent, pte_t *child) {
  // COW-LAB BEGIN: share the page copy-on-write instead of copying it
  // COW-LAB GUIDED: hand both PTEs to cow_share_page() (mm/cow.c) and return 0; the eager
  // COW-LAB GUIDED: copy below goes.
  cow_share_page(parent, child);
  return 0;
  // COW-LAB END
  // COW-LAB STARTER: void *copy = kalloc_copy((void *)PTE2PA(*parent));
  // COW-LAB STARTER: if (copy == 0)
  // COW-LAB STARTER:   return -1;
  // COW-LAB STARTER: *child = PA2PTE(copy) | PTE_FLAGS(*parent);
  // COW-LAB STARTER: return 0;
}

// Gives the child (new) the parent's (old) first sz bytes of memory, for
// fork.  Returns 0, or -1 when out of memory; either way the caller frees
// new with uvmfree() if it gives up on the child, which frees whatever was
// given to it so far.  At each leaf page-table page's first address,
// leaf_table_share() may hand the child the parent's whole leaf page
// (FORK=shared); the pages it maps are then done.
int uvmcopy(pagetable_t old, pagetable_t new, uint64 sz) {
  pte_t *old_leaf = 0, *new_leaf = 0;
  for (uint64 va = 0; va < sz; va += PGSIZE) {
    if (PX(0, va) == 0) {
      int shared = leaf_table_share(old, new, va);
      if (shared < 0)
        return -1;
      if (shared) {
        va += LEAF_SPAN - PGSIZE;
        continue;
      }
    }
    pte_t *parent = walk_in_order(old, va, 0, &old_leaf);
    if (parent == 0 || (*parent & PTE_V) == 0)
      panic("uvmcopy: page not mapped");
    pte_t *child = walk_in_order(new, va, 1, &new_leaf);
    if (child == 0 || fork_page(parent, child) != 0)
      return -1;
  }
  return 0;
}

// Takes PTE_U off the page at va, so user code cannot touch it (the stack
// guard page).
void uvmclear(pagetable_t pagetable, uint64 va) {
  pte_t *pte = walk_to_write(pagetable, va, 0);
  if (pte == 0)
    panic("uvmclear: page not mapped");
  *pte &= ~PTE_U;
}
