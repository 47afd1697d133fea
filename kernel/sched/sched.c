// Scheduling: each hart runs scheduler(), which picks a RUNNABLE process and
// swtch()es to it; the process swtch()es back through sched() when it
// yields, sleeps or exits.
//
// The switch is always made holding p->lock and no other spinlock: the
// lock keeps another hart from running p (or changing its state) until p's
// registers are saved.  Whoever swtch()es in releases the lock.
//
// sleep()/wakeup(): a sleeper holds the lock that guards its condition
// until p->lock is held, so a wakeup() (which needs p->lock) cannot slip in
// between the check and the sleep.
#include "types.h"
#include "param.h"
#include "riscv.h"
#include "cov/cov.h"
#include "lib/spinlock.h"
#include "lib/printf.h"
#include "lib/cpu.h"
#include "sched/process.h"
#include "sched/sched.h"
#include "sched/stopworld.h"

// Runs the first RUNNABLE process found in p's slot order; returns whether
// one ran.
static int run_one(struct cpu *c) {
  int ran = 0;
  for (struct proc *p = proc; p < &proc[NPROC]; p++) {
    world_park();  // holding no lock: someone may be stopping the world
    acquire(&p->lock);
    if (p->state == RUNNABLE) {
      p->state = RUNNING;
      c->proc = p;
      cov_owner(p - proc);  // a no-op but in the coverage kernel
      swtch(&c->context, &p->context);
      cov_owner(COV_NOBODY);
      c->proc = 0;  // p gave the hart back
      ran = 1;
    }
    release(&p->lock);
  }
  return ran;
}

void scheduler(void) {
  struct cpu *c = mycpu();
  c->proc = 0;
  for (;;) {
    // Interrupts on, so that a device can wake a process even when every
    // process is asleep; then off again while we look at the table.
    intr_on();
    intr_off();
    if (!run_one(c)) {
      // Nothing to run: wait for an interrupt rather than spin, which
      // leaves the host's CPU to the harts that have work.
      intr_on();
      asm volatile("wfi");
    }
  }
}

// Gives the hart back to the scheduler.  Caller holds exactly p->lock and
// has already changed p->state.  intena belongs to this kernel thread, not
// to the hart, so it is saved and restored around the switch.
void sched(void) {
  struct proc *p = myproc();
  if (!holding(&p->lock))
    panic("sched: p->lock not held");
  if (mycpu()->noff != 1)
    panic("sched: other locks held");
  if (p->state == RUNNING)
    panic("sched: process still RUNNING");
  if (intr_get())
    panic("sched: interrupts on");

  int intena = mycpu()->intena;
  swtch(&p->context, &mycpu()->context);
  mycpu()->intena = intena;
}

void yield(void) {
  struct proc *p = myproc();
  acquire(&p->lock);
  p->state = RUNNABLE;
  sched();
  release(&p->lock);
}

// Atomically releases lk and sleeps on chan; holds lk again on return.
void sleep(void *chan, struct spinlock *lk) {
  struct proc *p = myproc();
  acquire(&p->lock);
  release(lk);
  p->chan = chan;
  p->state = SLEEPING;
  sched();
  p->chan = 0;
  release(&p->lock);
  acquire(lk);
}

// Wakes every process sleeping on chan.  Caller must not hold any p->lock.
void wakeup(void *chan) {
  push_off();  // once for the whole scan, not once per lock (see push_off())
  struct proc *me = myproc();
  for (struct proc *p = proc; p < &proc[NPROC]; p++) {
    if (p == me)
      continue;
    acquire(&p->lock);
    if (p->state == SLEEPING && p->chan == chan)
      p->state = RUNNABLE;
    release(&p->lock);
  }
  pop_off();
}
