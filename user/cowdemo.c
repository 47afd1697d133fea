// cowdemo: watch a page being shared, copied and reused.
//
//   cowdemo data    fork; the child changes a global, the parent does not see it
//   cowdemo exec    fork; the child execs, and the parent gets its page back
//   cowdemo vfork   vfork; the child changes a global, the parent sees it
//   cowdemo grandchild
//                   fork; the child forks again: three page tables map a page
//
// At each step a process prints what it sees (the value) and what the
// kernel did: the physical page behind the value, its PTE flags, whether
// it is copy-on-write and how many page tables share it (pageinfo()), and
// which copy-on-write counters (cowstat()) a store changed.  Parent and
// child take turns through pipes and wait(), so the output is the same
// however the processes are scheduled.  test/cowdemo_tests.py parses it.
#include "kernel/types.h"
#include "kernel/riscv.h"
#include "kernel/cowstat.h"
#include "kernel/pageinfo.h"
#include "user/user.h"

// The classic demonstration's global, alone on its page so that only the
// stores below ever touch that page.
static struct {
  int data;
  char rest_of_page[PGSIZE - sizeof(int)];
} page __attribute__((aligned(PGSIZE))) = { .data = 10 };

static void die(const char *why) {
  fprintf(2, "cowdemo: %s\n", why);
  exit(1);
}

// "rw-u": the PTE's R, W, X and U bits, '-' for each one clear.
static void flag_letters(uint64 flags, char *out) {
  out[0] = (flags & PTE_R) ? 'r' : '-';
  out[1] = (flags & PTE_W) ? 'w' : '-';
  out[2] = (flags & PTE_X) ? 'x' : '-';
  out[3] = (flags & PTE_U) ? 'u' : '-';
  out[4] = 0;
}

// One line: who, at which step, sees what value in the page at va, and
// what the kernel says about that page.
static void show(const char *who, const char *step, const char *name, volatile int *va) {
  struct pageinfo info;
  if (pageinfo((uint64)va, &info) < 0)
    die("pageinfo failed");
  char flags[5];
  flag_letters(info.flags, flags);
  printf("%s: %s: %s=%d pa=%p flags=%s cow=%d count=%d\n", who, step, name, *va,
         (void *)info.pa, flags, info.cow, info.refcount);
}

static void self_counters(struct cowstat *st) {
  if (cowstat(COWSTAT_SELF, st) < 0)
    die("cowstat failed");
}

static void print_change(const char *name, uint64 before, uint64 after) {
  if (after != before)
    printf(" %s+%d", name, (int)(after - before));
}

// Stores value at va and prints which copy-on-write counters of this
// process the store alone changed.
static void counted_store(const char *who, const char *name, volatile int *va,
                          int value) {
  struct cowstat before, after;
  self_counters(&before);  // the first call may break a COW share of our stack...
  self_counters(&before);  // ...so count from the second
  *va = value;
  self_counters(&after);
  printf("%s: store %s=%d: kernel counted", who, name, value);
  if (after.cow_faults == before.cow_faults)
    printf(" nothing (no copy-on-write fault)");
  print_change("cow_faults", before.cow_faults, after.cow_faults);
  print_change("pages_copied", before.pages_copied, after.pages_copied);
  print_change("pages_reused", before.pages_reused, after.pages_reused);
  print_change("out_of_memory", before.out_of_memory, after.out_of_memory);
  printf("\n");
}

// Turns between the two processes: one end of a pipe each way.
static void pass_turn(int fd) {
  if (write(fd, "x", 1) != 1)
    die("pipe write failed");
}

static void await_turn(int fd) {
  char c;
  if (read(fd, &c, 1) != 1)
    die("pipe read failed");
}

static int fork_or_die(void) {
  int pid = fork();
  if (pid < 0)
    die("fork failed");
  return pid;
}

static void reap(void) {
  int status;
  if (wait(&status) < 0 || status != 0)
    die("the child failed");
}

// fork; the child stores 20 into data, and gets its own copy of the page;
// the parent still sees 10, on its old page, and later reuses that page.
static void demo_data(void) {
  volatile int *data = &page.data;
  int turn[2];
  if (pipe(turn) < 0)
    die("pipe failed");
  show("parent", "before fork", "data", data);
  if (fork_or_die() == 0) {
    await_turn(turn[0]);
    show("child", "after fork", "data", data);
    counted_store("child", "data", data, 20);
    show("child", "after its store", "data", data);
    exit(0);
  }
  show("parent", "after fork", "data", data);
  pass_turn(turn[1]);
  reap();
  show("parent", "after the child's store and exit", "data", data);
  counted_store("parent", "data", data, 30);
  show("parent", "after its own store", "data", data);
}

// The child's side of `cowdemo exec`, as the program it execs:
// `cowdemo exec-child FD` tells the parent on FD that the exec happened.
static void exec_child(char *fd_arg) {
  printf("child: after exec: a new program, with new memory; the old page is not mapped "
         "here\n");
  pass_turn(atoi(fd_arg));
}

