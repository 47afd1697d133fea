// echo: prints its arguments, separated by spaces, and a newline.
//
// The line goes out in one write when it fits in the buffer, so that a
// background echo's line is not split by the shell's next prompt.
#include "kernel/types.h"
#include "kernel/stat.h"
#include "user/user.h"

static char line[512];
static int used;

static void flush(void) {
  write(1, line, used);
  used = 0;
}

static void put(const char *s, int n) {
  for (int i = 0; i < n; i++) {
    if (used == sizeof(line))
      flush();
    line[used++] = s[i];
  }
}

int main(int argc, char *argv[]) {
  for (int i = 1; i < argc; i++) {
    put(argv[i], strlen(argv[i]));
    if (i + 1 < argc)
      put(" ", 1);
  }
  put("\n", 1);
  flush();
  exit(0);
}
