// The process table and what every layer may ask of a process: which one
// is running here, and whether it has been killed.  Creating and ending
// processes is proc/proc.c's business.
//
// Lock rules: p->lock guards p->killed (see sched/process.h for the rest).
#include "types.h"
#include "param.h"
#include "lib/cpu.h"
#include "lib/printf.h"
#include "lib/spinlock.h"
#include "sched/process.h"
#include "sched/clock.h"

struct proc proc[NPROC];
struct proc *initproc;

struct proc *myproc(void) {
  push_off();  // so that we cannot move to another hart while looking
  struct proc *p = mycpu()->proc;
  pop_off();
  return p;
}

int is_init(struct proc *p) {
  return p == initproc;
}

void setkilled(struct proc *p) {
  acquire(&p->lock);
  p->killed = 1;
  release(&p->lock);
}

int killed(struct proc *p) {
  acquire(&p->lock);
  int k = p->killed;
  release(&p->lock);
  return k;
}

pagetable_t distinct_pagetable(struct proc *p) {
  pagetable_t table = p->state == UNUSED ? 0 : p->pagetable;
  for (struct proc *q = proc; table && q < p; q++)
    if (q->state != UNUSED && q->pagetable == table)
      return 0;
  return table;
}

// Lists the processes on the console (Ctrl-P), with the channel each
// sleeper waits on (the nearest symbol below it in kernel.sym) and the
// tick count, so that a hang can be told from a stopped clock.  Takes no
// locks, so that it still works on a wedged system; what it prints may be
// slightly stale.
void procdump(void) {
  static const char *names[] = {
    [UNUSED] "unused",   [USED] "used",   [SLEEPING] "sleep",
    [RUNNABLE] "runble", [RUNNING] "run", [ZOMBIE] "zombie",
  };
  printf("\nticks %d\n", ticks);
  for (struct proc *p = proc; p < &proc[NPROC]; p++) {
    if (p->state == UNUSED)
      continue;
    if (p->state == SLEEPING)
      printf("%d %s %s on %p\n", p->pid, names[p->state], p->name, p->chan);
    else
      printf("%d %s %s\n", p->pid, names[p->state], p->name);
  }
}
