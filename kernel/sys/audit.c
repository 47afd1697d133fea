// The kernel self-audit: checks every page's reference count against what
// really holds the page (the audit() system call, number 23; see README).
//
// For every page that kalloc() manages it checks that
//   count == mappings + kernel owners,
// where a mapping is a leaf PTE below TRAPFRAME in any process's page table
// (the stack guard page included; a page table is walked once, though a
// vfork child and its parent both name it), and the kernel owners are: each
// page-table page (owned by the PTE above it, or by p->pagetable or
// kernel_pagetable for a root), each process's trap frame (its TRAPFRAME
// PTE is not counted: p->trapframe owns the page), each kernel stack (a
// leaf of the kernel page table below the trampoline), each pipe (however
// many open files name it) and the disk driver's queue pages.  It also
// checks that the free list holds exactly the pages whose count is 0, each
// once, as many as kmem counts; and that no PTE is both PTE_COW and PTE_W.
// Each problem is printed on the console: the page, its count, what was
// expected, and every PTE that maps it (pid and va).
//
// Stopping the world (sched/stopworld.c): every other hart parks in its
// scheduler, holding no spinlock, so no code but the audit runs and no
// spinlock is held by anyone: counts, page tables and the free list stand
// still while they are read.
//
// Transient states: a process may have been preempted between two steps
// that change a count and a PTE (inside fork's cow_share_page(), or in exec
// between building its new page table and installing it, or with a pipe or
// argument page in hand but not yet recorded).  Such a state heals a moment
// later.  So a pass that finds problems (beyond the one planted, if asked:
// see below) is repeated, a tick apart, up to AUDIT_PASSES times; a leaked
// or lost reference stays, and fails every pass.  The last pass is run
// twice, with the world still stopped, the second time printing what it
// finds.  Because such a moment can also show a page table being freed,
// the walk trusts no address it reads: it only follows PTEs that point at
// pages kalloc() manages.
//
// Who may audit, and at what price.  Any process, planted faults included:
// a plant changes a count of the caller's own page, with the world stopped,
// and is undone before anything else runs; and what the audit prints, any
// process could print.  But while the world is stopped, no other hart
// runs, so audits are rationed: after an audit that kept the world stopped
// for t (its passes together, each from world_stop() to world_restart()),
// the next one starts no sooner than AUDIT_REST * t later.  A loop of
// audits, by however many processes, thus stops the world for at most
// 1 / (AUDIT_REST + 1) of the time: 2 %.  A caller that comes sooner
// sleeps until its turn (killing it ends the wait: -1); so one audit, as
// the test harness runs after each suite, always runs, if a little late.
// The clock loses no tick meanwhile: it counts time, not timer interrupts
// (sched/clock.c).
//
// Lock rules: one audit at a time.  `running` and `next_start` are guarded
// by tickslock, because a caller waiting for its turn sleeps on the clock
// and looks again at each tick.  The tables used by a pass are written only
// by the audit that is running, with the world stopped.
#include "types.h"
#include "param.h"
#include "riscv.h"
#include "memlayout.h"
#include "auditstat.h"
#include "lib/cpu.h"
#include "lib/spinlock.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "sched/clock.h"
#include "sched/process.h"
#include "sched/sched.h"
#include "sched/stopworld.h"
#include "mm/kalloc.h"
#include "mm/vm.h"
#include "mm/cow.h"
#include "mm/leaftable.h"
#include "mm/usercopy.h"
#include "dev/virtio_disk.h"
#include "fs/file.h"
#include "fs/inode.h"
#include "proc/proc.h"
#include "sys/audit.h"
#include "sys/sysargs.h"

#define NPAGES         ((PHYSTOP - KERNBASE) / PGSIZE)
#define ROOT_LEVEL     2  // Sv39: levels 2 (the root), 1 and 0
#define PTES_PER_PAGE  (PXMASK + 1)
#define AUDIT_PASSES   5   // passes, a tick apart, before reporting
#define AUDIT_REST     49  // the world runs 49 times as long as it was stopped
#define MAX_REPORTED   8   // bad pages described in detail
#define KSTACKS_BOTTOM KSTACK(NPROC - 1)

