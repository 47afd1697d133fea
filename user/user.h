// What a user program can call: the system calls (stubs generated into
// user/lib/usys.S from kernel/syscall.h) and the small C library in user/lib.
//
// The prototypes match the public xv6-riscv labs exactly, so lab programs
// that include "kernel/types.h", "kernel/stat.h", "user/user.h" compile
// unchanged.  Every system call returns -1 on error.
#ifndef XV6_USER_USER_H
#define XV6_USER_USER_H

#include "kernel/types.h"

struct stat;
struct cowstat;
struct auditstat;
struct pageinfo;

// System calls.
int fork(void);
int exit(int) __attribute__((noreturn));
int wait(int *);
int pipe(int *);
int read(int, void *, int);
int kill(int);
int exec(const char *, char **);
int fstat(int fd, struct stat *);
int chdir(const char *);
int dup(int);
int getpid(void);
char *sbrk(int);
int sleep(int);
int uptime(void);
int open(const char *, int);
int write(int, const void *, int);
int mknod(const char *, short, short);
int unlink(const char *);
int link(const char *, const char *);
int mkdir(const char *);
int close(int);

// Project extensions (numbers from 22 up; see README).
int cowstat(int which, struct cowstat *);    // kernel/cowstat.h
int audit(int how, struct auditstat *);      // kernel/auditstat.h
int pageinfo(uint64 va, struct pageinfo *);  // kernel/pageinfo.h
int vfork(void);
int forkorder(int order);  // kernel/forkorder.h
int covblocks(void);

// Strings, memory and small helpers (user/lib/ulib.c).
int stat(const char *, struct stat *);
char *strcpy(char *, const char *);
void *memmove(void *, const void *, int);
char *strchr(const char *, char c);
int strcmp(const char *, const char *);
char *gets(char *, int max);
uint strlen(const char *);
void *memset(void *, int, uint);
int atoi(const char *);
int memcmp(const void *, const void *, uint);
void *memcpy(void *, const void *, uint);

// Formatted output (user/lib/printf.c).
void fprintf(int, const char *, ...);
void printf(const char *, ...);

// Heap (user/lib/umalloc.c).
void *malloc(uint);
void free(void *);

#endif
