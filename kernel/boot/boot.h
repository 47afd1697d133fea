// Boot: machine-mode start() and the supervisor-mode main().
#ifndef KERNEL_BOOT_BOOT_H
#define KERNEL_BOOT_BOOT_H

// Cycles of QEMU's 10 MHz time counter between clock interrupts (0.1 s).
#define TIMER_INTERVAL 1000000

void main(void) __attribute__((noreturn));

// Harts that have reached start(), counted at reset (see main.c).
extern volatile int harts_started;

#endif
