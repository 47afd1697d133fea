// The virtio block device that holds fs.img.
#ifndef KERNEL_DEV_VIRTIO_DISK_H
#define KERNEL_DEV_VIRTIO_DISK_H

struct buf;

void virtio_disk_init(void);
// Reads b->blockno into b->data, or writes it out; sleeps until done.
void virtio_disk_rw(struct buf *b, int write);
void virtio_disk_intr(void);
// For the audit: calls visit(pa) for each page the driver took from kalloc().
void virtio_disk_visit_pages(void (*visit)(void *pa));

#endif
