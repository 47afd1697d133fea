// Pipes: a bounded byte queue between a reading and a writing file.
#ifndef KERNEL_FS_PIPE_H
#define KERNEL_FS_PIPE_H

#include "types.h"

struct file;
struct pipe;

// Makes a pipe and its two files; returns 0, or -1 having allocated nothing.
int pipealloc(struct file **readf, struct file **writef);
void pipeclose(struct pipe *pi, int writable);
int pipewrite(struct pipe *pi, uint64 addr, int n);
int piperead(struct pipe *pi, uint64 addr, int n);

#endif
