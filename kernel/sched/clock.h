// Time since boot, in clock ticks (one per TIMER_INTERVAL, param.h).
#ifndef KERNEL_SCHED_CLOCK_H
#define KERNEL_SCHED_CLOCK_H

#include "types.h"
#include "lib/spinlock.h"

// Clock ticks since boot, guarded by tickslock; sleep() on &ticks to wait
// for the next one (it may advance by more than one at a time).
extern uint ticks;
extern struct spinlock tickslock;

void clockinit(void);
// Brings ticks up to the time that passed and wakes its sleepers; hart 0's
// timer interrupt calls it.
void clock_tick(void);

#endif
