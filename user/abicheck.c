// abicheck: a program written the way programs for the public xv6-riscv labs
// are written (their include order, their macros, exit(0) at the end), to
// show that such programs compile here unchanged and see the same
// interface.  It checks the numbers of ../shared/abi.md at run time and uses
// each library function once.  Prints "abicheck: ok" or what differs.

#include "kernel/types.h"
#include "kernel/stat.h"
#include "user/user.h"
#include "kernel/fcntl.h"
#include "kernel/param.h"
#include "kernel/fs.h"
#include "kernel/riscv.h"
#include "kernel/memlayout.h"
#include "kernel/syscall.h"

int failures = 0;

void
expect(char *what, uint64 got, uint64 want)
{
  if(got != want){
    printf("abicheck: %s is %lu, expected %lu\n", what, got, want);
    failures++;
  }
}

void
check_constants(void)
{
  expect("NPROC", NPROC, 64);
  expect("NOFILE", NOFILE, 16);
  expect("MAXARG", MAXARG, 32);
  expect("MAXPATH", MAXPATH, 128);
  expect("FSSIZE", FSSIZE, 2000);
  expect("BSIZE", BSIZE, 1024);
  expect("DIRSIZ", DIRSIZ, 14);
  expect("sizeof(struct dirent)", sizeof(struct dirent), 16);
  expect("sizeof(struct dinode)", sizeof(struct dinode), 64);
  expect("MAXFILE", MAXFILE, 12 + 256);
  expect("O_CREATE", O_CREATE, 0x200);
  expect("O_TRUNC", O_TRUNC, 0x400);
  expect("T_DEVICE", T_DEVICE, 3);
  expect("PGSIZE", PGSIZE, 4096);
  expect("PGROUNDUP(1)", PGROUNDUP(1), 4096);
  expect("MAXVA", MAXVA, 1L << 38);
  expect("TRAMPOLINE", TRAMPOLINE, (1L << 38) - 4096);
  expect("TRAPFRAME", TRAPFRAME, (1L << 38) - 2 * 4096);
  expect("KERNBASE", KERNBASE, 0x80000000L);
  expect("PHYSTOP", PHYSTOP, 0x80000000L + 128 * 1024 * 1024);
  expect("PX(1, 0x200000)", PX(1, 0x200000), 1);
  expect("PTE_U", PTE_U, 1 << 4);
  expect("SYS_fork", SYS_fork, 1);
  expect("SYS_close", SYS_close, 21);
}

void
check_library(void)
{
  char buf[32];
  struct stat st;

  strcpy(buf, "hello");
  expect("strlen", strlen(buf), 5);
  expect("strcmp", strcmp(buf, "hello") == 0, 1);
  expect("strchr", strchr(buf, 'l') - buf, 2);
  expect("atoi", atoi("1234"), 1234);
  memset(buf, 'x', 3);
  expect("memset", memcmp(buf, "xxxlo", 5) == 0, 1);
  memmove(buf, "ab", 2);
  memcpy(buf + 2, "cd", 2);
  expect("memmove/memcpy", memcmp(buf, "abcdo", 5) == 0, 1);
  char *p = malloc(100);
  expect("malloc", p != 0, 1);
  free(p);
  expect("stat(\"/README\")", stat("/README", &st), 0);
  expect("README type", st.type, T_FILE);
}

void
check_processes(void)
{
  int fds[2];
  char c;
  int status;

  if(pipe(fds) < 0){
    printf("abicheck: pipe failed\n");
    exit(1);
  }
  int pid = fork();
  if(pid == 0){
    write(fds[1], "k", 1);
    exit(7);
  }
  close(fds[1]);
  expect("read from child", read(fds[0], &c, 1), 1);
  expect("child's byte", c, 'k');
  expect("wait pid", wait(&status), pid);
  expect("exit status", status, 7);
  close(fds[0]);
}

int
main(int argc, char *argv[])
{
  check_constants();
  check_library();
  check_processes();
  if(failures == 0)
    printf("abicheck: ok\n");
  exit(failures == 0 ? 0 : 1);
}