// The COW lab's starter tree (tools/handout.py) keeps no reference counts
// until the student writes them: there krefcount() is a stub that returns
// -1, and the audit takes a page in use to have exactly one owner.

// guarded by tickslock
static int running;        // an audit has its turn
static uint64 next_start;  // the time CSR before which no audit may start

// One pass's findings, indexed by page number counted from KERNBASE.
static ushort mappings[NPAGES];    // leaf PTEs that map the page
static ushort owners[NPAGES];      // kernel owners of the page
static uchar listed[NPAGES];       // times the page is on the free list
static uchar leaf_walked[NPAGES];  // leaf page-table pages already walked:
                                   // a shared one (FORK=shared) counts its
                                   // pages once, not once per process

static struct {
  int problems;
  int reporting;             // print each problem (the last pass)
  uint64 bad[MAX_REPORTED];  // pages to describe, found by count
  int nbad;
} pass;

// ---------------------------------------------------------------------------
// Counting what holds each page

static uint64 page_number(uint64 pa) {
  return (pa - KERNBASE) / PGSIZE;
}

static void problem(void) {
  pass.problems++;
}

// Records a kernel owner (owns) or a mapping of pa, which must be a page
// kalloc() manages.
static void count_holder(uint64 pa, ushort *table, const char *what, int pid, uint64 va) {
  if (!kmanaged((void *)pa)) {
    problem();
    if (pass.reporting)
      printf("audit: %s 0x%lx (pid %d va 0x%lx) is not a page kalloc() manages\n", what,
             pa, pid, va);
    return;
  }
  table[page_number(pa)]++;
}

static void own(void *pa) {
  count_holder((uint64)pa, owners, "kernel page", 0, 0);
}

// What a table walk does at each valid PTE.  A user table's leaves below
// TRAPFRAME are mappings; the kernel table's leaves among the kernel stacks
// are owners; every other leaf (the direct map, the trampoline, the trap
// frame) is not counted.  show, when set, is the page whose mappings to
// print instead of counting anything.
struct walk {
  int pid;  // 0 for the kernel page table
  uint64 show;
};

static void visit_leaf(struct walk *w, pte_t pte, uint64 va) {
  uint64 pa = PTE2PA(pte);
  if (w->pid == 0) {
    if (w->show == 0 && va >= KSTACKS_BOTTOM && va < TRAMPOLINE)
      count_holder(pa, owners, "kernel stack", 0, va);
    return;
  }
  if (va >= TRAPFRAME)
    return;
  if (w->show) {
    if (pa == w->show)
      printf("audit:   mapped by pid %d at va 0x%lx (pte 0x%lx)\n", w->pid, va, pte);
    return;
  }
  if (pte_is_cow(pte) && (pte & PTE_W)) {
    problem();
    if (pass.reporting)
      printf("audit: pid %d va 0x%lx: pte 0x%lx is both COW and writable\n", w->pid, va,
             pte);
  }
  count_holder(pa, mappings, "user page", w->pid, va);
}

// The level-1 PTE upper points at the leaf page-table page next.  Checks
// what the build promises of it (mm/leaftable.h), and returns whether its
// PTEs are still to be walked: a leaf page shared by several processes
// holds one reference to each page it maps, so it is counted once.
static int leaf_table_fits(struct walk *w, pte_t upper, uint64 next, uint64 va) {
  const char *wrong = leaf_table_check(upper);
  if (wrong) {
    problem();
    if (pass.reporting)
      printf("audit: leaf page-table page %p (pid %d, va %p): %s\n", (void *)next, w->pid,
             (void *)va, wrong);
  }
  return w->show != 0 || leaf_walked[page_number(next)]++ == 0;
}

