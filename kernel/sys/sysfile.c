// The file-system system calls: argument checking on top of file.c, dir.c
// and inode.c.
//
// Every call that may write the disk runs inside one transaction
// (begin_op/end_op), and every path out of it, error or not, ends the
// transaction and drops the inode references and locks it took.  A bad file
// descriptor, argument or user pointer makes a call return -1.
//
// Lock order: a directory's inode lock before the lock of an inode it names.
#include "types.h"
#include "param.h"
#include "riscv.h"
#include "fs.h"
#include "stat.h"
#include "fcntl.h"
#include "lib/string.h"
#include "lib/printf.h"
#include "mm/kalloc.h"
#include "mm/usercopy.h"
#include "proc/proc.h"
#include "sys/sysargs.h"
#include "fs/log.h"
#include "fs/inode.h"
#include "fs/file.h"
#include "fs/pipe.h"
#include "sys/sysfile.h"

// Fetches the nth argument as a file descriptor of the current process.
// Returns 0 and sets *pfd (if pfd is not 0) and *pf, or -1 if it is not open.
static int argfd(int n, int *pfd, struct file **pf) {
  int fd;

  argint(n, &fd);
  if (fd < 0 || fd >= NOFILE)
    return -1;
  struct file *f = myproc()->ofile[fd];
  if (f == 0)
    return -1;
  if (pfd)
    *pfd = fd;
  *pf = f;
  return 0;
}

// Gives f the lowest free descriptor of the current process; the descriptor
// takes over the caller's reference.  Returns it, or -1 if none is free.
static int fdalloc(struct file *f) {
  struct proc *p = myproc();

  for (int fd = 0; fd < NOFILE; fd++) {
    if (p->ofile[fd] == 0) {
      p->ofile[fd] = f;
      return fd;
    }
  }
  return -1;
}

uint64 sys_dup(void) {
  struct file *f;

  if (argfd(0, 0, &f) < 0)
    return -1;
  int fd = fdalloc(f);
  if (fd < 0)
    return -1;
  filedup(f);
  return fd;
}

// Fetches the (fd, buffer, count) arguments of read and write.
static int arg_io(struct file **pf, uint64 *addr, int *n) {
  argaddr(1, addr);
  argint(2, n);
  if (*n < 0)
    return -1;
  return argfd(0, 0, pf);
}

uint64 sys_read(void) {
  struct file *f;
  uint64 addr;
  int n;

  if (arg_io(&f, &addr, &n) < 0)
    return -1;
  return fileread(f, addr, n);
}

uint64 sys_write(void) {
  struct file *f;
  uint64 addr;
  int n;

  if (arg_io(&f, &addr, &n) < 0)
    return -1;
  return filewrite(f, addr, n);
}

uint64 sys_close(void) {
  int fd;
  struct file *f;

  if (argfd(0, &fd, &f) < 0)
    return -1;
  myproc()->ofile[fd] = 0;
  fileclose(f);
  return 0;
}

uint64 sys_fstat(void) {
  struct file *f;
  uint64 st;

  argaddr(1, &st);
  if (argfd(0, 0, &f) < 0)
    return -1;
  return filestat(f, st);
}

// link(old, new): another directory entry for the non-directory old.
uint64 sys_link(void) {
  char old[MAXPATH], new[MAXPATH], name[DIRSIZ];

  if (argstr(0, old, MAXPATH) < 0 || argstr(1, new, MAXPATH) < 0)
    return -1;

  begin_op();
  struct inode *ip = namei(old);
  if (ip == 0) {
    end_op();
    return -1;
  }
  ilock(ip);
  if (ip->type == T_DIR || ip->nlink >= MAXNLINK) {
    iunlockput(ip);
    end_op();
    return -1;
  }
  // Count the new link first: a crash must never leave more entries than
  // links.
  ip->nlink++;
  iupdate(ip);
  iunlock(ip);

  struct inode *dp = nameiparent(new, name);
  if (dp != 0) {
    ilock(dp);
    // A removed directory (someone's cwd, still) takes no new names.
    int ok = dp->nlink > 0 && dp->dev == ip->dev && dirlink(dp, name, ip->inum) == 0;
    iunlockput(dp);
    if (ok) {
      iput(ip);
      end_op();
      return 0;
    }
  }

  ilock(ip);
  ip->nlink--;
  iupdate(ip);
  iunlockput(ip);
  end_op();
  return -1;
}

// True if directory dp holds nothing but "." and "..", its first two
// entries.  Caller holds dp->lock.
static int isdirempty(struct inode *dp) {
  struct dirent de;

  for (uint off = 2 * sizeof(de); off < dp->size; off += sizeof(de)) {
    if (readi(dp, 0, (uint64)&de, off, sizeof(de)) != sizeof(de))
      panic("isdirempty: short directory read");
    if (de.inum != 0)
      return 0;
  }
  return 1;
}

