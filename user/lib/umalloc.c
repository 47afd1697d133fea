// malloc() and free(): a first-fit allocator over a free list.
//
// The heap is carved into blocks, each starting with a header that records
// the block's size in units (one unit = one header, 16 bytes, so every
// block and every pointer malloc returns is 16-byte aligned).
//
// Invariants of the free list:
//  - it holds exactly the free blocks, sorted by address, null-terminated;
//  - no two blocks on it are adjacent in memory (free() merges them).
// malloc takes the first block big enough, splitting off its tail if the
// block is larger than needed; when no block fits, it grows the heap with
// sbrk() and retries.  Memory is never given back to the kernel.
#include "kernel/types.h"
#include "user/user.h"

// Header at the start of every block, free or allocated.
struct block {
  struct block *next;  // next free block (meaningful only while free)
  uint64 units;        // size of the whole block, header included
};

#define UNIT           sizeof(struct block)
#define MIN_GROW_UNITS 4096          // grow the heap by at least 64 KiB
#define SBRK_MAX       0x7fffffffUL  // the largest increment sbrk(int) takes

static struct block *freelist;

// Returns the first byte after block b.
static struct block *block_end(struct block *b) {
  return b + b->units;
}

// Adds more memory to the heap: at least units units.  Returns 1, or 0 if
// the kernel refuses.
static int grow_heap(uint64 units) {
  char *top;
  uint64 pad, bytes;
  struct block *b;

  if (units < MIN_GROW_UNITS)
    units = MIN_GROW_UNITS;
  // Someone may have called sbrk() with an odd size: align the new block.
  top = sbrk(0);
  if (top == (char *)-1)
    return 0;
  pad = (UNIT - (uint64)top % UNIT) % UNIT;
  bytes = pad + units * UNIT;
  if (bytes > SBRK_MAX || sbrk(bytes) == (char *)-1)
    return 0;
  b = (struct block *)(top + pad);
  b->units = units;
  free(b + 1);
  return 1;
}

// Returns nbytes of memory aligned to 16 bytes, or 0 if the heap cannot grow.
void *malloc(uint nbytes) {
  uint64 units = ((uint64)nbytes + UNIT - 1) / UNIT + 1;
  struct block **link, *b;

  for (;;) {
    for (link = &freelist; (b = *link) != 0; link = &b->next) {
      if (b->units < units)
        continue;
      if (b->units == units) {
        *link = b->next;  // exact fit: unlink the whole block
      } else {
        b->units -= units;  // hand out the tail, keep the head listed
        b = block_end(b);
        b->units = units;
      }
      return b + 1;
    }
    if (!grow_heap(units))
      return 0;
  }
}

// Returns memory from malloc() to the free list; free(0) does nothing.
void free(void *p) {
  struct block *b, *prev, *next;

  if (p == 0)
    return;
  b = (struct block *)p - 1;

  // Find the neighbours on the list: prev < b < next.
  prev = 0;
  next = freelist;
  while (next != 0 && next < b) {
    prev = next;
    next = next->next;
  }

  // Link b in, merging it into the following block if they touch.
  if (next != 0 && block_end(b) == next) {
    b->units += next->units;
    b->next = next->next;
  } else {
    b->next = next;
  }

  // Link prev to b, or merge b into prev if they touch.
  if (prev == 0) {
    freelist = b;
  } else if (block_end(prev) == b) {
    prev->units += b->units;
    prev->next = b->next;
  } else {
    prev->next = b;
  }
}
