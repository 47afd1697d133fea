// The race watcher (only in the race kernel, see race/racewatch.h).
//
// Two harts race when they touch the same bytes at once, at least one of
// them writes, and at least one access is a plain load or store: then an
// update can be lost.  Under QEMU such meetings are rare and depend on the
// host: a plain `count++` is a window of two instructions, and when the
// grader has one host core the harts take turns of milliseconds.  So the
// watcher makes the windows wide, and catches what lands in them:
//
//  - Watches.  Before about one access in WATCH_EVERY (chosen at random, and
//    never while the hart holds a spinlock), the hart publishes the access
//    in its watch slot and waits a random time of up to WATCH_TIME_MAX
//    before making it.  An access that checks the other harts' slots and
//    overlaps a watched one is a race if one writes and one is plain.  The
//    wait spins with interrupts off: on a busy host the hart is descheduled
//    in the middle of it, with the access still pending, which is exactly
//    when another hart's turn must meet it.
//  - Read-backs.  A hart that writes a word (even atomically) and then, in
//    the same call into the instrumented code, reads it back to decide
//    something, decides on a stale value if another hart wrote the word in
//    between: "decrement, then read the count" frees a page twice.  Each
//    hart keeps its last WRITES_KEPT writes, each tagged with the kernel
//    thread and the call it was made in; a write by another thread marks
//    the ones it overlaps, and a read of a marked one, by the same thread
//    in the same call, is reported.  A thread is known by its kernel stack
//    page, and a call lasts until the thread's outermost instrumented
//    function returns (a thread may be preempted and move to another hart
//    meanwhile, so this is counted per thread, not per hart).  Correct code never reads back a shared word it has just
//    changed: it uses the value the atomic instruction returned, or holds
//    a lock across both (accesses under a spinlock are neither watched nor
//    remembered, since the other harts could only wait for the lock).
//
// Each report is one line on the console, with the addresses of both
// accesses (the grader turns them into file:line); at most REPORTS_MAX
// different pairs are printed per boot.
//
// Lock rules: a hart's slot and written-list are written only by that hart,
// with interrupts off, except that other harts may mark a written entry; a
// thread's call depth only by that thread, with interrupts off;
// the fields others read are read and written with atomic instructions, and
// an entry's address and kind are one word so they cannot be seen torn.
// The pairs already reported are claimed with an atomic counter.
#include "types.h"
#include "param.h"
#include "riscv.h"
#include "lib/cpu.h"
#include "lib/printf.h"
#include "race/racewatch.h"

#define WATCH_EVERY    16   // accesses per watch, on average
#define WATCH_TIME_MAX 500  // time-counter cycles a watch lasts at most (50 us at 10 MHz)
#define WRITES_KEPT    4    // a hart's latest writes in the current call
#define REPORTS_MAX    8    // different races printed per boot
#define THREADS_MAX    (NPROC + 2 * NCPU)  // kernel threads (stacks) followed

// An access as one word: the address in the low ADDR_BITS bits (kernel
// addresses are below 2^39 in Sv39), then the size, then the kind.
#define ADDR_BITS  48
#define SIZE_SHIFT ADDR_BITS
#define KIND_SHIFT 56
#define FIELD_MASK 0xff
#define ADDR_MASK  ((1UL << ADDR_BITS) - 1)

typedef uint64 access_word;  // 0: no access

struct access {
  access_word word;
  uint64 pc;
  int hart;
};

// A write, the call it was made in, and the first write by another
// thread since.
struct written {
  struct access own;
  uint64 call;          // see call_tag()
  struct access other;  // other.word 0: nobody else has written it yet
};

struct hart_watch {
  struct access watched;  // word 0 when not waiting before an access
  struct written written[WRITES_KEPT];
  int next_written;
  uint64 random;
};

// A kernel thread, by its stack page: how deep it is in instrumented
// functions, and how many outermost calls it has finished.
struct thread {
  uint64 stack;  // 0: a free entry
  int depth;
  uint32 calls;
};

static struct hart_watch harts[NCPU];
static struct thread threads[THREADS_MAX];

// The (pc, other pc) pairs reported so far; a pair is written once its
// index is claimed, so two harts may rarely report one race twice.
static struct {
  int claimed;
  uint64 pcs[REPORTS_MAX][2];
} reports;

