// The kernel self-audit, as returned by the audit() system call (a project
// extension, number 23; see README).  User programs include this.
#ifndef XV6_AUDITSTAT_H
#define XV6_AUDITSTAT_H

#include "types.h"

// What audit(how, &st) does besides checking.
#define AUDIT_CHECK      0  // just check
#define AUDIT_PLANT_LEAK 1  // first add a reference to the page holding st
#define AUDIT_PLANT_LOSS 2  // first drop one from it (it must be shared)

struct auditstat {
  uint64 problems;      // pages and PTEs found wrong (0: all consistent)
  uint64 pages_in_use;  // pages with a reference count above 0
  uint64 free_pages;    // pages on the free list
  uint64 free_inodes;   // inodes of the root disk not allocated
  uint64 free_blocks;   // blocks of the root disk marked free in its bitmap
};

#endif
