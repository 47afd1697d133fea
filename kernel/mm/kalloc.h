// The physical page allocator: whole 4096-byte pages of RAM between the end
// of the kernel image and PHYSTOP.
#ifndef KERNEL_MM_KALLOC_H
#define KERNEL_MM_KALLOC_H

#include "types.h"

void kinit(void);
// Returns a page filled with junk, or 0 when memory is exhausted.
void *kalloc(void);
// kalloc() for n pages at once, taking the free list's lock once: puts
// the pages in pages[] and returns how many it took (fewer than n when
// memory runs out).
int kalloc_many(void *pages[], int n);
// Drops one reference to a page from kalloc(); the last one frees it.
void kfree(void *pa);
// Returns a new page holding a copy of the page at src, or 0 when memory is
// exhausted.  The caller maps it; the page at src is left as it was.
void *kalloc_copy(const void *src);
// Pages currently free (for tests and statistics).
uint64 kfreepages(void);
// Whether pa is a page kalloc() hands out (page-aligned, from the end of
// the kernel image up to PHYSTOP), free or not: so a page that may be
// read as junk is at least RAM.
int kmanaged(void *pa);

// For the kernel self-audit (sys/audit.c): the lowest page kalloc() can
// hand out, and a walk of the free list (see kalloc.c).
void *kfirstpage(void);
uint64 kfree_list_visit(void (*visit)(void *pa), uint64 *nfree);

// The reference counts (kalloc.c), by these names: fork, the COW fault
// handler, pageinfo and the self-audit use them.
// Adds an owner to an allocated page; each owner later calls kfree() once.
void kref(void *pa);
// How many owners the page has now (0: it is free).
int krefcount(void *pa);

#endif
