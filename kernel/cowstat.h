// Copy-on-write counters, as returned by the cowstat() system call (a
// project extension, number 22; see README).  User programs include this.
#ifndef XV6_COWSTAT_H
#define XV6_COWSTAT_H

#include "types.h"

// What cowstat(which, &st) reports on.
#define COWSTAT_SYSTEM   0  // the whole system since boot
#define COWSTAT_SELF     1  // the calling process
#define COWSTAT_CHILDREN 2  // the caller's children (and theirs) that it has waited for

struct cowstat {
  // Every write to a copy-on-write page ends in exactly one of copied,
  // reused or out_of_memory, so cow_faults is their sum.
  uint64 cow_faults;      // writes to copy-on-write pages: user stores and copyout
  uint64 pages_copied;    // shares broken by copying the page
  uint64 pages_reused;    // shares "broken" by reusing a page nobody else held
  uint64 out_of_memory;   // writes that found no free page for the copy
  uint64 copyout_breaks;  // of cow_faults, the ones made by the kernel's copyout
  uint64 oom_kills;       // processes killed: no memory to copy a page
  // Not faults: after a reuse, the other copy-on-write pages of the same
  // leaf page-table page that were sole-owned too, made writable at once
  // (fault-around; kernel/mm/cowaround.c).  Each spares one fault.
  uint64 pages_reused_around;
  // Not faults either: pages a sequential writer's fault copied before
  // their first write (copy-ahead; kernel/mm/cowahead.c), and of those,
  // the ones freed without ever being written.
  uint64 pages_copied_ahead;
  uint64 ahead_never_written;
  uint64 free_pages;  // free physical pages now (the same for every which)
};

#endif
