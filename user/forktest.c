// forktest: checks that the process table fills up cleanly and that wait()
// accounts for every child.
//
// Forks children that exit at once (they stay in the table as zombies)
// until fork fails, then waits for each of them and finally checks that
// wait() reports no more children.
#include "kernel/types.h"
#include "kernel/stat.h"
#include "user/user.h"

#define MAX_FORKS 1000  // well past NPROC: fork must have failed by then

// Prints msg to standard error and exits with status 1.
static void fail(const char *msg) {
  fprintf(2, "forktest: %s\n", msg);
  exit(1);
}

int main(int argc, char *argv[]) {
  int n, pid;

  printf("fork test\n");
  for (n = 0; n < MAX_FORKS; n++) {
    pid = fork();
    if (pid < 0)
      break;
    if (pid == 0)
      exit(0);
  }
  if (n == MAX_FORKS)
    fail("fork never failed");
  printf("forktest: %d forks succeeded\n", n);

  for (; n > 0; n--)
    if (wait(0) < 0)
      fail("wait returned -1 with children left");
  if (wait(0) != -1)
    fail("wait found a child after all were reaped");

  printf("fork test OK\n");
  exit(0);
}
