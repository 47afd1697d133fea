// ln: gives an existing file a second name.
//
// usage: ln OLD NEW
#include "kernel/types.h"
#include "kernel/stat.h"
#include "user/user.h"

int main(int argc, char *argv[]) {
  if (argc != 3) {
    fprintf(2, "usage: ln OLD NEW\n");
    exit(1);
  }
  if (link(argv[1], argv[2]) < 0) {
    fprintf(2, "ln: cannot link %s to %s\n", argv[2], argv[1]);
    exit(1);
  }
  exit(0);
}
