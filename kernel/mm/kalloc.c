// The physical page allocator.
//
// Every page of RAM from the end of the kernel image up to PHYSTOP starts on
// a free list.  A free page's first bytes hold the link to the next one, so
// the list costs no memory of its own.
//
// Lock rule: kmem.lock guards the free list and the free-page count.
// Pages are filled with junk when freed and when handed out, so code that
// keeps using a freed page, or trusts a new page to be zero, fails fast.
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "lib/spinlock.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/kalloc.h"

extern char end[];  // first address after the kernel image (kernel.ld)

#define JUNK_FREED 1
#define JUNK_ALLOCATED 5

struct free_page {
  struct free_page *next;
};

static struct {
  struct spinlock lock;
  struct free_page *free_list;
  uint64 nfree;
} kmem;

static int is_page_address(void *pa) {
  return (uint64)pa % PGSIZE == 0 && (char *)pa >= end && (uint64)pa < PHYSTOP;
}

void kinit(void) {
  initlock(&kmem.lock, "kmem");
  for (char *p = (char *)PGROUNDUP((uint64)end); p + PGSIZE <= (char *)PHYSTOP; p += PGSIZE)
    kfree(p);
}

void kfree(void *pa) {
  if (!is_page_address(pa))
    panic("kfree: not a page address");
  memset(pa, JUNK_FREED, PGSIZE);

  struct free_page *page = pa;
  acquire(&kmem.lock);
  page->next = kmem.free_list;
  kmem.free_list = page;
  kmem.nfree++;
  release(&kmem.lock);
}

void *kalloc(void) {
  acquire(&kmem.lock);
  struct free_page *page = kmem.free_list;
  if (page) {
    kmem.free_list = page->next;
    kmem.nfree--;
  }
  release(&kmem.lock);

  if (page)
    memset(page, JUNK_ALLOCATED, PGSIZE);
  return page;
}

uint64 kfreepages(void) {
  acquire(&kmem.lock);
  uint64 n = kmem.nfree;
  release(&kmem.lock);
  return n;
}
