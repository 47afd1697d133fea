// forkbench: what fork costs as the parent's heap grows, and what the first
// writes after it cost; for comparing copy-on-write fork with eager copying.
//
//   forkbench       the full run (each figure repeated for about a second)
//   forkbench -q    a quick run, fewer repetitions (for make test)
//   forkbench child_write
//                   the child_write figure alone, at every heap size
//                   (tools/perf.py's copy-ahead rounds); -q may come too
//   forkbench exit  exits at once (the program the exec figures run)
//
// Output: one figure per line, the word "forkbench" and key=value tokens.
// A time figure, for a heap of H MB (P pages, each written once):
//
//   forkbench fig=NAME heap_mb=H pages=P reps=R us=MEDIAN min_us=MIN
//
//   fork_exit_wait  fork; the child exits at once; the parent waits
//   fork_exec_wait  fork; the child execs `forkbench exit`; the parent waits
//   vfork_exec_wait the same with vfork: the child borrows the parent's
//                   memory until its exec, so nothing is shared or copied
//   child_write     as above, but the child first writes every heap page
//   parent_write    the child exits at once; the parent waits, then writes
//                   every heap page
//
// A per-page figure (only when P > 0):
//
//   forkbench fig=NAME heap_mb=H pages=P reps=R ns_per_page=NS min_ns_per_page=MIN
//
//   copy_fault      child_write's write loop: one COW copy per page
//   reuse_fault     parent_write's write loop: one sole-owner reuse per page
//   plain_write     the same loop on pages already writable: the baseline
//
// Each loop is timed in batches of PAGES_PER_BATCH pages.  NS is the median
// over R repetitions of each loop's median batch, and MIN the fastest batch
// of all, per page: a batch during which the host took the CPU away from
// QEMU moves neither, and MIN stays near the true cost on a busy host.  The
// floor under any fault's cost, one trap into the kernel and back, from R
// repetitions of C getpid() calls timed in batches the same way:
//
//   forkbench fig=getpid heap_mb=H calls=C reps=R ns_per_call=NS min_ns_per_call=MIN
//
// And the pages a fork uses:
//
//   forkbench fig=fork_pages heap_mb=H pages=P before=B after=A used=U
//
// free pages (cowstat) before a fork and after it, while the child still
// exists (it waits on a pipe); U = B - A.  And what a child that writes
// every SPARSE_STRIDE-th page (only when P > 0) gets copied, by its own
// copy-on-write counters (cowstat: copies at faults and copies made ahead;
// an eager fork's copies are no COW event, so there C is 0):
//
//   forkbench fig=sparse_pages heap_mb=H pages=P written=W copied=C
//
// Instead of figures, a line may say
//
//   forkbench heap_mb=H fork=failed           fork failed: the rest of H is skipped
//   forkbench heap_mb=H sbrk=failed           the heap cannot grow: the run ends
//   forkbench fig=child_write heap_mb=H skipped=no_memory
//                                             the child's copies would not fit
//   forkbench fig=NAME heap_mb=H child=failed the child was killed or failed
//
// and the last line is "forkbench done".  Times come from the time CSR
// (rdtime; 10 MHz on QEMU virt), so they are wall-clock times.
#include "kernel/types.h"
#include "kernel/riscv.h"
#include "kernel/cowstat.h"
#include "user/user.h"

#define TICKS_PER_US        10  // the time CSR runs at 10 MHz on QEMU virt
#define NS_PER_TICK         100
#define TICKS_PER_SECOND    (TICKS_PER_US * 1000000)
#define BYTES_PER_MB        (1024 * 1024)
#define PAGES_PER_MB        (BYTES_PER_MB / PGSIZE)
#define MAX_REPS            21  // the most repetitions any mode runs
#define PAGES_PER_BATCH     16  // pages written between two clock reads
#define CONSOLE_DRAIN_TICKS 2   // clock ticks for the console to send what was printed
#define CALLS_PER_BATCH     16  // system calls between two clock reads
#define CALL_BATCHES        64
#define MAX_HEAP_MB         64
#define MAX_BATCHES         (MAX_HEAP_MB * PAGES_PER_MB / PAGES_PER_BATCH)
#define CHILD_COPY_MARGIN   64  // free pages to spare beyond a child's copies
#define SPARSE_STRIDE       16  // the sparse writer writes every 16th page
#define SBRK_FAILED         ((char *)-1)

