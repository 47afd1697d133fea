// Traps: system calls, exceptions and device interrupts, from user and
// supervisor mode.
#ifndef KERNEL_TRAP_TRAP_H
#define KERNEL_TRAP_TRAP_H

#include "types.h"
#include "lib/spinlock.h"

void trapinit(void);
void trapinithart(void);
void usertrapret(void) __attribute__((noreturn));

// Clock ticks since boot, guarded by tickslock; sleep() on &ticks to wait.
extern uint ticks;
extern struct spinlock tickslock;

#endif
