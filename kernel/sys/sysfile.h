// The file-system system calls.  Each takes its arguments from the calling
// process's trap frame (sys/sysargs.h) and returns the value for a0: the
// result, or -1 on any error, including a bad user pointer.
#ifndef KERNEL_SYS_SYSFILE_H
#define KERNEL_SYS_SYSFILE_H

#include "types.h"

uint64 sys_dup(void);
uint64 sys_read(void);
uint64 sys_write(void);
uint64 sys_close(void);
uint64 sys_fstat(void);
uint64 sys_link(void);
uint64 sys_unlink(void);
uint64 sys_open(void);
uint64 sys_mkdir(void);
uint64 sys_mknod(void);
uint64 sys_chdir(void);
uint64 sys_exec(void);
uint64 sys_pipe(void);

#endif
