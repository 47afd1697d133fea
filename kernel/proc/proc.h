// Processes and CPUs.
//
// Lock rules (see proc.c for the details):
//  - p->lock guards p->state, p->chan, p->killed, p->xstate and p->pid.
//  - wait_lock (in proc.c) guards every p->parent; take it before any p->lock.
//  - Everything under "private" is touched only by the process itself, or by
//    its parent/creator while the process cannot run.
#ifndef KERNEL_PROC_PROC_H
#define KERNEL_PROC_PROC_H

#include "types.h"
#include "param.h"
#include "riscv.h"
#include "lib/spinlock.h"
#include "cowstat.h"

// Callee-saved registers kept across swtch(): a kernel thread's context.
struct context {
  uint64 ra;
  uint64 sp;
  uint64 s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11;
};

// Per-hart state.
struct cpu {
  struct proc *proc;       // running on this hart, or 0
  struct context context;  // the scheduler loop's context; swtch() here to schedule
  int noff;                // depth of push_off() nesting
  int intena;              // were interrupts on before the first push_off()?
};

extern struct cpu cpus[NCPU];

// The page at TRAPFRAME in each user address space.  trampoline.S saves all
// user registers here on a trap and restores them on the way back; the first
// five fields tell the trampoline where the kernel is.  The offsets are
// written out in trampoline.S: change both together.
struct trapframe {
  /*   0 */ uint64 kernel_satp;   // kernel page table
  /*   8 */ uint64 kernel_sp;     // top of this process's kernel stack
  /*  16 */ uint64 kernel_trap;   // usertrap()
  /*  24 */ uint64 epc;           // user pc
  /*  32 */ uint64 kernel_hartid; // tp while in the kernel
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
  void *chan;                  // what a SLEEPING process waits for
  int killed;                  // set by kill(); the process exits at the next chance
  int xstate;                  // exit status, for the parent's wait()
  int pid;

  // guarded by wait_lock
  struct proc *parent;

  // private to the process; once it is a ZOMBIE, its parent's wait()
  // frees them
  uint64 kstack;               // virtual address of its kernel stack
  uint64 sz;                   // bytes of user memory, from address 0
  pagetable_t pagetable;       // user page table
  struct trapframe *trapframe; // kernel address of the TRAPFRAME page
  struct context context;      // swtch() here to run the process
  struct file *ofile[NOFILE];  // open files
  struct inode *cwd;           // current directory
  char name[PROC_NAME_LEN];    // for debugging (Ctrl-P)
  struct cowstat cow_self;     // copy-on-write events of this process
  struct cowstat cow_children; // ... and of the children it has reaped
};

// proc.c: the process table and the process life cycle.
void procinit(void);
void userinit(void);
int cpuid(void);
struct cpu *mycpu(void);
struct proc *myproc(void);
int fork(void);
void exit(int status) __attribute__((noreturn));
int wait(uint64 status_addr);
int kill(int pid);
int is_init(struct proc *p);
void setkilled(struct proc *p);
int killed(struct proc *p);
int growproc(int n);
pagetable_t proc_pagetable(struct proc *p);
void proc_freepagetable(pagetable_t pagetable, uint64 sz);
void proc_mapstacks(pagetable_t kpgtbl);
void procdump(void);

// sched.c: running, yielding, sleeping and waking.
void scheduler(void) __attribute__((noreturn));
void sched(void);
void yield(void);
void sleep(void *chan, struct spinlock *lk);
void wakeup(void *chan);

// swtch.S: save the current callee-saved registers in old, load new.
void swtch(struct context *old, struct context *new);

// exec.c
int exec(char *path, char **argv);

#endif
