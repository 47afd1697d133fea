// What fstat() reports about a file.
#ifndef XV6_STAT_H
#define XV6_STAT_H

#define T_DIR    1  // directory
#define T_FILE   2  // regular file
#define T_DEVICE 3  // device file

struct stat {
  int dev;      // device holding the file
  uint ino;     // inode number
  short type;   // T_DIR, T_FILE or T_DEVICE
  short nlink;  // directory entries naming this inode
  uint64 size;  // bytes
};

#endif
