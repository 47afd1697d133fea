// Open files: the objects file descriptors point at.
#ifndef KERNEL_FS_FILE_H
#define KERNEL_FS_FILE_H

#include "types.h"
#include "param.h"

struct stat;

struct file {
  enum { FD_NONE, FD_PIPE, FD_INODE, FD_DEVICE } type;
  int ref;  // guarded by the file table's lock
  char readable;
  char writable;
  struct pipe *pipe;  // FD_PIPE
  struct inode *ip;   // FD_INODE and FD_DEVICE
  uint off;           // FD_INODE
  short major;        // FD_DEVICE
};

// Device drivers by major number.  user_addr says whether addr is a user
// virtual address of the current process.
struct devsw {
  int (*read)(int user_addr, uint64 addr, int n);
  int (*write)(int user_addr, uint64 addr, int n);
};
extern struct devsw devsw[NDEV];

#define CONSOLE 1  // major number of the console device

void fileinit(void);
struct file *filealloc(void);
struct file *filedup(struct file *f);
void fileclose(struct file *f);
int fileread(struct file *f, uint64 addr, int n);
int filewrite(struct file *f, uint64 addr, int n);
int filestat(struct file *f, uint64 addr);
void file_visit_pipes(void (*visit)(struct pipe *pi));

#endif
