// Boot: machine-mode start() and the supervisor-mode main().
#ifndef KERNEL_BOOT_BOOT_H
#define KERNEL_BOOT_BOOT_H

void main(void) __attribute__((noreturn));

#endif
