// Spinlocks: mutual exclusion between harts for short critical sections.
//
// Holding a spinlock keeps interrupts off on this hart (so an interrupt
// handler cannot try to take a lock its own hart already holds).  Never
// sleep while holding one, except for the lock passed to sleep().
#ifndef KERNEL_LIB_SPINLOCK_H
#define KERNEL_LIB_SPINLOCK_H

#include "types.h"
#include "lib/cpu.h"

struct spinlock {
  uint locked;       // 1 while held
  const char *name;  // for debugging
  struct cpu *cpu;   // the holder, while held
};

void initlock(struct spinlock *lk, const char *name);
void acquire(struct spinlock *lk);
void release(struct spinlock *lk);

// Is this hart holding lk?  Interrupts must be off.  Inline: acquire() and
// release() ask every time, and under QEMU a call costs a look-up of
// translated code.
static inline int holding(struct spinlock *lk) {
  return lk->locked && lk->cpu == mycpu();
}

// Nested interrupt disabling: push_off() turns interrupts off and counts;
// the matching pop_off() restores them only when the count returns to zero.
void push_off(void);
void pop_off(void);

#endif
