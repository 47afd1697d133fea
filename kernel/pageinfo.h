// What the pageinfo() system call (a project extension, number 24; see
// README) reports about one page of the caller's memory.  User programs
// include this.
#ifndef XV6_PAGEINFO_H
#define XV6_PAGEINFO_H

#include "types.h"

// Every field is filled in on success; the struct has no padding.
struct pageinfo {
  uint64 va;  // the page's virtual address (the va asked about, rounded down)
  uint64 pa;  // the physical page it maps
  uint64
      flags;  // the PTE's low ten bits: PTE_V R W X U (kernel/riscv.h), G A D, and the two software (RSW) bits
  uint32 refcount;  // how many page tables map this physical page
  uint32 cow;       // 1 if this page table maps the page copy-on-write, else 0
};

#endif
