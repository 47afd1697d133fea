// The buffer cache: NBUF in-memory copies of disk blocks.
//
// Design:
//  - Buffers sit on one circular list through a sentinel, kept in order of
//    last release: the sentinel's next is the most recently used buffer,
//    its prev the least recently used, which is the first to be recycled.
//  - A block has at most one buffer, so a buffer's sleep lock serializes all
//    use of the block's data.  bread() returns the buffer locked.
//  - A buffer with refcnt > 0 is in use (held, waited for, or pinned by the
//    log) and is never recycled.
//
// Lock rules: cache.lock (a spinlock) guards every buffer's dev, blockno,
// refcnt and list links; it is held only briefly and never while sleeping.
// b->lock (a sleep lock) guards valid and data[].
#include "types.h"
#include "param.h"
#include "fs.h"
#include "lib/spinlock.h"
#include "sched/sleeplock.h"
#include "lib/printf.h"
#include "sched/sched.h"
#include "fs/buf.h"
#include "dev/virtio_disk.h"

static struct {
  struct spinlock lock;
  struct buf buf[NBUF];
  struct buf lru;  // sentinel: lru.next is most recent, lru.prev least
} cache;

// Removes b from the list.  Caller holds cache.lock.
static void list_remove(struct buf *b) {
  b->prev->next = b->next;
  b->next->prev = b->prev;
}

// Puts b at the most-recently-used end.  Caller holds cache.lock.
static void list_push_front(struct buf *b) {
  b->next = cache.lru.next;
  b->prev = &cache.lru;
  cache.lru.next->prev = b;
  cache.lru.next = b;
}

void binit(void) {
  initlock(&cache.lock, "bcache");
  cache.lru.next = &cache.lru;
  cache.lru.prev = &cache.lru;
  for (struct buf *b = cache.buf; b < cache.buf + NBUF; b++) {
    initsleeplock(&b->lock, "buffer");
    list_push_front(b);
  }
}

// Finds the buffer for (dev, blockno), or recycles the least recently used
// idle one for it, and takes a reference.  Caller holds cache.lock.
// Returns 0 if every buffer is in use.
static struct buf *lookup_or_recycle(uint dev, uint blockno) {
  struct buf *b;

  for (b = cache.lru.next; b != &cache.lru; b = b->next) {
    if (b->dev == dev && b->blockno == blockno) {
      b->refcnt++;
      return b;
    }
  }
  for (b = cache.lru.prev; b != &cache.lru; b = b->prev) {
    if (b->refcnt == 0) {
      b->dev = dev;
      b->blockno = blockno;
      b->valid = 0;
      b->refcnt = 1;
      return b;
    }
  }
  return 0;
}

// Returns the locked buffer for (dev, blockno); its data may not be valid yet.
static struct buf *bget(uint dev, uint blockno) {
  struct buf *b;
  acquire(&cache.lock);
  // Every buffer busy: wait for one to go idle (see buffer_idle) rather
  // than fail, since the holders are mid-operation and will let go.
  while ((b = lookup_or_recycle(dev, blockno)) == 0)
    sleep(&cache, &cache.lock);
  release(&cache.lock);
  acquiresleep(&b->lock);
  return b;
}

// Returns a locked buffer holding the block's contents, reading the disk
// only if the cache does not already hold them.  The caller must brelse() it.
struct buf *bread(uint dev, uint blockno) {
  struct buf *b = bget(dev, blockno);
  if (!b->valid) {
    virtio_disk_rw(b->blockno, b->data, 0);
    b->valid = 1;
  }
  return b;
}

// Writes b's data to its disk block now.  Caller holds b->lock.
void bwrite(struct buf *b) {
  if (!holdingsleep(&b->lock))
    panic("bwrite: buffer not locked");
  virtio_disk_rw(b->blockno, b->data, 1);
}

// Unlocks b and drops the caller's reference; an idle buffer becomes the
// most recently used.  b must not be used afterwards.
void brelse(struct buf *b) {
  if (!holdingsleep(&b->lock))
    panic("brelse: buffer not locked");
  releasesleep(&b->lock);

  acquire(&cache.lock);
  b->refcnt--;
  if (b->refcnt == 0) {
    list_remove(b);
    list_push_front(b);
    wakeup(&cache);  // bget may be waiting for an idle buffer
  }
  release(&cache.lock);
}

// An extra reference keeps b (and its unwritten data) in the cache.
void bpin(struct buf *b) {
  acquire(&cache.lock);
  b->refcnt++;
  release(&cache.lock);
}

void bunpin(struct buf *b) {
  acquire(&cache.lock);
  if (b->refcnt == 0)
    panic("bunpin: buffer not pinned");
  b->refcnt--;
  if (b->refcnt == 0)
    wakeup(&cache);  // bget may be waiting for an idle buffer
  release(&cache.lock);
}