static const int heap_sizes_mb[] = { 0, 4, 16, 32, MAX_HEAP_MB };
#define NHEAP_SIZES ((int)(sizeof(heap_sizes_mb) / sizeof(heap_sizes_mb[0])))

// How many times to repeat a figure: at least min, at most max, and no more
// once budget ticks have passed.
struct repeat {
  int min;
  int max;
  uint64 budget;
};

static const struct repeat full_run = { 3, MAX_REPS, TICKS_PER_SECOND };
static const struct repeat quick_run = { 1, 3, TICKS_PER_SECOND / 10 };

// The benchmark's state: the heap under test, and a pipe on which a child
// reports its own measurement to the parent.
struct bench {
  char *heap;     // page-aligned start of the heap
  int pages;      // pages of it allocated and written
  int mb;         // the heap size now measured, in MB
  int report[2];  // the report pipe: read end, write end
  const struct repeat *repeat;
};

// A time per operation, from ops operations timed in batches: the median
// batch's and the fastest batch's, in ns.
struct rate {
  int ops;
  uint64 median_ns;
  uint64 min_ns;
};

// One repetition's measurements: the whole trial, in ticks, and its timed
// loop's time per operation (all zero when it has none).
struct sample {
  uint64 total;
  struct rate loop;
};

// The batch times of touch_pages() and trial_getpid() (static: the user
// stack is one page).
static uint64 batch_ticks[MAX_BATCHES];

// What a trial reports besides its sample.
enum outcome { TRIAL_OK, TRIAL_FORK_FAILED, TRIAL_CHILD_FAILED };

static uint64 now(void) {
  uint64 ticks;
  asm volatile("rdtime %0" : "=r"(ticks));
  return ticks;
}

static void sort(uint64 *values, int n) {
  for (int i = 1; i < n; i++) {
    uint64 v = values[i];
    int j = i;
    for (; j > 0 && values[j - 1] > v; j--)
      values[j] = values[j - 1];
    values[j] = v;
  }
}

// Sorts values and returns the middle one.
static uint64 median(uint64 *values, int n) {
  sort(values, n);
  return values[n / 2];
}

// The least of n > 0 values.
static uint64 minimum(uint64 *values, int n) {
  uint64 least = values[0];
  for (int i = 1; i < n; i++)
    if (values[i] < least)
      least = values[i];
  return least;
}

// The rate of n batches of per_batch operations, from their times in ticks.
static struct rate batch_rate(uint64 *ticks, int n, int per_batch) {
  struct rate r = { n * per_batch, 0, 0 };
  if (n > 0) {
    r.min_ns = minimum(ticks, n) * NS_PER_TICK / per_batch;
    r.median_ns = median(ticks, n) * NS_PER_TICK / per_batch;
  }
  return r;
}

// Writes one byte into each of the heap's pages, timing them in batches of
// PAGES_PER_BATCH; returns the time per page (zero for an empty heap).  A
// batch during which the host took the CPU from QEMU moves neither figure.
static struct rate touch_pages(struct bench *b) {
  volatile char *heap = b->heap;
  int batches = b->pages / PAGES_PER_BATCH;
  for (int i = 0; i < batches; i++) {
    uint64 start = now();
    for (int j = i * PAGES_PER_BATCH; j < (i + 1) * PAGES_PER_BATCH; j++)
      heap[(uint64)j * PGSIZE] = (char)j;
    batch_ticks[i] = now() - start;
  }
  return batch_rate(batch_ticks, batches, PAGES_PER_BATCH);
}

// Free physical pages now, or 0 if cowstat() fails.
static uint64 free_pages(void) {
  struct cowstat st;
  if (cowstat(COWSTAT_SYSTEM, &st) < 0)
    return 0;
  return st.free_pages;
}

// Waits for the one child; returns TRIAL_OK if it exited with status 0.
static enum outcome reap(void) {
  int status = -1;
  if (wait(&status) < 0 || status != 0)
    return TRIAL_CHILD_FAILED;
  return TRIAL_OK;
}

// fork; the child exits at once; the parent waits.
static enum outcome trial_fork_exit_wait(struct bench *b, struct sample *s) {
  uint64 start = now();
  int pid = fork();
  if (pid < 0)
    return TRIAL_FORK_FAILED;
  if (pid == 0)
    exit(0);
  enum outcome result = reap();
  s->total = now() - start;
  return result;
}

