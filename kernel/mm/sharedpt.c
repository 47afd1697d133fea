// Shared leaf page-table pages: the FORK=shared build's side of
// mm/leaftable.h (the default build uses mm/leafprivate.c instead).
//
// A "leaf table" is a level-0 page-table page: 512 PTEs, 2 MB of user
// memory.  The story of one, from fork to the first write:
//  1. fork -> uvmcopy() -> leaf_table_share(): the child's level-1 PTE
//     points at the parent's leaf table, whose reference count (kalloc.c)
//     goes up by one.  No user page's count changes: each is still mapped
//     by one leaf table.  RISC-V has no write-protect bit on a level-1 PTE,
//     so if the parent's leaf table may hold writable PTEs, they lose PTE_W
//     and gain PTE_COW first, as cow_share_page() does to one PTE.  A
//     software bit on the level-1 PTE, PTE_NO_WRITABLE, records that this
//     was done and nothing has become writable since, so the next fork of
//     an unchanged parent skips the loop: fork's work is then one step per
//     leaf table, with no mapping and no count per page.
//  2. Reading through a shared leaf table needs nothing: the MMU and walk()
//     read it like any other.
//  3. Any change to a PTE (a copy-on-write fault, sbrk, exec's guard page)
//     first asks walk_to_write() (or pte_to_write(), for a PTE already in
//     hand, as cow_break() has).  A leaf table that others hold too is
//     copied: the copy raises the count of every page it maps, replaces the
//     shared one in this page table, and this page table's hold on the
//     shared one is dropped.  Then cow_break() goes on per page exactly
//     as in the default build: count 1 means this leaf table alone maps the
//     page (reuse), more means others do (copy).  The sole-owner test thus
//     looks at both counts: the leaf table's (through the copy) and the
//     page's.
//  4. exit and exec drop each leaf table (leaf_table_drop()): the last
//     holder frees the pages it maps and the table; the others only drop a
//     reference.
//
// Invariants:
//  - A user page's count is the number of leaf tables that map it.
//  - A leaf table's count is the number of level-1 PTEs that point at it
//    (a root or level-1 page-table page is never shared: count 1).
//  - A level-1 PTE pointing at a leaf table with count above 1 has
//    PTE_NO_WRITABLE, and none of that table's PTEs has PTE_W: nobody
//    writes a shared leaf table.
//  - The leaf table of the trampoline and trap frame is never shared: the
//    child already has its own there (proc_pagetable()), so
//    leaf_table_share() declines and fork shares those pages one by one.
// leaf_table_check() checks the last two for the kernel self-audit.
//
// pageinfo's count (page_tables_mapping()): a user page's count says how
// many leaf tables map it, not how many page tables, which is the sum of
// those leaf tables' counts.  When the caller's leaf table is the only one,
// that is its count.  Otherwise the others are found by looking at va in
// every process's page table (each page table once: a vfork child's is its
// parent's), as it is at that moment: another process may be changing or
// freeing its own meanwhile, so peek_pte() follows only pointers to pages
// kalloc() manages, and the answer is a snapshot, like any count read
// without the world stopped.
//
// Locking: drop_lock makes "am I the last holder?" and the drop one step,
// for holders dropping the same leaf table at once; without it, two of
// them could both see a count of 2, both only drop a reference, and the
// table and its pages would leak.  Raising a count takes no lock: only a
// holder raises a leaf table's count (by forking), and a holder that sees
// a count of 1 is the only holder, and is not forking.  A count above 1
// read without the lock may fall meanwhile: the worst case is one needless
// copy of the leaf table, dropped again at once.
//
// TLBs: as in mm/cow.c.  A process's stale translations are flushed when
// it next enters user space; a shared leaf table itself never changes, so
// other processes reading it through their own page tables see no change.
#include "types.h"
#include "riscv.h"
#include "lib/printf.h"
#include "lib/spinlock.h"
#include "mm/cow.h"
#include "mm/kalloc.h"
#include "mm/leaftable.h"
#include "mm/vm.h"
#include "sched/process.h"

// On a level-1 PTE (an RSW bit, which the MMU ignores): no PTE of the leaf
// table it points at has PTE_W.
#define PTE_NO_WRITABLE (1L << 9)

static struct spinlock drop_lock = { .name = "leaf_table_drop" };

// Copy-on-write for a whole leaf table that fork is about to share, which
// the parent holds alone: every writable PTE becomes copy-on-write.
static void write_protect(pagetable_t leaf) {
  for (int i = 0; i < PTES_PER_TABLE; i++)
    if (leaf[i] & PTE_W)
      leaf[i] = (leaf[i] & ~PTE_W) | PTE_COW;
}

