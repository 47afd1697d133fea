// Inodes and their content: the superblock, the free-block bitmap, the
// in-memory inode table, and reading and writing a file's bytes.
//
// An on-disk inode (struct dinode) is free when its type is 0.  The inode
// table caches up to NINODE of them as struct inode:
//  - ref counts the C pointers to an entry (open files, cwds, path walks).
//    An entry with ref == 0 is free for reuse; iget()/idup() take a
//    reference, iput() drops one.
//  - valid says the copy of the dinode (type ... addrs) has been read; only
//    ilock() reads it, so use those fields only while holding ip->lock.
//  - An inode whose nlink reaches 0 is freed, with its content, when its
//    last reference goes away: iput() does that, so it must run inside a
//    transaction (begin_op/end_op) like any other disk write.
//
// A file's blocks: addrs[0..NDIRECT-1] map its first NDIRECT blocks, and
// addrs[NDIRECT] names an indirect block of NINDIRECT more block numbers.
// 0 means "not allocated".
//
// Running out of blocks or inodes is an error the caller sees (balloc,
// ialloc and iget return 0), never a panic.
//
// Lock rules: itable.lock (a spinlock) guards every entry's ref, dev and inum;
// ip->lock (a sleep lock) guards the rest.  Take an inode's sleep lock with
// no spinlock held; lock a directory before the inodes it names.
#include "types.h"
#include "param.h"
#include "fs.h"
#include "stat.h"
#include "lib/spinlock.h"
#include "sched/sleeplock.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/usercopy.h"
#include "fs/buf.h"
#include "fs/log.h"
#include "fs/inode.h"

#define SUPERBLOCK_BNO 1  // where the superblock lives (see fs.h)

// The superblock of the one file system; set once by fsinit().
static struct superblock sb;

static struct {
  struct spinlock lock;
  struct inode inode[NINODE];
} itable;

static void readsb(int dev, struct superblock *dst) {
  struct buf *b = bread(dev, SUPERBLOCK_BNO);
  memmove(dst, b->data, sizeof(*dst));
  brelse(b);
}

// Mounts the file system on dev.  Must run in a process (it sleeps on the
// disk), before any other file-system call.
void fsinit(int dev) {
  readsb(dev, &sb);
  if (sb.magic != FSMAGIC)
    panic("fsinit: not a file system (bad magic)");
  initlog(dev, &sb);
}

// --- Blocks ---------------------------------------------------------------

// Fills block bno with zeros, as part of the current transaction.
static void zero_block(uint dev, uint bno) {
  struct buf *b = bread(dev, bno);
  memset(b->data, 0, BSIZE);
  log_write(b);
  brelse(b);
}

// Claims the first clear bit in bitmap block b (covering blocks base ...)
// below limit; returns its block number, or 0 if there is none.
static uint claim_bit(struct buf *b, uint base, uint limit) {
  for (uint i = 0; i < BPB && base + i < limit; i++) {
    uchar mask = 1 << (i % 8);
    if ((b->data[i / 8] & mask) == 0) {
      b->data[i / 8] |= mask;
      log_write(b);
      return base + i;
    }
  }
  return 0;
}

// Allocates a zeroed block on dev.  Returns its number, or 0 if the disk is
// full.  Caller is inside a transaction.
static uint balloc(uint dev) {
  for (uint base = 0; base < sb.size; base += BPB) {
    struct buf *b = bread(dev, BBLOCK(base, sb));
    uint bno = claim_bit(b, base, sb.size);
    brelse(b);
    if (bno != 0) {
      zero_block(dev, bno);
      return bno;
    }
  }
  printf("balloc: out of blocks\n");
  return 0;
}

// Marks block bno free.  Caller is inside a transaction.
static void bfree(uint dev, uint bno) {
  struct buf *b = bread(dev, BBLOCK(bno, sb));
  uint i = bno % BPB;
  uchar mask = 1 << (i % 8);
  if ((b->data[i / 8] & mask) == 0)
    panic("bfree: block already free");
  b->data[i / 8] &= ~mask;
  log_write(b);
  brelse(b);
}