// The child's side of the exec figures: run `forkbench exit`.  Never returns.
static void exec_exiter(void) {
  char *argv[] = { "forkbench", "exit", 0 };
  exec(argv[0], argv);
  exit(1);
}

// make_child() (fork or vfork); the child execs a program that exits at
// once; the parent waits.  A vfork child must not return from this function
// (the parent will return through its frame), so it calls exec_exiter(),
// which never returns.
static enum outcome exec_trial(struct sample *s, int (*make_child)(void)) {
  uint64 start = now();
  int pid = make_child();
  if (pid < 0)
    return TRIAL_FORK_FAILED;
  if (pid == 0)
    exec_exiter();
  enum outcome result = reap();
  s->total = now() - start;
  return result;
}

static enum outcome trial_fork_exec_wait(struct bench *b, struct sample *s) {
  return exec_trial(s, fork);
}

static enum outcome trial_vfork_exec_wait(struct bench *b, struct sample *s) {
  return exec_trial(s, vfork);
}

// fork; the child writes every page, reports how long that took on the
// report pipe, and exits; the parent waits.
static enum outcome trial_child_write(struct bench *b, struct sample *s) {
  uint64 start = now();
  int pid = fork();
  if (pid < 0)
    return TRIAL_FORK_FAILED;
  if (pid == 0) {
    struct rate loop = touch_pages(b);
    exit(write(b->report[1], &loop, sizeof(loop)) == sizeof(loop) ? 0 : 1);
  }
  enum outcome result = reap();
  s->total = now() - start;
  if (result == TRIAL_OK &&
      read(b->report[0], &s->loop, sizeof(s->loop)) != sizeof(s->loop))
    result = TRIAL_CHILD_FAILED;
  return result;
}

// fork; the child exits at once; the parent waits, then writes every page.
static enum outcome trial_parent_write(struct bench *b, struct sample *s) {
  uint64 start = now();
  enum outcome result = trial_fork_exit_wait(b, s);
  if (result == TRIAL_FORK_FAILED)
    return result;
  s->loop = touch_pages(b);
  s->total = now() - start;
  return result;
}

// The parent writes every page, with no fork before: the baseline.
static enum outcome trial_plain_write(struct bench *b, struct sample *s) {
  s->loop = touch_pages(b);
  return TRIAL_OK;
}

// Traps into the kernel and back (getpid()), timed in batches: the floor
// under every page fault's cost.
static enum outcome trial_getpid(struct bench *b, struct sample *s) {
  for (int i = 0; i < CALL_BATCHES; i++) {
    uint64 start = now();
    for (int j = 0; j < CALLS_PER_BATCH; j++)
      getpid();
    batch_ticks[i] = now() - start;
  }
  s->loop = batch_rate(batch_ticks, CALL_BATCHES, CALLS_PER_BATCH);
  return TRIAL_OK;
}

// One kind of figure: a trial, and the names its measurements print under.
struct figure {
  const char *time_name;  // the whole trial's time, or 0 for none
  const char *rate_name;  // its timed loop's time per operation, or 0
  const char *op;         // what the loop's operations are ("page", "call")
  enum outcome (*trial)(struct bench *, struct sample *);
};

static const struct figure fork_exit_wait = { "fork_exit_wait", 0, 0,
                                              trial_fork_exit_wait };
static const struct figure fork_exec_wait = { "fork_exec_wait", 0, 0,
                                              trial_fork_exec_wait };
static const struct figure vfork_exec_wait = { "vfork_exec_wait", 0, 0,
                                               trial_vfork_exec_wait };
static const struct figure child_write = { "child_write", "copy_fault", "page",
                                           trial_child_write };
static const struct figure parent_write = { "parent_write", "reuse_fault", "page",
                                            trial_parent_write };
static const struct figure plain_write = { 0, "plain_write", "page", trial_plain_write };
static const struct figure getpid_calls = { 0, "getpid", "call", trial_getpid };

// A figure's summary over its repetitions.
struct summary {
  int reps;
  uint64 median_ticks;  // of the whole trial
  uint64 min_ticks;
  struct rate loop;  // median over repetitions of median_ns, least min_ns
};

