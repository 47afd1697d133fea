// init: the first user process.
//
// Makes the console standard input, output and error, then keeps a shell
// running on it: whenever the shell exits, a new one starts.  The kernel
// hands init every orphaned process, so init's wait() also returns for
// those; init just reaps them and keeps waiting for its shell.
#include "kernel/types.h"
#include "kernel/stat.h"
#include "kernel/fcntl.h"
#include "user/user.h"

#define CONSOLE_MAJOR 1  // device number of the console driver

static char *shell_argv[] = { "sh", 0 };

// Opens the console, creating its device file on first boot, as fd 0 and
// duplicates it as fds 1 and 2.
static void
open_console(void)
{
  if (open("console", O_RDWR) < 0) {
    mknod("console", CONSOLE_MAJOR, 0);
    if (open("console", O_RDWR) < 0)
      exit(1);              // nowhere to report the problem
  }
  dup(0);                   // standard output
  dup(0);                   // standard error
}

// Starts a shell; returns its pid.
static int
start_shell(void)
{
  int pid;

  printf("init: starting sh\n");
  pid = fork();
  if (pid < 0) {
    fprintf(2, "init: fork failed\n");
    exit(1);
  }
  if (pid == 0) {
    exec("sh", shell_argv);
    fprintf(2, "init: exec sh failed\n");
    exit(1);
  }
  return pid;
}

int
main(int argc, char *argv[])
{
  int shell, pid;

  open_console();
  for (;;) {
    shell = start_shell();
    // Reap children until the shell itself exits; the others are orphans.
    while ((pid = wait(0)) != shell) {
      if (pid < 0) {
        fprintf(2, "init: wait failed\n");
        exit(1);
      }
    }
  }
}
