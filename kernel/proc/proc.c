// The process table and the life of a process: creation (allocproc, fork,
// userinit), growth (growproc), death (exit), reaping (wait) and kill.
//
// Lock rules:
//  - p->lock guards p->state, chan, killed, xstate and pid.  A process slot
//    is claimed (UNUSED -> USED) and released (-> UNUSED) under p->lock.
//  - wait_lock guards every p->parent, and makes a parent's check for
//    zombie children atomic with its sleep, so exit()'s wakeup is not lost.
//    Order: wait_lock before any p->lock.
//  - pid_lock guards nextpid.
//
// The order after fork (forkorder(), kernel/forkorder.h) is each process's
// own, p->fork_order: init starts with FORK_ORDER_DEFAULT, a child starts
// with its parent's (fork and vfork alike), exec keeps it, and a process
// changes only its own, so that it decides for its own forks alone.
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "lib/spinlock.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/kalloc.h"
#include "mm/vm.h"
#include "mm/usercopy.h"
#include "mm/cowcount.h"
#include "sched/process.h"
#include "sched/sched.h"
#include "proc/proc.h"
#include "proc/vfork.h"
#include "trap/trap.h"  // usertrapret(): a new process leaves the kernel through it
#include "fs/file.h"
#include "fs/inode.h"
#include "fs/log.h"

static int nextpid = 1;
static struct spinlock pid_lock;
static struct spinlock wait_lock;

extern char trampoline[];  // trampoline.S

static void forkret(void);

// Gives every process slot a kernel stack page, mapped at KSTACK(slot)
// with the page below left unmapped as a guard.
void proc_mapstacks(pagetable_t kpgtbl) {
  for (int i = 0; i < NPROC; i++) {
    char *pa = kalloc();
    if (pa == 0)
      panic("proc_mapstacks: out of memory");
    kvmmap(kpgtbl, KSTACK(i), (uint64)pa, PGSIZE, PTE_R | PTE_W);
  }
}

void procinit(void) {
  initlock(&pid_lock, "nextpid");
  initlock(&wait_lock, "wait_lock");
  vforkinit();
  for (int i = 0; i < NPROC; i++) {
    initlock(&proc[i].lock, "proc");
    proc[i].state = UNUSED;
    proc[i].kstack = KSTACK(i);
  }
}

static int allocpid(void) {
  acquire(&pid_lock);
  int pid = nextpid++;
  release(&pid_lock);
  return pid;
}

// A user page table holding only the trampoline and p's trap frame (both
// without PTE_U).  Returns 0 when out of memory.
pagetable_t proc_pagetable(struct proc *p) {
  pagetable_t pagetable = uvmcreate();
  if (pagetable == 0)
    return 0;
  if (mappages(pagetable, TRAMPOLINE, PGSIZE, (uint64)trampoline, PTE_R | PTE_X) < 0) {
    uvmfree(pagetable);
    return 0;
  }
  if (mappages(pagetable, TRAPFRAME, PGSIZE, (uint64)p->trapframe, PTE_R | PTE_W) < 0) {
    uvmunmap(pagetable, TRAMPOLINE, 1, 0);
    uvmfree(pagetable);
    return 0;
  }
  return pagetable;
}

// Frees a user page table and the memory it maps.  The
// trampoline and trap frame pages are not the table's to free.
void proc_freepagetable(pagetable_t pagetable) {
  uvmunmap(pagetable, TRAMPOLINE, 1, 0);
  uvmunmap(pagetable, TRAPFRAME, 1, 0);
  uvmfree(pagetable);
}

// Returns a slot to UNUSED, freeing what it owns.  Caller holds p->lock.
static void freeproc(struct proc *p) {
  if (p->pagetable) {
    cow_count_for(p);  // COW-LAB BEYOND: pages it never wrote count as its own
    proc_freepagetable(p->pagetable);
    cow_count_for(0);  // COW-LAB BEYOND: back to the running process
  }
  if (p->trapframe)
    kfree(p->trapframe);
  p->trapframe = 0;
  p->pagetable = 0;
  p->sz = 0;
  p->pid = 0;
  p->parent = 0;
  p->name[0] = 0;
  p->chan = 0;
  p->killed = 0;
  p->xstate = 0;
  p->state = UNUSED;
}