// Runs trial as b->repeat says and summarizes it in sum.  Stops at the
// first trial that fails and returns its outcome.
static enum outcome repeat_trial(struct bench *b,
                                 enum outcome (*trial)(struct bench *, struct sample *),
                                 struct summary *sum) {
  uint64 totals[MAX_REPS], loop_medians[MAX_REPS], loop_mins[MAX_REPS];
  uint64 start = now();
  int n = 0;
  struct sample s;
  while (n < b->repeat->max &&
         (n < b->repeat->min || now() - start < b->repeat->budget)) {
    s = (struct sample){ 0, { 0, 0, 0 } };
    enum outcome result = trial(b, &s);
    if (result != TRIAL_OK)
      return result;
    totals[n] = s.total;
    loop_medians[n] = s.loop.median_ns;
    loop_mins[n] = s.loop.min_ns;
    n++;
  }
  sum->reps = n;
  sum->median_ticks = median(totals, n);
  sum->min_ticks = minimum(totals, n);
  sum->loop.ops = s.loop.ops;
  sum->loop.median_ns = median(loop_medians, n);
  sum->loop.min_ns = minimum(loop_mins, n);
  return TRIAL_OK;
}

static void print_head(const char *name, struct bench *b) {
  printf("forkbench fig=%s heap_mb=%d", name, b->mb);
}

// Runs one kind of figure and prints it: the time line if it has one, and
// the per-operation line if it has one and its loop did anything.
// Returns TRIAL_FORK_FAILED to the caller (which skips the heap size); a
// failed child is printed here.
//
// It first sleeps CONSOLE_DRAIN_TICKS: the console sends a printed line one
// character per interrupt, after write() has returned, and without the
// pause those interrupts land in the next figure's trials (they made the
// 0 MB parent_write figure take 4x its fork+exit+wait).
static enum outcome run_figure(struct bench *b, const struct figure *f) {
  struct summary sum;
  sleep(CONSOLE_DRAIN_TICKS);
  enum outcome result = repeat_trial(b, f->trial, &sum);
  if (result == TRIAL_CHILD_FAILED) {
    print_head(f->time_name ? f->time_name : f->rate_name, b);
    printf(" child=failed\n");
  }
  if (result != TRIAL_OK)
    return result;
  if (f->time_name) {
    print_head(f->time_name, b);
    printf(" pages=%d reps=%d us=%lu min_us=%lu\n", b->pages, sum.reps,
           sum.median_ticks / TICKS_PER_US, sum.min_ticks / TICKS_PER_US);
  }
  if (f->rate_name && sum.loop.ops > 0) {
    print_head(f->rate_name, b);
    printf(" %ss=%d reps=%d ns_per_%s=%lu min_ns_per_%s=%lu\n", f->op, sum.loop.ops,
           sum.reps, f->op, sum.loop.median_ns, f->op, sum.loop.min_ns);
  }
  return TRIAL_OK;
}

// The free pages a fork takes, measured while parent and child both exist:
// the child waits on a pipe until the parent has looked.
static enum outcome fork_pages_figure(struct bench *b) {
  int gate[2];
  if (pipe(gate) < 0) {
    print_head("fork_pages", b);
    printf(" child=failed\n");
    return TRIAL_CHILD_FAILED;
  }
  uint64 before = free_pages();
  int pid = fork();
  if (pid < 0) {
    close(gate[0]);
    close(gate[1]);
    return TRIAL_FORK_FAILED;
  }
  if (pid == 0) {
    char go;
    exit(read(gate[0], &go, 1) == 1 ? 0 : 1);
  }
  uint64 after = free_pages();
  write(gate[1], "g", 1);
  close(gate[0]);
  close(gate[1]);
  enum outcome result = reap();
  print_head("fork_pages", b);
  printf(" pages=%d before=%lu after=%lu used=%ld\n", b->pages, before, after,
         (long)(before - after));
  return result;
}

// The pages the child's own counters say it had copied.
static uint64 pages_copied_by_self(void) {
  struct cowstat st;
  if (cowstat(COWSTAT_SELF, &st) < 0)
    return 0;
  return st.pages_copied + st.pages_copied_ahead;
}

