// The virtio block driver: reads and writes BSIZE-byte blocks of the disk
// QEMU attaches at VIRTIO0 (virtio-mmio, modern interface, one queue).
//
// Each request is a chain of three descriptors (header, data, status), so
// VIRTQ_SIZE / 3 requests can be in flight.  virtio_disk_rw() queues a
// chain, notifies the device and sleeps on the request until the interrupt
// handler, seeing the chain in the used ring, clears its in_flight flag.
// The process that queued a chain frees its descriptors.
//
// The queue areas come from kalloc() and the buffers live in kernel memory;
// both are mapped at their physical addresses, which is what the device is
// told.
//
// Lock rules: disk.lock (a spinlock) guards all driver state and the queue.
// A process waiting for descriptors or for its request sleeps with it.
#include "types.h"
#include "param.h"
#include "riscv.h"
#include "memlayout.h"
#include "fs.h"
#include "lib/spinlock.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/kalloc.h"
#include "sched/sched.h"
#include "dev/virtio.h"
#include "dev/virtio_disk.h"

#define CHAIN_LEN         3     // descriptors per request
#define STATUS_PENDING    0xff  // not a status the device writes
#define SECTORS_PER_BLOCK (BSIZE / VIRTIO_BLK_SECTOR_SIZE)

// Word-0 features we never accept, whatever the device offers.
#define REFUSED_FEATURES                                               \
  ((1U << VIRTIO_BLK_F_RO) | (1U << VIRTIO_BLK_F_SCSI) |               \
   (1U << VIRTIO_BLK_F_CONFIG_WCE) | (1U << VIRTIO_BLK_F_MQ) |         \
   (1U << VIRTIO_F_ANY_LAYOUT) | (1U << VIRTIO_RING_F_INDIRECT_DESC) | \
   (1U << VIRTIO_RING_F_EVENT_IDX))
// Word-1 features we accept if offered.
#define ACCEPTED_FEATURES_HIGH (1U << VIRTIO_F_VERSION_1)

static struct {
  struct spinlock lock;

  struct virtq_desc *desc;  // VIRTQ_SIZE descriptors
  struct virtq_avail *avail;
  struct virtq_used *used;
  char desc_free[VIRTQ_SIZE];  // descriptor i is not part of a chain
  uint16 used_seen;            // used-ring entries already handled

  // One per possible chain, indexed by the chain's first descriptor.
  struct request {
    volatile int in_flight;  // queued, and the device is not done yet
    struct virtio_blk_req header;
    volatile uint8 status;  // written by the device
  } req[VIRTQ_SIZE];
} disk;

static uint32 reg_read(uint64 offset) {
  return *(volatile uint32 *)(VIRTIO0 + offset);
}

static void reg_write(uint64 offset, uint32 value) {
  *(volatile uint32 *)(VIRTIO0 + offset) = value;
}

// Writes a 64-bit address to a LOW/HIGH register pair.
static void reg_write_addr(uint64 low_offset, void *p) {
  reg_write(low_offset, (uint64)p);
  reg_write(low_offset + 4, (uint64)p >> 32);
}

