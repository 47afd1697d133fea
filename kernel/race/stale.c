// Stale values (see race/stale.h).
//
// Each hart keeps the last KEPT accesses its threads made outside
// spinlocks, each with the call it belongs to, and the first write by
// another thread to the same bytes since (a "mark").  When the thread
// touches the bytes again in the same call, the kept access is replaced,
// and two cases are reported if it was marked:
//  - read-back: it wrote them, and now reads them to decide something,
//    such as "decrement, then read the count to see if it is 0".  Both
//    threads may then see 0 and free the page, or neither.
//  - lost update: it read them, and now stores a value without reading
//    them again, in the function that read them or one it called: the
//    other thread's write is overwritten.  A plain `count--` is such a
//    pair, and so is an atomic load followed by an atomic store.
// Correct code does neither: it changes a shared word with one atomic
// read-modify-write and decides on the value that returns, or holds a
// spinlock across both accesses (and accesses under a spinlock are not
// kept).  A third case is reported as a hint only:
//  - stale check: it read them, and now changes them with an unconditional
//    atomic read-modify-write in the same function (or one it called),
//    such as "the count is above 1, so decrement it and keep the page".
//    The write loses nothing, and code that decides on what the write
//    returns is correct, so the grader shows this report only beside a
//    test that failed anyway (a leaked page), as its likely cause.  A
//    compare-and-swap after a read is never reported: it fails if the
//    value changed.
//
// A thread that moves to another hart starts a new call (racewatch.c), so
// what this hart kept of it is never compared with what it does elsewhere.
//
// Lock rules: a kept access is written only by its hart with interrupts
// off, except its mark, which other harts claim with a compare-and-swap.
// Other harts read a kept access with atomic loads, and a mark counts only
// if it overlaps the access it marks (so a mark that raced with the
// entry's reuse is ignored).
#include "types.h"
#include "param.h"
#include "lib/cpu.h"
#include "race/report.h"
#include "race/stale.h"

#define KEPT 8  // accesses kept per hart

struct kept {
  struct access own;    // own.word 0: an empty entry
  uint64 call;          // the call it was made in (struct call_point)
  uint64 seq;           // its number in its thread
  struct access other;  // the first write by another thread since; word 0: none
};

static struct {
  struct kept kept[KEPT];
  int next;
} harts[NCPU];

// A write marks what other threads kept of the same bytes, on every hart
// (this one too: such a thread may have been preempted here).
static void mark_others(const struct access *a, uint64 call) {
  for (int h = 0; h < harts_started; h++) {
    for (int i = 0; i < KEPT; i++) {
      struct kept *k = &harts[h].kept[i];
      access_word own = __atomic_load_n(&k->own.word, __ATOMIC_ACQUIRE);
      access_word none = 0;
      if (own && access_overlap(own, a->word) &&
          call_thread(__atomic_load_n(&k->call, __ATOMIC_RELAXED)) != call_thread(call) &&
          __atomic_compare_exchange_n(&k->other.word, &none, a->word, 0, __ATOMIC_ACQ_REL,
                                      __ATOMIC_RELAXED)) {
        __atomic_store_n(&k->other.pc, a->pc, __ATOMIC_RELAXED);
        __atomic_store_n(&k->other.hart, a->hart, __ATOMIC_RELAXED);
      }
    }
  }
}

// What this hart kept of the bytes of a in the call, or 0.
static struct kept *kept_of(const struct access *a, uint64 call) {
  for (int i = 0; i < KEPT; i++) {
    struct kept *k = &harts[a->hart].kept[i];
    if (k->own.word && k->call == call && access_overlap(k->own.word, a->word))
      return k;
  }
  return 0;
}

// Reports k, made before a in the same call, if another thread's write
// came between them and a acts on what k saw.
static void check_kept(const struct access *a, const struct call_point *at,
                       struct kept *k) {
  struct access other = access_read(&k->other);
  if (other.word == 0 || !access_overlap(other.word, k->own.word))
    return;
  int kind = access_kind(a->word);
  int reads_back = !access_writes(a->word) && access_writes(k->own.word);
  int read_in_frame = !access_writes(k->own.word) && k->seq > at->frame_entered;
  int stores = access_writes(a->word) && !(kind & ACCESS_RMW);
  int changes = (kind & ACCESS_RMW) && !(kind & ACCESS_CONDITIONAL);
  if (reads_back)
    report_stale("stale read-back", &k->own, a, &other);
  if (stores && read_in_frame)
    report_stale("lost update", &k->own, a, &other);
  if (changes && read_in_frame)
    report_stale("stale check", &k->own, a, &other);
}

static void keep(const struct access *a, const struct call_point *at) {
  struct kept *k = &harts[a->hart].kept[harts[a->hart].next];
  harts[a->hart].next = (harts[a->hart].next + 1) % KEPT;
  access_clear(&k->own);
  access_clear(&k->other);
  __atomic_store_n(&k->call, at->call, __ATOMIC_RELAXED);
  k->seq = at->seq;
  access_publish(&k->own, a);
}

// Looks the kept accesses up only for an atomic write (a few of all the
// accesses), since stale_access() looks them up again for every access.
int stale_acts_on_read(const struct access *a, const struct call_point *at) {
  int atomic_write = access_writes(a->word) && (access_kind(a->word) & ACCESS_ATOMIC);
  if (!atomic_write || at->call == 0)
    return 0;
  struct kept *k = kept_of(a, at->call);
  return k && !access_writes(k->own.word);
}

void stale_access(const struct access *a, const struct call_point *at, int locked) {
  if (access_writes(a->word))
    mark_others(a, at->call);
  if (locked || at->call == 0)
    return;
  struct kept *k = kept_of(a, at->call);
  if (k) {
    check_kept(a, at, k);
    access_clear(&k->own);  // a supersedes it
  }
  keep(a, at);
}