// Counts the blocks of dev marked free in its bitmap (for the audit).
uint count_free_blocks(uint dev) {
  uint n = 0;
  for (uint base = 0; base < sb.size; base += BPB) {
    struct buf *b = bread(dev, BBLOCK(base, sb));
    for (uint bno = base; bno < base + BPB && bno < sb.size; bno++)
      if ((b->data[(bno % BPB) / 8] & (1 << (bno % 8))) == 0)
        n++;
    brelse(b);
  }
  return n;
}

// --- The inode table -------------------------------------------------------

void iinit(void) {
  initlock(&itable.lock, "itable");
  for (int i = 0; i < NINODE; i++)
    initsleeplock(&itable.inode[i].lock, "inode");
}

// Returns a referenced, unlocked table entry for inode inum on dev, without
// reading the disk.  Returns 0 if every entry is in use.
struct inode *iget(uint dev, uint inum) {
  struct inode *empty = 0;

  acquire(&itable.lock);
  for (struct inode *ip = itable.inode; ip < itable.inode + NINODE; ip++) {
    if (ip->ref > 0 && ip->dev == dev && ip->inum == inum) {
      ip->ref++;
      release(&itable.lock);
      return ip;
    }
    if (empty == 0 && ip->ref == 0)
      empty = ip;
  }
  if (empty != 0) {
    empty->dev = dev;
    empty->inum = inum;
    empty->ref = 1;
    empty->valid = 0;
  }
  release(&itable.lock);
  if (empty == 0)
    printf("iget: inode table full\n");
  return empty;
}

// Returns a pointer to the on-disk inode inum inside buffer b.
static struct dinode *dinode_in(struct buf *b, uint inum) {
  return (struct dinode *)b->data + inum % IPB;
}

// Allocates a free on-disk inode of the given type on dev.  Returns it
// referenced and unlocked, or 0 if there are no free inodes (or no free
// table entries).  Caller is inside a transaction.
struct inode *ialloc(uint dev, short type) {
  for (uint inum = 1; inum < sb.ninodes; inum++) {
    struct buf *b = bread(dev, IBLOCK(inum, sb));
    struct dinode *dip = dinode_in(b, inum);
    if (dip->type == 0) {
      // Take the table entry first, so that failing leaves the disk alone.
      struct inode *ip = iget(dev, inum);
      if (ip != 0) {
        memset(dip, 0, sizeof(*dip));
        dip->type = type;
        log_write(b);
      }
      brelse(b);
      return ip;
    }
    brelse(b);
  }
  printf("ialloc: out of inodes\n");
  return 0;
}

// Writes ip's fields to its on-disk inode.  Call after changing any of
// them.  Caller holds ip->lock and is inside a transaction.
void iupdate(struct inode *ip) {
  struct buf *b = bread(ip->dev, IBLOCK(ip->inum, sb));
  struct dinode *dip = dinode_in(b, ip->inum);
  dip->type = ip->type;
  dip->major = ip->major;
  dip->minor = ip->minor;
  dip->nlink = ip->nlink;
  dip->size = ip->size;
  memmove(dip->addrs, ip->addrs, sizeof(ip->addrs));
  log_write(b);
  brelse(b);
}

// Takes another reference to ip.
struct inode *idup(struct inode *ip) {
  acquire(&itable.lock);
  ip->ref++;
  release(&itable.lock);
  return ip;
}

// Locks ip, reading it from disk the first time.
void ilock(struct inode *ip) {
  if (ip == 0 || ip->ref < 1)
    panic("ilock: no reference");
  acquiresleep(&ip->lock);
  if (ip->valid)
    return;

  struct buf *b = bread(ip->dev, IBLOCK(ip->inum, sb));
  struct dinode *dip = dinode_in(b, ip->inum);
  ip->type = dip->type;
  ip->major = dip->major;
  ip->minor = dip->minor;
  ip->nlink = dip->nlink;
  ip->size = dip->size;
  memmove(ip->addrs, dip->addrs, sizeof(ip->addrs));
  brelse(b);
  ip->valid = 1;
  if (ip->type == 0)
    panic("ilock: inode is free");
}

