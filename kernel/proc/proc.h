// The life of a process: creation (userinit, fork), growth, exec, death
// (exit), reaping (wait) and kill.  struct proc and the process table are
// sched/process.h's.
#ifndef KERNEL_PROC_PROC_H
#define KERNEL_PROC_PROC_H

#include "types.h"
#include "riscv.h"
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
// Maps every process slot's kernel stack into the kernel page table (boot).
void proc_mapstacks(pagetable_t kpgtbl);

// exec.c
int exec(char *path, char **argv);

#endif
