// The virtio block device that holds fs.img.
#ifndef KERNEL_DEV_VIRTIO_DISK_H
#define KERNEL_DEV_VIRTIO_DISK_H

#include "types.h"

void virtio_disk_init(void);
// The block interface the buffer cache (fs/bio.c) uses: reads disk block
// blockno into data[0..BSIZE) (write == 0) or writes data to it, sleeping
// until the disk is done.  The caller must be a process and must keep data
// unchanged and in place until this returns.
void virtio_disk_rw(uint blockno, uchar *data, int write);
void virtio_disk_intr(void);
// For the audit: calls visit(pa) for each page the driver took from kalloc().
void virtio_disk_visit_pages(void (*visit)(void *pa));

#endif
