// The write-ahead log: makes each file-system call atomic across a crash.
//
// Every system call that writes the disk brackets its work with
// begin_op()/end_op() and writes modified buffers with log_write() instead of
// bwrite().  Blocks reach their home location only after the whole group of
// operations is recorded in the log.
#ifndef KERNEL_FS_LOG_H
#define KERNEL_FS_LOG_H

#include "types.h"
#include "fs.h"

struct buf;

void initlog(int dev, struct superblock *sb);
void begin_op(void);
void end_op(void);
void log_write(struct buf *b);

#endif
