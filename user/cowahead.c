// cowahead: what copy-on-write costs a child that writes its parent's
// memory in order, or skipping pages.
//
//   cowahead PAGES STRIDE [LAST]
//
// The parent grows its heap by PAGES pages (writing each, so that all are
// there to share) and forks; the child writes the first byte of every
// STRIDE-th of those pages below page LAST (default: all), in increasing
// order, and exits; the parent waits.  Output, one "name value" pair per
// line after the first:
//
//   cowahead pages=PAGES stride=STRIDE last=LAST written=W
//   cow_faults N           the child's write loop, from its own counters
//   pages_copied N
//   pages_reused N
//   pages_copied_ahead N   pages its faults copied before their first write
//   pages_reused_around N
//   ahead_never_written N  of those, freed unwritten when the child was reaped
//   free_pages_before N    before the fork, and after the wait
//   free_pages_after N
//
// With copy-ahead (kernel/mm/cowahead.c, beyond the lab) a sequential
// writer takes a few faults where it would take one per page.  The page
// below the written ones is left alone, so that no earlier fault of the
// child (its stack's first write) can look like the start of the run.
#include "kernel/types.h"
#include "kernel/riscv.h"
#include "kernel/cowstat.h"
#include "user/user.h"

static void die(const char *why) {
  fprintf(2, "cowahead: %s\n", why);
  exit(1);
}

static void get(int which, struct cowstat *st) {
  if (cowstat(which, st) < 0)
    die("the cowstat system call failed");
}

// The child: writes every stride-th page below page last of heap, and
// prints what its own counters say the loop did.
static void write_pages(char *heap, int last, int stride) {
  struct cowstat before, after;
  get(COWSTAT_SELF, &before);  // the first write to our stack is done now,
  get(COWSTAT_SELF, &before);  // and out of the snapshot
  for (int i = 0; i < last; i += stride)
    heap[(uint64)i * PGSIZE] = 1;
  get(COWSTAT_SELF, &after);
  printf("cow_faults %lu\n", after.cow_faults - before.cow_faults);
  printf("pages_copied %lu\n", after.pages_copied - before.pages_copied);
  printf("pages_reused %lu\n", after.pages_reused - before.pages_reused);
  printf("pages_copied_ahead %lu\n",
         after.pages_copied_ahead - before.pages_copied_ahead);
  printf("pages_reused_around %lu\n",
         after.pages_reused_around - before.pages_reused_around);
  exit(0);
}

int main(int argc, char *argv[]) {
  int pages = argc > 1 ? atoi(argv[1]) : 0, stride = argc > 2 ? atoi(argv[2]) : 0;
  int last = argc > 3 ? atoi(argv[3]) : pages;
  if (argc < 3 || argc > 4 || pages < 1 || stride < 1 || last < 1 || last > pages) {
    fprintf(2, "usage: cowahead PAGES STRIDE [LAST], with 1 <= LAST <= PAGES\n");
    exit(1);
  }
  char *below = sbrk(PGSIZE);  // the page left alone
  char *heap = sbrk(pages * PGSIZE);
  if (below == (char *)-1 || heap == (char *)-1)
    die("sbrk failed: not enough memory");
  for (int i = 0; i < pages; i++)
    heap[(uint64)i * PGSIZE] = 0;
  printf("cowahead pages=%d stride=%d last=%d written=%d\n", pages, stride, last,
         (last + stride - 1) / stride);

  struct cowstat before, after;
  get(COWSTAT_CHILDREN, &before);
  int pid = fork();
  if (pid < 0)
    die("fork failed");
  if (pid == 0)
    write_pages(heap, last, stride);
  int status;
  if (wait(&status) != pid || status != 0)
    die("the child failed");
  get(COWSTAT_CHILDREN, &after);
  printf("ahead_never_written %lu\n",
         after.ahead_never_written - before.ahead_never_written);
  printf("free_pages_before %lu\n", before.free_pages);
  printf("free_pages_after %lu\n", after.free_pages);
  return 0;
}
