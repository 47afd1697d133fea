// memhog: keeps free memory at zero for a while, to test what the system
// does when it has none.
//
//   memhog TICKS [VICTIM]
//
// Forks HOGS children that grow their heaps one page at a time until
// sbrk() fails, and keep trying, so that a page another process frees is
// soon taken again.  Once memory is full it kills process VICTIM (if
// given).  After TICKS clock ticks the hogs exit and give everything back.
// Prints "memhog: memory full" and "memhog: done".
//
// Without a victim the hogs try again every tick.  With one they try
// without pause, so that they, not the victim's parent, get the pages the
// victim frees when it dies: the parent then meets an empty free list.
//
// No hog starts eating before every hog has written its own stack: until
// then the parent's stack page is shared with a hog, and the parent's next
// write to it needs a free page to copy into; on a slow machine the first
// hog could take the last one and get memhog itself killed.
#include "kernel/types.h"
#include "kernel/riscv.h"
#include "kernel/cowstat.h"
#include "user/user.h"

#define HOGS        3
#define SBRK_FAILED ((char *)-1)

// Says it is ready on ready[1] (its stack is its own by then), waits for
// go[0] to close, then takes every free page until the deadline (in ticks
// since boot); between tries it sleeps pause ticks.
static void hog(int deadline, int pause, int ready[2], int go[2]) {
  char byte = 0;
  close(ready[0]);
  close(go[1]);
  write(ready[1], &byte, 1);
  close(ready[1]);
  read(go[0], &byte, 1);
  while (uptime() < deadline) {
    while (sbrk(PGSIZE) != SBRK_FAILED)
      ;
    sleep(pause);
  }
  exit(0);
}

static uint64 free_pages(void) {
  struct cowstat st;
  if (cowstat(COWSTAT_SYSTEM, &st) < 0)
    return 0;
  return st.free_pages;
}

int main(int argc, char *argv[]) {
  if (argc < 2 || argc > 3) {
    fprintf(2, "usage: memhog TICKS [VICTIM]\n");
    exit(1);
  }
  int deadline = uptime() + atoi(argv[1]);
  int forked = 0;
  int ready[2], go[2];
  if (pipe(ready) < 0 || pipe(go) < 0) {
    fprintf(2, "memhog: cannot make pipes\n");
    exit(1);
  }
  for (int i = 0; i < HOGS; i++) {
    int pid = fork();
    if (pid == 0)
      hog(deadline, argc == 3 ? 0 : 1, ready, go);
    if (pid > 0)
      forked++;
  }
  close(ready[1]);
  char byte;
  for (int i = 0; i < forked; i++)
    if (read(ready[0], &byte, 1) != 1)
      break;  // a hog died before it was ready
  close(go[1]);
  while (free_pages() > 0 && uptime() < deadline)
    sleep(1);
  printf("memhog: memory full\n");
  if (argc == 3 && kill(atoi(argv[2])) < 0)
    fprintf(2, "memhog: cannot kill %s\n", argv[2]);
  for (int i = 0; i < forked; i++)
    wait(0);
  printf("memhog: done\n");
  return 0;
}
