// fuzz: random system calls with hostile arguments, under memory pressure,
// guided by kernel coverage where the kernel counts it.
//
//   fuzz SEED SECONDS [random]
//
// The coordinator (the process started from the shell) creates the
// directory FUZZDIR, takes the kernel's counts (free pages, free inodes,
// free blocks: the audit() system call), then for SECONDS keeps NWORKERS
// workers running and runs memhog over and over, so that free memory sits
// at zero for HOG_TICKS at a time.  Each worker is this program again
// (`fuzz -w SEED BUDGET COORDINATOR`, exec'd so it shares no page with the
// coordinator) making BUDGET random calls, any of which may be fork (the
// child carries on with part of the budget), exit, or kill of a random
// process of the run.  At the end the coordinator kills every process of
// the run, waits until all are reaped, removes FUZZDIR and checks that the
// free pages, inodes and blocks are back to exactly where they started and
// that the audit finds every reference count right.  It prints
//   fuzz: seed S: ok (...)        or        fuzz: seed S: FAILED: ...
// A kernel panic shows on the console instead.
//
// Arguments are hostile: addresses at 0, in the text, across the end of the
// heap and of the stack, in the stack guard page, in the trap frame and the
// trampoline, just below and at MAXVA, in the kernel; lengths 0, 1,
// negative, huge, off by one around a page; descriptors closed, negative
// and too large; paths empty, too long, deep, full of "." and "..".
//
// What it never does, so that the run can be checked and the system still
// works afterwards: kill a process outside the run (its coordinator and
// everything older, init and the shell among them); change a file outside
// FUZZDIR (every path that creates, writes, links or removes stays inside
// it: ".." is only used where it cannot climb out); open the console
// (workers have no descriptor for it and make no device with its major);
// exec a real program; sleep long.  Workers start with no open files.
//
// Guidance: on the coverage kernel (kernel/kernel-cov, where the covblocks
// system call counts the kernel's basic blocks that ran for the first time
// while the caller ran) a worker makes its calls in sequences of
// SEQ_CALLS.  A call is its number and a seed for its arguments.  A
// sequence after which the worker's count grew is kept in the corpus, the
// file CORPUS that the run's workers share, and half the new sequences are
// mutants of kept ones: a call with new arguments, a call replaced,
// inserted or repeated, the tail of another kept sequence.  On any other
// kernel (covblocks returns -1), or given "random", workers make
// independent random calls, as before guidance.
//
// Reproducing: without guidance each worker's calls follow from SEED and
// the worker's number alone, so a run with the same seed makes the same
// calls; only the interleaving of the processes differs.  With guidance
// the same holds until the first sequence is kept; after that the calls
// also depend on what the corpus holds, which depends on the interleaving.
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/fcntl.h"
#include "kernel/fs.h"
#include "kernel/memlayout.h"
#include "kernel/riscv.h"
#include "kernel/syscall.h"
#include "kernel/stat.h"
#include "kernel/auditstat.h"
#include "kernel/cowstat.h"
#include "user/user.h"

#define FUZZDIR              "fz"
#define NWORKERS             6
#define BUDGET               3000  // calls per worker (its forked children share it)
#define HOG_TICKS            20    // ticks memhog holds all memory, each round
#define CALM_TICKS           5     // ticks between rounds, memory free
#define TICKS_PER_SECOND     10
#define SETTLE_TICKS         600  // ticks to wait for every process to be reaped
#define MAX_AGE              6    // rounds a process of the run may live
#define LAST_SYSCALL         SYS_audit
#define INVALID_SYSCALL_ODDS 256  // one call in this many uses a bad number
#define EXIT_ODDS            400  // one call in this many is exit()
#define MAX_DEPTH            6    // directories below FUZZDIR a path goes
#define CONSOLE_MAJOR        1
#define SBRK_FAILED          ((char *)-1)
#define SCRATCH              (4 * PGSIZE)
#define BAD_CALL             0   // pick_call()'s number for a call with a bad number
#define SEQ_CALLS            8   // calls in a guided sequence
#define CORPUS_MAX           64  // sequences kept; then a new one replaces one at random
#define FRESH_ODDS           2   // one guided sequence in this many is all new calls
#define MAX_MUTATIONS        3   // changes made to a kept sequence to get a new one
#define CORPUS               "/" FUZZDIR "/corpus"  // a name safe_path() never makes

