// Facts of the virtio 1.x specification that the block driver uses: the
// virtio-mmio register map, device status and feature bits, the split
// virtqueue layout and the block request header.  Numbers come from the
// spec (sections "Virtio Over MMIO", "Virtqueues" and "Block Device").
#ifndef KERNEL_DEV_VIRTIO_H
#define KERNEL_DEV_VIRTIO_H

#include "types.h"

// virtio-mmio registers: byte offsets from the device's base address.
// Every register is 32 bits wide.
#define VIRTIO_MMIO_MAGIC_VALUE         0x000  // VIRTIO_MAGIC
#define VIRTIO_MMIO_VERSION             0x004  // 2 for the modern interface
#define VIRTIO_MMIO_DEVICE_ID           0x008  // VIRTIO_DEVICE_BLOCK
#define VIRTIO_MMIO_VENDOR_ID           0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES     0x010  // 32 feature bits ...
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014  // ... of word 0 or 1
#define VIRTIO_MMIO_DRIVER_FEATURES     0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_QUEUE_SEL           0x030  // the queue the next ones describe
#define VIRTIO_MMIO_QUEUE_NUM_MAX       0x034  // its largest allowed size
#define VIRTIO_MMIO_QUEUE_NUM           0x038  // its size
#define VIRTIO_MMIO_QUEUE_READY         0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY        0x050  // write a queue number: new buffers
#define VIRTIO_MMIO_INTERRUPT_STATUS    0x060
#define VIRTIO_MMIO_INTERRUPT_ACK       0x064
#define VIRTIO_MMIO_STATUS              0x070  // device status bits, below
#define VIRTIO_MMIO_QUEUE_DESC_LOW      0x080  // physical address of the
#define VIRTIO_MMIO_QUEUE_DESC_HIGH     0x084  //   descriptor table,
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW    0x090  //   the available ring
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH   0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW    0x0a0  //   and the used ring
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH   0x0a4

#define VIRTIO_MAGIC        0x74726976  // "virt", little-endian
#define VIRTIO_MMIO_MODERN  2
#define VIRTIO_DEVICE_BLOCK 2

// INTERRUPT_STATUS / INTERRUPT_ACK bits.
#define VIRTIO_INT_USED_BUFFER   (1 << 0)
#define VIRTIO_INT_CONFIG_CHANGE (1 << 1)

// Device status bits, set by the driver in this order during start-up.
#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER      2
#define VIRTIO_STATUS_DRIVER_OK   4
#define VIRTIO_STATUS_FEATURES_OK 8

// Feature bits in word 0 (bits 0-31).
#define VIRTIO_BLK_F_RO             5   // read-only device
#define VIRTIO_BLK_F_SCSI           7   // SCSI command passthrough
#define VIRTIO_BLK_F_CONFIG_WCE     11  // write-back mode in the config space
#define VIRTIO_BLK_F_MQ             12  // more than one queue
#define VIRTIO_F_ANY_LAYOUT         27
#define VIRTIO_RING_F_INDIRECT_DESC 28
#define VIRTIO_RING_F_EVENT_IDX     29
// Feature bits in word 1 (bits 32-63), numbered within the word.
#define VIRTIO_F_VERSION_1          (32 - 32)  // the modern interface

// The split virtqueue.  Three areas, each in its own page here:
// descriptors (buffers), the available ring (driver to device: chains to
// process) and the used ring (device to driver: chains done).
#define VIRTQ_SIZE 8  // descriptors in our queue (a power of 2)

#define VIRTQ_DESC_F_NEXT  1  // the chain goes on at next
#define VIRTQ_DESC_F_WRITE 2  // the device writes this buffer (else reads it)

struct virtq_desc {
  uint64 addr;  // physical address of the buffer
  uint32 len;
  uint16 flags;  // VIRTQ_DESC_F_*
  uint16 next;
};

struct virtq_avail {
  uint16 flags;
  uint16 idx;               // where the driver puts the next entry (mod size)
  uint16 ring[VIRTQ_SIZE];  // first descriptor of each chain
  uint16 used_event;        // unused: EVENT_IDX is not negotiated
};

struct virtq_used_elem {
  uint32 id;   // first descriptor of the finished chain
  uint32 len;  // bytes the device wrote
};

struct virtq_used {
  uint16 flags;
  uint16 idx;  // where the device puts the next entry (mod size)
  struct virtq_used_elem ring[VIRTQ_SIZE];
  uint16 avail_event;
};

// A block request is a chain: this header (device reads), the data
// (device reads for OUT, writes for IN) and a status byte (device writes).
#define VIRTIO_BLK_T_IN  0  // read from the disk
#define VIRTIO_BLK_T_OUT 1  // write to the disk

#define VIRTIO_BLK_S_OK 0  // status byte: success

#define VIRTIO_BLK_SECTOR_SIZE 512  // header.sector counts these

struct virtio_blk_req {
  uint32 type;  // VIRTIO_BLK_T_*
  uint32 reserved;
  uint64 sector;
};

#endif
