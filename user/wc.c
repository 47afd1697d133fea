// wc: counts the lines, words and bytes of each named file, or of standard
// input if none is named, and prints "lines words bytes name".
#include "kernel/types.h"
#include "kernel/stat.h"
#include "kernel/fcntl.h"
#include "user/user.h"

#define BUFSIZE 512

static char buf[BUFSIZE];

static int is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v';
}

// Counts fd's contents and prints the totals under name; exits on error.
static void wc(int fd, const char *name) {
  int lines = 0, words = 0, bytes = 0, in_word = 0, n, i;

  while ((n = read(fd, buf, sizeof(buf))) > 0) {
    bytes += n;
    for (i = 0; i < n; i++) {
      if (buf[i] == '\n')
        lines++;
      if (is_space(buf[i])) {
        in_word = 0;
      } else if (!in_word) {
        in_word = 1;
        words++;
      }
    }
  }
  if (n < 0) {
    fprintf(2, "wc: cannot read %s\n", name);
    exit(1);
  }
  printf("%d %d %d %s\n", lines, words, bytes, name);
}

int main(int argc, char *argv[]) {
  int i, fd;

  if (argc < 2) {
    wc(0, "");
    exit(0);
  }
  for (i = 1; i < argc; i++) {
    fd = open(argv[i], O_RDONLY);
    if (fd < 0) {
      fprintf(2, "wc: cannot open %s\n", argv[i]);
      exit(1);
    }
    wc(fd, argv[i]);
    close(fd);
  }
  exit(0);
}
