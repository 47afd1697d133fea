// Kernel console output and panic.
#ifndef KERNEL_LIB_PRINTF_H
#define KERNEL_LIB_PRINTF_H

void printfinit(void);
// Sets where printf's bytes go (boot sets the console's consputc).
void printf_set_writer(void (*writer)(int c));
// Formats %d %u %x %p %s %c %% (and %l before d, u, x) to the console.
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
// Prints the message and a frame-pointer backtrace, then stops every hart.
void panic(const char *msg) __attribute__((noreturn));
// Prints the return addresses of the calls that led here.
void backtrace(void);
// Set once a hart panics; the others stop at their next clock tick.
extern volatile int panicked;

#endif
