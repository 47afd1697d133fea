// System call numbers.  user/lib/gen_usys.py writes the user stubs from
// this file, so a new call needs only a line here, a handler in
// kernel/sys/syscall.c's table and a prototype in user/user.h.
#ifndef XV6_SYSCALL_H
#define XV6_SYSCALL_H

#define SYS_fork   1
#define SYS_exit   2
#define SYS_wait   3
#define SYS_pipe   4
#define SYS_read   5
#define SYS_kill   6
#define SYS_exec   7
#define SYS_fstat  8
#define SYS_chdir  9
#define SYS_dup    10
#define SYS_getpid 11
#define SYS_sbrk   12
#define SYS_sleep  13
#define SYS_uptime 14
#define SYS_open   15
#define SYS_write  16
#define SYS_mknod  17
#define SYS_unlink 18
#define SYS_link   19
#define SYS_mkdir  20
#define SYS_close  21

// Project extensions (documented in README).
#define SYS_cowstat   22
#define SYS_audit     23
#define SYS_pageinfo  24
#define SYS_vfork     25
#define SYS_forkorder 26
#define SYS_covblocks 27

#endif