// fork; the child writes every SPARSE_STRIDE-th page and reports how many
// pages it wrote and had copied; the parent waits and prints them.
static enum outcome sparse_pages_figure(struct bench *b) {
  int pid = fork();
  if (pid < 0)
    return TRIAL_FORK_FAILED;
  if (pid == 0) {
    pages_copied_by_self();  // its stack's first write, a copy too, is done now
    uint64 counts[2] = { 0, pages_copied_by_self() };  // written, copied
    for (int i = 0; i < b->pages; i += SPARSE_STRIDE, counts[0]++)
      b->heap[(uint64)i * PGSIZE] = (char)i;
    counts[1] = pages_copied_by_self() - counts[1];
    exit(write(b->report[1], counts, sizeof(counts)) == sizeof(counts) ? 0 : 1);
  }
  uint64 counts[2];
  print_head("sparse_pages", b);
  if (reap() != TRIAL_OK ||
      read(b->report[0], counts, sizeof(counts)) != sizeof(counts)) {
    printf(" child=failed\n");
    return TRIAL_CHILD_FAILED;
  }
  printf(" pages=%d written=%lu copied=%lu\n", b->pages, counts[0], counts[1]);
  return TRIAL_OK;
}

// The child_write figure, unless the child's copies would not fit in free
// memory.  Returns TRIAL_FORK_FAILED if its fork failed.
static enum outcome child_write_figure(struct bench *b) {
  if (free_pages() >= (uint64)b->pages + CHILD_COPY_MARGIN)
    return run_figure(b, &child_write);
  print_head(child_write.time_name, b);
  printf(" skipped=no_memory\n");
  return TRIAL_OK;
}

// All figures for the current heap size.  Returns TRIAL_FORK_FAILED if a
// fork failed (the remaining figures are skipped).
static enum outcome all_figures(struct bench *b) {
  // vfork first: it copies nothing, so it runs even where fork cannot.
  if (run_figure(b, &vfork_exec_wait) == TRIAL_FORK_FAILED ||
      run_figure(b, &fork_exit_wait) == TRIAL_FORK_FAILED ||
      run_figure(b, &fork_exec_wait) == TRIAL_FORK_FAILED ||
      fork_pages_figure(b) == TRIAL_FORK_FAILED ||
      child_write_figure(b) == TRIAL_FORK_FAILED ||
      run_figure(b, &parent_write) == TRIAL_FORK_FAILED ||
      (b->pages > 0 && sparse_pages_figure(b) == TRIAL_FORK_FAILED))
    return TRIAL_FORK_FAILED;
  run_figure(b, &plain_write);
  run_figure(b, &getpid_calls);
  return TRIAL_OK;
}

// Grows the heap to mb megabytes and touches the new pages.  Returns 0, or
// -1 if sbrk failed.
static int grow_heap(struct bench *b, int mb) {
  int pages = mb * PAGES_PER_MB;
  if (pages > b->pages) {
    if (sbrk((pages - b->pages) * PGSIZE) == SBRK_FAILED)
      return -1;
    b->pages = pages;
    touch_pages(b);
  }
  b->mb = mb;
  return 0;
}

// Starts the heap on a page boundary, so that page i is heap + i * PGSIZE.
static int align_heap(struct bench *b) {
  uint64 brk = (uint64)sbrk(0);
  if (sbrk(PGROUNDUP(brk) - brk) == SBRK_FAILED)
    return -1;
  b->heap = (char *)PGROUNDUP(brk);
  return 0;
}

int main(int argc, char *argv[]) {
  struct bench b = { 0, 0, 0, { -1, -1 }, &full_run };
  enum outcome (*figures)(struct bench *) = all_figures;
  if (argc == 2 && strcmp(argv[1], "exit") == 0)
    return 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-q") == 0) {
      b.repeat = &quick_run;
    } else if (strcmp(argv[i], child_write.time_name) == 0) {
      figures = child_write_figure;
    } else {
      fprintf(2, "usage: forkbench [-q] [child_write] | forkbench exit\n");
      return 1;
    }
  }
  if (pipe(b.report) < 0 || align_heap(&b) < 0) {
    fprintf(2, "forkbench: cannot set up (pipe or sbrk failed)\n");
    return 1;
  }
  for (int i = 0; i < NHEAP_SIZES; i++) {
    int mb = heap_sizes_mb[i];
    if (grow_heap(&b, mb) < 0) {
      printf("forkbench heap_mb=%d sbrk=failed\n", mb);
      break;
    }
    if (figures(&b) == TRIAL_FORK_FAILED)
      printf("forkbench heap_mb=%d fork=failed\n", mb);
  }
  printf("forkbench done\n");
  return 0;
}
