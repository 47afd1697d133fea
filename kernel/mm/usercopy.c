// Copying between the kernel and user memory.
//
// The kernel never dereferences a user pointer directly: it translates each
// user page through the process's page table and copies through the direct
// map.  A user address is usable only if it is below MAXVA and its page is
// mapped with PTE_U (so the trap frame, the trampoline and the stack guard
// page are refused), plus PTE_W when the kernel writes to it.
//
// A copy-on-write page lacks PTE_W, but the user may write it, so a kernel
// write into one must first give the process its own copy, exactly as the
// store page fault would (mm/cow.c).  Without this, read() into a COW page
// would change the memory of every process sharing it.
#include "types.h"
#include "riscv.h"
#include "lib/string.h"
#include "mm/vm.h"
#include "mm/cow.h"
#include "mm/cowcount.h"
#include "mm/usercopy.h"
#include "sched/process.h"

enum direction { TO_USER, FROM_USER };

// Kernel address of the user page holding va, or 0 if the access is not allowed.
static char *user_page(pagetable_t pagetable, uint64 va, enum direction dir) {
  pte_t *pte = user_pte(pagetable, va);
  if (pte == 0)
    return 0;
  if (dir == TO_USER && (*pte & PTE_W) == 0) {
    // COW-LAB BEGIN: a kernel write into a copy-on-write page must break the share first
    // COW-LAB GUIDED: for a PTE_COW page: count COW_EVENT_COPYOUT_BREAK, and cow_break() it;
    // COW-LAB GUIDED: return the page that the PTE it returns maps (the copy), or refuse on 0.
    // Out of memory just refuses: the system call fails.  The PTE that
    // cow_break() returns maps this process's own copy now (with FORK=shared
    // it may sit in a new leaf page-table page).
    if (*pte & PTE_COW) {
      cow_count(COW_EVENT_COPYOUT_BREAK);
      pte = cow_break(pagetable, va, pte);
      return pte ? (char *)PTE2PA(*pte) : 0;
    }
    // COW-LAB END
    return 0;
  }
  if (dir == TO_USER)  // COW-LAB BEYOND: written, as by a user store
    *pte |= PTE_D;     // COW-LAB BEYOND: (copyin leaves the PTE alone)
  return (char *)PTE2PA(*pte);
}

// Moves len bytes between kernel buffer kbuf and user address uva, a page
// at a time.  Returns 0, or -1 at the first page that is not allowed.
static int copy_user(pagetable_t pagetable, uint64 uva, char *kbuf, uint64 len,
                     enum direction dir) {
  while (len > 0) {
    uint64 page_va = PGROUNDDOWN(uva);
    char *page = user_page(pagetable, page_va, dir);
    if (page == 0)
      return -1;
    uint64 offset = uva - page_va;
    uint64 n = PGSIZE - offset;
    if (n > len)
      n = len;
    if (dir == TO_USER)
      memmove(page + offset, kbuf, n);
    else
      memmove(kbuf, page + offset, n);
    len -= n;
    kbuf += n;
    uva += n;
  }
  return 0;
}

int copyout(pagetable_t pagetable, uint64 dstva, const void *src, uint64 len) {
  return copy_user(pagetable, dstva, (char *)src, len, TO_USER);
}

int copyin(pagetable_t pagetable, void *dst, uint64 srcva, uint64 len) {
  return copy_user(pagetable, srcva, dst, len, FROM_USER);
}

// Copies bytes up to and including a NUL.  Returns 0, or -1 if the string
// is longer than max bytes or runs into memory the process may not read.
int copyinstr(pagetable_t pagetable, char *dst, uint64 srcva, uint64 max) {
  while (max > 0) {
    uint64 page_va = PGROUNDDOWN(srcva);
    char *page = user_page(pagetable, page_va, FROM_USER);
    if (page == 0)
      return -1;
    for (uint64 off = srcva - page_va; off < PGSIZE && max > 0; off++, max--) {
      *dst = page[off];
      if (*dst == 0)
        return 0;
      dst++;
    }
    srcva = page_va + PGSIZE;
  }
  return -1;
}

int either_copyout(int user_dst, uint64 dst, const void *src, uint64 len) {
  if (user_dst)
    return copyout(myproc()->pagetable, dst, src, len);
  memmove((char *)dst, src, len);
  return 0;
}

int either_copyin(void *dst, int user_src, uint64 src, uint64 len) {
  if (user_src)
    return copyin(myproc()->pagetable, dst, src, len);
  memmove(dst, (char *)src, len);
  return 0;
}
