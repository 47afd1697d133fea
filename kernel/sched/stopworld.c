// Stopping the world.  The stopping hart raises `stopping` and waits until
// every other hart that has started (lib/cpu.h: harts_started) has parked.
// A hart parks in world_park(), which its scheduler calls between process
// slots, where it holds no spinlock; so once all are parked no code but
// the stopper's runs, and no lock is held by anyone.
//
// A parked hart spins with interrupts off: a timer tick there would have
// nothing to preempt, and a device interrupt waits until the world goes on.
//
// Lock rules: none; `stopping` and `parked` are read and written atomically.
#include "types.h"
#include "param.h"
#include "lib/cpu.h"
#include "lib/spinlock.h"
#include "sched/stopworld.h"

static volatile int stopping;      // someone wants every other hart parked
static volatile int parked[NCPU];  // hart i is spinning in world_park()

void world_park(void) {
  if (!__atomic_load_n(&stopping, __ATOMIC_ACQUIRE))
    return;
  push_off();
  int id = cpuid();
  __atomic_store_n(&parked[id], 1, __ATOMIC_RELEASE);
  while (__atomic_load_n(&stopping, __ATOMIC_ACQUIRE))
    ;
  __atomic_store_n(&parked[id], 0, __ATOMIC_RELEASE);
  pop_off();
}

void world_stop(void) {
  push_off();
  __atomic_store_n(&stopping, 1, __ATOMIC_SEQ_CST);
  int me = cpuid();
  for (int id = 0; id < harts_started; id++)
    while (id != me && !__atomic_load_n(&parked[id], __ATOMIC_ACQUIRE))
      ;
}

void world_restart(void) {
  __atomic_store_n(&stopping, 0, __ATOMIC_SEQ_CST);
  pop_off();
}