// A valid buffer, so that some calls succeed.  It is the first thing on
// the heap: a call that writes past its end hits heap pages or nothing,
// never the variables below (a corrupted `coordinator` could aim kill()
// at the shell).
static char *scratch;
static uint64 rng;
static int coordinator;        // pid of the coordinator
static int depth;              // directories below FUZZDIR of the cwd
static char *heap_base;        // sbrk(0) when the worker started
static int known_fds[NOFILE];  // descriptors calls have returned (maybe closed since)
static int guided;             // whether workers follow coverage (see the top)

// --- Randomness ------------------------------------------------------------

static uint64 next_random(void) {
  // xorshift64*: small, and good enough to pick arguments.
  rng ^= rng >> 12;
  rng ^= rng << 25;
  rng ^= rng >> 27;
  return rng * 0x2545F4914F6CDD1DUL;
}

static int below(int n) {
  return next_random() % n;
}

static void seed_random(uint64 seed, uint64 stream) {
  rng = (seed + 1) * 0x9E3779B97F4A7C15UL ^ (stream + 1) * 0xBF58476D1CE4E5B9UL;
  if (rng == 0)
    rng = 1;
}

// --- Hostile arguments -----------------------------------------------------

int main(int argc, char *argv[]);  // its address is a text address

static uint64 stack_pointer(void) {
  uint64 sp;
  asm volatile("mv %0, sp" : "=r"(sp));
  return sp;
}

static uint64 heap_end(void) {
  return (uint64)sbrk(0);
}

static uint64 any_address(void) {
  uint64 sp = stack_pointer();
  uint64 end = heap_end();
  switch (below(20)) {
  case 0: return 0;
  case 1: return 1;
  case 2: return (uint64)main;         // text: not writable
  case 3: return end - 1 - below(64);  // spans the end of the heap
  case 4: return end;
  case 5: return PGROUNDDOWN(sp) - PGSIZE + below(PGSIZE);  // the stack guard page
  case 6: return PGROUNDUP(sp) - below(64);                 // spans the top of the stack
  case 7: return TRAPFRAME + 8 * below(PGSIZE / 8);
  case 8: return TRAMPOLINE + below(PGSIZE);
  case 9: return MAXVA - 1 - below(8);
  case 10: return MAXVA;
  case 11: return MAXVA + PGSIZE;
  case 12: return KERNBASE + PGSIZE * below(1024);
  case 13: return PHYSTOP - 8;
  case 14: return 0xffffffffffffffffUL - below(PGSIZE);
  case 15: return 0x8000000000000000UL;
  case 16: return (uint64)scratch + SCRATCH - below(16);  // spans the end of scratch
  default: return (uint64)scratch + below(SCRATCH / 2);
  }
}

static uint64 any_length(void) {
  switch (below(12)) {
  case 0: return 0;
  case 1: return 1;
  case 2: return -1;
  case 3: return -PGSIZE;
  case 4: return 0x7fffffff;
  case 5: return 0x80000000UL;
  case 6: return PGSIZE - 1;
  case 7: return PGSIZE + 1;
  case 8: return BSIZE * (1 + below(MAXFILE + 2));
  case 9: return 0xffffffffffffffffUL;
  default: return below(2 * BSIZE);
  }
}

// Remembers a descriptor a call returned, so later calls use it.
static void learn_fd(uint64 fd) {
  if (fd < NOFILE)
    known_fds[below(NOFILE)] = fd;
}

static uint64 any_fd(void) {
  if (below(2))
    return known_fds[below(NOFILE)];
  switch (below(8)) {
  case 0: return -1;
  case 1: return NOFILE;
  case 2: return NOFILE + 1;
  case 3: return 0x7fffffff;
  case 4: return 0xffffffff00000003UL;  // a valid fd in the low half only
  default: return below(NOFILE);
  }
}

