// System calls about processes and time.  Each handler fetches its
// arguments from the trap frame (sys/sysargs.h) and returns the value the
// user sees in a0; -1 (as uint64) on error.
#include "types.h"
#include "cowstat.h"
#include "cov/cov.h"
#include "lib/spinlock.h"
#include "mm/kalloc.h"
#include "mm/usercopy.h"
#include "mm/cowcount.h"
#include "mm/pageinspect.h"
#include "proc/proc.h"
#include "proc/vfork.h"
#include "sys/sysproc.h"
#include "sched/clock.h"
#include "sched/sched.h"
#include "sys/sysargs.h"

uint64 sys_exit(void) {
  int status;
  argint(0, &status);
  exit(status);
}

uint64 sys_getpid(void) {
  return myproc()->pid;
}

uint64 sys_fork(void) {
  return fork();
}

uint64 sys_wait(void) {
  uint64 status_addr;
  argaddr(0, &status_addr);
  return wait(status_addr);
}

// Returns the old break (end of memory) and moves it by n bytes.
uint64 sys_sbrk(void) {
  int n;
  argint(0, &n);
  uint64 old_break = myproc()->sz;
  if (growproc(n) < 0)
    return -1;
  return old_break;
}

// Sleeps for n clock ticks; returns -1 if killed meanwhile.
uint64 sys_sleep(void) {
  int n;
  argint(0, &n);
  acquire(&tickslock);
  uint start = ticks;
  while (n > 0 && ticks - start < (uint)n) {
    if (killed(myproc())) {
      release(&tickslock);
      return -1;
    }
    sleep(&ticks, &tickslock);
  }
  release(&tickslock);
  return 0;
}

uint64 sys_kill(void) {
  int pid;
  argint(0, &pid);
  return kill(pid);
}

// Clock ticks since boot.
uint64 sys_uptime(void) {
  acquire(&tickslock);
  uint t = ticks;
  release(&tickslock);
  return t;
}

// int cowstat(int which, struct cowstat *st): the copy-on-write counters
// (kernel/cowstat.h).  0, or -1 for an unknown which or a bad pointer.
uint64 sys_cowstat(void) {
  int which;
  uint64 addr;
  argint(0, &which);
  argaddr(1, &addr);

  struct proc *p = myproc();
  struct cowstat st;
  switch (which) {
  case COWSTAT_SYSTEM: cowstat_system(&st); break;
  case COWSTAT_SELF: st = p->cow_self; break;
  case COWSTAT_CHILDREN: st = p->cow_children; break;
  default: return -1;
  }
  st.free_pages = kfreepages();
  return copyout(p->pagetable, addr, &st, sizeof(st));
}

// int pageinfo(uint64 va, struct pageinfo *out): the physical page, PTE
// flags and reference count of the caller's user page at va
// (kernel/pageinfo.h).  0, or -1 if va is not a user page or out is bad.
uint64 sys_pageinfo(void) {
  uint64 va, addr;
  argaddr(0, &va);
  argaddr(1, &addr);
  struct proc *p = myproc();
  struct pageinfo info;
  if (page_inspect(p->pagetable, va, &info) < 0)
    return -1;
  return copyout(p->pagetable, addr, &info, sizeof(info));
}

// int vfork(void): a child that runs on the caller's memory until it execs
// or exits (proc/vfork.c).  The child's pid, or -1.
uint64 sys_vfork(void) {
  return vfork();
}

// int forkorder(int order): which runs first after the caller's forks,
// FORK_CHILD_FIRST or FORK_PARENT_FIRST (kernel/forkorder.h); any other
// order changes nothing.  The caller's own setting, which its children
// inherit.  Returns the order before the call.
uint64 sys_forkorder(void) {
  int order;
  argint(0, &order);
  return fork_order(order);
}

// int covblocks(void): in the coverage kernel, how many of the kernel's
// basic blocks ran for the first time since boot while the caller ran
// (cov/cov.h); -1 in any other kernel.
uint64 sys_covblocks(void) {
  return cov_blocks(myproc() - proc);
}
