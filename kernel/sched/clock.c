// The tick counter behind sleep() and uptime().  Only hart 0 counts, so
// that the count advances once per timer interval however many harts run.
//
// Lock rules: tickslock guards ticks; sleepers on &ticks hold it.
#include "types.h"
#include "lib/spinlock.h"
#include "sched/clock.h"
#include "sched/sched.h"

struct spinlock tickslock;
uint ticks;

void clockinit(void) {
  initlock(&tickslock, "ticks");
}

void clock_tick(void) {
  acquire(&tickslock);
  ticks++;
  wakeup(&ticks);
  release(&tickslock);
}
