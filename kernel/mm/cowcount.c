// Copy-on-write counters: one set for the whole system, one per process, and
// one per process for the children it has reaped (as getrusage() does).
//
// Lock rules: the system counters are bumped with atomic adds, so counting
// never waits for another hart.  A process's own counters are touched only
// by the process itself; its children's counters are added to
// p->cow_children in wait(), by the parent itself.
#include "types.h"
#include "cowstat.h"
#include "mm/cowcount.h"
#include "lib/printf.h"
#include "sched/process.h"

static struct cowstat system_counts;

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
  default: panic("cow counter: unknown event");
  }
}

void cow_count(enum cow_event event) {
  cow_count_many(event, 1);
}

void cow_count_many(enum cow_event event, uint64 n) {
  __atomic_fetch_add(counter(&system_counts, event), n, __ATOMIC_RELAXED);
  struct proc *p = myproc();
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
