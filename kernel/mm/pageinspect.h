// Looking at one user page: where it is, its PTE flags, who shares it.
#ifndef KERNEL_MM_PAGEINSPECT_H
#define KERNEL_MM_PAGEINSPECT_H

#include "types.h"
#include "riscv.h"
#include "pageinfo.h"

// Fills *info (every field) for the user page at va in pagetable.  Returns
// 0, or -1 if va is not mapped for user access.
int page_inspect(pagetable_t pagetable, uint64 va, struct pageinfo *info);

#endif