// Removes the entry at offset off of dp, which names ip.  Caller holds both
// locks and is inside a transaction.
static void remove_entry(struct inode *dp, uint off, struct inode *ip) {
  struct dirent de;

  memset(&de, 0, sizeof(de));
  // The entry already has its block, so this write cannot run out of space.
  if (writei(dp, 0, (uint64)&de, off, sizeof(de)) != sizeof(de))
    panic("unlink: cannot clear directory entry");
  if (ip->type == T_DIR) {
    dp->nlink--;  // ip's ".." no longer refers to dp
    iupdate(dp);
  }
  ip->nlink--;
  iupdate(ip);
}

// unlink(path): removes a directory entry; the inode is freed with its last
// link and last reference.  Fails for ".", ".." and non-empty directories.
uint64 sys_unlink(void) {
  char path[MAXPATH], name[DIRSIZ];
  uint off;

  if (argstr(0, path, MAXPATH) < 0)
    return -1;

  begin_op();
  struct inode *dp = nameiparent(path, name);
  if (dp == 0) {
    end_op();
    return -1;
  }
  ilock(dp);

  struct inode *ip = 0;
  if (namecmp(name, ".") != 0 && namecmp(name, "..") != 0)
    ip = dirlookup(dp, name, &off);
  int ok = 0;
  if (ip != 0) {
    ilock(ip);
    if (ip->nlink < 1)
      panic("unlink: inode has no links");
    ok = ip->type != T_DIR || isdirempty(ip);
    if (ok)
      remove_entry(dp, off, ip);
    iunlockput(ip);
  }
  iunlockput(dp);
  end_op();
  return ok ? 0 : -1;
}

// Adds a new inode of the given type at path; for a directory, also its
// "." and ".." entries.  Returns it locked and referenced, or 0 on failure.
// If path already names a file or device and type is T_FILE, returns that
// instead (open's O_CREATE).  Caller is inside a transaction.
static struct inode *create(char *path, short type, short major, short minor) {
  char name[DIRSIZ];

  struct inode *dp = nameiparent(path, name);
  if (dp == 0)
    return 0;
  ilock(dp);
  // A removed directory (someone's cwd, still) takes no new entries; and a
  // subdirectory's ".." would add a link to dp.
  if (dp->nlink == 0 || (type == T_DIR && dp->nlink >= MAXNLINK)) {
    iunlockput(dp);
    return 0;
  }

  struct inode *ip = dirlookup(dp, name, 0);
  if (ip != 0) {
    iunlockput(dp);
    ilock(ip);
    if (type == T_FILE && (ip->type == T_FILE || ip->type == T_DEVICE))
      return ip;
    iunlockput(ip);
    return 0;
  }

  ip = ialloc(dp->dev, type);
  if (ip == 0) {
    iunlockput(dp);
    return 0;
  }
  ilock(ip);
  ip->major = major;
  ip->minor = minor;
  ip->nlink = 1;
  iupdate(ip);

  // "." is not counted in ip->nlink, so that links never form a cycle.
  if (type == T_DIR &&
      (dirlink(ip, ".", ip->inum) < 0 || dirlink(ip, "..", dp->inum) < 0))
    goto undo;
  if (dirlink(dp, name, ip->inum) < 0)
    goto undo;
  if (type == T_DIR) {
    dp->nlink++;  // for ip's ".."
    iupdate(dp);
  }
  iunlockput(dp);
  return ip;

undo:
  // Unlinked, the new inode and any blocks it got are freed by iput.
  ip->nlink = 0;
  iupdate(ip);
  iunlockput(ip);
  iunlockput(dp);
  return 0;
}

// True if ip may be opened with mode omode.  Caller holds ip->lock.
static int may_open(struct inode *ip, int omode) {
  int writing = (omode & (O_WRONLY | O_RDWR)) != 0;

  if (ip->type == T_DIR && writing)
    return 0;
  if (ip->type == T_DEVICE && (ip->major < 0 || ip->major >= NDEV))
    return 0;
  return 1;
}

// Makes an open file for the locked inode ip and gives it a descriptor.
// Returns the descriptor, or -1 (leaving ip locked and referenced).
static int open_inode(struct inode *ip, int omode) {
  struct file *f = filealloc();
  if (f == 0)
    return -1;
  int fd = fdalloc(f);
  if (fd < 0) {
    fileclose(f);  // still FD_NONE: just frees the entry
    return -1;
  }

  if (ip->type == T_DEVICE) {
    f->type = FD_DEVICE;
    f->major = ip->major;
  } else {
    f->type = FD_INODE;
    f->off = 0;
  }
  f->ip = ip;
  f->readable = !(omode & O_WRONLY);
  f->writable = (omode & (O_WRONLY | O_RDWR)) != 0;
  return fd;
}

