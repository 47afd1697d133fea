// The buffer cache: in-memory copies of disk blocks.
//
// bread() returns a buffer locked (its sleep lock held) and holding the
// block's current contents; the caller must brelse() it.  At most one buffer
// exists per block, so the lock serializes every use of a block.
#ifndef KERNEL_FS_BUF_H
#define KERNEL_FS_BUF_H

#include "types.h"
#include "fs.h"
#include "sched/sleeplock.h"

struct buf {
  int valid;  // data[] holds the block's contents
  uint dev;
  uint blockno;
  struct sleeplock lock;  // held by whoever uses data[]
  uint refcnt;            // guarded by the cache lock in bio.c
  struct buf *prev;       // LRU list, guarded by the cache lock
  struct buf *next;
  uchar data[BSIZE];
};

void binit(void);
struct buf *bread(uint dev, uint blockno);
void bwrite(struct buf *b);
void brelse(struct buf *b);
// Keep a buffer in the cache (the log does this until a commit is done).
void bpin(struct buf *b);
void bunpin(struct buf *b);

#endif