// fork; the child execs at once; the parent, now the page's only owner,
// writes it without a copy.
static void demo_exec(void) {
  char *p = sbrk(PGSIZE);
  if (p == (char *)-1)
    die("sbrk failed");
  volatile int *value = (volatile int *)p;
  *value = 10;
  int turn[2], done[2];
  if (pipe(turn) < 0 || pipe(done) < 0)
    die("pipe failed");
  show("parent", "before fork", "*p", value);
  if (fork_or_die() == 0) {
    await_turn(turn[0]);
    show("child", "after fork, before exec", "*p", value);
    if (done[1] > 9)
      die("expected a one-digit file descriptor");
    char fd_arg[2] = { '0' + done[1], 0 };
    char *argv[] = { "cowdemo", "exec-child", fd_arg, 0 };
    exec(argv[0], argv);
    die("exec cowdemo failed");
  }
  show("parent", "after fork", "*p", value);
  pass_turn(turn[1]);
  await_turn(done[0]);
  show("parent", "after the child's exec", "*p", value);
  counted_store("parent", "*p", value, 30);
  show("parent", "after its store", "*p", value);
  reap();
}

// The vfork child: it runs on the parent's memory, so its store is the
// parent's.  It must not return: the stack it would return to is the parent's.
static void vfork_child(volatile int *data) {
  show("child", "after vfork", "data", data);
  counted_store("child", "data", data, 20);
  show("child", "after its store", "data", data);
  exit(0);
}

// A page in a part of the heap that nothing else touches: the first page
// of a LEAF_REGION of its own, the next page in the same region is mapped
// too.  (Under FORK=shared, fork shares the leaf page-table page that maps
// the region, and a process writing in the region gets a copy of it: see
// docs/lab-cow-challenge.md.)
#define LEAF_REGION ((PXMASK + 1) * PGSIZE)  // what one leaf page-table page maps

static volatile int *page_of_own_region(void) {
  uint64 end = (uint64)sbrk(0);
  uint64 start = (end + LEAF_REGION - 1) & ~((uint64)LEAF_REGION - 1);
  if (sbrk(start + 2 * PGSIZE - end) == (char *)-1)
    die("sbrk failed");
  return (volatile int *)start;
}

// Waits until every write end of the pipe whose read end is fd is closed.
static void await_close(int fd) {
  char c;
  while (read(fd, &c, 1) > 0)
    ;
}

// fork; the child writes the next page of the region (and gets its own
// copy of that page) and forks a grandchild: the page at p is then mapped
// by three page tables, as each of the three sees.  The grandchild stays
// until the parent, the last to look, closes hold.
static void demo_grandchild(void) {
  volatile int *p = page_of_own_region();
  volatile int *next = p + PGSIZE / sizeof(int);
  *p = 10;
  int to_child[2], to_parent[2], hold[2];
  if (pipe(to_child) < 0 || pipe(to_parent) < 0 || pipe(hold) < 0)
    die("pipe failed");
  show("parent", "before fork", "*p", p);
  if (fork_or_die() == 0) {
    close(hold[1]);
    await_turn(to_child[0]);
    show("child", "after fork", "*p", p);
    *next = 20;
    if (fork_or_die() == 0) {
      show("grandchild", "after fork", "*p", p);
      pass_turn(to_child[1]);
      await_close(hold[0]);
      exit(0);
    }
    await_turn(to_child[0]);
    show("child", "after its fork", "*p", p);
    pass_turn(to_parent[1]);
    reap();
    exit(0);
  }
  show("parent", "after fork", "*p", p);
  pass_turn(to_child[1]);
  await_turn(to_parent[0]);
  show("parent", "after the grandchild's fork", "*p", p);
  close(hold[1]);
  reap();
}

// vfork; the parent sleeps until the child exits, then sees its store.
static void demo_vfork(void) {
  volatile int *data = &page.data;
  show("parent", "before vfork", "data", data);
  int pid = vfork();
  if (pid < 0)
    die("vfork failed");
  if (pid == 0)
    vfork_child(data);
  show("parent", "after the child's exit", "data", data);
  reap();
}

int main(int argc, char *argv[]) {
  if (argc == 3 && strcmp(argv[1], "exec-child") == 0)
    exec_child(argv[2]);
  else if (argc == 2 && strcmp(argv[1], "data") == 0)
    demo_data();
  else if (argc == 2 && strcmp(argv[1], "exec") == 0)
    demo_exec();
  else if (argc == 2 && strcmp(argv[1], "vfork") == 0)
    demo_vfork();
  else if (argc == 2 && strcmp(argv[1], "grandchild") == 0)
    demo_grandchild();
  else
    die("usage: cowdemo data | exec | vfork | grandchild");
  return 0;
}