// A name in FUZZDIR's tree, or one of the awkward ones.
static const char *any_name(void) {
  static const char *names[] = {
    "a",
    "b",
    "c",
    "d",
    "e",
    "f",
    "fourteen_chars",   // exactly DIRSIZ
    "fifteen_chars_x",  // DIRSIZ + 1: truncated
    ".",
    "..",
    "",
    " ",
  };
  return names[below(sizeof(names) / sizeof(names[0]))];
}

// Appends s to the path being built in buf (of size max); returns 0 if it
// does not fit.
static int append(char *buf, int *len, int max, const char *s) {
  int n = strlen(s);
  if (*len + n + 1 > max)
    return 0;
  memmove(buf + *len, s, n);
  *len += n;
  buf[*len] = 0;
  return 1;
}

// Builds a path that stays inside FUZZDIR: ".." is used only where the
// directory it names is still inside.  Sets *new_depth to the depth it ends
// at, counted like `depth`.
static char *safe_path(char *buf, int max, int *new_depth) {
  int len = 0, d = depth, parts = 1 + below(MAX_DEPTH + 2);
  buf[0] = 0;
  if (below(4) == 0) {
    append(buf, &len, max, "/" FUZZDIR);
    d = 0;
  }
  for (int i = 0; i < parts; i++) {
    const char *name = any_name();
    if (strcmp(name, "..") == 0 && d == 0)
      name = ".";
    if (d >= MAX_DEPTH)
      name = "..";  // no deeper: the tree must stay small enough to remove
    if ((len > 0 && !append(buf, &len, max, "/")) || !append(buf, &len, max, name))
      break;
    if (strcmp(name, "..") == 0)
      d--;
    else if (strcmp(name, ".") != 0 && name[0] != 0)
      d++;
  }
  *new_depth = d;
  return buf;
}

// A path argument: a safe path, a very long one, or a hostile pointer.
static uint64 path_arg(char *buf, int max, int *new_depth) {
  *new_depth = -1;
  switch (below(10)) {
  case 0: return any_address();
  case 1:
    // Longer than MAXPATH: rejected before any lookup.
    memset(buf, 'x', max - 1);
    buf[max - 1] = 0;
    return (uint64)buf;
  default: return (uint64)safe_path(buf, MAXPATH, new_depth);
  }
}

// A path for calls that only look: also directories outside FUZZDIR.
static uint64 lookup_path_arg(char *buf, int max, int *new_depth) {
  // No file outside: a file's bytes read into scratch must never spell a
  // path that a later call could take for a real one.
  static const char *outside[] = { "/", "/..", "/.", "//", "/" FUZZDIR "/../" FUZZDIR };
  if (below(6) == 0) {
    *new_depth = -1;
    return (uint64)outside[below(sizeof(outside) / sizeof(outside[0]))];
  }
  return path_arg(buf, max, new_depth);
}

// A pid to kill: one of the run's, near our own (younger than the
// coordinator, never the coordinator itself), or none at all.
static uint64 victim(void) {
  int lowest = getpid() - 2 * NPROC;
  if (lowest <= coordinator)
    lowest = coordinator + 1;
  switch (below(6)) {
  case 0: return -1;
  case 1: return 0;
  case 2: return 0x7fffffff;
  default: return lowest + below(3 * NPROC);
  }
}

// --- The calls ---------------------------------------------------------------

static uint64 raw_syscall(uint64 num, uint64 a0, uint64 a1, uint64 a2) {
  register uint64 r0 asm("a0") = a0;
  register uint64 r1 asm("a1") = a1;
  register uint64 r2 asm("a2") = a2;
  register uint64 r7 asm("a7") = num;
  asm volatile("ecall" : "+r"(r0) : "r"(r1), "r"(r2), "r"(r7) : "memory");
  return r0;
}

// An argv array for exec, made of hostile pointers and odd strings.
static uint64 hostile_argv(uint64 *argv) {
  int n = below(MAXARG + 3);
  if (below(4) == 0)
    return any_address();
  for (int i = 0; i < n; i++)
    argv[i] = below(3) ? (uint64)any_name() : any_address();
  argv[n] = 0;
  return (uint64)argv;
}

