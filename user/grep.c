// grep: prints the lines of its input that match a pattern.
//
// usage: grep PATTERN [FILE...]   (standard input if no FILE)
//
// Patterns: a character matches itself, '.' matches any character, 'x*'
// matches zero or more x's, '^' at the start anchors the match to the
// start of the line and '$' at the end anchors it to the end.
#include "kernel/types.h"
#include "kernel/stat.h"
#include "kernel/fcntl.h"
#include "user/user.h"

#define BUFSIZE 1024

static char buf[BUFSIZE];

static int match_here(const char *re, const char *text);

static int char_matches(char pattern, char c) {
  return pattern == '.' || pattern == c;
}

// Does c* followed by rest match the start of text?  Tries the shortest run
// of c first.
static int match_star(char c, const char *rest, const char *text) {
  for (;;) {
    if (match_here(rest, text))
      return 1;
    if (*text == 0 || !char_matches(c, *text))
      return 0;
    text++;
  }
}

// Does re match the start of text?
static int match_here(const char *re, const char *text) {
  for (; re[0] != 0; re++, text++) {
    if (re[1] == '*')
      return match_star(re[0], re + 2, text);
    if (re[0] == '$' && re[1] == 0)
      return *text == 0;
    if (*text == 0 || !char_matches(re[0], *text))
      return 0;
  }
  return 1;
}

// Does re match anywhere in text?
static int match(const char *re, const char *text) {
  if (re[0] == '^')
    return match_here(re + 1, text);
  do {
    if (match_here(re, text))
      return 1;
  } while (*text++ != 0);
  return 0;
}

// Prints line (len bytes, NUL-terminated in place of its newline) with a
// newline if it matches.
static void check_line(const char *pattern, char *line, int len) {
  if (match(pattern, line)) {
    line[len] = '\n';
    write(1, line, len + 1);
  }
}

// Prints the matching lines of fd.  A line longer than the buffer is
// treated as several lines.
static void grep(const char *pattern, int fd) {
  int have = 0, n, start;
  char *newline;

  while ((n = read(fd, buf + have, BUFSIZE - 1 - have)) > 0) {
    have += n;
    buf[have] = 0;
    start = 0;
    while ((newline = strchr(buf + start, '\n')) != 0) {
      *newline = 0;
      check_line(pattern, buf + start, newline - (buf + start));
      start = newline + 1 - buf;
    }
    if (start == 0 && have == BUFSIZE - 1) {
      check_line(pattern, buf, have);  // no newline in a full buffer
      start = have;
    }
    have -= start;
    memmove(buf, buf + start, have);
  }
  if (have > 0) {  // last line without a newline
    buf[have] = 0;
    check_line(pattern, buf, have);
  }
}

int main(int argc, char *argv[]) {
  int i, fd;

  if (argc < 2) {
    fprintf(2, "usage: grep PATTERN [FILE...]\n");
    exit(1);
  }
  if (argc == 2) {
    grep(argv[1], 0);
    exit(0);
  }
  for (i = 2; i < argc; i++) {
    fd = open(argv[i], O_RDONLY);
    if (fd < 0) {
      fprintf(2, "grep: cannot open %s\n", argv[i]);
      exit(1);
    }
    grep(argv[1], fd);
    close(fd);
  }
  exit(0);
}
