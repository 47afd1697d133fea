// Spinlocks.
//
// acquire() turns interrupts off (push_off) before spinning and release()
// restores them (pop_off), so a hart never takes an interrupt while holding a
// spinlock: the interrupt handler might want the same lock and spin forever.
// The __sync builtins give atomic swap and the memory fences that keep the
// critical section's loads and stores inside it.
#include "types.h"
#include "riscv.h"
#include "lib/spinlock.h"
#include "lib/printf.h"
#include "lib/cpu.h"

void initlock(struct spinlock *lk, const char *name) {
  lk->name = name;
  lk->locked = 0;
  lk->cpu = 0;
}

void acquire(struct spinlock *lk) {
  push_off();
  if (holding(lk))
    panic("acquire: lock already held by this hart");
  while (__sync_lock_test_and_set(&lk->locked, 1) != 0)
    ;
  __sync_synchronize();
  lk->cpu = mycpu();
}

void release(struct spinlock *lk) {
  if (!holding(lk))
    panic("release: lock not held");
  lk->cpu = 0;
  __sync_synchronize();
  __sync_lock_release(&lk->locked);
  pop_off();
}

void push_off(void) {
  int was_on = intr_get();
  // Only when they are on.  Clearing SIE again would change nothing, and
  // under QEMU a CSR write costs a trip out of translated code: it adds up
  // where a hart takes many locks in a row with interrupts off (wakeup(),
  // the scheduler's scan of the process table).
  if (was_on)
    intr_off();
  struct cpu *c = mycpu();
  if (c->noff == 0)
    c->intena = was_on;
  c->noff++;
}

void pop_off(void) {
  struct cpu *c = mycpu();
  if (intr_get())
    panic("pop_off: interrupts are on");
  if (c->noff < 1)
    panic("pop_off: not pushed");
  c->noff--;
  if (c->noff == 0 && c->intena)
    intr_on();
}