static int open_flags(void) {
  int flags[] = { O_RDONLY,
                  O_WRONLY,
                  O_RDWR,
                  O_CREATE | O_RDWR,
                  O_CREATE | O_TRUNC | O_WRONLY,
                  O_TRUNC | O_RDWR,
                  0x7fffffff,
                  -1 };
  return flags[below(sizeof(flags) / sizeof(flags[0]))];
}

static int writes(int flags) {
  return (flags & (O_WRONLY | O_RDWR | O_CREATE | O_TRUNC)) != 0;
}

// The number of a random call: a system call's, or BAD_CALL.
static int pick_call(void) {
  if (below(INVALID_SYSCALL_ODDS) == 0)
    return BAD_CALL;
  return 1 + below(LAST_SYSCALL);
}

// Makes call num with random arguments; `left` is the budget, halved for a
// forked child.  A num that is neither BAD_CALL nor a system call's (a
// guided sequence may be garbled: see keep()) does nothing.
static void make_call(int num, int *left) {
  char path[MAXPATH + 32], path2[MAXPATH + 32];
  uint64 argv[MAXARG + 4];
  int d, d2;

  if (num == BAD_CALL) {
    uint64 bad[] = { 0, LAST_SYSCALL + 1, 99, -1, 0x100000000UL + SYS_getpid };
    raw_syscall(bad[below(5)], any_address(), any_length(), any_address());
    return;
  }
  switch (num) {
  case SYS_fork: {
    int pid = fork();
    if (pid == 0)
      *left /= 2;
    break;
  }
  case SYS_exit:
    if (below(EXIT_ODDS / LAST_SYSCALL) == 0)
      exit(below(3) - 1);
    break;
  case SYS_wait: raw_syscall(SYS_wait, below(2) ? 0 : any_address(), 0, 0); break;
  case SYS_pipe: {
    int fds[2];
    uint64 p = below(2) ? (uint64)fds : any_address();
    if (raw_syscall(SYS_pipe, p, 0, 0) == 0 && p == (uint64)fds) {
      learn_fd(fds[0]);
      learn_fd(fds[1]);
    }
    break;
  }
  case SYS_cowstat:
  case SYS_uptime:
  case SYS_getpid:
    raw_syscall(num, num == SYS_cowstat ? below(5) - 1 : any_address(), any_address(), 0);
    break;
  case SYS_read:
  case SYS_write:
  case SYS_fstat: raw_syscall(num, any_fd(), any_address(), any_length()); break;
  case SYS_kill: raw_syscall(SYS_kill, victim(), 0, 0); break;
  case SYS_exec:
    // Only paths that are no program: safe paths name nothing executable.
    raw_syscall(SYS_exec, path_arg(path, sizeof(path), &d), hostile_argv(argv), 0);
    break;
  case SYS_chdir: {
    uint64 p = below(8) ? (uint64)safe_path(path, MAXPATH, &d)
                        : path_arg(path, sizeof(path), &d);
    if (raw_syscall(SYS_chdir, p, 0, 0) != 0)
      break;
    depth = d;
    if (d < 0 && chdir("/" FUZZDIR) == 0)
      depth = 0;  // a hostile path that worked: back to a known place
    break;
  }
  case SYS_dup: learn_fd(raw_syscall(SYS_dup, any_fd(), 0, 0)); break;
  case SYS_close: raw_syscall(SYS_close, any_fd(), 0, 0); break;
  case SYS_sbrk: {
    int n[] = { PGSIZE, 3 * PGSIZE, 64 * PGSIZE, 0x7fffffff, -0x7fffffff - 1, 1, -1 };
    int grow = n[below(7)];
    if (grow < 0 && grow > -0x7fffffff - 1 && heap_end() + grow < (uint64)heap_base)
      grow = heap_base - (char *)heap_end();  // shrink only what we grew
    raw_syscall(SYS_sbrk, grow, 0, 0);
    break;
  }
  case SYS_sleep:
    raw_syscall(SYS_sleep, below(4) - 2 + (below(10) == 0 ? -0x7fffffff : 0), 0, 0);
    break;
  case SYS_open: {
    int flags = open_flags();
    uint64 p = writes(flags) ? path_arg(path, sizeof(path), &d)
                             : lookup_path_arg(path, sizeof(path), &d);
    learn_fd(raw_syscall(SYS_open, p, flags, 0));
    break;
  }
  case SYS_mknod: {
    int majors[] = { 0, 2, NDEV - 1, NDEV, -1, 0x7fff };
    raw_syscall(SYS_mknod, path_arg(path, sizeof(path), &d), majors[below(6)], below(3));
    break;
  }
  case SYS_unlink:
  case SYS_mkdir: raw_syscall(num, path_arg(path, sizeof(path), &d), 0, 0); break;
  case SYS_link:
    // Never a file outside: a link to it could be opened and truncated.
    raw_syscall(SYS_link, path_arg(path, sizeof(path), &d),
                path_arg(path2, sizeof(path2), &d2), 0);
    break;
  case SYS_audit:
    // A bad request or a bad pointer only: a real audit stops the world, and
    // mid-run it may see (and report) a process caught halfway through exec.
    raw_syscall(SYS_audit, below(2) ? 3 + below(100) : -1 - below(100), any_address(), 0);
    break;
  }
}

