// vfork(): the child borrows its parent's memory instead of copying it.
//
// Design.  The child runs on the parent's very page table: nothing is
// copied, nothing is made copy-on-write, and every store the child makes
// lands in the parent's memory.  A store to a page that is copy-on-write in
// the parent (shared with an earlier fork child) faults as usual, and
// cow_break() copies or reuses the page in that same page table, so the
// parent sees the new page too.  The parent sleeps in vfork() meanwhile,
// so one thread at a time runs on the page table, as mm/cow.c's TLB
// argument needs.
//
// The one thing the two cannot share is the trap frame.  Every page table
// maps its owner's trap frame at TRAPFRAME, where the trampoline saves and
// restores user registers; the parent's page must keep the parent's
// registers (it returns the child's pid from them).  So the child has its
// own trap frame page (and kernel stack, as every process does), and while
// it borrows the page table, the TRAPFRAME PTE of that table points at the
// child's trap frame.  The parent only needs its mapping back when it next
// returns to user space, and it is asleep in the kernel until then.
//
// Giving back.  When the child execs (exec.c's commit point, once its new
// address space is built) or exits, proc_drop_memory() calls
// vfork_give_back(): it points TRAPFRAME at the lender's trap frame again,
// gives the lender the child's size (a child's sbrk() moved the break of
// the one shared address space), clears p->lender and wakes the lender.
// Stale TLB entries for TRAPFRAME are no concern: every entry to and exit
// from user space switches satp and then runs sfence.vma (trap/trampoline.S).
//
// Defined behaviour, whatever the child does (no case panics the kernel):
//  - exec fails: exec returns -1 to the child, still on the lent memory.
//  - faults or is killed: it exits(-1) like any process (one usertrap()
//    line for a fault); exit gives the memory back, as the child left it.
//  - runs out of memory: a COW copy it needs kills it (mm/cow.c), which
//    is the case above; a failed sbrk() just returns -1 to it.
//  - returns from the function that called vfork: the parent resumes with
//    its own registers (pc, sp, ra, s0...) over the stack the child used.
//    If the child called other functions after returning, they reused the
//    frame of the function that called vfork, so the parent's return from
//    it uses whatever the child left there: typically a wild jump, a fault,
//    one usertrap() line, and the parent is killed.  (usertests checks it.)
//  - forks or vforks in turn: it works on the lent memory like any process
//    (a grandchild by vfork borrows it again and gives it back to the child).
//  - the parent is killed meanwhile: it keeps waiting, since exiting would
//    free the memory under the child; it dies on its way back to user space.
//
// Lock rules: vfork_lock guards every p->lender once the child may run, and
// makes the parent's test-and-sleep atomic with the child's clear-and-wakeup.
// Order: vfork_lock before any p->lock (wakeup takes them).  Only the child
// writes its p->lender (besides vfork() before it runs), so the child reads
// its own without the lock.
#include "types.h"
#include "riscv.h"
#include "memlayout.h"
#include "lib/spinlock.h"
#include "lib/printf.h"
#include "sched/process.h"
#include "sched/sched.h"
#include "mm/vm.h"
#include "proc/proc.h"
#include "proc/vfork.h"

static struct spinlock vfork_lock;

void vforkinit(void) {
  initlock(&vfork_lock, "vfork");
}

// Points pagetable's TRAPFRAME entry at the trap frame page tf.
static void map_trapframe(pagetable_t pagetable, struct trapframe *tf) {
  pte_t *pte = walk(pagetable, TRAPFRAME, 0);
  if (pte == 0 || (*pte & PTE_V) == 0)
    panic("vfork: no trap frame mapping");
  *pte = PA2PTE(tf) | PTE_R | PTE_W | PTE_V;
}

// Sleeps until child has given its lender's memory back.
static void wait_for_give_back(struct proc *child) {
  acquire(&vfork_lock);
  while (child->lender != 0)
    sleep(&child->lender, &vfork_lock);
  release(&vfork_lock);
}

int vfork(void) {
  struct proc *p = myproc();
  struct proc *np = allocproc(0);
  if (np == 0)
    return -1;
  np->pagetable = p->pagetable;
  np->sz = p->sz;
  np->lender = p;
  map_trapframe(p->pagetable, np->trapframe);
  int pid = start_child(p, np);
  wait_for_give_back(np);
  return pid;
}

int vfork_borrowing(struct proc *p) {
  return p->lender != 0;
}

void vfork_give_back(struct proc *p, pagetable_t pagetable, uint64 sz) {
  struct proc *lender = p->lender;
  map_trapframe(pagetable, lender->trapframe);
  lender->sz = sz;
  acquire(&vfork_lock);
  p->lender = 0;
  wakeup(&p->lender);
  release(&vfork_lock);
}
