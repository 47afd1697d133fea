// abicheck: a program written the way programs for the public xv6-riscv labs
// are written (their include order, their macros, exit(0) at the end), to
// show that such programs compile here unchanged and see the same
// interface.  It names every item that docs/abi.md lists: a header that
// drops one stops this program from compiling (so `make test` fails at the
// build), and a wrong value or prototype is reported at run time or by the
// compiler (the prototypes are checked as typed function pointers).
// Prints "abicheck: ok" or what differs.

#include "kernel/types.h"
#include "kernel/stat.h"
#include "user/user.h"
#include "kernel/fcntl.h"
#include "kernel/param.h"
#include "kernel/fs.h"
#include "kernel/riscv.h"
#include "kernel/memlayout.h"
#include "kernel/syscall.h"

#define OFFSET_OF(type, field) ((uint64) & ((type *)0)->field)

int failures = 0;

void expect(char *what, uint64 got, uint64 want) {
  if (got != want) {
    printf("abicheck: %s is %lu, expected %lu\n", what, got, want);
    failures++;
  }
}

void check_types(void) {
  expect("sizeof(uchar)", sizeof(uchar), 1);
  expect("sizeof(uint8)", sizeof(uint8), 1);
  expect("sizeof(ushort)", sizeof(ushort), 2);
  expect("sizeof(uint16)", sizeof(uint16), 2);
  expect("sizeof(uint)", sizeof(uint), 4);
  expect("sizeof(uint32)", sizeof(uint32), 4);
  expect("sizeof(uint64)", sizeof(uint64), 8);
  expect("sizeof(pde_t)", sizeof(pde_t), 8);
}

void check_param(void) {
  expect("NPROC", NPROC, 64);
  expect("NCPU", NCPU, 8);
  expect("NOFILE", NOFILE, 16);
  expect("NFILE", NFILE, 100);
  expect("NINODE", NINODE, 50);
  expect("NDEV", NDEV, 10);
  expect("ROOTDEV", ROOTDEV, 1);
  expect("MAXARG", MAXARG, 32);
  expect("MAXOPBLOCKS", MAXOPBLOCKS, 10);
  expect("LOGSIZE >= MAXOPBLOCKS", LOGSIZE >= MAXOPBLOCKS, 1);
  expect("NBUF >= MAXOPBLOCKS", NBUF >= MAXOPBLOCKS, 1);
  expect("FSSIZE", FSSIZE, 2000);
  expect("MAXPATH", MAXPATH, 128);
  expect("USERSTACK", USERSTACK, 1);
}

void check_stat_and_fcntl(void) {
  expect("T_DIR", T_DIR, 1);
  expect("T_FILE", T_FILE, 2);
  expect("T_DEVICE", T_DEVICE, 3);
  expect("offset of stat.dev", OFFSET_OF(struct stat, dev), 0);
  expect("offset of stat.ino", OFFSET_OF(struct stat, ino), 4);
  expect("offset of stat.type", OFFSET_OF(struct stat, type), 8);
  expect("offset of stat.nlink", OFFSET_OF(struct stat, nlink), 10);
  expect("offset of stat.size", OFFSET_OF(struct stat, size), 16);
  expect("O_RDONLY", O_RDONLY, 0x000);
  expect("O_WRONLY", O_WRONLY, 0x001);
  expect("O_RDWR", O_RDWR, 0x002);
  expect("O_CREATE", O_CREATE, 0x200);
  expect("O_TRUNC", O_TRUNC, 0x400);
}