void iunlock(struct inode *ip) {
  if (ip == 0 || !holdingsleep(&ip->lock) || ip->ref < 1)
    panic("iunlock: not locked");
  releasesleep(&ip->lock);
}

// Drops a reference.  Dropping the last reference to an inode with no links
// frees it and its content.  Caller holds no inode locks it might need and
// is inside a transaction.
void iput(struct inode *ip) {
  acquire(&itable.lock);
  if (ip->ref == 1 && ip->valid && ip->nlink == 0) {
    // No other pointer exists, so nobody else can hold or wait for the
    // sleep lock, and ref == 1 keeps the entry from being reused.
    release(&itable.lock);
    acquiresleep(&ip->lock);
    itrunc(ip);
    ip->type = 0;
    iupdate(ip);
    ip->valid = 0;
    releasesleep(&ip->lock);
    acquire(&itable.lock);
  }
  ip->ref--;
  release(&itable.lock);
}

void iunlockput(struct inode *ip) {
  iunlock(ip);
  iput(ip);
}

// Counts the inodes of dev not allocated on disk (for the audit).
uint count_free_inodes(uint dev) {
  uint n = 0;
  for (uint inum = 1; inum < sb.ninodes; inum++) {
    struct buf *b = bread(dev, IBLOCK(inum, sb));
    if (dinode_in(b, inum)->type == 0)
      n++;
    brelse(b);
  }
  return n;
}

// --- Content ---------------------------------------------------------------

// Returns the block number in *slot, allocating a block there if it is 0.
// Returns 0 if the disk is full.
static uint block_at(uint dev, uint *slot) {
  if (*slot == 0)
    *slot = balloc(dev);
  return *slot;
}

// Returns the disk block holding block bn of ip's content, allocating it
// (and the indirect block) if needed; 0 if the disk is full.  A change to
// ip->addrs is left for the caller's iupdate().  Caller holds ip->lock.
static uint bmap(struct inode *ip, uint bn) {
  if (bn < NDIRECT)
    return block_at(ip->dev, &ip->addrs[bn]);
  bn -= NDIRECT;
  if (bn >= NINDIRECT)
    panic("bmap: block beyond MAXFILE");

  uint ind = block_at(ip->dev, &ip->addrs[NDIRECT]);
  if (ind == 0)
    return 0;
  struct buf *b = bread(ip->dev, ind);
  uint *entries = (uint *)b->data;
  uint addr = entries[bn];
  if (addr == 0) {
    addr = block_at(ip->dev, &entries[bn]);
    if (addr != 0)
      log_write(b);
  }
  brelse(b);
  return addr;
}

// Frees the blocks named by the n block numbers in addrs (0 = none).
static void free_blocks(uint dev, const uint *addrs, int n) {
  for (int i = 0; i < n; i++) {
    if (addrs[i] != 0)
      bfree(dev, addrs[i]);
  }
}

// Frees the blocks named by addrs[first..n-1] and zeroes those slots.
static void free_blocks_from(uint dev, uint *addrs, int first, int n) {
  free_blocks(dev, addrs + first, n - first);
  memset(addrs + first, 0, (n - first) * sizeof(uint));
}

// Frees ip's content blocks from block number first on, and the indirect
// block once no block it names is left.  A change to ip->addrs is left for
// the caller's iupdate().  Caller holds ip->lock and is inside a
// transaction.
static void free_content_from(struct inode *ip, uint first) {
  if (first < NDIRECT)
    free_blocks_from(ip->dev, ip->addrs, first, NDIRECT);
  if (ip->addrs[NDIRECT] == 0)
    return;
  uint first_indirect = first > NDIRECT ? first - NDIRECT : 0;
  if (first_indirect >= NINDIRECT)
    return;
  struct buf *b = bread(ip->dev, ip->addrs[NDIRECT]);
  uint *entries = (uint *)b->data;
  if (first_indirect == 0) {
    // The whole indirect block goes: its stale entries need no logging.
    free_blocks(ip->dev, entries, NINDIRECT);
    brelse(b);
    bfree(ip->dev, ip->addrs[NDIRECT]);
    ip->addrs[NDIRECT] = 0;
    return;
  }
  free_blocks_from(ip->dev, entries, first_indirect, NINDIRECT);
  log_write(b);
  brelse(b);
}

