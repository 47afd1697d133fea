// Moving bytes between kernel memory and a user address space.  Every
// function checks the user addresses and returns -1 (having copied nothing
// useful) when any byte is not mapped with the needed user permission.
#ifndef KERNEL_MM_USERCOPY_H
#define KERNEL_MM_USERCOPY_H

#include "types.h"
#include "riscv.h"

int copyout(pagetable_t pagetable, uint64 dstva, const void *src, uint64 len);
int copyin(pagetable_t pagetable, void *dst, uint64 srcva, uint64 len);
// Copies a NUL-terminated string of at most max bytes (NUL included).
int copyinstr(pagetable_t pagetable, char *dst, uint64 srcva, uint64 max);

// For code that serves both kernel and user buffers (console, pipes, files):
// when user is true, addr is a user virtual address in the current process;
// otherwise it is a kernel address.
int either_copyout(int user_dst, uint64 dst, const void *src, uint64 len);
int either_copyin(void *dst, int user_src, uint64 src, uint64 len);

#endif