// The running kernel thread's entry (each runs on a stack page of its
// own), made on first use; 0 if the table is full.
static struct thread *this_thread(void) {
  uint64 stack = r_sp() / PGSIZE;
  for (int n = 0, i = stack % THREADS_MAX; n < THREADS_MAX;
       n++, i = (i + 1) % THREADS_MAX) {
    uint64 free = 0;
    if (__atomic_load_n(&threads[i].stack, __ATOMIC_ACQUIRE) == stack ||
        __atomic_compare_exchange_n(&threads[i].stack, &free, stack, 0, __ATOMIC_ACQ_REL,
                                    __ATOMIC_ACQUIRE))
      return &threads[i];
  }
  return 0;
}

// Names the thread's current outermost call: the stack page, then the
// number of calls before it.  Never 0.
static uint64 call_tag(struct thread *t) {
  return t->stack << 32 | t->calls;
}

static access_word pack(uint64 addr, int size, int kind) {
  return (addr & ADDR_MASK) | ((uint64)size << SIZE_SHIFT) | ((uint64)kind << KIND_SHIFT);
}
static uint64 addr_of(access_word w) {
  return w & ADDR_MASK;
}
static int size_of(access_word w) {
  return (w >> SIZE_SHIFT) & FIELD_MASK;
}
static int kind_of(access_word w) {
  return (w >> KIND_SHIFT) & FIELD_MASK;
}

static int overlap(access_word a, access_word b) {
  return addr_of(a) < addr_of(b) + size_of(b) && addr_of(b) < addr_of(a) + size_of(a);
}

// Two overlapping accesses by different harts race when one writes and
// one is plain: two atomic instructions on the same word never do.
static int conflict(access_word a, access_word b) {
  int kinds = kind_of(a) | kind_of(b);
  return overlap(a, b) && (kinds & ACCESS_WRITE) &&
         !(kind_of(a) & kind_of(b) & ACCESS_ATOMIC);
}

static void publish(struct access *slot, access_word word, uint64 pc, int hart) {
  __atomic_store_n(&slot->pc, pc, __ATOMIC_RELAXED);
  __atomic_store_n(&slot->hart, hart, __ATOMIC_RELAXED);
  __atomic_store_n(&slot->word, word, __ATOMIC_RELEASE);
}

static struct access read_access(struct access *slot) {
  struct access a;
  a.word = __atomic_load_n(&slot->word, __ATOMIC_ACQUIRE);
  a.pc = __atomic_load_n(&slot->pc, __ATOMIC_RELAXED);
  a.hart = __atomic_load_n(&slot->hart, __ATOMIC_RELAXED);
  return a;
}

static const char *kind_name(access_word w) {
  static const char *names[] = { "plain read", "plain write", "atomic read",
                                 "atomic write" };
  return names[kind_of(w) & (ACCESS_WRITE | ACCESS_ATOMIC)];
}

// Whether the race between the accesses at pc and other_pc is new; if so
// it is remembered.  Once REPORTS_MAX are remembered, nothing is new.
static int first_report(uint64 pc, uint64 other_pc) {
  int known = __atomic_load_n(&reports.claimed, __ATOMIC_ACQUIRE);
  for (int i = 0; i < known && i < REPORTS_MAX; i++)
    if (__atomic_load_n(&reports.pcs[i][0], __ATOMIC_RELAXED) == pc &&
        __atomic_load_n(&reports.pcs[i][1], __ATOMIC_RELAXED) == other_pc)
      return 0;
  int mine = __atomic_fetch_add(&reports.claimed, 1, __ATOMIC_ACQ_REL);
  if (mine >= REPORTS_MAX)
    return 0;
  __atomic_store_n(&reports.pcs[mine][0], pc, __ATOMIC_RELAXED);
  __atomic_store_n(&reports.pcs[mine][1], other_pc, __ATOMIC_RELAXED);
  return 1;
}

static void report_race(struct access *mine, struct access *other) {
  if (!first_report(mine->pc, other->pc))
    return;
  printf("racewatch: data race on %p (%d bytes): hart %d %s at pc %p, "
         "hart %d %s at pc %p at the same time\n",
         (void *)addr_of(mine->word), size_of(mine->word), mine->hart,
         kind_name(mine->word), (void *)mine->pc, other->hart, kind_name(other->word),
         (void *)other->pc);
}

static void report_read_back(struct access *read, struct written *w) {
  if (!first_report(read->pc, w->other.pc))
    return;
  printf("racewatch: stale read-back of %p (%d bytes): hart %d %s at pc %p, "
         "then %s at pc %p, but hart %d %s at pc %p in between\n",
         (void *)addr_of(read->word), size_of(read->word), read->hart,
         kind_name(w->own.word), (void *)w->own.pc, kind_name(read->word),
         (void *)read->pc, w->other.hart, kind_name(w->other.word), (void *)w->other.pc);
}

