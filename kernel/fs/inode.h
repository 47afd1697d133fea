// Inodes, directories and path names.
//
// An in-memory inode (struct inode) caches one on-disk inode.  iget() and
// idup() take a reference (ref), iput() drops it; ilock() reads the inode
// from disk if needed and holds its sleep lock.  Callers of functions that
// write the disk must be inside begin_op()/end_op().
#ifndef KERNEL_FS_INODE_H
#define KERNEL_FS_INODE_H

#include "types.h"
#include "fs.h"
#include "sched/sleeplock.h"

struct stat;

// nlink is a short on disk: link() and mkdir() refuse to count past this,
// so a link count can never wrap around and free a named inode.
#define MAXNLINK 32767

struct inode {
  uint dev;
  uint inum;
  int ref;                // guarded by the inode table's spinlock
  struct sleeplock lock;  // guards everything below
  int valid;              // fields below have been read from disk

  // copy of the on-disk inode
  short type;
  short major;
  short minor;
  short nlink;
  uint size;
  uint addrs[NDIRECT + 1];
};

void fsinit(int dev);  // reads the superblock and replays the log
void iinit(void);
struct inode *ialloc(uint dev, short type);
// The in-memory inode for (dev, inum), referenced; 0 if the table is full.
struct inode *iget(uint dev, uint inum);
struct inode *idup(struct inode *ip);
void ilock(struct inode *ip);
void iunlock(struct inode *ip);
void iput(struct inode *ip);
void iunlockput(struct inode *ip);
void iupdate(struct inode *ip);
void itrunc(struct inode *ip);
void stati(struct inode *ip, struct stat *st);
// Free inodes and free blocks on dev, counted on disk (for the audit).
uint count_free_inodes(uint dev);
uint count_free_blocks(uint dev);
// Read or write n bytes at offset off; user says whether dst/src is a user
// address.  Return the number of bytes moved, or -1.
int readi(struct inode *ip, int user_dst, uint64 dst, uint off, uint n);
int writei(struct inode *ip, int user_src, uint64 src, uint off, uint n);

// Directories and paths.
int namecmp(const char *a, const char *b);
struct inode *dirlookup(struct inode *dp, char *name, uint *poff);
int dirlink(struct inode *dp, char *name, uint inum);
struct inode *namei(char *path);
struct inode *nameiparent(char *path, char *name);

#endif
