// The write-ahead log: each file-system call is atomic across a crash.
//
// On disk the log is a header block followed by data blocks:
//   [ header: n, home block number of each logged block | copy 1 | copy 2 ... ]
// A commit copies every modified block into the log, then writes the header
// with n > 0 (the commit point: from here on the group of operations will
// happen even after a crash), then writes each block to its home location,
// then writes the header with n == 0.  At boot, recover() redoes whatever a
// committed header lists, so a crash leaves either all or none of a group.
//
// Group commit: operations run concurrently between begin_op() and end_op();
// the last one to finish commits all of them together.  Until then their
// modified buffers stay pinned in the buffer cache, and log_write() only
// records the block number (writing a block twice costs one log slot).
//
// Space: each operation writes at most MAXOPBLOCKS distinct blocks, so
// begin_op() admits an operation only if the blocks already logged plus
// MAXOPBLOCKS for every admitted operation still fit in the log.  The log's
// capacity also leaves COMMIT_BUFS buffers of the cache unpinned, so that a
// commit can always get the buffer it copies through.
//
// Lock rules: log.lock (a spinlock) guards outstanding, committing and the
// in-memory header.  The commit itself runs with no lock held; committing
// keeps new operations out until it is done.
#include "types.h"
#include "param.h"
#include "fs.h"
#include "lib/spinlock.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "sched/sched.h"
#include "fs/buf.h"
#include "fs/log.h"

// Buffers a commit uses besides the pinned ones: one log slot at a time.
#define COMMIT_BUFS 1

// The header block, on disk and in memory.
struct logheader {
  int n;               // blocks in the log
  int block[LOGSIZE];  // home block number of log slot i
};

_Static_assert(sizeof(struct logheader) <= BSIZE, "log header must fit a block");

static struct {
  struct spinlock lock;
  int outstanding;      // operations between begin_op and end_op
  int committing;       // a commit is in progress
  struct logheader lh;  // blocks logged by the current group

  // fixed after initlog()
  int dev;
  int start;     // the header block; slot i is block start+1+i
  int slots;     // log slots on disk (and in the header)
  int capacity;  // blocks a group may log (see initlog)
} log;

static int min(int a, int b) {
  return a < b ? a : b;
}

static void recover(void);

// Sets up the log on dev from the superblock and replays a committed but
// uninstalled group, if the last boot crashed.
void initlog(int dev, struct superblock *sb) {
  initlock(&log.lock, "log");
  log.dev = dev;
  log.start = sb->logstart;
  // The first block of the disk region is the header.  A group must also
  // leave the buffer cache room: it holds every logged block pinned until
  // the commit.
  log.slots = min(LOGSIZE, sb->nlog - 1);
  log.capacity = min(log.slots, NBUF - COMMIT_BUFS);
  if (log.capacity < MAXOPBLOCKS)
    panic("initlog: log too small for one operation");
  recover();
}

// Reads the on-disk header into log.lh.
static void read_head(void) {
  struct buf *b = bread(log.dev, log.start);
  memmove(&log.lh, b->data, sizeof(log.lh));
  brelse(b);
  if (log.lh.n < 0 || log.lh.n > log.slots)
    panic("log: corrupt header");
}

// Writes log.lh to the on-disk header.  With n > 0 this is the commit point.
static void write_head(void) {
  struct buf *b = bread(log.dev, log.start);
  memmove(b->data, &log.lh, sizeof(log.lh));
  bwrite(b);
  brelse(b);
}

// Copies each logged block from the cache into its log slot.
static void write_log(void) {
  for (int i = 0; i < log.lh.n; i++) {
    struct buf *home = bread(log.dev, log.lh.block[i]);
    struct buf *slot = bread(log.dev, log.start + 1 + i);
    memmove(slot->data, home->data, BSIZE);
    bwrite(slot);
    brelse(home);
    brelse(slot);
  }
}

// Writes each logged block to its home location.  In a normal commit the
// cache still holds (pinned) the committed contents, so they are written as
// they are and unpinned; when recovering after a crash they come from the
// log slots instead.
static void install(int recovering) {
  for (int i = 0; i < log.lh.n; i++) {
    struct buf *home = bread(log.dev, log.lh.block[i]);
    if (recovering) {
      struct buf *slot = bread(log.dev, log.start + 1 + i);
      memmove(home->data, slot->data, BSIZE);
      brelse(slot);
    }
    bwrite(home);
    if (!recovering)
      bunpin(home);
    brelse(home);
  }
}

// Empties the log on disk, ending the current group.
static void clear_log(void) {
  log.lh.n = 0;
  write_head();
}

static void recover(void) {
  read_head();
  install(1);
  clear_log();
}

// Makes the current group durable and installs it.  Caller holds no lock
// and has set log.committing, so the header is not changing under it.
static void commit(void) {
  if (log.lh.n == 0)
    return;
  write_log();
  write_head();
  install(0);
  clear_log();
}

// True if one more operation could overflow the log.  Caller holds log.lock.
static int log_would_overflow(void) {
  return log.lh.n + (log.outstanding + 1) * MAXOPBLOCKS > log.capacity;
}

// Starts a file-system operation, waiting while a commit runs or while
// the log has no room for this operation's MAXOPBLOCKS blocks.
void begin_op(void) {
  acquire(&log.lock);
  while (log.committing || log_would_overflow())
    sleep(&log, &log.lock);
  log.outstanding++;
  release(&log.lock);
}

// Ends an operation.  The last outstanding operation commits the group.
void end_op(void) {
  int do_commit = 0;

  acquire(&log.lock);
  if (log.committing)
    panic("end_op: commit in progress");
  log.outstanding--;
  if (log.outstanding == 0) {
    do_commit = 1;
    log.committing = 1;
  } else {
    // This operation's unused reservation may let a waiter in.
    wakeup(&log);
  }
  release(&log.lock);

  if (do_commit) {
    commit();
    acquire(&log.lock);
    log.committing = 0;
    wakeup(&log);
    release(&log.lock);
  }
}

// Records that b, which the caller has modified and still holds locked, is
// part of the current operation.  Replaces bwrite(): the block reaches the
// disk at commit.  The first time a group logs a block, the buffer is pinned
// so the cache cannot drop the modified contents before the commit.
void log_write(struct buf *b) {
  acquire(&log.lock);
  if (log.outstanding < 1)
    panic("log_write: outside an operation");

  int i;
  for (i = 0; i < log.lh.n; i++) {
    if (log.lh.block[i] == b->blockno)
      break;
  }
  if (i == log.lh.n) {
    if (log.lh.n >= log.capacity)
      panic("log_write: transaction too big");
    log.lh.block[i] = b->blockno;
    log.lh.n++;
    bpin(b);
  }
  release(&log.lock);
}
