// Which process runs first after fork(), for the forkorder() system call (a
// project extension, number 26; see README).  Each process has its own
// order, for its own forks; a child starts with its parent's, and keeps it
// across exec.  User programs include this.
#ifndef XV6_FORKORDER_H
#define XV6_FORKORDER_H

#define FORK_PARENT_FIRST 0     // fork returns to the parent; the child waits for a hart
#define FORK_CHILD_FIRST  1     // the parent yields its hart to the new child at once
#define FORK_ORDER_QUERY  (-1)  // any other value: change nothing, just report

#endif
