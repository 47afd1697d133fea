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
  uint64 cow_faults;     // store page faults on copy-on-write pages
  uint64 pages_copied;   // shares broken by copying the page (faults and copyout)
  uint64 pages_reused;   // shares "broken" by reusing a page nobody else held
  uint64 copyout_breaks; // of those, the ones the kernel's copyout made
  uint64 oom_kills;      // processes killed: no memory to copy a page
  uint64 free_pages;     // free physical pages now (the same for every which)
};

#endif