int leaf_table_share(pagetable_t old, pagetable_t new, uint64 va) {
  pte_t *from = walk_leaf_table(old, va, 0);
  if (from == 0 || (*from & PTE_V) == 0)
    return 0;  // nothing mapped: uvmcopy()'s page-by-page path reports it
  pte_t *to = walk_leaf_table(new, va, 1);
  if (to == 0)
    return -1;
  if (*to & PTE_V)
    return 0;  // the child has its own leaf table here (the trap frame's)
  pagetable_t leaf = (pagetable_t)PTE2PA(*from);
  if ((*from & PTE_NO_WRITABLE) == 0) {
    write_protect(leaf);  // not shared yet (a shared one has the bit)
    *from |= PTE_NO_WRITABLE;
  }
  kref(leaf);
  *to = *from;
  return 1;
}

// Replaces the shared leaf table that *upper points at with a copy of its
// own.  Returns 0, or -1 when out of memory (nothing changed).
static int unshare(pte_t *upper) {
  pagetable_t shared = (pagetable_t)PTE2PA(*upper);
  pagetable_t copy = kalloc_copy(shared);
  if (copy == 0)
    return -1;
  for (int i = 0; i < PTES_PER_TABLE; i++)
    if (copy[i] & PTE_V)
      kref((void *)PTE2PA(copy[i]));
  *upper = PA2PTE(copy) | PTE_FLAGS(*upper);
  leaf_table_drop(shared);
  return 0;
}

pte_t *walk_to_write(pagetable_t pagetable, uint64 va, int alloc) {
  pte_t *upper = walk_leaf_table(pagetable, va, alloc);
  if (upper == 0)
    return 0;
  if ((*upper & PTE_V) && krefcount((void *)PTE2PA(*upper)) > 1 && unshare(upper) < 0)
    return 0;
  *upper &= ~PTE_NO_WRITABLE;  // the caller may make a PTE writable
  return walk(pagetable, va, alloc);
}

// pte's leaf table may be shared, and the level-1 PTE above it may forbid
// writable entries: walk again, as walk_to_write() does for any caller.
pte_t *pte_to_write(pagetable_t pagetable, uint64 va, pte_t *pte) {
  return walk_to_write(pagetable, PGROUNDDOWN(va), 0);
}

void leaf_table_drop(pagetable_t leaf) {
  acquire(&drop_lock);
  int others_hold_it = krefcount(leaf) > 1;
  if (others_hold_it)
    kfree(leaf);  // only drops this page table's reference
  release(&drop_lock);
  if (!others_hold_it)
    leaf_table_free(leaf);
}

const char *leaf_table_check(pte_t upper) {
  pagetable_t leaf = (pagetable_t)PTE2PA(upper);
  if (krefcount(leaf) == 1)
    return 0;
  if ((upper & PTE_NO_WRITABLE) == 0)
    return "shared leaf page-table page whose level-1 PTE lacks PTE_NO_WRITABLE";
  for (int i = 0; i < PTES_PER_TABLE; i++)
    if (leaf[i] & PTE_W)
      return "shared leaf page-table page with a writable PTE";
  return 0;
}

// The leaf PTE for va, by value (0 if none), in a page table that another
// process may be changing or freeing meanwhile: a snapshot, read through
// pointers to pages kalloc() manages only, so that it reads nothing but RAM.
static pte_t peek_pte(pagetable_t pagetable, uint64 va) {
  if (va >= MAXVA)
    return 0;
  pte_t pte = 0;
  for (int level = 2; level >= 0; level--) {
    if (!kmanaged(pagetable))
      return 0;
    pte = __atomic_load_n(&pagetable[PX(level, va)], __ATOMIC_RELAXED);
    if ((pte & PTE_V) == 0 || (level > 0 && (pte & (PTE_R | PTE_W | PTE_X))))
      return 0;  // nothing mapped, or a superpage, which no user table has
    pagetable = (pagetable_t)PTE2PA(pte);
  }
  return pte;
}

int page_tables_mapping(pagetable_t pagetable, uint64 va, int leaf_tables) {
  if (leaf_tables == 1)
    return krefcount((void *)PTE2PA(*walk_leaf_table(pagetable, va, 0)));
  uint64 pa = PTE2PA(*walk(pagetable, va, 0));
  int mapping = 0;
  for (struct proc *p = proc; p < &proc[NPROC]; p++) {
    pagetable_t table = distinct_pagetable(p);
    pte_t pte = table ? peek_pte(table, va) : 0;
    if ((pte & PTE_V) && (pte & PTE_U) && PTE2PA(pte) == pa)
      mapping++;
  }
  return mapping;
}
