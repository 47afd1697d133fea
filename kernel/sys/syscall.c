// System call dispatch.  User code puts the call number in a7 and up to six
// arguments in a0..a5, then runs ecall; usertrap() calls syscall(), which
// runs the handler and puts its result in the saved a0.
//
// Arguments are fetched raw from the trap frame; handlers must check any
// pointer through copyin/copyout (as fetchaddr/fetchstr do), never use it.
#include "types.h"
#include "param.h"
#include "syscall.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/usercopy.h"
#include "proc/proc.h"
#include "sys/sysproc.h"
#include "sys/sysfile.h"
#include "sys/sysargs.h"
#include "sys/audit.h"

#define NELEM(a)         (sizeof(a) / sizeof((a)[0]))
#define MAX_SYSCALL_ARGS 6

static uint64 (*const handlers[])(void) = {
  [SYS_fork] = sys_fork,           [SYS_exit] = sys_exit,
  [SYS_wait] = sys_wait,           [SYS_pipe] = sys_pipe,
  [SYS_read] = sys_read,           [SYS_kill] = sys_kill,
  [SYS_exec] = sys_exec,           [SYS_fstat] = sys_fstat,
  [SYS_chdir] = sys_chdir,         [SYS_dup] = sys_dup,
  [SYS_getpid] = sys_getpid,       [SYS_sbrk] = sys_sbrk,
  [SYS_sleep] = sys_sleep,         [SYS_uptime] = sys_uptime,
  [SYS_open] = sys_open,           [SYS_write] = sys_write,
  [SYS_mknod] = sys_mknod,         [SYS_unlink] = sys_unlink,
  [SYS_link] = sys_link,           [SYS_mkdir] = sys_mkdir,
  [SYS_close] = sys_close,         [SYS_cowstat] = sys_cowstat,
  [SYS_audit] = sys_audit,         [SYS_pageinfo] = sys_pageinfo,
  [SYS_vfork] = sys_vfork,         [SYS_forkorder] = sys_forkorder,
  [SYS_covblocks] = sys_covblocks,
};

void syscall(void) {
  struct proc *p = myproc();
  uint64 num = p->trapframe->a7;
  if (num < NELEM(handlers) && handlers[num]) {
    p->trapframe->a0 = handlers[num]();
  } else {
    printf("pid %d %s: unknown system call %ld\n", p->pid, p->name, num);
    p->trapframe->a0 = -1;
  }
}

// a0..a5 sit next to each other in struct trapframe.
static uint64 argraw(int n) {
  if (n < 0 || n >= MAX_SYSCALL_ARGS)
    panic("argraw: no such argument register");
  return (&myproc()->trapframe->a0)[n];
}

void argint(int n, int *ip) {
  *ip = argraw(n);
}

void argaddr(int n, uint64 *ip) {
  *ip = argraw(n);
}

int argstr(int n, char *buf, int max) {
  uint64 addr;
  argaddr(n, &addr);
  return fetchstr(addr, buf, max);
}

int fetchaddr(uint64 addr, uint64 *ip) {
  return copyin(myproc()->pagetable, ip, addr, sizeof(*ip));
}

int fetchstr(uint64 addr, char *buf, int max) {
  if (copyinstr(myproc()->pagetable, buf, addr, max) < 0)
    return -1;
  return strlen(buf);
}