// Frees all of ip's content and sets its size to 0.  Caller holds ip->lock
// and is inside a transaction.
void itrunc(struct inode *ip) {
  free_content_from(ip, 0);
  ip->size = 0;
  iupdate(ip);
}

// Copies ip's metadata into st, setting every byte of it: st goes to user
// space, and its padding must not carry old kernel stack bytes along.
// Caller holds ip->lock.
void stati(struct inode *ip, struct stat *st) {
  memset(st, 0, sizeof(*st));
  st->dev = ip->dev;
  st->ino = ip->inum;
  st->type = ip->type;
  st->nlink = ip->nlink;
  st->size = ip->size;
}

// Bytes of a transfer at offset off, with total bytes left, that fall in
// off's block.
static uint span_in_block(uint off, uint left) {
  uint room = BSIZE - off % BSIZE;
  return left < room ? left : room;
}

// Reads up to n bytes from ip at offset off into dst (a user address if
// user_dst).  Stops at end of file.  Returns the bytes read (0 at or past
// the end), or -1 if copying to dst fails.  Caller holds ip->lock.
int readi(struct inode *ip, int user_dst, uint64 dst, uint off, uint n) {
  if (off > ip->size || off + n < off)
    return 0;
  if (off + n > ip->size)
    n = ip->size - off;

  uint done = 0;
  while (done < n) {
    uint bno = bmap(ip, off / BSIZE);
    if (bno == 0)
      break;
    struct buf *b = bread(ip->dev, bno);
    uint m = span_in_block(off, n - done);
    int bad = either_copyout(user_dst, dst, b->data + off % BSIZE, m) < 0;
    brelse(b);
    if (bad)
      return -1;
    done += m;
    off += m;
    dst += m;
  }
  return done;
}

// Writes n bytes from src (a user address if user_src) to ip at offset off,
// growing the file if needed; off may be at most the current size.
// Returns:
//  - n on success;
//  - fewer than n if the disk filled up or the file reached its largest
//    size, MAXFILE blocks (the bytes before that point were written);
//  - -1 if off is past the end of file, if no byte could be written for
//    either reason above, or if copying from src failed (bytes copied
//    before the failing block stay written, and the size covers them).
// Caller holds ip->lock and is inside a transaction.
int writei(struct inode *ip, int user_src, uint64 src, uint off, uint n) {
  const uint max_size = MAXFILE * BSIZE;

  if (off > ip->size)
    return -1;
  if (n == 0)
    return 0;
  if (n > max_size - off)
    n = max_size - off;

  uint done = 0;
  int bad = 0;
  while (done < n) {
    uint bno = bmap(ip, off / BSIZE);
    if (bno == 0)
      break;
    struct buf *b = bread(ip->dev, bno);
    uint m = span_in_block(off, n - done);
    bad = either_copyin(b->data + off % BSIZE, user_src, src, m) < 0;
    // A failed copy may have changed part of the block: log it either way
    // so the cache and the disk agree.
    log_write(b);
    brelse(b);
    if (bad)
      break;
    done += m;
    off += m;
    src += m;
  }

  if (off > ip->size)
    ip->size = off;
  // A write that stopped early may have been given blocks it never filled
  // (the copy from src failed, or the disk filled up after the indirect
  // block was allocated): no block may lie beyond the end of the file.
  if (done < n)
    free_content_from(ip, (ip->size + BSIZE - 1) / BSIZE);
  // Also records any block bmap() added to ip->addrs.
  iupdate(ip);

  if (bad || done == 0)
    return -1;
  return done;
}
