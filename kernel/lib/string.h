// The few string and memory routines the kernel needs.
#ifndef KERNEL_LIB_STRING_H
#define KERNEL_LIB_STRING_H

#include "types.h"

void *memset(void *dst, int c, uint n);
void *memmove(void *dst, const void *src, uint n);
void *memcpy(void *dst, const void *src, uint n);  // the compiler may emit calls to it
int memcmp(const void *a, const void *b, uint n);
int strlen(const char *s);
int strncmp(const char *a, const char *b, uint n);
// Copies at most n bytes; like the C library's, may leave dst unterminated.
char *strncpy(char *dst, const char *src, int n);
// Copies at most n-1 bytes and always NUL-terminates (n > 0).
char *safestrcpy(char *dst, const char *src, int n);

#endif
