// Running, yielding, sleeping and waking (sched.c), and the switch between
// kernel threads (swtch.S).
#ifndef KERNEL_SCHED_SCHED_H
#define KERNEL_SCHED_SCHED_H

#include "lib/cpu.h"
#include "lib/spinlock.h"

void scheduler(void) __attribute__((noreturn));
// Gives the hart back to the scheduler.  Caller holds exactly p->lock and
// has already changed p->state.
void sched(void);
void yield(void);
// Atomically releases lk and sleeps on chan; holds lk again on return.
void sleep(void *chan, struct spinlock *lk);
// Wakes every process sleeping on chan.  Caller must not hold any p->lock.
void wakeup(void *chan);

// Saves the current callee-saved registers in old, loads new.
void swtch(struct context *old, struct context *new);

#endif