// Visits the valid PTEs of the page-table page at level; va_base is the
// first address it covers.  Follows only pointers to managed pages.
static void walk_level(struct walk *w, pagetable_t page, int level, uint64 va_base) {
  for (int i = 0; i < PTES_PER_PAGE; i++) {
    pte_t pte = page[i];
    if ((pte & PTE_V) == 0)
      continue;
    uint64 va = va_base + ((uint64)i << PXSHIFT(level));
    if (pte & (PTE_R | PTE_W | PTE_X)) {
      visit_leaf(w, pte, va);
      continue;
    }
    uint64 next = PTE2PA(pte);
    if (w->show == 0)
      count_holder(next, owners, "page-table page", w->pid, va);
    if (level == 0 || !kmanaged((void *)next))
      continue;
    if (level == 1 && !leaf_table_fits(w, pte, next, va))
      continue;
    walk_level(w, (pagetable_t)next, level - 1, va);
  }
}

static void walk_table(pagetable_t root, int pid, uint64 show) {
  struct walk w = { .pid = pid, .show = show };
  if (show == 0)
    count_holder((uint64)root, owners, "page-table root", pid, 0);
  if (kmanaged(root))
    walk_level(&w, root, ROOT_LEVEL, 0);
}

// The pipes seen so far in this pass: each owns its page once, however
// many open files name it.
static struct pipe *pipes_seen[NFILE];
static int npipes_seen;

static void own_pipe(struct pipe *pi) {
  for (int i = 0; i < npipes_seen; i++)
    if (pipes_seen[i] == pi)
      return;
  pipes_seen[npipes_seen++] = pi;
  own(pi);
}

static void mark_free(void *pa) {
  if (!kmanaged(pa)) {
    problem();
    if (pass.reporting)
      printf("audit: free list holds 0x%lx, not a page kalloc() manages\n", (uint64)pa);
    return;
  }
  if (listed[page_number((uint64)pa)] < 0xff)
    listed[page_number((uint64)pa)]++;
}

static void count_holders(void) {
  walk_table(kernel_pagetable, 0, 0);
  for (struct proc *p = proc; p < &proc[NPROC]; p++) {
    if (p->state != UNUSED && p->trapframe)
      own(p->trapframe);
    pagetable_t table = distinct_pagetable(p);
    if (table)
      walk_table(table, p->pid, 0);
  }
  npipes_seen = 0;
  file_visit_pipes(own_pipe);
  virtio_disk_visit_pages(own);
}

// ---------------------------------------------------------------------------
// Comparing

static int count_of(uint64 pa) {
  int count = krefcount((void *)pa);
  if (count >= 0)
    return count;
  return listed[page_number(pa)] ? 0 : 1;  // a tree that keeps no counts
}

static void describe(uint64 pa) {
  uint64 i = page_number(pa);
  printf("audit: page 0x%lx: count %d, expected %d (%d mappings, %d kernel owners), "
         "%d times on the free list\n",
         pa, count_of(pa), mappings[i] + owners[i], mappings[i], owners[i], listed[i]);
  for (struct proc *p = proc; p < &proc[NPROC]; p++) {
    pagetable_t table = distinct_pagetable(p);
    if (table)
      walk_table(table, p->pid, pa);
  }
}

static void compare_page(uint64 pa, uint64 *in_use) {
  uint64 i = page_number(pa);
  int count = count_of(pa);
  int expected = mappings[i] + owners[i];
  int free_ok = count == 0 ? listed[i] == 1 : listed[i] == 0;
  if (count > 0)
    (*in_use)++;
  if (count == expected && free_ok)
    return;
  problem();
  if (pass.nbad < MAX_REPORTED)
    pass.bad[pass.nbad++] = pa;
}

// One pass with the world stopped.  Returns the problems found; fills in
// st->pages_in_use.
static int check_all(int reporting, struct auditstat *st) {
  memset(mappings, 0, sizeof(mappings));
  memset(owners, 0, sizeof(owners));
  memset(listed, 0, sizeof(listed));
  memset(leaf_walked, 0, sizeof(leaf_walked));
  memset(&pass, 0, sizeof(pass));
  pass.reporting = reporting;

  count_holders();
  uint64 nfree;
  uint64 length = kfree_list_visit(mark_free, &nfree);
  if (length != nfree) {
    problem();
    if (reporting)
      printf("audit: free list holds %ld pages, kmem counts %ld\n", length, nfree);
  }
  st->pages_in_use = 0;
  for (uint64 pa = (uint64)kfirstpage(); pa < PHYSTOP; pa += PGSIZE)
    compare_page(pa, &st->pages_in_use);
  if (reporting)
    for (int i = 0; i < pass.nbad; i++)
      describe(pass.bad[i]);
  return pass.problems;
}

