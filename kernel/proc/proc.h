// The life of a process: creation (userinit, fork), growth, exec, death
// (exit), reaping (wait) and kill.  struct proc and the process table are
// sched/process.h's.
#ifndef KERNEL_PROC_PROC_H
#define KERNEL_PROC_PROC_H

#include "types.h"
#include "riscv.h"
#include "forkorder.h"
#include "sched/process.h"

// proc.c
void procinit(void);
void userinit(void);
int fork(void);
void exit(int status) __attribute__((noreturn));
int wait(uint64 status_addr);
int kill(int pid);
int growproc(int n);
pagetable_t proc_pagetable(struct proc *p);
void proc_freepagetable(pagetable_t pagetable);
// Frees an address space p is done with, or gives it back to its vfork
// parent (exit, and exec's old memory).
void proc_drop_memory(struct proc *p, pagetable_t pagetable, uint64 sz);

// Which process runs first after the calling process's forks
// (kernel/forkorder.h): fork_order() sets its FORK_CHILD_FIRST or
// FORK_PARENT_FIRST, any other value leaves it; returns the order before
// the call.  Its children start with the order it has when it forks them.
// The default, init's, was measured (docs/perf.md, "Child first or parent
// first").
#define FORK_ORDER_DEFAULT FORK_CHILD_FIRST
int fork_order(int order);

// The two halves of fork, shared with vfork.c.  allocproc() returns a new
// slot with p->lock held (or 0); start_child() gives it the rest of p and
// lets it run.
struct proc *allocproc(int with_pagetable);
int start_child(struct proc *p, struct proc *np);
// Maps every process slot's kernel stack into the kernel page table (boot).
void proc_mapstacks(pagetable_t kpgtbl);

// exec.c
int exec(char *path, char **argv);

#endif
