// A process as every layer sees it: the process table, the running
// process, and the flags other layers may set (killed).  The life cycle
// (fork, exit, wait, exec) is proc/proc.h's; running and sleeping is
// sched/sched.h's.
//
// Lock rules:
//  - p->lock guards p->state, p->chan, p->killed, p->xstate and p->pid.
//  - wait_lock (in proc/proc.c) guards every p->parent; take it before any
//    p->lock.
//  - Everything under "private" is touched only by the process itself, or by
//    its parent/creator while the process cannot run.  A vfork child runs
//    on its parent's pagetable (and sets its sz) while the parent sleeps.
#ifndef KERNEL_SCHED_PROCESS_H
#define KERNEL_SCHED_PROCESS_H

#include "types.h"
#include "param.h"
#include "riscv.h"
#include "cowstat.h"
#include "lib/cpu.h"
#include "lib/spinlock.h"

// The page at TRAPFRAME in each user address space.  trampoline.S saves all
// user registers here on a trap and restores them on the way back; the first
// five fields tell the trampoline where the kernel is.  The offsets are
// written out in trampoline.S: change both together.
struct trapframe {
  /*   0 */ uint64 kernel_satp;    // kernel page table
  /*   8 */ uint64 kernel_sp;      // top of this process's kernel stack
  /*  16 */ uint64 kernel_trap;    // usertrap()
  /*  24 */ uint64 epc;            // user pc
  /*  32 */ uint64 kernel_hartid;  // tp while in the kernel
  /*  40 */ uint64 ra;
  /*  48 */ uint64 sp;
  /*  56 */ uint64 gp;
  /*  64 */ uint64 tp;
  /*  72 */ uint64 t0;
  /*  80 */ uint64 t1;
  /*  88 */ uint64 t2;
  /*  96 */ uint64 s0;
  /* 104 */ uint64 s1;
  /* 112 */ uint64 a0;
  /* 120 */ uint64 a1;
  /* 128 */ uint64 a2;
  /* 136 */ uint64 a3;
  /* 144 */ uint64 a4;
  /* 152 */ uint64 a5;
  /* 160 */ uint64 a6;
  /* 168 */ uint64 a7;
  /* 176 */ uint64 s2;
  /* 184 */ uint64 s3;
  /* 192 */ uint64 s4;
  /* 200 */ uint64 s5;
  /* 208 */ uint64 s6;
  /* 216 */ uint64 s7;
  /* 224 */ uint64 s8;
  /* 232 */ uint64 s9;
  /* 240 */ uint64 s10;
  /* 248 */ uint64 s11;
  /* 256 */ uint64 t3;
  /* 264 */ uint64 t4;
  /* 272 */ uint64 t5;
  /* 280 */ uint64 t6;
};

#define PROC_NAME_LEN 16  // bytes of a process name, NUL included

enum procstate { UNUSED, USED, SLEEPING, RUNNABLE, RUNNING, ZOMBIE };

struct proc {
  struct spinlock lock;

  // guarded by p->lock
  enum procstate state;
  void *chan;  // what a SLEEPING process waits for
  int killed;  // set by kill(); the process exits at the next chance
  int xstate;  // exit status, for the parent's wait()
  int pid;

  // guarded by wait_lock
  struct proc *parent;

  // private to the process; once it is a ZOMBIE, its parent's wait()
  // frees them
  uint64 kstack;                // virtual address of its kernel stack
  uint64 sz;                    // bytes of user memory, from address 0
  pagetable_t pagetable;        // user page table
  struct trapframe *trapframe;  // kernel address of the TRAPFRAME page
  struct context context;       // swtch() here to run the process
  struct file *ofile[NOFILE];   // open files
  struct inode *cwd;            // current directory
  char name[PROC_NAME_LEN];     // for debugging (Ctrl-P)
  struct cowstat cow_self;      // copy-on-write events of this process
  struct cowstat cow_children;  // ... and of the children it has reaped
  int fork_order;               // who runs first after its fork (forkorder.h)
  uint64 ahead_next;   // COW-LAB BEYOND: copy-ahead's window: where the next one starts
  uint64 ahead_pages;  // COW-LAB BEYOND: ... and the last one's pages (0: none)

  // set by vfork() before the process first runs, cleared only by the
  // process itself; the parent reads it under vfork_lock (proc/vfork.c)
  struct proc *lender;  // a vfork child: whose memory it runs on, else 0
};

// The process table, and the first process (set once by userinit()).
extern struct proc proc[NPROC];
extern struct proc *initproc;

// The process running on this hart, or 0 in the scheduler.
struct proc *myproc(void);
// init must outlive every other process: the kernel never kills it.
int is_init(struct proc *p);
// Marks p killed: it exits the next time it heads for user space.
void setkilled(struct proc *p);
int killed(struct proc *p);
// Lists the processes on the console (Ctrl-P), taking no locks.
void procdump(void);
// p's user page table, or 0 if p has none or an earlier slot of the process
// table has the same one (a vfork child runs on its parent's): a loop over
// the table meets each page table once.  Takes no locks: exact while
// nothing changes (the audit stops the world), a snapshot otherwise.
pagetable_t distinct_pagetable(struct proc *p);

#endif