// Tells the device which features we use: those it offers, minus the ones
// this simple driver does not handle.
static void negotiate_features(void) {
  reg_write(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
  uint32 low = reg_read(VIRTIO_MMIO_DEVICE_FEATURES) & ~REFUSED_FEATURES;
  reg_write(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
  uint32 high = reg_read(VIRTIO_MMIO_DEVICE_FEATURES) & ACCEPTED_FEATURES_HIGH;

  reg_write(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
  reg_write(VIRTIO_MMIO_DRIVER_FEATURES, low);
  reg_write(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
  reg_write(VIRTIO_MMIO_DRIVER_FEATURES, high);
}

static void *zeroed_page(void) {
  void *p = kalloc();
  if (p == 0)
    panic("virtio_disk_init: out of memory");
  memset(p, 0, PGSIZE);
  return p;
}

void virtio_disk_visit_pages(void (*visit)(void *pa)) {
  visit(disk.desc);
  visit(disk.avail);
  visit(disk.used);
}

// Allocates queue 0 and hands its areas to the device.
static void setup_queue(void) {
  reg_write(VIRTIO_MMIO_QUEUE_SEL, 0);
  if (reg_read(VIRTIO_MMIO_QUEUE_READY) != 0)
    panic("virtio_disk_init: queue already in use");
  uint32 max = reg_read(VIRTIO_MMIO_QUEUE_NUM_MAX);
  if (max < VIRTQ_SIZE)
    panic("virtio_disk_init: queue too small");

  disk.desc = zeroed_page();
  disk.avail = zeroed_page();
  disk.used = zeroed_page();

  reg_write(VIRTIO_MMIO_QUEUE_NUM, VIRTQ_SIZE);
  reg_write_addr(VIRTIO_MMIO_QUEUE_DESC_LOW, disk.desc);
  reg_write_addr(VIRTIO_MMIO_QUEUE_DRIVER_LOW, disk.avail);
  reg_write_addr(VIRTIO_MMIO_QUEUE_DEVICE_LOW, disk.used);
  reg_write(VIRTIO_MMIO_QUEUE_READY, 1);

  for (int i = 0; i < VIRTQ_SIZE; i++)
    disk.desc_free[i] = 1;
}

// Finds and starts the disk.  Panics if there is none.
void virtio_disk_init(void) {
  initlock(&disk.lock, "virtio_disk");

  if (reg_read(VIRTIO_MMIO_MAGIC_VALUE) != VIRTIO_MAGIC ||
      reg_read(VIRTIO_MMIO_VERSION) != VIRTIO_MMIO_MODERN ||
      reg_read(VIRTIO_MMIO_DEVICE_ID) != VIRTIO_DEVICE_BLOCK)
    panic("virtio_disk_init: no modern virtio block device");

  // The start-up sequence of the spec: reset, then each status bit in turn.
  uint32 status = 0;
  reg_write(VIRTIO_MMIO_STATUS, status);
  status |= VIRTIO_STATUS_ACKNOWLEDGE;
  reg_write(VIRTIO_MMIO_STATUS, status);
  status |= VIRTIO_STATUS_DRIVER;
  reg_write(VIRTIO_MMIO_STATUS, status);

  negotiate_features();
  status |= VIRTIO_STATUS_FEATURES_OK;
  reg_write(VIRTIO_MMIO_STATUS, status);
  if ((reg_read(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK) == 0)
    panic("virtio_disk_init: features not accepted");

  setup_queue();

  status |= VIRTIO_STATUS_DRIVER_OK;
  reg_write(VIRTIO_MMIO_STATUS, status);
}

// Frees the chain starting at descriptor head and wakes processes waiting
// for descriptors.  Caller holds disk.lock.
static void free_chain(int head) {
  int i = head;
  for (;;) {
    if (disk.desc_free[i])
      panic("virtio_disk: freeing a free descriptor");
    int more = disk.desc[i].flags & VIRTQ_DESC_F_NEXT;
    int next = disk.desc[i].next;
    memset(&disk.desc[i], 0, sizeof(disk.desc[i]));
    disk.desc_free[i] = 1;
    if (!more)
      break;
    i = next;
  }
  wakeup(&disk.desc_free);
}

// Claims CHAIN_LEN free descriptors into d[].  Returns 0, or -1 (claiming
// none) if there are not enough.  Caller holds disk.lock.
static int alloc_chain(int d[CHAIN_LEN]) {
  int n = 0;
  for (int i = 0; i < VIRTQ_SIZE && n < CHAIN_LEN; i++) {
    if (disk.desc_free[i])
      d[n++] = i;
  }
  if (n < CHAIN_LEN)
    return -1;
  for (int k = 0; k < CHAIN_LEN; k++)
    disk.desc_free[d[k]] = 0;
  return 0;
}

static void set_desc(int i, void *addr, uint32 len, uint16 flags, uint16 next) {
  disk.desc[i].addr = (uint64)addr;
  disk.desc[i].len = len;
  disk.desc[i].flags = flags;
  disk.desc[i].next = next;
}

// Puts the chain starting at head in the available ring and tells the
// device.  Caller holds disk.lock.
static void submit(int head) {
  disk.avail->ring[disk.avail->idx % VIRTQ_SIZE] = head;
  __sync_synchronize();  // the device must see the entry before the index
  disk.avail->idx++;
  __sync_synchronize();
  reg_write(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
}

void virtio_disk_rw(uint blockno, uchar *data, int write) {
  int d[CHAIN_LEN];

  acquire(&disk.lock);
  while (alloc_chain(d) < 0)
    sleep(&disk.desc_free, &disk.lock);

  struct request *r = &disk.req[d[0]];
  r->header.type = write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN;
  r->header.reserved = 0;
  r->header.sector = (uint64)blockno * SECTORS_PER_BLOCK;
  r->status = STATUS_PENDING;

  uint16 data_flags = write ? 0 : VIRTQ_DESC_F_WRITE;
  set_desc(d[0], &r->header, sizeof(r->header), VIRTQ_DESC_F_NEXT, d[1]);
  set_desc(d[1], data, BSIZE, data_flags | VIRTQ_DESC_F_NEXT, d[2]);
  set_desc(d[2], (void *)&r->status, sizeof(r->status), VIRTQ_DESC_F_WRITE, 0);

  r->in_flight = 1;
  submit(d[0]);
  while (r->in_flight)
    sleep(r, &disk.lock);

  free_chain(d[0]);
  release(&disk.lock);
}

// The device's used index, which it advances as it finishes chains.
static uint16 used_idx(void) {
  return *(volatile uint16 *)&disk.used->idx;
}

// Handles a disk interrupt: wakes the process of every finished request.
void virtio_disk_intr(void) {
  acquire(&disk.lock);

  // Acknowledge first: a chain finished after this raises a new interrupt.
  uint32 why = reg_read(VIRTIO_MMIO_INTERRUPT_STATUS);
  reg_write(VIRTIO_MMIO_INTERRUPT_ACK,
            why & (VIRTIO_INT_USED_BUFFER | VIRTIO_INT_CONFIG_CHANGE));
  __sync_synchronize();

  while (disk.used_seen != used_idx()) {
    __sync_synchronize();  // read the entry only after seeing the index
    uint32 id = disk.used->ring[disk.used_seen % VIRTQ_SIZE].id;
    if (id >= VIRTQ_SIZE || !disk.req[id].in_flight)
      panic("virtio_disk_intr: unknown request");
    struct request *r = &disk.req[id];
    if (r->status != VIRTIO_BLK_S_OK)
      panic("virtio_disk_intr: disk request failed");
    r->in_flight = 0;
    wakeup(r);
    disk.used_seen++;
  }

  release(&disk.lock);
}
