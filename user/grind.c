// grind: a seeded, random stress test of the system calls.
//
// NWORKERS processes each run a pseudo-random sequence of operations.  Most
// happen in the worker's private directory, whose contents only that worker
// changes, so it keeps a model of its files and checks every result against
// it.  The rest happen in one shared directory, where the workers race each
// other; there only sane results are checked (no crash, -1 or success).
// A worker that sees an impossible result prints it and exits 1; the main
// process then stops the other workers.  Everything created under TOPDIR
// is removed at the end, whatever happened.
//
// usage: grind [SEED [ITERATIONS]]   (ITERATIONS 0: run until a failure)

#include "kernel/types.h"
#include "kernel/stat.h"
#include "kernel/fcntl.h"
#include "kernel/memlayout.h"
#include "kernel/riscv.h"
#include "user/user.h"

#define DEFAULT_SEED       1
#define DEFAULT_ITERATIONS 200
#define NWORKERS           4

#define TOPDIR  "grind.d"
#define SHARED  "shared"     // directory all workers use, in TOPDIR
#define NSLOTS  4            // private files f0..f3 of a worker
#define NSHARED 6            // shared names s0..s5
#define ALIAS   "alias"      // second name for a private file
#define SUBDIR  "d"          // short-lived private directory
#define SUBFILE SUBDIR "/x"  // and the file in it

#define MAX_FILE_BYTES 3000  // size limit of one private file
#define MAX_CHUNK      700   // bytes per read() or write() at most
#define MAX_PIPE_BYTES 3000
#define MAX_SBRK_PAGES 8
#define EXIT_CODES     100
#define LONG_SLEEP     1000  // ticks; a child sleeping this long is killed first
#define KILLED         (-1)  // exit status of a killed process
#define PATH_MAX_LEN   64

// Who this process is, for messages.
static int seed;
static int worker_id;
static int iteration;

static uint64 rng_state;
static char buf[MAX_FILE_BYTES + MAX_CHUNK];

// What the worker knows about private file slot i: its length (-1 when
// absent) and the generation its bytes were written with.
static struct {
  int len;
  int gen;
} slots[NSLOTS];

static const char *const slot_names[NSLOTS] = { "f0", "f1", "f2", "f3" };
static const char *const shared_names[NSHARED] = {
  "../" SHARED "/s0", "../" SHARED "/s1", "../" SHARED "/s2",
  "../" SHARED "/s3", "../" SHARED "/s4", "../" SHARED "/s5",
};

// ---------------------------------------------------------------------------
// Randomness and reporting

