// Sleep locks: long-held locks (disk buffers, inodes) whose waiters sleep
// instead of spinning.  Only processes may take them, never interrupt handlers.
#ifndef KERNEL_SCHED_SLEEPLOCK_H
#define KERNEL_SCHED_SLEEPLOCK_H

#include "lib/spinlock.h"

struct sleeplock {
  uint locked;         // 1 while held
  struct spinlock lk;  // guards locked and pid
  const char *name;
  int pid;  // holder, while held
};

void initsleeplock(struct sleeplock *lk, const char *name);
void acquiresleep(struct sleeplock *lk);
void releasesleep(struct sleeplock *lk);
int holdingsleep(struct sleeplock *lk);

#endif
