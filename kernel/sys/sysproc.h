// System calls about processes and time (handlers in sysproc.c).
#ifndef KERNEL_SYS_SYSPROC_H
#define KERNEL_SYS_SYSPROC_H

#include "types.h"

uint64 sys_fork(void);
uint64 sys_exit(void);
uint64 sys_wait(void);
uint64 sys_kill(void);
uint64 sys_getpid(void);
uint64 sys_sbrk(void);
uint64 sys_sleep(void);
uint64 sys_uptime(void);
uint64 sys_cowstat(void);
uint64 sys_pageinfo(void);
uint64 sys_vfork(void);
uint64 sys_forkorder(void);
uint64 sys_covblocks(void);

#endif
