// vmprint: prints a page table as a tree, for debugging.
//
// Output, for a user page table:
//
//   page table 0x0000000087f4c000
//    ..0: pte 0x21fd2001 pa 0x87f48000 [V]
//    .. ..0: pte 0x21fd1c01 pa 0x87f47000 [V]
//    .. .. ..0: pte 0x21fd245b pa 0x87f49000 va 0x0 [VRXU]
//    .. .. ..1: pte 0x21fd2857 pa 0x87f4a000 va 0x1000 [VRWU]
//    .. .. ..2: pte 0x21fd2c53 pa 0x87f4b000 va 0x2000 [VRU C]
//
// One line per valid PTE, depth-first: the number of " .." is the depth
// (1 for the root page's entries), then the PTE's index in its page, the PTE,
// the physical address it holds (a page-table page, or the mapped page), and
// for a leaf the virtual address it maps.  Flags: V R W X U, and C after a
// space for a copy-on-write page (pte_is_cow(), mm/cow.h).
//
// It only reads the tree, through the kernel's direct map (a physical
// address is a valid kernel pointer), and takes no lock: the caller makes
// sure nobody changes the page table while it is printed (for example, by
// printing its own process's table, or from gdb with every hart stopped).
#include "types.h"
#include "riscv.h"
#include "lib/printf.h"
#include "mm/cow.h"
#include "mm/vmprint.h"

#define ROOT_LEVEL       2             // Sv39: levels 2 (the root), 1 and 0
#define PTES_PER_PAGE    (PXMASK + 1)  // 512
#define MAX_FLAG_LETTERS 8             // "VRWXU C" and the terminating NUL

struct flag_letter {
  uint64 bit;
  const char *letters;
};

// The flags vmprint shows, in the order it shows them.
static const struct flag_letter flag_letters[] = {
  { PTE_V, "V" }, { PTE_R, "R" }, { PTE_W, "W" }, { PTE_X, "X" }, { PTE_U, "U" },
};

#define NFLAG_LETTERS (sizeof(flag_letters) / sizeof(flag_letters[0]))

// Writes the letters of pte's flags into out, NUL-terminated; out holds
// MAX_FLAG_LETTERS characters.
static void flag_string(pte_t pte, char *out) {
  int n = 0;
  for (uint i = 0; i < NFLAG_LETTERS; i++) {
    if ((pte & flag_letters[i].bit) == 0)
      continue;
    for (const char *s = flag_letters[i].letters; *s; s++)
      out[n++] = *s;
  }
  if (pte_is_cow(pte)) {
    out[n++] = ' ';
    out[n++] = 'C';
  }
  out[n] = 0;
}

// A leaf maps a page; any other valid PTE points at the next level's page.
static int is_leaf(pte_t pte) {
  return (pte & (PTE_R | PTE_W | PTE_X)) != 0;
}

// Prints one PTE's line.  va_base is the first virtual address that the
// page holding the PTE covers; depth counts from 1 at the root.
static void print_pte(int depth, int index, pte_t pte, int level, uint64 va_base) {
  char flags[MAX_FLAG_LETTERS];
  flag_string(pte, flags);
  for (int d = 0; d < depth; d++)
    printf(" ..");
  printf("%d: pte 0x%lx pa 0x%lx", index, pte, PTE2PA(pte));
  if (is_leaf(pte))
    printf(" va 0x%lx", va_base + ((uint64)index << PXSHIFT(level)));
  printf(" [%s]\n", flags);
}

// Prints the valid PTEs of the page table page at level, and below them
// those of the pages they point to.
static void print_level(pagetable_t page, int level, uint64 va_base) {
  int depth = ROOT_LEVEL - level + 1;
  for (int i = 0; i < PTES_PER_PAGE; i++) {
    pte_t pte = page[i];
    if ((pte & PTE_V) == 0)
      continue;
    print_pte(depth, i, pte, level, va_base);
    if (level > 0 && !is_leaf(pte))
      print_level((pagetable_t)PTE2PA(pte), level - 1,
                  va_base + ((uint64)i << PXSHIFT(level)));
  }
}

void vmprint(pagetable_t pagetable) {
  printf("page table %p\n", pagetable);
  print_level(pagetable, ROOT_LEVEL, 0);
}
