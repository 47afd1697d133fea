// The entry point of every user program.  exec() starts a program at _start
// with argc in a0 and argv in a1; returning from main is the same as calling
// exit() with main's result.
#include "kernel/types.h"
#include "user/user.h"

int main(int argc, char *argv[]);

void _start(int argc, char *argv[]) {
  exit(main(argc, argv));
}
