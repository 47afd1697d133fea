// badwrite: writes to a new file from an address that is not mapped, and
// leaves the file for fsck on the host to inspect.
//
//   badwrite FILE
//
// Prints "badwrite: write N size S": write()'s result (it must be -1) and
// the file's size afterwards (it must be 0).
#include "kernel/types.h"
#include "kernel/stat.h"
#include "kernel/fcntl.h"
#include "kernel/memlayout.h"
#include "user/user.h"

#define NBYTES   100
// Far above any heap this program has; below MAXVA, so only the mapping is bad.
#define UNMAPPED (TRAPFRAME - 64 * 4096)

int main(int argc, char *argv[]) {
  struct stat st;
  if (argc != 2) {
    fprintf(2, "usage: badwrite FILE\n");
    exit(1);
  }
  int fd = open(argv[1], O_CREATE | O_TRUNC | O_RDWR);
  if (fd < 0) {
    fprintf(2, "badwrite: cannot create %s\n", argv[1]);
    exit(1);
  }
  int n = write(fd, (void *)UNMAPPED, NBYTES);
  if (fstat(fd, &st) < 0) {
    fprintf(2, "badwrite: fstat failed\n");
    exit(1);
  }
  close(fd);
  printf("badwrite: write %d size %d\n", n, (int)st.size);
  return 0;
}
