// zombie: leaves an exited child behind for init to reap.
//
// The child exits at once and stays a zombie while the parent sleeps; then
// the parent exits without waiting, so the kernel hands the zombie to init.
#include "kernel/types.h"
#include "kernel/stat.h"
#include "user/user.h"

#define PARENT_SLEEP_TICKS 5

int main(int argc, char *argv[]) {
  int pid = fork();

  if (pid < 0) {
    fprintf(2, "zombie: fork failed\n");
    exit(1);
  }
  if (pid > 0)
    sleep(PARENT_SLEEP_TICKS);
  exit(0);
}
