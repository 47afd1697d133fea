// Sleep locks.  A waiter sleeps on the lock itself; release wakes them all and
// one wins.  lk->lk (a spinlock) only protects the fields during the check.
#include "types.h"
#include "sched/process.h"
#include "sched/sched.h"
#include "sched/sleeplock.h"

void initsleeplock(struct sleeplock *lk, const char *name) {
  initlock(&lk->lk, "sleep lock");
  lk->name = name;
  lk->locked = 0;
  lk->pid = 0;
}

void acquiresleep(struct sleeplock *lk) {
  acquire(&lk->lk);
  while (lk->locked)
    sleep(lk, &lk->lk);
  lk->locked = 1;
  lk->pid = myproc()->pid;
  release(&lk->lk);
}

void releasesleep(struct sleeplock *lk) {
  acquire(&lk->lk);
  lk->locked = 0;
  lk->pid = 0;
  wakeup(lk);
  release(&lk->lk);
}

// Does the current process hold lk?
int holdingsleep(struct sleeplock *lk) {
  acquire(&lk->lk);
  int mine = lk->locked && lk->pid == myproc()->pid;
  release(&lk->lk);
  return mine;
}