void check_fs(void) {
  struct superblock sb;

  expect("ROOTINO", ROOTINO, 1);
  expect("BSIZE", BSIZE, 1024);
  expect("FSMAGIC", FSMAGIC, 0x10203040);
  expect("NDIRECT", NDIRECT, 12);
  expect("NINDIRECT", NINDIRECT, BSIZE / 4);
  expect("MAXFILE", MAXFILE, 12 + 256);
  expect("DIRSIZ", DIRSIZ, 14);
  expect("sizeof(struct superblock)", sizeof(struct superblock), 8 * 4);
  expect("offset of superblock.bmapstart", OFFSET_OF(struct superblock, bmapstart),
         7 * 4);
  expect("offset of superblock.nblocks", OFFSET_OF(struct superblock, nblocks), 2 * 4);
  expect("offset of superblock.ninodes", OFFSET_OF(struct superblock, ninodes), 3 * 4);
  expect("offset of superblock.nlog", OFFSET_OF(struct superblock, nlog), 4 * 4);
  expect("offset of superblock.logstart", OFFSET_OF(struct superblock, logstart), 5 * 4);
  expect("offset of superblock.inodestart", OFFSET_OF(struct superblock, inodestart),
         6 * 4);
  expect("offset of superblock.size", OFFSET_OF(struct superblock, size), 4);
  expect("offset of superblock.magic", OFFSET_OF(struct superblock, magic), 0);
  expect("sizeof(struct dinode)", sizeof(struct dinode), 64);
  expect("offset of dinode.major", OFFSET_OF(struct dinode, major), 2);
  expect("offset of dinode.minor", OFFSET_OF(struct dinode, minor), 4);
  expect("offset of dinode.nlink", OFFSET_OF(struct dinode, nlink), 6);
  expect("offset of dinode.size", OFFSET_OF(struct dinode, size), 8);
  expect("offset of dinode.addrs", OFFSET_OF(struct dinode, addrs), 12);
  expect("dinode.type is a short", sizeof(((struct dinode *)0)->type), 2);
  expect("sizeof(struct dirent)", sizeof(struct dirent), 16);
  expect("offset of dirent.name", OFFSET_OF(struct dirent, name), 2);
  expect("dirent.inum is a ushort", sizeof(((struct dirent *)0)->inum), 2);
  expect("IPB", IPB, BSIZE / 64);
  expect("BPB", BPB, BSIZE * 8);
  sb.inodestart = 32;
  sb.bmapstart = 45;
  expect("IBLOCK(17, sb)", IBLOCK(17, sb), 32 + 17 / IPB);
  expect("BBLOCK(9000, sb)", BBLOCK(9000, sb), 45 + 1);
}

void check_memlayout_and_riscv(void) {
  char local = 0;

  expect("KERNBASE", KERNBASE, 0x80000000L);
  expect("PHYSTOP", PHYSTOP, 0x80000000L + 128 * 1024 * 1024);
  expect("TRAMPOLINE", TRAMPOLINE, MAXVA - PGSIZE);
  expect("TRAPFRAME", TRAPFRAME, TRAMPOLINE - PGSIZE);
  expect("UART0", UART0, 0x10000000L);
  expect("UART0_IRQ", UART0_IRQ, 10);
  expect("VIRTIO0", VIRTIO0, 0x10001000L);
  expect("VIRTIO0_IRQ", VIRTIO0_IRQ, 1);
  expect("PLIC", PLIC, 0x0c000000L);
  expect("PGSIZE", PGSIZE, 4096);
  expect("PGSHIFT", PGSHIFT, 12);
  expect("PGROUNDUP(1)", PGROUNDUP(1), 4096);
  expect("PGROUNDDOWN(4097)", PGROUNDDOWN(4097), 4096);
  expect("PTE_V", PTE_V, 1 << 0);
  expect("PTE_R", PTE_R, 1 << 1);
  expect("PTE_W", PTE_W, 1 << 2);
  expect("PTE_X", PTE_X, 1 << 3);
  expect("PTE_U", PTE_U, 1 << 4);
  expect("PA2PTE(0x80001000)", PA2PTE(0x80001000L), 0x80001000L >> 2);
  expect("PTE2PA(PA2PTE(pa) | PTE_V)", PTE2PA(PA2PTE(0x80001000L) | PTE_V), 0x80001000L);
  expect("PTE_FLAGS", PTE_FLAGS(PA2PTE(0x80001000L) | PTE_V | PTE_U), PTE_V | PTE_U);
  expect("PX(1, 0x200000)", PX(1, 0x200000), 1);
  expect("MAXVA", MAXVA, 1L << 38);
  // The stack pointer is in this function's frame, on the one stack page.
  uint64 sp = r_sp();
  expect("r_sp() <= a local's address", sp <= (uint64)&local, 1);
  expect("r_sp()'s page", PGROUNDDOWN(sp), PGROUNDDOWN((uint64)&local));
}