// --- Guidance ----------------------------------------------------------------

// A call of a guided sequence: which, and the seed of its arguments.
struct call {
  uint64 num;
  uint64 args;
};

struct sequence {
  struct call calls[SEQ_CALLS];
  uint64 mutant;  // 1 if made by mutating a kept sequence
};

// The worker's copy of the corpus, refreshed from CORPUS at each keep().
static struct sequence corpus[CORPUS_MAX];
static int corpus_size;

// Opens CORPUS with flags and reads the corpus from it; returns the
// descriptor (at the end of what was read), or -1 (the copy unchanged).
static int load_corpus(int flags) {
  int fd = open(CORPUS, flags);
  if (fd < 0)
    return -1;
  int n = read(fd, corpus, sizeof(corpus));
  if (n > 0)
    corpus_size = n / sizeof(struct sequence);
  return fd;
}

// Adds s to the corpus, in the worker's copy and in CORPUS; once CORPUS_MAX
// are kept, in place of one at random.  Two workers keeping at once may
// take one slot, and one sequence is then lost; a write cut short (the
// disk full) garbles the ones after it, which still make calls
// (make_call() checks num).
static void keep(struct sequence *s) {
  int fd = load_corpus(O_CREATE | O_RDWR);
  int slot = corpus_size < CORPUS_MAX ? corpus_size : below(CORPUS_MAX);
  if (fd >= 0 && slot < corpus_size) {  // full: reopen, and read up to the slot
    close(fd);
    fd = open(CORPUS, O_RDWR);
    if (fd >= 0 && read(fd, corpus, slot * sizeof(*s)) != (int)(slot * sizeof(*s))) {
      close(fd);
      fd = -1;
    }
  }
  if (fd >= 0 && write(fd, s, sizeof(*s)) == sizeof(*s)) {
    corpus[slot] = *s;
    if (slot == corpus_size)
      corpus_size++;
  }
  close(fd);
}

static void fresh_call(struct call *c) {
  c->num = pick_call();
  c->args = next_random() | 1;  // xorshift needs a state that is not 0
}

// Changes s in one of five ways at a random call.
static void mutate_once(struct sequence *s) {
  int i = below(SEQ_CALLS), rest = SEQ_CALLS - i;
  switch (below(5)) {
  case 0: s->calls[i].args = next_random() | 1; break;  // same call, new arguments
  case 1: fresh_call(&s->calls[i]); break;
  case 2:  // the tail of another kept sequence
    memmove(&s->calls[i], &corpus[below(corpus_size)].calls[i],
            rest * sizeof(struct call));
    break;
  case 3:  // the call again in place of those after it (a file grows, a table fills)
    for (int j = i + 1; j < SEQ_CALLS; j++)
      s->calls[j] = s->calls[i];
    break;
  default:  // a new call before calls[i]; the last one drops out
    memmove(&s->calls[i + 1], &s->calls[i], (rest - 1) * sizeof(struct call));
    fresh_call(&s->calls[i]);
    break;
  }
}

