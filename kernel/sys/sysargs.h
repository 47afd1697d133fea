// System call dispatch and argument fetching.  (Not "syscall.h": that name
// is the ABI header kernel/syscall.h, which holds the numbers.)
#ifndef KERNEL_SYS_SYSARGS_H
#define KERNEL_SYS_SYSARGS_H

#include "types.h"

void syscall(void);

// The nth (0..5) argument register of the current system call.
void argint(int n, int *ip);
void argaddr(int n, uint64 *ip);
// Copies the nth argument, a user string, into buf; returns its length or -1.
int argstr(int n, char *buf, int max);
// Reads a uint64 or a string from the current process's memory; -1 on error.
int fetchaddr(uint64 addr, uint64 *ip);
int fetchstr(uint64 addr, char *buf, int max);

#endif