void check_syscall_numbers(void) {
  struct {
    char *name;
    int number;
  } calls[] = {
    { "SYS_fork", SYS_fork },     { "SYS_exit", SYS_exit },
    { "SYS_wait", SYS_wait },     { "SYS_pipe", SYS_pipe },
    { "SYS_read", SYS_read },     { "SYS_kill", SYS_kill },
    { "SYS_exec", SYS_exec },     { "SYS_fstat", SYS_fstat },
    { "SYS_chdir", SYS_chdir },   { "SYS_dup", SYS_dup },
    { "SYS_getpid", SYS_getpid }, { "SYS_sbrk", SYS_sbrk },
    { "SYS_sleep", SYS_sleep },   { "SYS_uptime", SYS_uptime },
    { "SYS_open", SYS_open },     { "SYS_write", SYS_write },
    { "SYS_mknod", SYS_mknod },   { "SYS_unlink", SYS_unlink },
    { "SYS_link", SYS_link },     { "SYS_mkdir", SYS_mkdir },
    { "SYS_close", SYS_close },
  };
  // docs/abi.md numbers them 1 to 21 in this order.
  for (int i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
    expect(calls[i].name, calls[i].number, i + 1);
}

// Each prototype, as a function pointer of the type docs/abi.md gives: a
// prototype that differs is a compile error under -Werror.
void check_prototypes(void) {
  int (*fork_)(void) = fork;
  int (*exit_)(int) = exit;
  int (*wait_)(int *) = wait;
  int (*pipe_)(int *) = pipe;
  int (*read_)(int, void *, int) = read;
  int (*kill_)(int) = kill;
  int (*exec_)(const char *, char **) = exec;
  int (*fstat_)(int, struct stat *) = fstat;
  int (*chdir_)(const char *) = chdir;
  int (*dup_)(int) = dup;
  int (*getpid_)(void) = getpid;
  char *(*sbrk_)(int) = sbrk;
  int (*sleep_)(int) = sleep;
  int (*uptime_)(void) = uptime;
  int (*open_)(const char *, int) = open;
  int (*write_)(int, const void *, int) = write;
  int (*mknod_)(const char *, short, short) = mknod;
  int (*unlink_)(const char *) = unlink;
  int (*link_)(const char *, const char *) = link;
  int (*mkdir_)(const char *) = mkdir;
  int (*close_)(int) = close;
  int (*stat_)(const char *, struct stat *) = stat;
  char *(*strcpy_)(char *, const char *) = strcpy;
  void *(*memmove_)(void *, const void *, int) = memmove;
  char *(*strchr_)(const char *, char) = strchr;
  int (*strcmp_)(const char *, const char *) = strcmp;
  void (*fprintf_)(int, const char *, ...) = fprintf;
  void (*printf_)(const char *, ...) = printf;
  char *(*gets_)(char *, int) = gets;
  uint (*strlen_)(const char *) = strlen;
  void *(*memset_)(void *, int, uint) = memset;
  int (*atoi_)(const char *) = atoi;
  int (*memcmp_)(const void *, const void *, uint) = memcmp;
  void *(*memcpy_)(void *, const void *, uint) = memcpy;
  void *(*malloc_)(uint) = malloc;
  void (*free_)(void *) = free;
  void *all[] = {
    fork_,   exit_,   wait_,   pipe_,   read_,   kill_,    exec_,   fstat_,  chdir_,
    dup_,    getpid_, sbrk_,   sleep_,  uptime_, open_,    write_,  mknod_,  unlink_,
    link_,   mkdir_,  close_,  stat_,   strcpy_, memmove_, strchr_, strcmp_, fprintf_,
    printf_, gets_,   strlen_, memset_, atoi_,   memcmp_,  memcpy_, malloc_, free_,
  };
  for (int i = 0; i < sizeof(all) / sizeof(all[0]); i++)
    expect("a library function's address", all[i] != 0, 1);
}

void check_library(void) {
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
  expect("stat(\"/console\")", stat("/console", &st), 0);
  expect("console type", st.type, T_DEVICE);
}

void check_processes(void) {
  int fds[2];
  char c;
  int status;

  if (pipe(fds) < 0) {
    printf("abicheck: pipe failed\n");
    exit(1);
  }
  int pid = fork();
  if (pid == 0) {
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

int main(int argc, char *argv[]) {
  check_types();
  check_param();
  check_stat_and_fcntl();
  check_fs();
  check_memlayout_and_riscv();
  check_syscall_numbers();
  check_prototypes();
  check_library();
  check_processes();
  if (failures == 0)
    printf("abicheck: ok\n");
  exit(failures == 0 ? 0 : 1);
}