// The next sequence to run: often a mutant of a kept one, once any is kept.
static void next_sequence(struct sequence *s) {
  s->mutant = corpus_size > 0 && below(FRESH_ODDS) != 0;
  if (!s->mutant) {
    for (int i = 0; i < SEQ_CALLS; i++)
      fresh_call(&s->calls[i]);
    return;
  }
  *s = corpus[below(corpus_size)];
  s->mutant = 1;
  for (int n = 1 + below(MAX_MUTATIONS); n > 0; n--)
    mutate_once(s);
}

// Makes call c, its arguments drawn from its own seed; the worker's random
// stream goes on as if it had not been used.
static void replay(struct call *c, int *left) {
  uint64 own = rng;
  rng = c->args;
  make_call(c->num, left);
  rng = own;
}

// Spends the budget in sequences, keeping those during which the kernel
// ran blocks for the first time.  A child forked in a sequence has a count
// of its own, so only the process that started a sequence judges it.
static void guided_calls(int budget) {
  struct sequence s;
  close(load_corpus(O_RDONLY));
  for (int left = budget; left > 0;) {
    int pid = getpid(), reached = covblocks();
    next_sequence(&s);
    for (int i = 0; i < SEQ_CALLS && left > 0; i++, left--)
      replay(&s.calls[i], &left);
    if (getpid() == pid && covblocks() > reached)
      keep(&s);
  }
}

// --- The workers ---------------------------------------------------------------

static void worker(uint64 seed, uint64 number, int budget) {
  seed_random(seed, number);
  scratch = sbrk(SCRATCH);
  if (scratch == SBRK_FAILED)
    exit(1);
  heap_base = sbrk(0);
  if (chdir("/" FUZZDIR) < 0)
    exit(1);
  depth = 0;
  if (guided)
    guided_calls(budget);
  else
    for (int left = budget; left > 0; left--)
      make_call(pick_call(), &left);
  exit(0);
}

// --- The coordinator ---------------------------------------------------------

static void fail(uint64 seed, const char *what, uint64 before, uint64 after) {
  printf("fuzz: seed %ld: FAILED: %s: %ld before, %ld after\n", seed, what, before,
         after);
  exit(1);
}

static void take_audit(uint64 seed, struct auditstat *st) {
  if (audit(AUDIT_CHECK, st) != 0)
    fail(seed, "the kernel self-audit found problems (see above)", 0, st->problems);
}

// Starts program argv in a child with no open files; returns its pid or -1.
// The coordinator only ever vforks: a fork would leave its pages shared
// copy-on-write until the child execs, and a store of the coordinator's
// in that moment, while memhog or the workers hold every free page, gets
// it killed for want of a page to copy into.
static int spawn(char **argv) {
  int pid = vfork();
  if (pid == 0) {
    for (int fd = 0; fd < NOFILE; fd++)
      close(fd);
    exec(argv[0], argv);
    exit(1);
  }
  return pid;
}

// Writes v in decimal into buf (24 bytes); returns buf.
static char *decimal(char *buf, uint64 v) {
  char digits[24];
  int n = 0;
  do {
    digits[n++] = '0' + v % 10;
    v /= 10;
  } while (v);
  for (int i = 0; i < n; i++)
    buf[i] = digits[n - 1 - i];
  buf[n] = 0;
  return buf;
}

static int spawn_worker(uint64 seed, uint64 number) {
  char s[24], n[24], b[24], c[24];
  char *argv[] = { "/fuzz",
                   guided ? "-g" : "-w",
                   decimal(s, seed),
                   decimal(n, number),
                   decimal(b, BUDGET),
                   decimal(c, coordinator),
                   0 };
  return spawn(argv);
}

