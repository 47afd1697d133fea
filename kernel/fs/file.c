// The open-file table: NFILE struct files shared by all processes.
//
// A struct file is a read/write position on an inode, a device or one end of
// a pipe.  File descriptors (p->ofile[]) and dup()/fork() copies point at the
// same struct file; ref counts them, and the last fileclose() releases the
// inode or pipe end.  An entry with ref == 0 is free.
//
// Lock rules: ftable.lock (a spinlock) guards every entry's ref and type
// while allocating and closing.  The other fields are set before the file is
// shared and read-only afterwards, except off, which the inode lock guards.
#include "types.h"
#include "param.h"
#include "fs.h"
#include "stat.h"
#include "lib/spinlock.h"
#include "lib/printf.h"
#include "mm/usercopy.h"
#include "sched/process.h"
#include "fs/log.h"
#include "fs/inode.h"
#include "fs/pipe.h"
#include "fs/file.h"

// Device drivers by major number; drivers fill in their entry at init.
struct devsw devsw[NDEV];

static struct {
  struct spinlock lock;
  struct file file[NFILE];
} ftable;

// One transaction of filewrite() writes bytes up to a block boundary and at
// most WRITE_CHUNK_BLOCKS data blocks.  Such a chunk writes, in the worst
// case, those data blocks, the indirect block, the inode block, and one
// bitmap block per newly allocated block (each data block and the indirect
// block): 2 * WRITE_CHUNK_BLOCKS + 3 blocks, which must fit in MAXOPBLOCKS.
#define WRITE_CHUNK_BLOCKS ((MAXOPBLOCKS - 3) / 2)

void fileinit(void) {
  initlock(&ftable.lock, "ftable");
}

// For the audit: calls visit(pipe) for each open file that is a pipe end
// (so twice for a pipe with both ends open), holding ftable.lock.
void file_visit_pipes(void (*visit)(struct pipe *pi)) {
  acquire(&ftable.lock);
  for (struct file *f = ftable.file; f < ftable.file + NFILE; f++)
    if (f->ref > 0 && f->type == FD_PIPE)
      visit(f->pipe);
  release(&ftable.lock);
}

// Returns a free file with ref 1 and type FD_NONE, or 0 if the table is full.
struct file *filealloc(void) {
  acquire(&ftable.lock);
  for (struct file *f = ftable.file; f < ftable.file + NFILE; f++) {
    if (f->ref == 0) {
      f->ref = 1;
      f->type = FD_NONE;
      release(&ftable.lock);
      return f;
    }
  }
  release(&ftable.lock);
  return 0;
}

// Takes another reference to f.
struct file *filedup(struct file *f) {
  acquire(&ftable.lock);
  if (f->ref < 1)
    panic("filedup: file not open");
  f->ref++;
  release(&ftable.lock);
  return f;
}

// Drops a reference; the last one releases the pipe end or the inode.
// Must not be called inside a transaction (it may start one).
void fileclose(struct file *f) {
  acquire(&ftable.lock);
  if (f->ref < 1)
    panic("fileclose: file not open");
  f->ref--;
  if (f->ref > 0) {
    release(&ftable.lock);
    return;
  }
  struct file closed = *f;
  f->type = FD_NONE;
  release(&ftable.lock);

  if (closed.type == FD_PIPE) {
    pipeclose(closed.pipe, closed.writable);
  } else if (closed.type == FD_INODE || closed.type == FD_DEVICE) {
    begin_op();
    iput(closed.ip);
    end_op();
  }
}

// Copies f's metadata to the struct stat at user address addr.  Returns 0,
// or -1 if f is a pipe or addr is bad.
int filestat(struct file *f, uint64 addr) {
  struct stat st;

  if (f->type != FD_INODE && f->type != FD_DEVICE)
    return -1;
  ilock(f->ip);
  stati(f->ip, &st);
  iunlock(f->ip);
  if (copyout(myproc()->pagetable, addr, &st, sizeof(st)) < 0)
    return -1;
  return 0;
}

// The driver of device file f, or 0 if its major number has none.
static struct devsw *driver_of(struct file *f) {
  if (f->major < 0 || f->major >= NDEV)
    return 0;
  return &devsw[f->major];
}

// Reads up to n bytes from f into user address addr.  Returns the bytes
// read (0 at end of file), or -1.
int fileread(struct file *f, uint64 addr, int n) {
  if (!f->readable)
    return -1;

  if (f->type == FD_PIPE)
    return piperead(f->pipe, addr, n);
  if (f->type == FD_DEVICE) {
    struct devsw *d = driver_of(f);
    if (d == 0 || d->read == 0)
      return -1;
    return d->read(1, addr, n);
  }
  if (f->type == FD_INODE) {
    ilock(f->ip);
    int r = readi(f->ip, 1, addr, f->off, n);
    if (r > 0)
      f->off += r;
    iunlock(f->ip);
    return r;
  }
  panic("fileread: bad file type");
}

// Writes n bytes from user address addr to inode file f at its offset, one
// transaction per chunk.  Returns the bytes written: fewer than n if the
// disk filled up, the file reached its largest size or a copy failed after
// some bytes were written; -1 if none were.
static int inode_write(struct file *f, uint64 addr, int n) {
  int done = 0;

  while (done < n) {
    begin_op();
    ilock(f->ip);
    int max = WRITE_CHUNK_BLOCKS * BSIZE - f->off % BSIZE;
    int m = n - done < max ? n - done : max;
    int r = writei(f->ip, 1, addr + done, f->off, m);
    if (r > 0)
      f->off += r;
    iunlock(f->ip);
    end_op();

    if (r < 0)
      break;
    done += r;
    if (r != m)
      break;
  }
  return done > 0 || n == 0 ? done : -1;
}

// Writes n bytes from user address addr to f.  Returns the bytes written,
// or -1.
int filewrite(struct file *f, uint64 addr, int n) {
  if (!f->writable)
    return -1;

  if (f->type == FD_PIPE)
    return pipewrite(f->pipe, addr, n);
  if (f->type == FD_DEVICE) {
    struct devsw *d = driver_of(f);
    if (d == 0 || d->write == 0)
      return -1;
    return d->write(1, addr, n);
  }
  if (f->type == FD_INODE)
    return inode_write(f, addr, n);
  panic("filewrite: bad file type");
}
