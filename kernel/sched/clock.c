// The tick counter behind sleep() and uptime(): the whole TIMER_INTERVALs
// (param.h) of the time CSR since clockinit().  Only hart 0 brings it up to
// date, on each of its timer interrupts, so that it advances once per
// interval however many harts run.
//
// It counts time, not interrupts: an interrupt that comes late, because
// hart 0 had interrupts off for a while (the kernel self-audit stops the
// world) or its host thread did not run, still brings the count to the
// intervals that passed, so no tick is lost.  A late update moves it by
// more than one.
//
// Lock rules: tickslock guards ticks; sleepers on &ticks hold it.
#include "types.h"
#include "param.h"
#include "riscv.h"
#include "lib/spinlock.h"
#include "sched/clock.h"
#include "sched/sched.h"

struct spinlock tickslock;
uint ticks;
static uint64 start_time;  // the time CSR at clockinit(); written once, at boot

void clockinit(void) {
  initlock(&tickslock, "ticks");
  start_time = r_time();
}

void clock_tick(void) {
  acquire(&tickslock);
  ticks = (r_time() - start_time) / TIMER_INTERVAL;
  wakeup(&ticks);
  release(&tickslock);
}