// What the coordinator knows of the run's pids.  A new process always
// gets a higher pid than every older one, so "made before X" is "pid
// below X's".  Every child of the coordinator has a pid at most `newest`,
// so killing up to there leaves no child of its blocked for good, and its
// wait() returns.
struct pids {
  int swept;   // every pid above the coordinator's, up to here, was killed
  int newest;  // the highest pid the coordinator's own forks returned
};

// Records what a fork of the coordinator returned; returns it.
static int note(struct pids *pids, int pid) {
  if (pid > pids->newest)
    pids->newest = pid;
  return pid;
}

// Kills every pid in (pids->swept, upto], once.
static void sweep(struct pids *pids, int upto) {
  for (int pid = pids->swept + 1; pid <= upto; pid++)
    kill(pid);
  if (upto > pids->swept)
    pids->swept = upto;
}

// After a failed fork of the coordinator: the process table may be full,
// of processes blocked for good (a worker reading a pipe whose write end
// it holds itself) that no later round would kill, since no later round
// could fork to learn a newer pid.  So every process of the run goes,
// including NPROC pids beyond any pid the coordinator has seen (it goes
// further each time), and the next round starts afresh.
static void make_room(struct pids *pids) {
  int reached = pids->swept > pids->newest ? pids->swept : pids->newest;
  sweep(pids, reached + NPROC);
}

// Kills every process of the run that is left and waits until all are
// reaped and memory is back to free_pages.  Returns whether that happened
// within SETTLE_TICKS.  While the process table is full, each try kills
// NPROC pids further beyond the newest pid known.
static int stop_everything(struct pids *pids, uint64 free_pages) {
  int give_up = uptime() + SETTLE_TICKS;
  int beyond = 0;
  struct cowstat st;
  while (uptime() < give_up) {
    int youngest = note(pids, vfork());  // the newest pid, so the highest so far
    if (youngest == 0)
      exit(0);
    if (youngest < 0)
      beyond += NPROC;
    pids->swept = coordinator;  // this time, every pid again
    sweep(pids, pids->newest + beyond);
    while (wait(0) >= 0)
      ;
    sleep(2);  // orphans are init's to reap
    if (cowstat(COWSTAT_SYSTEM, &st) == 0 && st.free_pages == free_pages)
      return 1;
  }
  return 0;
}

// Removes name (in the current directory) and everything under it,
// walking down with chdir() so that no path grows long.
static void remove_tree(char *name) {
  struct dirent de;
  char child[DIRSIZ + 1];
  if (chdir(name) == 0) {
    int fd = open(".", O_RDONLY);
    while (fd >= 0 && read(fd, &de, sizeof(de)) == sizeof(de)) {
      memmove(child, de.name, DIRSIZ);
      child[DIRSIZ] = 0;
      if (de.inum != 0 && strcmp(child, ".") != 0 && strcmp(child, "..") != 0)
        remove_tree(child);
    }
    close(fd);
    chdir("..");
  }
  unlink(name);
}

// Sleeps until at least half the pages free at the start are free again
// (the hogs of the last round are gone), or HOG_TICKS have passed.
static void wait_for_memory(uint64 free_at_start) {
  struct cowstat st;
  int give_up = uptime() + 2 * HOG_TICKS;
  while (uptime() < give_up && cowstat(COWSTAT_SYSTEM, &st) == 0 &&
         st.free_pages < free_at_start / 2)
    sleep(1);
}

// Marks a reaped worker's slot empty.
static void forget(int *workers, int pid) {
  for (int i = 0; i < NWORKERS; i++)
    if (workers[i] == pid)
      workers[i] = 0;
}

// What guidance did: the corpus left in CORPUS.
struct guidance {
  int kept, mutants;
};

static void take_guidance(struct guidance *g) {
  close(load_corpus(O_RDONLY));
  g->kept = corpus_size;
  g->mutants = 0;
  for (int i = 0; i < corpus_size; i++)
    g->mutants += corpus[i].mutant == 1;
}