// Claims an UNUSED slot with a trap frame, set to start in forkret() when
// first scheduled, and (if with_pagetable) an empty user page table; without
// one, p->pagetable is 0 for the caller to fill.  Returns it with p->lock
// held, or 0 if the table is full or memory ran out.
struct proc *allocproc(int with_pagetable) {
  struct proc *p;
  for (p = proc; p < &proc[NPROC]; p++) {
    acquire(&p->lock);
    if (p->state == UNUSED)
      break;
    release(&p->lock);
  }
  if (p == &proc[NPROC])
    return 0;

  p->pid = allocpid();
  p->state = USED;
  if ((p->trapframe = kalloc()) == 0 ||
      (with_pagetable && (p->pagetable = proc_pagetable(p)) == 0)) {
    freeproc(p);
    release(&p->lock);
    return 0;
  }
  memset(&p->context, 0, sizeof(p->context));
  memset(&p->cow_self, 0, sizeof(p->cow_self));
  memset(&p->cow_children, 0, sizeof(p->cow_children));
  p->ahead_pages = 0;  // COW-LAB BEYOND: copy-ahead starts with one page
  p->lender = 0;
  p->context.ra = (uint64)forkret;
  p->context.sp = p->kstack + PGSIZE;
  return p;
}

// Creates the first process.  It has no memory yet: when it first runs,
// forkret() mounts the file system and execs /init, built from
// user/init.c like every other program.
void userinit(void) {
  struct proc *p = allocproc(1);
  if (p == 0)
    panic("userinit: no memory");
  initproc = p;
  safestrcpy(p->name, "init", sizeof(p->name));
  p->fork_order = FORK_ORDER_DEFAULT;
  p->state = RUNNABLE;
  release(&p->lock);
}

// Runs in the first process, the first time any process is scheduled.
// The file system can only be set up here, because it sleeps on disk I/O.
static void start_init(void) {
  struct proc *p = myproc();
  char *argv[] = { "/init", 0 };
  fsinit(ROOTDEV);
  begin_op();  // namei may drop inode references, which needs a transaction
  p->cwd = namei("/");
  end_op();
  int argc = exec(argv[0], argv);
  if (argc < 0)
    panic("start_init: cannot exec /init");
  p->trapframe->a0 = argc;  // as if returning from the exec system call
}

// Every new process starts here, via swtch() from the scheduler, still
// holding its p->lock.
static void forkret(void) {
  static int first = 1;
  release(&myproc()->lock);
  if (first) {
    first = 0;
    start_init();
  }
  usertrapret();
}

// Grows (n > 0) or shrinks (n < 0) the current process by n bytes.
// Returns 0, or -1 if the size would leave [0, TRAPFRAME) or memory ran out.
int growproc(int n) {
  struct proc *p = myproc();
  uint64 sz = p->sz;
  if (n > 0) {
    if (sz + n > TRAPFRAME || (sz = uvmalloc(p->pagetable, sz, sz + n, PTE_W)) == 0)
      return -1;
  } else if (n < 0) {
    uint64 shrink = -(long)n;
    if (shrink > sz)
      return -1;
    uint64 newsz = sz + n;
    if ((sz = uvmdealloc(p->pagetable, sz, newsz)) != newsz)
      return -1;  // no memory to copy a shared leaf page-table page (FORK=shared)
  }
  p->sz = sz;
  return 0;
}

// Creates a child that is a copy of the current process and returns its
// pid; the child returns 0 from the same fork call.  -1 on failure.
int fork(void) {
  struct proc *p = myproc();
  struct proc *np = allocproc(1);
  if (np == 0)
    return -1;
  if (uvmcopy(p->pagetable, np->pagetable, p->sz) < 0) {
    freeproc(np);
    release(&np->lock);
    return -1;
  }
  np->sz = p->sz;
  int pid = start_child(p, np);
  if (p->fork_order == FORK_CHILD_FIRST)
    yield();  // a child that execs at once then drops its shares before we write
  return pid;
}

int fork_order(int order) {
  struct proc *p = myproc();
  int before = p->fork_order;
  if (order == FORK_CHILD_FIRST || order == FORK_PARENT_FIRST)
    p->fork_order = order;
  return before;
}

