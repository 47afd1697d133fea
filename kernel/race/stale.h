// Stale values: a thread that acts on what it saw earlier in the same
// call, after another thread changed it (race/ only).
#ifndef KERNEL_RACE_STALE_H
#define KERNEL_RACE_STALE_H

#include "race/access.h"

// Where in its thread an access is made.
struct call_point {
  uint64 call;           // the thread's current call (call_of()), or 0 if the
                         // thread is unknown
  uint64 seq;            // the access's number in its thread
  uint64 frame_entered;  // the number the function making it got when it was entered
};

// Names a thread's current call: the thread's stack page, then the number
// of outermost calls it finished before this one.  Never 0.
static inline uint64 call_of(uint64 stack_page, uint32 calls) {
  return stack_page << 32 | calls;
}
static inline uint64 call_thread(uint64 call) {
  return call >> 32;
}

// Whether a is an atomic write of bytes its thread read earlier in the
// call: the end of a test-then-act window, worth widening even when it is
// no bug.  (Plain ones are data races or lost updates, reported anyway.)
int stale_acts_on_read(const struct access *a, const struct call_point *at);

// Checks access a (made at point at, holding a spinlock if locked) against
// what its thread kept from earlier in the call, reports what went stale,
// then keeps a.
void stale_access(const struct access *a, const struct call_point *at, int locked);

#endif
