// Memory and string routines.  The kernel has no C library, and the compiler
// may emit calls to memset/memcpy/memmove on its own, so these must exist.
#include "types.h"
#include "lib/string.h"

// Aligned, whole pages are the common case (kalloc, COW copies), so both
// memset and memmove move 8 bytes at a time when the addresses allow it.
#define WORD sizeof(uint64)

static int word_aligned(const void *a, const void *b) {
  return ((uint64)a | (uint64)b) % WORD == 0;
}

void *memset(void *dst, int c, uint n) {
  uchar *d = dst;
  uint i = 0;
  if (word_aligned(d, d)) {
    uint64 pattern = (uchar)c * 0x0101010101010101UL;  // c in every byte
    for (; i + WORD <= n; i += WORD)
      *(uint64 *)(d + i) = pattern;
  }
  for (; i < n; i++)
    d[i] = (uchar)c;
  return dst;
}

int memcmp(const void *a, const void *b, uint n) {
  const uchar *x = a, *y = b;
  for (uint i = 0; i < n; i++)
    if (x[i] != y[i])
      return x[i] - y[i];
  return 0;
}

// Correct for overlapping ranges: copies backwards when dst is above src.
void *memmove(void *dst, const void *src, uint n) {
  const uchar *s = src;
  uchar *d = dst;
  if (s < d && s + n > d) {
    while (n-- > 0)
      d[n] = s[n];
    return dst;
  }
  uint i = 0;
  if (word_aligned(d, s))
    for (; i + WORD <= n; i += WORD)
      *(uint64 *)(d + i) = *(const uint64 *)(s + i);
  for (; i < n; i++)
    d[i] = s[i];
  return dst;
}

void *memcpy(void *dst, const void *src, uint n) {
  return memmove(dst, src, n);
}

int strlen(const char *s) {
  int n = 0;
  while (s[n])
    n++;
  return n;
}

int strncmp(const char *a, const char *b, uint n) {
  for (; n > 0; n--, a++, b++) {
    if (*a != *b)
      return (uchar)*a - (uchar)*b;
    if (*a == 0)
      return 0;
  }
  return 0;
}

char *strncpy(char *dst, const char *src, int n) {
  int i = 0;
  for (; i < n && src[i]; i++)
    dst[i] = src[i];
  for (; i < n; i++)
    dst[i] = 0;
  return dst;
}

char *safestrcpy(char *dst, const char *src, int n) {
  if (n <= 0)
    return dst;
  int i = 0;
  for (; i < n - 1 && src[i]; i++)
    dst[i] = src[i];
  dst[i] = 0;
  return dst;
}
