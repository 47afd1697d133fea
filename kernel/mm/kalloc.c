// The physical page allocator.
//
// Every page of RAM from the end of the kernel image up to PHYSTOP starts on
// a free list.  A free page's first bytes hold the link to the next one, so
// the list costs no memory of its own.
//
// Pages are filled with junk when freed and when handed out, so code that
// keeps using a freed page, or trusts a new page to be zero, fails fast.
//
// Copy-on-write fork lets several page tables map one physical page, so each
// page has a reference count: the number of owners (PTEs, or the kernel
// itself) that hold it.  kalloc() hands a page out with count 1, kref() adds
// an owner, and kfree() drops one, returning the page to the free list only
// when the last owner lets go.  A free page has count 0.
//
// Lock rules: kmem.lock guards the free list and the free-page count.
// COW-LAB NOTE BEGIN
// The reference counts are changed with atomic instructions instead of a
// lock, so that reading or changing one page's count (on every COW fault)
// never waits for other harts.
// COW-LAB STANDARD: Several harts change reference counts at once: how they stay right is yours
// COW-LAB STANDARD: to design.
// COW-LAB NOTE END
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "lib/spinlock.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/kalloc.h"

extern char end[];  // first address after the kernel image (kernel.ld)

#define JUNK_FREED     1
#define JUNK_ALLOCATED 5

struct free_page {
  struct free_page *next;
};

static struct {
  struct spinlock lock;
  struct free_page *free_list;
  uint64 nfree;
} kmem;

// COW-LAB BEGIN: keep a count of the owners of every physical page
// COW-LAB GUIDED: an int array with one entry per page from KERNBASE to PHYSTOP (a static array
// COW-LAB GUIDED: starts zeroed: free pages have count 0), and a helper from a physical
// COW-LAB GUIDED: address to its entry: (pa - KERNBASE) / PGSIZE.
// One count per page of RAM, indexed by page number counted from KERNBASE.
static int refcount[(PHYSTOP - KERNBASE) / PGSIZE];

static int *refcount_of(void *pa) {
  return &refcount[((uint64)pa - KERNBASE) / PGSIZE];
}
// COW-LAB END

int kmanaged(void *pa) {
  return (uint64)pa % PGSIZE == 0 && (char *)pa >= end && (uint64)pa < PHYSTOP;
}

static void push_free(void *pa) {
  memset(pa, JUNK_FREED, PGSIZE);
  struct free_page *page = pa;
  acquire(&kmem.lock);
  page->next = kmem.free_list;
  kmem.free_list = page;
  kmem.nfree++;
  release(&kmem.lock);
}

void kinit(void) {
  initlock(&kmem.lock, "kmem");
  for (char *p = (char *)PGROUNDUP((uint64)end); p + PGSIZE <= (char *)PHYSTOP;
       p += PGSIZE)
    push_free(p);
}

void kfree(void *pa) {
  if (!kmanaged(pa))
    panic("kfree: not a page address");
  // COW-LAB BEGIN: free the page only when its last owner lets go
  // COW-LAB GUIDED: take one from its count atomically (__atomic_sub_fetch) and look at the
  // COW-LAB GUIDED: result: below 0 is a double free (panic); above 0, others own it: return.
  int left = __atomic_sub_fetch(refcount_of(pa), 1, __ATOMIC_ACQ_REL);
  if (left < 0)
    panic("kfree: page is already free");
  if (left > 0)
    return;  // other owners still use it
  // COW-LAB END
  push_free(pa);
}

int kalloc_many(void *pages[], int n) {
  int got = 0;
  acquire(&kmem.lock);
  for (; got < n && kmem.free_list; got++) {
    pages[got] = kmem.free_list;
    kmem.free_list = kmem.free_list->next;
  }
  kmem.nfree -= got;
  release(&kmem.lock);

  // COW-LAB BEGIN: a new page has exactly one owner
  // COW-LAB GUIDED: set each page's count to 1 (__atomic_store_n).
  for (int i = 0; i < got; i++)
    __atomic_store_n(refcount_of(pages[i]), 1, __ATOMIC_RELEASE);
  // COW-LAB END
  for (int i = 0; i < got; i++)
    memset(pages[i], JUNK_ALLOCATED, PGSIZE);
  return got;
}

void *kalloc(void) {
  void *page;
  return kalloc_many(&page, 1) ? page : 0;
}

// COW-LAB BEGIN: let another owner share a page, and tell how many own it
// COW-LAB GUIDED: kref(pa): add 1 atomically (__atomic_fetch_add); a page with count 0 is free:
// COW-LAB GUIDED: panic.  krefcount(pa): read the count atomically (__atomic_load_n).
void kref(void *pa) {
  if (!kmanaged(pa))
    panic("kref: not a page address");
  if (__atomic_fetch_add(refcount_of(pa), 1, __ATOMIC_ACQ_REL) < 1)
    panic("kref: page is free");
}

int krefcount(void *pa) {
  return __atomic_load_n(refcount_of(pa), __ATOMIC_ACQUIRE);
}
// COW-LAB END
// COW-LAB STARTER: // Stubs, so that the starter builds: replace them (the TODO above).
// COW-LAB STARTER: void kref(void *pa) {
// COW-LAB STARTER:   panic("kref: not written yet (the COW lab)");
// COW-LAB STARTER: }
// COW-LAB STARTER: int krefcount(void *pa) {
// COW-LAB STARTER:   return -1;  // no counts kept yet: the self-audit takes one owner per page in use
// COW-LAB STARTER: }

void *kalloc_copy(const void *src) {
  void *copy = kalloc();
  if (copy)
    memmove(copy, src, PGSIZE);
  return copy;
}

// For the audit (sys/audit.c): the first page kinit() put on the free list.
void *kfirstpage(void) {
  return (void *)PGROUNDUP((uint64)end);
}

// For the audit: calls visit(pa) for every page on the free list, in list
// order, holding kmem.lock (so visit must not allocate or free).  Returns
// how many pages it visited; *nfree is set to the count kept beside the list.
uint64 kfree_list_visit(void (*visit)(void *pa), uint64 *nfree) {
  uint64 n = 0;
  acquire(&kmem.lock);
  for (struct free_page *page = kmem.free_list; page; page = page->next) {
    visit(page);
    n++;
  }
  *nfree = kmem.nfree;
  release(&kmem.lock);
  return n;
}

uint64 kfreepages(void) {
  acquire(&kmem.lock);
  uint64 n = kmem.nfree;
  release(&kmem.lock);
  return n;
}