// ---------------------------------------------------------------------------
// Planted faults, to show the audit catches them

// Changes the count of the page at user address va of the caller as how
// asks, just for one pass.  undo reverts it.  Returns 0, or -1 if va is not
// mapped, the kernel keeps no counts (the starter), or (for a loss) the
// page is not shared, so dropping a reference would free it.
static int plant(int how, uint64 va, int undo) {
  void *pa = (void *)walkaddr(myproc()->pagetable, va);
  if (how == AUDIT_CHECK)
    return 0;
  if (pa == 0 || krefcount(pa) < 0 ||
      (how == AUDIT_PLANT_LOSS && !undo && krefcount(pa) < 2))
    return -1;
  if ((how == AUDIT_PLANT_LEAK) == !undo)
    kref(pa);
  else
    kfree(pa);  // never the last reference: see above
  return 0;
}

static void wait_one_tick(void) {
  acquire(&tickslock);
  uint start = ticks;
  while (ticks == start)
    sleep(&ticks, &tickslock);
  release(&tickslock);
}

// One pass, with the world stopped, on the counts as how plants a fault in
// the page at addr.  The pass is the last if it finds no problem beyond
// the planted one, or if it is the last allowed (final); then it is run
// again, printing what it finds.  Adds the time the world was stopped to
// *stopped.  Returns the problems found (setting *last), or -1 if how
// cannot plant.
static int one_pass(int how, uint64 addr, int final, int *last, struct auditstat *st,
                    uint64 *stopped) {
  uint64 start = r_time();
  world_stop();
  int problems = -1;
  if (plant(how, addr, 0) == 0) {
    problems = check_all(0, st);
    *last = final || problems <= (how == AUDIT_CHECK ? 0 : 1);
    if (*last && problems > 0)
      check_all(1, st);
    plant(how, addr, 1);
  }
  world_restart();
  *stopped += r_time() - start;
  return problems;
}

// Runs passes until the last one (see one_pass()).  Returns its problems,
// or -1 if how cannot plant.
static int audit_passes(int how, uint64 addr, struct auditstat *st, uint64 *stopped) {
  int problems = 0, last = 0;
  for (int n = 1; n <= AUDIT_PASSES && !last && problems >= 0; n++) {
    if (n > 1)
      wait_one_tick();
    problems = one_pass(how, addr, n == AUDIT_PASSES, &last, st, stopped);
  }
  return problems;
}

// Waits until no audit runs and the rest after the last one is over, then
// takes the turn.  Returns 0, or -1 if the caller was killed meanwhile.
static int take_turn(void) {
  acquire(&tickslock);
  while (running || r_time() < next_start) {
    if (killed(myproc())) {
      release(&tickslock);
      return -1;
    }
    sleep(&ticks, &tickslock);
  }
  running = 1;
  release(&tickslock);
  return 0;
}

// Ends the turn of an audit that kept the world stopped for stopped, and
// sets the rest that follows it.
static void end_turn(uint64 stopped) {
  acquire(&tickslock);
  running = 0;
  next_start = r_time() + AUDIT_REST * stopped;
  release(&tickslock);
}

uint64 sys_audit(void) {
  int how;
  uint64 addr;
  argint(0, &how);
  argaddr(1, &addr);
  if (how != AUDIT_CHECK && how != AUDIT_PLANT_LEAK && how != AUDIT_PLANT_LOSS)
    return -1;

  struct auditstat st;
  memset(&st, 0, sizeof(st));
  if (take_turn() < 0)
    return -1;
  uint64 stopped = 0;
  int problems = audit_passes(how, addr, &st, &stopped);
  end_turn(stopped);
  if (problems < 0)
    return -1;

  st.problems = problems;
  st.free_pages = kfreepages();
  st.free_inodes = count_free_inodes(ROOTDEV);
  st.free_blocks = count_free_blocks(ROOTDEV);
  if (copyout(myproc()->pagetable, addr, &st, sizeof(st)) < 0)
    return -1;
  return problems;
}