// The other harts' watches this access meets.
static void check_watches(struct access *a) {
  for (int h = 0; h < NCPU; h++) {
    if (h == a->hart)
      continue;
    struct access watched = read_access(&harts[h].watched);
    if (watched.word && conflict(a->word, watched.word))
      report_race(a, &watched);
  }
}

// A write marks the writes of other threads it overlaps, on every hart
// (this one too: their thread may have been preempted here): whoever made
// them has a stale view now.
static void mark_written(struct access *a, uint64 call) {
  for (int h = 0; h < NCPU; h++) {
    for (int i = 0; i < WRITES_KEPT; i++) {
      struct written *w = &harts[h].written[i];
      access_word own = __atomic_load_n(&w->own.word, __ATOMIC_ACQUIRE);
      if (own && overlap(own, a->word) &&
          __atomic_load_n(&w->call, __ATOMIC_RELAXED) >> 32 != call >> 32 &&
          __atomic_load_n(&w->other.word, __ATOMIC_RELAXED) == 0)
        publish(&w->other, a->word, a->pc, a->hart);
    }
  }
}

// This thread's read of what it wrote earlier in this call.
static void check_read_back(struct hart_watch *me, struct access *a, uint64 call) {
  for (int i = 0; i < WRITES_KEPT; i++) {
    struct written *w = &me->written[i];
    if (w->own.word && w->call == call && overlap(w->own.word, a->word) &&
        __atomic_load_n(&w->other.word, __ATOMIC_ACQUIRE))
      report_read_back(a, w);
  }
}

// An earlier write of the same bytes in this call is superseded: what it
// was told no longer matters once the thread has written them again.
static void remember_write(struct hart_watch *me, struct access *a, uint64 call) {
  for (int i = 0; i < WRITES_KEPT; i++)
    if (me->written[i].call == call && overlap(me->written[i].own.word, a->word))
      __atomic_store_n(&me->written[i].own.word, 0, __ATOMIC_RELEASE);
  struct written *w = &me->written[me->next_written];
  me->next_written = (me->next_written + 1) % WRITES_KEPT;
  __atomic_store_n(&w->own.word, 0, __ATOMIC_RELEASE);
  __atomic_store_n(&w->other.word, 0, __ATOMIC_RELEASE);
  __atomic_store_n(&w->call, call, __ATOMIC_RELAXED);
  publish(&w->own, a->word, a->pc, a->hart);
}

// xorshift64: cheap, and good enough to spread the watches.
static uint64 next_random(struct hart_watch *me) {
  if (me->random == 0)
    me->random = r_time() * 2 + 1;
  me->random ^= me->random << 13;
  me->random ^= me->random >> 7;
  me->random ^= me->random << 17;
  return me->random;
}

// Sometimes, wait before the access with it published (see the top).
static void maybe_watch(struct hart_watch *me, struct access *a) {
  uint64 r = next_random(me);
  if (r % WATCH_EVERY != 0)
    return;
  uint64 until = r_time() + 1 + (r / WATCH_EVERY) % WATCH_TIME_MAX;
  publish(&me->watched, a->word, a->pc, a->hart);
  while (r_time() < until)
    ;
  __atomic_store_n(&me->watched.word, 0, __ATOMIC_RELEASE);
}

void racewatch_access(uint64 addr, int size, int kind, uint64 pc) {
  uint64 sstatus = r_sstatus();
  intr_off();
  struct access a = { pack(addr, size, kind), pc, cpuid() };
  struct hart_watch *me = &harts[a.hart];
  struct thread *t = this_thread();
  uint64 call = t ? call_tag(t) : 0;
  int locked = mycpu()->noff != 0;
  check_watches(&a);
  if (kind & ACCESS_WRITE)
    mark_written(&a, call);
  if (call && !locked && (kind & ACCESS_WRITE))
    remember_write(me, &a, call);
  if (call && !locked && !(kind & ACCESS_WRITE))
    check_read_back(me, &a, call);
  if (!locked)
    maybe_watch(me, &a);
  w_sstatus(sstatus);
}

void racewatch_enter(void) {
  uint64 sstatus = r_sstatus();
  intr_off();
  struct thread *t = this_thread();
  if (t)
    t->depth++;
  w_sstatus(sstatus);
}

// The thread's outermost instrumented call returns: a new call begins.
void racewatch_leave(void) {
  uint64 sstatus = r_sstatus();
  intr_off();
  struct thread *t = this_thread();
  if (t && t->depth > 0 && --t->depth == 0)
    t->calls++;
  w_sstatus(sstatus);
}
