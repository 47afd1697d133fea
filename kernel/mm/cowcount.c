// Copy-on-write counters: one set for the whole system, one per process, and
// one per process for the children it has reaped (as getrusage() does).
//
// Lock rules: the system counters are bumped with atomic adds, so counting
// never waits for another hart.  A process's own counters are touched only
// by the process itself, and once it is a zombie by its parent's wait(),
// which frees its memory (cow_count_for()) and then adds its counters to
// p->cow_children.  counted_for[i] is hart i's own.
#include "types.h"
#include "param.h"
#include "cowstat.h"
#include "mm/cowcount.h"
#include "lib/cpu.h"
#include "lib/printf.h"
#include "lib/spinlock.h"
#include "sched/process.h"

static struct cowstat system_counts;
// Per hart: whose counters its events go to instead (cow_count_for()).
static struct proc *counted_for[NCPU];

// The field of st that counts event.
static uint64 *counter(struct cowstat *st, enum cow_event event) {
  switch (event) {
  case COW_EVENT_FAULT: return &st->cow_faults;
  case COW_EVENT_COPY: return &st->pages_copied;
  case COW_EVENT_REUSE: return &st->pages_reused;
  case COW_EVENT_OUT_OF_MEMORY: return &st->out_of_memory;
  case COW_EVENT_COPYOUT_BREAK: return &st->copyout_breaks;
  case COW_EVENT_OOM_KILL: return &st->oom_kills;
  case COW_EVENT_REUSE_AROUND: return &st->pages_reused_around;
  case COW_EVENT_COPY_AHEAD: return &st->pages_copied_ahead;
  case COW_EVENT_AHEAD_UNWRITTEN: return &st->ahead_never_written;
  default: panic("cow counter: unknown event");
  }
}

void cow_count(enum cow_event event) {
  cow_count_many(event, 1);
}

// Whose counters this hart's events go to: the process set by
// cow_count_for(), else the running one (0 in the scheduler).
static struct proc *counted_process(void) {
  push_off();
  struct proc *p = counted_for[cpuid()] ? counted_for[cpuid()] : mycpu()->proc;
  pop_off();
  return p;
}

void cow_count_for(struct proc *p) {
  counted_for[cpuid()] = p;
}

void cow_count_many(enum cow_event event, uint64 n) {
  __atomic_fetch_add(counter(&system_counts, event), n, __ATOMIC_RELAXED);
  struct proc *p = counted_process();
  if (p)
    *counter(&p->cow_self, event) += n;
}

void cowstat_add(struct cowstat *dst, struct cowstat *src) {
  for (enum cow_event e = 0; e < COW_EVENT_COUNT; e++)
    *counter(dst, e) += *counter(src, e);
}

void cowstat_system(struct cowstat *st) {
  for (enum cow_event e = 0; e < COW_EVENT_COUNT; e++)
    *counter(st, e) = __atomic_load_n(counter(&system_counts, e), __ATOMIC_RELAXED);
}
