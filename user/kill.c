// kill: kills each process whose pid is given.  Exits 1 if any pid is not
// a number or names no process.
#include "kernel/types.h"
#include "kernel/stat.h"
#include "user/user.h"

// Is s a non-empty string of decimal digits?
static int is_number(const char *s) {
  if (*s == 0)
    return 0;
  for (; *s; s++)
    if (*s < '0' || *s > '9')
      return 0;
  return 1;
}

int main(int argc, char *argv[]) {
  int i, status = 0;

  if (argc < 2) {
    fprintf(2, "usage: kill PID...\n");
    exit(1);
  }
  for (i = 1; i < argc; i++) {
    if (!is_number(argv[i]) || kill(atoi(argv[i])) < 0) {
      fprintf(2, "kill: cannot kill %s\n", argv[i]);
      status = 1;
    }
  }
  exit(status);
}
