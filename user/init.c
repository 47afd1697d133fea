// init: the first user process.
//
// Makes the console standard input, output and error, then keeps a shell
// running on it: whenever the shell exits, a new one starts.  The kernel
// hands init every orphaned process, so init's wait() also returns for
// those; init just reaps them and keeps waiting for its shell.
//
// init must never exit (the kernel cannot go on without it), so nothing a
// user does may make it give up: when memory is so short that it cannot
// fork a shell, or the shell cannot exec, or wait() fails, init says so
// once, sleeps a while and tries again, until it succeeds.
#include "kernel/types.h"
#include "kernel/stat.h"
#include "kernel/fcntl.h"
#include "user/user.h"

#define CONSOLE_MAJOR 1     // device number of the console driver
#define RETRY_TICKS   10    // how long to wait before trying again
#define EXEC_FAILED   127   // exit status of a child that could not exec sh
#define KILLED        (-1)  // exit status of a process the kernel killed

static char *shell_argv[] = { "sh", 0 };

// Opens the console, creating its device file on first boot, as fd 0 and
// duplicates it as fds 1 and 2.
static void open_console(void) {
  if (open("console", O_RDWR) < 0) {
    mknod("console", CONSOLE_MAJOR, 0);
    if (open("console", O_RDWR) < 0)
      exit(1);  // nowhere to report the problem
  }
  dup(0);  // standard output
  dup(0);  // standard error
}

// Prints problem the first time in a row it happens (*said tracks that),
// then sleeps before the caller tries again.
static void complain_and_wait(const char *problem, int *said) {
  if (!*said)
    fprintf(2, "init: %s; retrying until it works\n", problem);
  *said = 1;
  sleep(RETRY_TICKS);
}

// Starts a shell; returns its pid.  Retries until fork() succeeds.
static int start_shell(int *said) {
  int pid;

  while ((pid = fork()) < 0)
    complain_and_wait("fork failed", said);
  if (pid == 0) {
    exec("sh", shell_argv);
    exit(EXEC_FAILED);  // init reports it
  }
  return pid;
}

// Waits until the shell pid exits, reaping orphans meanwhile; returns its
// exit status.
static int wait_for_shell(int shell, int *said) {
  int pid, status;

  while ((pid = wait(&status)) != shell) {
    if (pid < 0)
      complain_and_wait("wait failed", said);
  }
  return status;
}

int main(int argc, char *argv[]) {
  int said = 0;  // have we complained since the last good shell?

  open_console();
  printf("init: starting sh\n");
  for (;;) {
    int started = uptime();
    int status = wait_for_shell(start_shell(&said), &said);
    // A shell killed as soon as it started most likely ran out of memory:
    // starting another at once would fail the same way, over and over.
    if (status == EXEC_FAILED || (status == KILLED && uptime() - started < RETRY_TICKS)) {
      complain_and_wait("sh could not start", &said);
      continue;
    }
    said = 0;
    printf("init: starting sh\n");
  }
}