static void run(uint64 seed, int seconds) {
  struct auditstat before, after;
  struct guidance g;
  int workers[NWORKERS] = { 0 };
  int round_pid[MAX_AGE] = { 0 };  // the newest pid at the end of each recent round
  uint64 spawned = 0;
  char ticks[24];
  char *memhog[] = { "/memhog", decimal(ticks, HOG_TICKS), 0 };

  printf("fuzz: seed %ld, %d seconds, %d workers, %s\n", seed, seconds, NWORKERS,
         guided ? "guided by kernel coverage" : "random calls");
  coordinator = getpid();
  struct pids pids = { coordinator, coordinator };
  // A first mkdir may grow / by a block for good; the counts start after.
  remove_tree(FUZZDIR);
  mkdir(FUZZDIR);
  remove_tree(FUZZDIR);
  take_audit(seed, &before);
  if (mkdir(FUZZDIR) < 0)
    fail(seed, "mkdir " FUZZDIR, 0, 0);

  int deadline = uptime() + seconds * TICKS_PER_SECOND;
  for (int round = 0; uptime() < deadline; round++) {
    // A process can block for good (reading a pipe whose write end it holds
    // itself): whatever is older than MAX_AGE rounds is killed.
    sweep(&pids, round_pid[round % MAX_AGE]);
    // Workers start while memory is free, so that their exec finds pages.
    wait_for_memory(before.free_pages);
    for (int i = 0; i < NWORKERS; i++)
      if (workers[i] <= 0 &&
          (workers[i] = note(&pids, spawn_worker(seed, spawned++))) < 0)
        make_room(&pids);
    sleep(CALM_TICKS);
    int hog = note(&pids, spawn(memhog));
    if (hog < 0)
      make_room(&pids);
    round_pid[round % MAX_AGE] = pids.newest;
    int pid;
    while (hog > 0 && (pid = wait(0)) >= 0 && pid != hog)
      forget(workers, pid);
  }

  if (!stop_everything(&pids, before.free_pages))
    printf("fuzz: processes still alive after %d ticks\n", SETTLE_TICKS);
  take_guidance(&g);
  remove_tree(FUZZDIR);
  take_audit(seed, &after);
  if (after.free_pages != before.free_pages)
    fail(seed, "free pages", before.free_pages, after.free_pages);
  if (after.free_inodes != before.free_inodes)
    fail(seed, "free inodes", before.free_inodes, after.free_inodes);
  if (after.free_blocks != before.free_blocks)
    fail(seed, "free blocks", before.free_blocks, after.free_blocks);
  printf("fuzz: seed %ld: ok; %ld workers; ", seed, spawned);
  if (guided)
    printf("guided: %d sequences kept, %d of them mutants; ", g.kept, g.mutants);
  else
    printf("random calls; ");
  printf("free pages %ld/%ld, free inodes %ld/%ld, free blocks %ld/%ld (before/after)\n",
         before.free_pages, after.free_pages, before.free_inodes, after.free_inodes,
         before.free_blocks, after.free_blocks);
}

static uint64 number(char *s) {
  uint64 n = 0;
  while (*s >= '0' && *s <= '9')
    n = n * 10 + (*s++ - '0');
  return n;
}

// Zeroes the argument strings at the top of the stack: a hostile pointer
// there must not find "/fuzz", a real file, to pass to unlink().
static void wipe(int argc, char *argv[]) {
  for (int i = 0; i < argc; i++)
    memset(argv[i], 0, strlen(argv[i]));
}

int main(int argc, char *argv[]) {
  if (argc == 6 && (strcmp(argv[1], "-w") == 0 || strcmp(argv[1], "-g") == 0)) {
    uint64 seed = number(argv[2]), stream = number(argv[3]), budget = number(argv[4]);
    coordinator = number(argv[5]);
    guided = argv[1][1] == 'g';
    wipe(argc, argv);
    worker(seed, stream, budget);
  }
  if ((argc != 3 && argc != 4) || (argc == 4 && strcmp(argv[3], "random") != 0)) {
    fprintf(2, "usage: fuzz SEED SECONDS [random]\n");
    exit(2);
  }
  guided = argc == 3 && covblocks() >= 0;
  run(number(argv[1]), number(argv[2]));
  return 0;
}
