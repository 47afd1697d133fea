// Counting copy-on-write events, for the cowstat() system call.
#ifndef KERNEL_MM_COWCOUNT_H
#define KERNEL_MM_COWCOUNT_H

#include "types.h"
#include "cowstat.h"

struct proc;

enum cow_event {
  COW_EVENT_FAULT,
  COW_EVENT_COPY,
  COW_EVENT_REUSE,
  COW_EVENT_OUT_OF_MEMORY,
  COW_EVENT_COPYOUT_BREAK,
  COW_EVENT_OOM_KILL,
  COW_EVENT_REUSE_AROUND,
  COW_EVENT_COPY_AHEAD,
  COW_EVENT_AHEAD_UNWRITTEN,
  COW_EVENT_COUNT  // how many kinds of event there are
};

// Counts one event for the whole system and for the current process.
void cow_count(enum cow_event event);
// Counts n events of one kind at once.
void cow_count_many(enum cow_event event, uint64 n);
// Until called again with 0, counts this hart's events for p, not for the
// running process: freeproc() frees a reaped child's memory in its
// parent's wait(), and what that counts is the child's.  Interrupts must
// be off meanwhile (freeproc() holds p->lock).
void cow_count_for(struct proc *p);
// Adds src's counters to dst's (a reaped child's into its parent).
void cowstat_add(struct cowstat *dst, struct cowstat *src);
// Copies the system-wide counters into st (all but free_pages).
void cowstat_system(struct cowstat *st);

#endif
