// Fixed-width integer names shared by the kernel, mkfs and user programs.
#ifndef XV6_TYPES_H
#define XV6_TYPES_H

typedef unsigned int uint;
typedef unsigned short ushort;
typedef unsigned char uchar;

typedef unsigned char uint8;
typedef unsigned short uint16;
typedef unsigned int uint32;
typedef unsigned long uint64;

// One page-table entry, or a pointer to a page-table page.
typedef uint64 pde_t;

#endif
