// The parts of the ELF-64 format that exec() reads.
#ifndef KERNEL_PROC_ELF_H
#define KERNEL_PROC_ELF_H

#include "types.h"

#define ELF_MAGIC 0x464C457FU  // "\x7FELF", read as a little-endian uint

// File header.
struct elfhdr {
  uint magic;
  uchar ident[12];
  ushort type;
  ushort machine;
  uint version;
  uint64 entry;  // first instruction
  uint64 phoff;  // where the program headers start
  uint64 shoff;
  uint flags;
  ushort ehsize;
  ushort phentsize;
  ushort phnum;  // how many program headers
  ushort shentsize;
  ushort shnum;
  ushort shstrndx;
};

// Program header: one segment.
struct proghdr {
  uint32 type;
  uint32 flags;
  uint64 off;    // where the segment's bytes start in the file
  uint64 vaddr;  // where they go in memory
  uint64 paddr;
  uint64 filesz;  // bytes in the file
  uint64 memsz;   // bytes in memory (the rest is zero: .bss)
  uint64 align;
};

#define ELF_PROG_LOAD 1

#define ELF_PROG_FLAG_EXEC  1
#define ELF_PROG_FLAG_WRITE 2
#define ELF_PROG_FLAG_READ  4

#endif