// open(path, omode): returns a new file descriptor, or -1.
uint64 sys_open(void) {
  char path[MAXPATH];
  int omode;
  struct inode *ip;

  argint(1, &omode);
  if (argstr(0, path, MAXPATH) < 0)
    return -1;

  begin_op();
  if (omode & O_CREATE) {
    ip = create(path, T_FILE, 0, 0);
  } else {
    ip = namei(path);
    if (ip != 0)
      ilock(ip);
  }
  if (ip == 0) {
    end_op();
    return -1;
  }

  int fd = -1;
  if (may_open(ip, omode))
    fd = open_inode(ip, omode);
  if (fd < 0) {
    iunlockput(ip);
    end_op();
    return -1;
  }
  if ((omode & O_TRUNC) && ip->type == T_FILE)
    itrunc(ip);
  iunlock(ip);
  end_op();
  return fd;
}

// Creates path as a new inode of the given type; returns 0 or -1.
static uint64 make_node(char *path, short type, short major, short minor) {
  begin_op();
  struct inode *ip = create(path, type, major, minor);
  if (ip == 0) {
    end_op();
    return -1;
  }
  iunlockput(ip);
  end_op();
  return 0;
}

uint64 sys_mkdir(void) {
  char path[MAXPATH];

  if (argstr(0, path, MAXPATH) < 0)
    return -1;
  return make_node(path, T_DIR, 0, 0);
}

// mknod(path, major, minor): a device file.
uint64 sys_mknod(void) {
  char path[MAXPATH];
  int major, minor;

  argint(1, &major);
  argint(2, &minor);
  if (argstr(0, path, MAXPATH) < 0)
    return -1;
  return make_node(path, T_DEVICE, major, minor);
}

uint64 sys_chdir(void) {
  char path[MAXPATH];
  struct proc *p = myproc();

  if (argstr(0, path, MAXPATH) < 0)
    return -1;

  begin_op();
  struct inode *ip = namei(path);
  if (ip == 0) {
    end_op();
    return -1;
  }
  ilock(ip);
  if (ip->type != T_DIR) {
    iunlockput(ip);
    end_op();
    return -1;
  }
  iunlock(ip);
  iput(p->cwd);
  end_op();
  p->cwd = ip;
  return 0;
}

// Frees the kernel copies of exec's arguments; argv ends at its first 0.
static void free_args(char **argv) {
  for (int i = 0; i < MAXARG && argv[i] != 0; i++)
    kfree(argv[i]);
}

// Copies the user's argument vector at uargv (string pointers ending with
// 0; at most MAXARG-1 of them) into argv, each string in its own page; argv
// then ends with 0.  Returns 0, or -1 on a bad pointer, too many arguments
// or no memory.  Either way the caller frees argv with free_args().
static int fetch_args(uint64 uargv, char **argv) {
  memset(argv, 0, MAXARG * sizeof(argv[0]));
  for (int i = 0; i < MAXARG; i++) {
    uint64 uarg;
    if (fetchaddr(uargv + i * sizeof(uint64), &uarg) < 0)
      return -1;
    if (uarg == 0)
      return 0;
    argv[i] = kalloc();
    if (argv[i] == 0 || fetchstr(uarg, argv[i], PGSIZE) < 0)
      return -1;
  }
  return -1;  // no room left for the terminating 0
}

// exec(path, argv): replaces the process image; returns argc, or -1.
uint64 sys_exec(void) {
  char path[MAXPATH];
  char *argv[MAXARG];
  uint64 uargv;

  argaddr(1, &uargv);
  if (argstr(0, path, MAXPATH) < 0)
    return -1;

  int ret = -1;
  if (fetch_args(uargv, argv) == 0)
    ret = exec(path, argv);
  free_args(argv);
  return ret;
}

// pipe(fds): fds[0] becomes the read end and fds[1] the write end.
uint64 sys_pipe(void) {
  uint64 fdarray;
  struct file *rf, *wf;
  struct proc *p = myproc();

  argaddr(0, &fdarray);
  if (pipealloc(&rf, &wf) < 0)
    return -1;

  int fds[2];
  fds[0] = fdalloc(rf);
  fds[1] = fds[0] < 0 ? -1 : fdalloc(wf);
  if (fds[1] < 0 || copyout(p->pagetable, fdarray, fds, sizeof(fds)) < 0) {
    for (int i = 0; i < 2; i++) {
      if (fds[i] >= 0)
        p->ofile[fds[i]] = 0;
    }
    fileclose(rf);
    fileclose(wf);
    return -1;
  }
  return 0;
}