// xorshift64: a fixed sequence for a fixed nonzero start.
static uint64 next_random(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

// A number in 0..n-1.
static int random_below(int n) {
  return next_random() % n;
}

static void seed_random(int s, int worker) {
  rng_state = (uint64)s * 0x9E3779B97F4A7C15UL + worker + 1;
  if (rng_state == 0)
    rng_state = 1;
}

// Every failure message starts by saying where the worker was.
#define WHERE "grind: seed %d worker %d iteration %d: "

// Fails unless lo <= got <= hi.
static void expect_range(const char *what, long lo, long hi, long got) {
  if (got >= lo && got <= hi)
    return;
  if (lo == hi)
    printf(WHERE "expected %s to be %ld, got %ld\n", seed, worker_id, iteration, what, lo,
           got);
  else
    printf(WHERE "expected %s to be in %ld..%ld, got %ld\n", seed, worker_id, iteration,
           what, lo, hi, got);
  exit(1);
}

static void expect(const char *what, long want, long got) {
  expect_range(what, want, want, got);
}

// For calls that may fail (-1) but must not return anything else.
static void expect_zero_or_minus_one(const char *what, long got) {
  expect_range(what, -1, 0, got);
}

static void expect_ok(const char *what, long got) {
  if (got < 0) {
    printf(WHERE "expected %s to succeed, got %ld\n", seed, worker_id, iteration, what,
           got);
    exit(1);
  }
}

// ---------------------------------------------------------------------------
// Private files and their model

static char content(int slot, int gen, int off) {
  return (slot * 61 + gen * 17 + off * 7 + off / 251) & 0xff;
}

// Fills p with n bytes of slot's content from offset off.
static void fill_content(char *p, int slot, int off, int n) {
  for (int i = 0; i < n; i++)
    p[i] = content(slot, slots[slot].gen, off + i);
}

// Reads fd from offset off to its end in random chunks; the bytes must be
// slot's content and end exactly at the slot's length.
static void verify_rest(int fd, int slot, int off) {
  int n;

  do {
    n = read(fd, buf, 1 + random_below(MAX_CHUNK));
    for (int i = 0; i < n; i++)
      expect("a byte read back from a private file",
             (uchar)content(slot, slots[slot].gen, off + i), (uchar)buf[i]);
    off += n > 0 ? n : 0;
  } while (n > 0);
  expect("read() at the end of a private file", 0, n);
  expect("the bytes in a private file", slots[slot].len, off);
}

// Opens slot's file, which the model says exists.
static int open_slot(int slot, int mode) {
  int fd = open(slot_names[slot], mode);
  expect_ok("open() of an existing private file", fd);
  return fd;
}

static void write_content(int fd, int slot, int off, int n) {
  fill_content(buf, slot, off, n);
  expect("write() to a private file", n, write(fd, buf, n));
}

static void op_rewrite(void) {
  int slot = random_below(NSLOTS);
  int n = random_below(MAX_FILE_BYTES + 1);
  int fd = open(slot_names[slot], O_CREATE | O_TRUNC | O_WRONLY);

  expect_ok("open(O_CREATE|O_TRUNC) of a private file", fd);
  slots[slot].gen++;
  slots[slot].len = n;
  write_content(fd, slot, 0, n);
  close(fd);
}

static void op_append(void) {
  int slot = random_below(NSLOTS);
  int n = random_below(MAX_CHUNK);

  if (slots[slot].len < 0)
    return;
  if (slots[slot].len + n > MAX_FILE_BYTES)
    n = MAX_FILE_BYTES - slots[slot].len;
  int fd = open_slot(slot, O_RDWR);
  verify_rest(fd, slot, 0);
  write_content(fd, slot, slots[slot].len, n);
  slots[slot].len += n;
  close(fd);
}

static void op_verify(void) {
  int slot = random_below(NSLOTS);
  struct stat st;

  if (slots[slot].len < 0) {
    expect("open() of a removed private file", -1, open(slot_names[slot], O_RDONLY));
    return;
  }
  int fd = open_slot(slot, O_RDONLY);
  expect("fstat() of a private file", 0, fstat(fd, &st));
  expect("a private file's type", T_FILE, st.type);
  expect("a private file's size", slots[slot].len, st.size);
  expect("a private file's link count", 1, st.nlink);
  verify_rest(fd, slot, 0);
  close(fd);
}

static void op_unlink(void) {
  int slot = random_below(NSLOTS);

  expect("unlink() of a private file", slots[slot].len < 0 ? -1 : 0,
         unlink(slot_names[slot]));
  slots[slot].len = -1;
}

// A second name reaches the same bytes and raises the link count.
static void op_link(void) {
  int slot = random_below(NSLOTS);
  struct stat st;

  if (slots[slot].len < 0) {
    expect("link() of a missing file", -1, link(slot_names[slot], ALIAS));
    return;
  }
  expect("link() of a private file", 0, link(slot_names[slot], ALIAS));
  expect("stat() of the new name", 0, stat(ALIAS, &st));
  expect("the link count of a linked file", 2, st.nlink);
  int fd = open(ALIAS, O_RDONLY);
  expect_ok("open() of the new name", fd);
  verify_rest(fd, slot, 0);
  close(fd);
  expect("unlink() of the new name", 0, unlink(ALIAS));
}

// The dup of a descriptor shares its offset: half the file through each.
static void op_dup(void) {
  int slot = random_below(NSLOTS);

  if (slots[slot].len < 0)
    return;
  int half = slots[slot].len / 2;
  int fd = open_slot(slot, O_RDONLY);
  int fd2 = dup(fd);
  expect_ok("dup()", fd2);
  expect("read() of the first half", half, read(fd, buf, half));
  for (int i = 0; i < half; i++)
    expect("a byte of the first half", (uchar)content(slot, slots[slot].gen, i),
           (uchar)buf[i]);
  verify_rest(fd2, slot, half);
  close(fd);
  close(fd2);
}

static void op_subdir(void) {
  expect("mkdir() of a private directory", 0, mkdir(SUBDIR));
  expect("chdir() into it", 0, chdir(SUBDIR));
  int fd = open("x", O_CREATE | O_WRONLY);
  expect_ok("open(O_CREATE) in it", fd);
  expect("write() in it", 1, write(fd, "x", 1));
  close(fd);
  expect("chdir(\"..\")", 0, chdir(".."));
  fd = open(SUBFILE, O_RDONLY);
  expect_ok("open() of the file through its path", fd);
  expect("read() of that file", 1, read(fd, buf, MAX_CHUNK));
  close(fd);
  expect("unlink() of a non-empty directory", -1, unlink(SUBDIR));
  expect("unlink() of the file in it", 0, unlink(SUBFILE));
  expect("unlink() of the emptied directory", 0, unlink(SUBDIR));
}

// ---------------------------------------------------------------------------
// Processes, pipes and memory

static int fork_or_die(void) {
  int pid = fork();
  expect_ok("fork()", pid);
  return pid;
}

static int wait_for(int pid) {
  int status;
  expect("wait()", pid, wait(&status));
  return status;
}

static void op_fork_exit(void) {
  int code = random_below(EXIT_CODES);
  int pid = fork_or_die();

  if (pid == 0)
    exit(code);
  expect("a child's exit status", code, wait_for(pid));
}

static void op_pipe(void) {
  int fds[2], n, got = 0;
  int total = random_below(MAX_PIPE_BYTES);

  expect("pipe()", 0, pipe(fds));
  int pid = fork_or_die();
  if (pid == 0) {
    close(fds[0]);
    for (int sent = 0; sent < total; sent += n) {
      n = 1 + random_below(MAX_CHUNK);
      if (n > total - sent)
        n = total - sent;
      for (int i = 0; i < n; i++)
        buf[i] = content(0, total, sent + i);
      expect("write() to a pipe", n, write(fds[1], buf, n));
    }
    exit(0);
  }
  close(fds[1]);
  while ((n = read(fds[0], buf, 1 + random_below(MAX_CHUNK))) > 0)
    for (int i = 0; i < n; i++, got++)
      expect("a byte through a pipe", (uchar)content(0, total, got), (uchar)buf[i]);
  close(fds[0]);
  expect("read() at the end of a pipe", 0, n);
  expect("the bytes through a pipe", total, got);
  expect("the pipe writer's exit status", 0, wait_for(pid));
}

static void op_sbrk(void) {
  int n = (1 + random_below(MAX_SBRK_PAGES)) * PGSIZE;
  char *old = sbrk(n);

  if (old == (char *)-1)
    return;  // memory is short just now; that is allowed
  for (int i = 0; i < n; i++)
    old[i] = content(1, n, i);
  for (int i = 0; i < n; i++)
    expect("a byte of grown memory", (uchar)content(1, n, i), (uchar)old[i]);
  expect("sbrk(-n)", (long)(old + n), (long)sbrk(-n));
  expect("the break after shrinking", (long)old, (long)sbrk(0));
}

static void op_exec_missing(void) {
  char *argv[] = { "grind-missing", 0 };
  expect("exec() of a missing program", -1, exec("grind-missing", argv));
}

// A child that sleeps or spins is killed and must report status -1.
static void op_kill_child(void) {
  int spin = random_below(2);
  int pid = fork_or_die();

  if (pid == 0) {
    if (spin)
      for (volatile int i = 0;; i++)
        ;
    sleep(LONG_SLEEP);
    exit(0);
  }
  if (random_below(2))
    sleep(1);
  expect("kill() of a child", 0, kill(pid));
  expect("a killed child's exit status", KILLED, wait_for(pid));
}

static void op_bad_pointer(void) {
  static const uint64 bad[] = { KERNBASE, MAXVA, TRAPFRAME, ~0UL };
  int fd = open(".", O_RDONLY);

  expect_ok("open(\".\")", fd);
  expect("read() into a bad address", -1,
         read(fd, (void *)bad[random_below(sizeof(bad) / sizeof(bad[0]))], MAX_CHUNK));
  close(fd);
}

// ---------------------------------------------------------------------------
// The shared directory: other workers may change anything at any moment.

static void op_shared(void) {
  const char *a = shared_names[random_below(NSHARED)];
  const char *b = shared_names[random_below(NSHARED)];
  struct stat st;
  int fd;

  switch (random_below(5)) {
  case 0:
    if ((fd = open(a, O_CREATE | O_RDWR)) >= 0) {  // fails on a directory
      expect("write() to a shared file", 3, write(fd, "abc", 3));
      close(fd);
    }
    break;
  case 1: expect_zero_or_minus_one("unlink() of a shared name", unlink(a)); break;
  case 2: expect_zero_or_minus_one("link() of shared names", link(a, b)); break;
  case 3: expect_zero_or_minus_one("mkdir() of a shared name", mkdir(a)); break;
  default:
    if ((fd = open(a, O_RDONLY)) >= 0) {
      expect("fstat() of an open shared name", 0, fstat(fd, &st));
      expect_range("read() of a shared name", 0, MAX_CHUNK, read(fd, buf, MAX_CHUNK));
      close(fd);
    }
    break;
  }
}

// ---------------------------------------------------------------------------
// Workers and the main process

static void (*const ops[])(void) = {
  op_rewrite,      op_append,     op_verify,      op_unlink, op_link,
  op_dup,          op_subdir,     op_fork_exit,   op_pipe,   op_sbrk,
  op_exec_missing, op_kill_child, op_bad_pointer, op_shared, op_shared,
};

#define NOPS (sizeof(ops) / sizeof(ops[0]))

// Fills dst with TOPDIR/name and returns dst.
static char *top_path(char *dst, const char *name) {
  strcpy(dst, TOPDIR "/");
  strcpy(dst + strlen(dst), name);
  return dst;
}

static const char *const worker_dirs[NWORKERS] = { "w0", "w1", "w2", "w3" };

static void worker(int id, int iterations) {
  char path[PATH_MAX_LEN];

  worker_id = id;
  seed_random(seed, id);
  for (int i = 0; i < NSLOTS; i++)
    slots[i].len = -1;
  expect("chdir() into the worker's directory", 0,
         chdir(top_path(path, worker_dirs[id])));
  for (iteration = 0; iterations == 0 || iteration < iterations; iteration++)
    ops[random_below(NOPS)]();
  exit(0);
}

// Unlinks TOPDIR/dir/name for every name in names.
static void remove_names(const char *dir, const char *const *names, int n) {
  char path[PATH_MAX_LEN];

  for (int i = 0; i < n; i++) {
    top_path(path, dir);
    strcpy(path + strlen(path), "/");
    strcpy(path + strlen(path), names[i]);
    unlink(path);
  }
}

// Removes everything a run can leave under TOPDIR, and TOPDIR itself.
static void remove_all(void) {
  static const char *const extras[] = { ALIAS, SUBFILE, SUBDIR };
  char path[PATH_MAX_LEN];

  for (int w = 0; w < NWORKERS; w++) {
    remove_names(worker_dirs[w], slot_names, NSLOTS);
    remove_names(worker_dirs[w], extras, sizeof(extras) / sizeof(extras[0]));
    unlink(top_path(path, worker_dirs[w]));
  }
  for (int i = 0; i < NSHARED; i++)
    unlink(top_path(path, shared_names[i] + 3));  // without the "../"
  unlink(top_path(path, SHARED));
  unlink(TOPDIR);
}

// Returns 0, or -1 having said what could not be made.
static int make_dirs(void) {
  char path[PATH_MAX_LEN];

  if (mkdir(TOPDIR) < 0 || mkdir(top_path(path, SHARED)) < 0) {
    printf("grind: cannot make %s\n", TOPDIR);
    return -1;
  }
  for (int w = 0; w < NWORKERS; w++)
    if (mkdir(top_path(path, worker_dirs[w])) < 0) {
      printf("grind: cannot make %s\n", path);
      return -1;
    }
  return 0;
}

// Waits for every worker; on the first failure, kills the rest.
// Returns 1 if all of them finished cleanly.
static int wait_workers(int *pids) {
  int ok = 1, status;

  for (int n = 0; n < NWORKERS; n++) {
    int pid = wait(&status);
    if (status == 0)
      continue;
    if (ok) {
      if (status != 1)  // 1: the worker said what went wrong
        printf("grind: worker pid %d died with status %d\n", pid, status);
      for (int w = 0; w < NWORKERS; w++)
        if (pids[w] != pid)
          kill(pids[w]);
    }
    ok = 0;
  }
  return ok;
}

int main(int argc, char *argv[]) {
  int pids[NWORKERS];
  int iterations = argc > 2 ? atoi(argv[2]) : DEFAULT_ITERATIONS;
  int ok = 0;

  seed = argc > 1 ? atoi(argv[1]) : DEFAULT_SEED;
  if (argc > 3 || iterations < 0) {
    fprintf(2, "usage: grind [SEED [ITERATIONS]]\n");
    exit(1);
  }
  remove_all();
  if (make_dirs() == 0) {
    for (int w = 0; w < NWORKERS; w++)
      if ((pids[w] = fork_or_die()) == 0)
        worker(w, iterations);
    ok = wait_workers(pids);
  }
  remove_all();
  if (!ok) {
    printf("grind: seed %d FAILED\n", seed);
    exit(1);
  }
  printf("grind: seed %d iterations %d ok\n", seed, iterations);
  exit(0);
}
