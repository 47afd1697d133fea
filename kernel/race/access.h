// One memory access, as the race watcher keeps it (race/ only).
//
// An access is published in one word (address, size, kind) so that
// another hart reading it with one atomic load never sees it torn; its pc
// and hart are read beside it and are only used in reports.
#ifndef KERNEL_RACE_ACCESS_H
#define KERNEL_RACE_ACCESS_H

#include "types.h"
#include "race/racewatch.h"

// The address in the low ADDR_BITS bits (kernel addresses are below 2^39
// in Sv39), then the size, then the kind (ACCESS_* of racewatch.h).
#define ADDR_BITS  48
#define SIZE_SHIFT ADDR_BITS
#define KIND_SHIFT 56
#define FIELD_MASK 0xff
#define ADDR_MASK  ((1UL << ADDR_BITS) - 1)

typedef uint64 access_word;  // 0: no access

struct access {
  access_word word;
  uint64 pc;  // of the instrumented access
  int hart;
};

// A size that does not fit its field (a copy of a large struct) is kept as
// the largest that does: only its first bytes are compared.
static inline access_word access_pack(uint64 addr, uint64 size, int kind) {
  if (size > FIELD_MASK)
    size = FIELD_MASK;
  return (addr & ADDR_MASK) | (size << SIZE_SHIFT) | ((uint64)kind << KIND_SHIFT);
}
static inline uint64 access_addr(access_word w) {
  return w & ADDR_MASK;
}
static inline int access_size(access_word w) {
  return (w >> SIZE_SHIFT) & FIELD_MASK;
}
static inline int access_kind(access_word w) {
  return (w >> KIND_SHIFT) & FIELD_MASK;
}
static inline int access_writes(access_word w) {
  return (access_kind(w) & ACCESS_WRITE) != 0;
}

static inline int access_overlap(access_word a, access_word b) {
  return access_addr(a) < access_addr(b) + access_size(b) &&
         access_addr(b) < access_addr(a) + access_size(a);
}

// Stores a into slot for other harts to read with access_read().
static inline void access_publish(struct access *slot, const struct access *a) {
  __atomic_store_n(&slot->pc, a->pc, __ATOMIC_RELAXED);
  __atomic_store_n(&slot->hart, a->hart, __ATOMIC_RELAXED);
  __atomic_store_n(&slot->word, a->word, __ATOMIC_RELEASE);
}

static inline struct access access_read(struct access *slot) {
  struct access a;
  a.word = __atomic_load_n(&slot->word, __ATOMIC_ACQUIRE);
  a.pc = __atomic_load_n(&slot->pc, __ATOMIC_RELAXED);
  a.hart = __atomic_load_n(&slot->hart, __ATOMIC_RELAXED);
  return a;
}

static inline void access_clear(struct access *slot) {
  __atomic_store_n(&slot->word, 0, __ATOMIC_RELEASE);
}

#endif