// The rest of fork and vfork, once np has its memory: np gets p's registers
// (returning 0 from the call), open files, directory, name and fork order,
// becomes p's child and may run.  Caller holds np->lock; returns np's pid.
int start_child(struct proc *p, struct proc *np) {
  *np->trapframe = *p->trapframe;
  np->trapframe->a0 = 0;  // the child's fork() returns 0
  for (int fd = 0; fd < NOFILE; fd++)
    if (p->ofile[fd])
      np->ofile[fd] = filedup(p->ofile[fd]);
  np->cwd = idup(p->cwd);
  safestrcpy(np->name, p->name, sizeof(p->name));
  np->fork_order = p->fork_order;
  int pid = np->pid;
  release(&np->lock);

  acquire(&wait_lock);
  np->parent = p;
  release(&wait_lock);

  acquire(&np->lock);
  np->state = RUNNABLE;
  release(&np->lock);
  return pid;
}

// Gives p's children to init.  Caller holds wait_lock.
static void reparent(struct proc *p) {
  for (struct proc *pp = proc; pp < &proc[NPROC]; pp++) {
    if (pp->parent == p) {
      pp->parent = initproc;
      wakeup(initproc);
    }
  }
}

static void close_all_files(struct proc *p) {
  for (int fd = 0; fd < NOFILE; fd++) {
    if (p->ofile[fd]) {
      fileclose(p->ofile[fd]);
      p->ofile[fd] = 0;
    }
  }
  begin_op();
  iput(p->cwd);
  end_op();
  p->cwd = 0;
}

// Lets go of an address space p no longer uses (at exit, or the old one at
// exec): frees it, or gives it back to the process that lent it (vfork).
// Safe while p runs in the kernel, which uses its own page table.
void proc_drop_memory(struct proc *p, pagetable_t pagetable, uint64 sz) {
  if (vfork_borrowing(p))
    vfork_give_back(p, pagetable, sz);
  else
    proc_freepagetable(pagetable);
}

// Gives back the process's user memory and page table; it will never return
// to user space.
static void free_user_memory(struct proc *p) {
  proc_drop_memory(p, p->pagetable, p->sz);
  p->pagetable = 0;
  p->sz = 0;
}

// Ends the current process.  It stays a ZOMBIE until its parent's wait()
// collects the status, but holds no user memory meanwhile: a process killed
// for lack of memory gives its pages back at once, so its parent has memory
// to run (and to receive the status) with.
void exit(int status) {
  struct proc *p = myproc();
  if (p == initproc)
    panic("init exiting");
  close_all_files(p);
  free_user_memory(p);

  acquire(&wait_lock);
  reparent(p);
  wakeup(p->parent);  // the parent may be sleeping in wait()
  acquire(&p->lock);
  p->xstate = status;
  p->state = ZOMBIE;
  release(&wait_lock);

  sched();
  panic("exit: zombie ran again");
}

// Reaps one exited child: stores its status at user address status_addr
// (unless 0) and returns its pid.  Waits while children are alive.
// Returns -1 if there are no children, the caller is killed, or the
// status cannot be stored.
int wait(uint64 status_addr) {
  struct proc *p = myproc();
  acquire(&wait_lock);
  for (;;) {
    int have_children = 0;
    for (struct proc *pp = proc; pp < &proc[NPROC]; pp++) {
      if (pp->parent != p)
        continue;
      have_children = 1;
      acquire(&pp->lock);
      if (pp->state == ZOMBIE) {
        int pid = pp->pid;
        if (status_addr != 0 &&
            copyout(p->pagetable, status_addr, &pp->xstate, sizeof(pp->xstate)) < 0) {
          release(&pp->lock);
          release(&wait_lock);
          return -1;
        }
        freeproc(pp);  // first: freeing its memory may count events of its own
        cowstat_add(&p->cow_children, &pp->cow_self);
        cowstat_add(&p->cow_children, &pp->cow_children);
        release(&pp->lock);
        release(&wait_lock);
        return pid;
      }
      release(&pp->lock);
    }
    if (!have_children || killed(p)) {
      release(&wait_lock);
      return -1;
    }
    sleep(p, &wait_lock);
  }
}

// Marks process pid killed; it exits when it next heads for user space.
// A sleeping victim is woken so that it notices.  Returns 0, or -1 if no
// such process, or if pid is init, which must outlive every other process.
int kill(int pid) {
  if (initproc && pid == initproc->pid)  // see is_init()
    return -1;
  for (struct proc *p = proc; p < &proc[NPROC]; p++) {
    acquire(&p->lock);
    if (p->pid == pid && p->state != UNUSED) {
      p->killed = 1;
      if (p->state == SLEEPING)
        p->state = RUNNABLE;
      release(&p->lock);
      return 0;
    }
    release(&p->lock);
  }
  return -1;
}
