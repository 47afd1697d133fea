// The small C library every user program links: strings, raw memory,
// line input, stat() and atoi().
//
// Nothing here allocates or keeps state between calls.  gets() reads
// standard input one byte per read() so that it never consumes input past
// the end of the line (a child process may read the rest).
#include "kernel/types.h"
#include "kernel/stat.h"
#include "kernel/fcntl.h"
#include "user/user.h"

// Copies the string src, NUL included, to dst; returns dst.
char *strcpy(char *dst, const char *src) {
  char *d = dst;

  while ((*d++ = *src++) != 0)
    ;
  return dst;
}

// Returns <0, 0 or >0 as p sorts before, equal to or after q, comparing
// bytes as unsigned.
int strcmp(const char *p, const char *q) {
  while (*p && *p == *q) {
    p++;
    q++;
  }
  return (uchar)*p - (uchar)*q;
}

// Returns the number of bytes before the NUL.
uint strlen(const char *s) {
  uint n = 0;

  while (s[n])
    n++;
  return n;
}

// Returns the first occurrence of c in s, or 0 if there is none.
char *strchr(const char *s, char c) {
  for (; *s; s++)
    if (*s == c)
      return (char *)s;
  return 0;
}

// Fills the first n bytes of dst with the byte c; returns dst.
void *memset(void *dst, int c, uint n) {
  uchar *d = dst;

  while (n-- > 0)
    *d++ = c;
  return dst;
}

// Copies n bytes from src to dst; the two ranges may overlap.  Returns dst.
void *memmove(void *dst, const void *src, int n) {
  uchar *d = dst;
  const uchar *s = src;

  if (d > s && d < s + n) {
    // dst starts inside src: copy from the end so src is read before
    // it is overwritten.
    d += n;
    s += n;
    while (n-- > 0)
      *--d = *--s;
  } else {
    while (n-- > 0)
      *d++ = *s++;
  }
  return dst;
}

// Copies n bytes from src to dst; returns dst.  Overlap is allowed here too
// (the compiler may emit calls to memcpy, so it must exist).
void *memcpy(void *dst, const void *src, uint n) {
  return memmove(dst, src, n);
}

// Returns <0, 0 or >0 as the first n bytes of a sort before, equal to or
// after those of b, comparing bytes as unsigned.
int memcmp(const void *a, const void *b, uint n) {
  const uchar *p = a, *q = b;

  for (; n > 0; n--, p++, q++)
    if (*p != *q)
      return *p - *q;
  return 0;
}

// Reads one line from standard input into buf, keeping the newline, and
// NUL-terminates it.  Stops after max-1 bytes, at a newline or carriage
// return, or at end of input; buf[0] is 0 only at end of input.
char *gets(char *buf, int max) {
  int n = 0;
  char c;

  while (n + 1 < max && read(0, &c, 1) == 1) {
    buf[n++] = c;
    if (c == '\n' || c == '\r')
      break;
  }
  buf[n] = 0;
  return buf;
}

// Fills *st with the status of the file at path.  Returns 0, or -1 if the
// file cannot be opened.
int stat(const char *path, struct stat *st) {
  int fd, r;

  fd = open(path, O_RDONLY);
  if (fd < 0)
    return -1;
  r = fstat(fd, st);
  close(fd);
  return r;
}

// Converts the decimal number at the start of s, with an optional leading
// '-', and stops at the first non-digit.  Returns 0 if there are no digits.
int atoi(const char *s) {
  int sign = 1, n = 0;

  if (*s == '-') {
    sign = -1;
    s++;
  }
  while (*s >= '0' && *s <= '9')
    n = n * 10 + (*s++ - '0');
  return sign * n;
}
