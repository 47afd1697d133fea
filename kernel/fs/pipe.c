// Pipes: a PIPESIZE-byte ring buffer between a read file and a write file.
//
// nread and nwrite count the bytes ever read and written; they only grow
// (wrapping around as unsigned numbers, which PIPESIZE divides), so
// nwrite - nread is the number of bytes buffered and byte i sits at
// data[i % PIPESIZE].
//
// Readers sleep on &nread waiting for data; writers sleep on &nwrite waiting
// for room.  A writer gets -1 once the read end is closed; a reader gets end
// of file (0) once the buffer is empty and the write end is closed.
//
// Lock rules: pi->lock (a spinlock) guards the whole struct pipe.  Copies to
// and from user memory run under it; they never sleep.
#include "types.h"
#include "param.h"
#include "lib/spinlock.h"
#include "lib/printf.h"
#include "mm/kalloc.h"
#include "mm/usercopy.h"
#include "sched/process.h"
#include "sched/sched.h"
#include "fs/file.h"
#include "fs/pipe.h"

#define PIPESIZE 512

struct pipe {
  struct spinlock lock;
  char data[PIPESIZE];
  uint nread;     // bytes read so far
  uint nwrite;    // bytes written so far
  int readopen;   // the read end is still open
  int writeopen;  // the write end is still open
};

_Static_assert(sizeof(struct pipe) <= PGSIZE, "a pipe must fit in one page");

// Makes a pipe and its two files; returns 0, or -1 having allocated nothing.
int pipealloc(struct file **readf, struct file **writef) {
  struct pipe *pi = kalloc();
  struct file *rf = filealloc();
  struct file *wf = filealloc();

  if (pi == 0 || rf == 0 || wf == 0) {
    if (pi)
      kfree(pi);
    if (rf)
      fileclose(rf);
    if (wf)
      fileclose(wf);
    return -1;
  }

  initlock(&pi->lock, "pipe");
  pi->nread = 0;
  pi->nwrite = 0;
  pi->readopen = 1;
  pi->writeopen = 1;

  rf->type = FD_PIPE;
  rf->readable = 1;
  rf->writable = 0;
  rf->pipe = pi;
  wf->type = FD_PIPE;
  wf->readable = 0;
  wf->writable = 1;
  wf->pipe = pi;

  *readf = rf;
  *writef = wf;
  return 0;
}

// Closes one end (the write end if writable) and wakes whoever waits on the
// other; frees the pipe when both ends are closed.
void pipeclose(struct pipe *pi, int writable) {
  acquire(&pi->lock);
  if (writable) {
    pi->writeopen = 0;
    wakeup(&pi->nread);
  } else {
    pi->readopen = 0;
    wakeup(&pi->nwrite);
  }
  int unused = !pi->readopen && !pi->writeopen;
  release(&pi->lock);
  if (unused)
    kfree(pi);
}

// Bytes from ring position pos, of count wanted, before the ring wraps.
static uint contiguous(uint pos, uint count) {
  uint room = PIPESIZE - pos % PIPESIZE;
  return count < room ? count : room;
}

// Writes n bytes from user address addr, sleeping while the pipe is full.
// Returns n; -1 if the read end is closed or the process is killed before
// all are written; if addr goes bad, the bytes written before (or -1 if none).
int pipewrite(struct pipe *pi, uint64 addr, int n) {
  struct proc *p = myproc();
  int done = 0;
  int failed = 0;

  acquire(&pi->lock);
  while (done < n) {
    if (!pi->readopen || killed(p)) {
      failed = 1;
      break;
    }
    uint room = PIPESIZE - (pi->nwrite - pi->nread);
    if (room == 0) {
      wakeup(&pi->nread);
      sleep(&pi->nwrite, &pi->lock);
      continue;
    }
    uint m = contiguous(pi->nwrite, room < n - done ? room : n - done);
    if (copyin(p->pagetable, &pi->data[pi->nwrite % PIPESIZE], addr + done, m) < 0) {
      failed = done == 0;
      break;
    }
    pi->nwrite += m;
    done += m;
  }
  wakeup(&pi->nread);
  release(&pi->lock);
  return failed ? -1 : done;
}

// Reads up to n bytes into user address addr, sleeping while the pipe is
// empty and its write end open.  Returns the bytes read (0 at end of file),
// or -1 if the process is killed while waiting or addr is bad.
int piperead(struct pipe *pi, uint64 addr, int n) {
  struct proc *p = myproc();

  acquire(&pi->lock);
  while (pi->nread == pi->nwrite && pi->writeopen) {
    if (killed(p)) {
      release(&pi->lock);
      return -1;
    }
    sleep(&pi->nread, &pi->lock);
  }

  int done = 0;
  int bad = 0;
  while (done < n && pi->nread != pi->nwrite) {
    uint avail = pi->nwrite - pi->nread;
    uint m = contiguous(pi->nread, avail < n - done ? avail : n - done);
    if (copyout(p->pagetable, addr + done, &pi->data[pi->nread % PIPESIZE], m) < 0) {
      bad = 1;
      break;
    }
    pi->nread += m;
    done += m;
  }
  wakeup(&pi->nwrite);
  release(&pi->lock);
  return bad && done == 0 ? -1 : done;
}
