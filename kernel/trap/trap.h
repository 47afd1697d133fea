// Traps: system calls, exceptions and device interrupts, from user and
// supervisor mode.
#ifndef KERNEL_TRAP_TRAP_H
#define KERNEL_TRAP_TRAP_H

#include "types.h"

void trapinithart(void);
void usertrapret(void) __attribute__((noreturn));

#endif
