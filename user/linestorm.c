// linestorm: several processes write lines to the console at once.
//
//   linestorm WRITERS LINES
//
// Forks WRITERS children; child k writes LINES lines, each in one write():
//
//   linestorm writer=K line=J <LINE_FILL dots>|
//
// A line is longer than the UART's ring of queued bytes, so each writer
// sleeps in the middle of every write, and the others run meanwhile.  The
// console must still print each line whole (kernel/dev/console.c); the
// console suite reads every line back.  The parent waits for all, then
// prints "linestorm done".
#include "kernel/types.h"
#include "user/user.h"

#define MAX_WRITERS 8
#define LINE_FILL   48  // dots per line: with the rest, about 80 bytes

// printf() hands each call's output to write() at once (user/lib/printf.c),
// so each line is one write.
static void write_lines(int writer, int lines) {
  char fill[LINE_FILL + 1];
  memset(fill, '.', LINE_FILL);
  fill[LINE_FILL] = 0;
  for (int j = 0; j < lines; j++)
    printf("linestorm writer=%d line=%d %s|\n", writer, j, fill);
  exit(0);
}

int main(int argc, char *argv[]) {
  int writers = argc == 3 ? atoi(argv[1]) : 0;
  int lines = argc == 3 ? atoi(argv[2]) : 0;
  if (writers < 1 || writers > MAX_WRITERS || lines < 1) {
    fprintf(2, "usage: linestorm WRITERS LINES (1 to %d writers)\n", MAX_WRITERS);
    exit(1);
  }
  for (int k = 0; k < writers; k++) {
    int pid = fork();
    if (pid < 0) {
      fprintf(2, "linestorm: fork failed\n");
      exit(1);
    }
    if (pid == 0)
      write_lines(k, lines);
  }
  int failed = 0;
  for (int k = 0; k < writers; k++) {
    int status = 1;
    if (wait(&status) < 0 || status != 0)
      failed++;
  }
  printf(failed ? "linestorm: %d writers failed\n" : "linestorm done\n", failed);
  exit(failed ? 1 : 0);
}
