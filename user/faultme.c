// faultme: stores to address 0, which lies in the program's read-only text
// page.  The kernel must kill it with a usertrap() line; reaching the
// message below means the store was allowed.
#include "kernel/types.h"
#include "kernel/stat.h"
#include "user/user.h"

int main(int argc, char *argv[]) {
  // Read the address through a volatile so the compiler cannot see that it
  // is 0 and replace the store with a trap instruction of its own.
  volatile uint64 address = 0;

  *(volatile int *)address = 1;
  fprintf(2, "faultme: store to read-only text at 0 did not fault\n");
  exit(1);
}
