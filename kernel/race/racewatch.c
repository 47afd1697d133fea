// The race watcher (only in the race kernel, see race/racewatch.h).
//
// Two harts race when they touch the same bytes at once, at least one of
// them writes, and at least one access is a plain load or store: then an
// update can be lost.  Under QEMU such meetings are rare and depend on the
// host: a plain `count++` is a window of two instructions, and when the
// grader has one host core the harts take turns of milliseconds.  So the
// watcher widens the windows and catches what lands in them:
//
//  - Watches (here).  Before about one access in WATCH_EVERY, chosen at
//    random and never with interrupts pushed off (a spinlock held, or
//    push_off()), the hart publishes
//    the access in its slot and waits a random time of up to
//    WATCH_TIME_MAX before making it.  An access of another hart that
//    overlaps a watched one is a data race if one writes and one is plain.
//    The wait spins with interrupts off: on a busy host the hart is
//    descheduled in the middle of it, with its access still pending, which
//    is exactly when the other harts get their turn.  A write of bytes the
//    thread read earlier in the same call ends a test-then-act window
//    ("if the count is above 1, decrement it"), which only the page totals
//    can show wrong when both are atomic: an atomic one is watched every
//    time (ACT_WATCH_EVERY).  Correct code has few such writes
//    (cow_break's copy reads the count, then kfree() drops it), so this
//    costs little.
//  - Stale values (race/stale.c): a thread that, in one call, reads a word
//    and then stores on what it read, or changes it and then reads it back
//    to decide, after another thread changed it in between.  The watches'
//    waits widen those windows too; the access is checked and kept only
//    after its wait, when it is really made.
//
// A thread is known by its kernel stack page (each process has one, and so
// does each hart's scheduler).  A call of a thread lasts until its
// outermost instrumented function returns, or until the thread moves to
// another hart (preempted and resumed elsewhere): what the old hart kept
// of it is then left behind.  Depths are counted per thread.
//
// Lock rules: a hart's watch slot is written only by that hart, with
// interrupts off, and read by the others with atomic loads.  A thread's
// entry is claimed with a compare-and-swap and then touched only by that
// thread, with interrupts off.
#include "types.h"
#include "param.h"
#include "riscv.h"
#include "lib/cpu.h"
#include "race/access.h"
#include "race/racewatch.h"
#include "race/report.h"
#include "race/stale.h"

#define WATCH_EVERY     16   // accesses per watch, on average
#define ACT_WATCH_EVERY 1    // the same, for a write of bytes read earlier in the call
#define WATCH_TIME_MAX  500  // time-counter cycles a watch lasts at most (50 us at 10 MHz)
#define THREADS_MAX     (NPROC + NCPU)  // kernel stacks: each process's, each hart's
#define DEPTH_MAX       16  // nested instrumented functions followed per thread

// A kernel thread: how deep it is in instrumented functions, how many
// outermost calls it has finished, and a count of its accesses and entries
// that numbers each (entered[d]: the number of the function at depth d+1).
struct thread {
  uint64 stack;  // its stack page; 0: a free entry
  int depth;
  int hart;  // where it made its last access
  uint32 calls;
  uint64 seq;
  uint64 entered[DEPTH_MAX];
};

static struct access watched[NCPU];  // word 0 when the hart waits before no access
static uint64 random_state[NCPU];
static struct thread threads[THREADS_MAX];

// The running kernel thread's entry, made on first use; 0 if the table is
// full.
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

// Numbers a new access of thread t (0 for an unknown thread) on hart.
static struct call_point call_point(struct thread *t, int hart) {
  struct call_point at = { 0, 0, 0 };
  if (t == 0)
    return at;
  if (t->hart != hart)
    t->calls++;  // moved: a new call (see the top)
  t->hart = hart;
  at.call = call_of(t->stack, t->calls);
  at.seq = ++t->seq;
  int inside = t->depth > 0 && t->depth <= DEPTH_MAX;
  at.frame_entered = inside ? t->entered[t->depth - 1] : at.seq;
  return at;
}

// Two overlapping accesses by different harts race when one writes and
// one is plain: two atomic instructions on the same word never do.
static int conflict(access_word a, access_word b) {
  int kinds = access_kind(a) | access_kind(b);
  return access_overlap(a, b) && (kinds & ACCESS_WRITE) &&
         !(access_kind(a) & access_kind(b) & ACCESS_ATOMIC);
}

// The other harts' watches a meets.
static void check_watches(const struct access *a) {
  for (int h = 0; h < harts_started; h++) {
    if (h == a->hart)
      continue;
    struct access other = access_read(&watched[h]);
    if (other.word && conflict(a->word, other.word))
      report_data_race(a, &other);
  }
}

// xorshift64: cheap, and good enough to spread the watches.
static uint64 next_random(int hart) {
  uint64 x = random_state[hart] ? random_state[hart] : r_time() * 2 + 1;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return random_state[hart] = x;
}

// Sometimes (one time in every), wait before the access with it
// published (see the top).
static void maybe_watch(const struct access *a, uint64 every) {
  uint64 r = next_random(a->hart);
  if (r % every != 0)
    return;
  uint64 until = r_time() + 1 + (r / every) % WATCH_TIME_MAX;
  access_publish(&watched[a->hart], a);
  while (r_time() < until)
    ;
  access_clear(&watched[a->hart]);
}

void racewatch_access(uint64 addr, uint64 size, int kind, uint64 pc) {
  uint64 sstatus = r_sstatus();
  intr_off();
  struct access a = { access_pack(addr, size, kind), pc, cpuid() };
  int locked = mycpu()->noff != 0;
  struct call_point at = call_point(this_thread(), a.hart);
  if (!locked)
    maybe_watch(&a, stale_acts_on_read(&a, &at) ? ACT_WATCH_EVERY : WATCH_EVERY);
  check_watches(&a);
  stale_access(&a, &at, locked);
  w_sstatus(sstatus);
}

void racewatch_enter(void) {
  uint64 sstatus = r_sstatus();
  intr_off();
  struct thread *t = this_thread();
  if (t && ++t->depth <= DEPTH_MAX)
    t->entered[t->depth - 1] = ++t->seq;
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
