// Sizes of the kernel's fixed tables. User programs see these too.
#ifndef XV6_PARAM_H
#define XV6_PARAM_H

#define NPROC       64                 // processes
#define NCPU        8                  // harts the kernel can run on
#define NOFILE      16                 // open files per process
#define NFILE       100                // open files in the whole system
#define NINODE      50                 // inodes cached in memory at once
#define NDEV        10                 // device major numbers
#define ROOTDEV     1                  // device number of the root file system
#define MAXARG      32                 // arguments to exec
#define MAXOPBLOCKS 10                 // blocks one file-system operation may write
#define LOGSIZE     (MAXOPBLOCKS * 3)  // blocks in the on-disk log
#define NBUF \
  (MAXOPBLOCKS * 6)     // buffers in the block cache: a full log's pinned blocks and more
#define FSSIZE    2000  // blocks in fs.img
#define MAXPATH   128   // longest path name, with its NUL
#define USERSTACK 1     // pages of user stack
#define TIMER_INTERVAL \
  1000000  // cycles of QEMU's 10 MHz time counter between clock ticks (0.1 s)

#endif
