// audit: runs the kernel self-audit (the audit() system call, see README).
//
//   audit          check; prints "audit: clean ..." and exits 0, or
//                  "audit: N problems" (the kernel has printed each one
//                  above) and exits 1
//   audit -leak    the same, with one reference deliberately added to a page
//                  of this program for the check: it must find that page
//   audit -loss    the same, with one reference dropped from a page this
//                  program shares with a child it forked: it must find it
//
// After a planted check, a plain one must be clean again: the plant is
// undone before the kernel lets other processes run.  The kernel rations
// audits (README, system call 23): one that comes soon after another
// sleeps until its turn: 49 times as long as the last one stopped the
// world (a few seconds with three harts).
#include "kernel/types.h"
#include "kernel/riscv.h"
#include "kernel/auditstat.h"
#include "user/user.h"

// A page of its own for the planted faults, so they name one known page.
static char page[2 * PGSIZE] __attribute__((aligned(PGSIZE)));

static int how_from(char *arg) {
  if (strcmp(arg, "-leak") == 0)
    return AUDIT_PLANT_LEAK;
  if (strcmp(arg, "-loss") == 0)
    return AUDIT_PLANT_LOSS;
  fprintf(2, "usage: audit [-leak | -loss]\n");
  exit(2);
}

// Forks a child that shares page (copy-on-write) and blocks until the
// returned pipe end is closed.
static int share_with_child(void) {
  int fds[2];
  char c;
  page[0] = 1;  // a written page: shared COW by the fork below
  if (pipe(fds) < 0 || fork() == 0) {
    close(fds[1]);
    read(fds[0], &c, 1);
    exit(0);
  }
  close(fds[0]);
  return fds[1];
}

int main(int argc, char *argv[]) {
  int how = argc > 1 ? how_from(argv[1]) : AUDIT_CHECK;
  struct auditstat *st = (struct auditstat *)page;
  int child = -1;
  if (how == AUDIT_PLANT_LOSS)
    child = share_with_child();
  else
    page[0] = 1;  // make sure the page is mapped
  int problems = audit(how, st);
  if (child >= 0) {
    close(child);
    wait(0);
  }
  if (problems < 0) {
    fprintf(2, "audit: the audit system call failed\n");
    exit(2);
  }
  if (problems > 0) {
    printf("audit: %d problems\n", problems);
    exit(1);
  }
  printf("audit: clean; %ld pages in use, %ld free pages, %ld free inodes, %ld free "
         "blocks\n",
         st->pages_in_use, st->free_pages, st->free_inodes, st->free_blocks);
  return 0;
}
