// The on-disk format of the file system, shared by the kernel and mkfs.
//
// Disk layout, in blocks of BSIZE bytes:
//   [ boot | super | log ... | inodes ... | free bitmap ... | data ... ]
// The superblock (block 1) says where each region starts.
#ifndef XV6_FS_H
#define XV6_FS_H

#include "types.h"

#define ROOTINO 1     // inode number of "/"
#define BSIZE   1024  // bytes per block
#define FSMAGIC 0x10203040

struct superblock {
  uint magic;       // FSMAGIC
  uint size;        // blocks in the whole image
  uint nblocks;     // data blocks
  uint ninodes;     // inodes
  uint nlog;        // log blocks
  uint logstart;    // first log block
  uint inodestart;  // first inode block
  uint bmapstart;   // first free-bitmap block
};

#define NDIRECT   12
#define NINDIRECT (BSIZE / sizeof(uint))
#define MAXFILE   (NDIRECT + NINDIRECT)

// An inode as stored on disk.
struct dinode {
  short type;   // 0 when free, else T_DIR, T_FILE or T_DEVICE
  short major;  // device files only
  short minor;
  short nlink;              // directory entries naming this inode
  uint size;                // bytes of content
  uint addrs[NDIRECT + 1];  // data blocks; the last one is the indirect block
};

#define IPB           (BSIZE / sizeof(struct dinode))  // inodes per block
#define IBLOCK(i, sb) ((i) / IPB + (sb).inodestart)    // block holding inode i
#define BPB           (BSIZE * 8)                      // bitmap bits per block
#define BBLOCK(b, sb) ((b) / BPB + (sb).bmapstart)     // bitmap block for block b

#define DIRSIZ 14

// A directory is a file holding an array of these; inum 0 marks a free slot.
struct dirent {
  ushort inum;
  char name[DIRSIZ];  // not NUL-terminated when exactly DIRSIZ long
};

#endif
