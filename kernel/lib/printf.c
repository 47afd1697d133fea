// Kernel printf and panic.
//
// printf writes each byte through the writer boot registers (the console's
// consputc, which polls the UART), so it works in interrupt handlers and
// before interrupts are on.  Until a writer is registered, output is dropped.  A lock keeps lines from
// different harts apart; panic skips the lock, since the hart that holds it
// may be the one that is failing.
#include <stdarg.h>

#include "types.h"
#include "riscv.h"
#include "lib/printf.h"
#include "lib/spinlock.h"

volatile int panicked = 0;

static void discard(int c) {
}

static void (*putc)(int c) = discard;

void printf_set_writer(void (*writer)(int c)) {
  putc = writer;
}

static struct {
  struct spinlock lock;
  int locking;  // 0 once panicking: print even if another hart holds lock
} pr;

static const char digits[] = "0123456789abcdef";

void printfinit(void) {
  initlock(&pr.lock, "printf");
  pr.locking = 1;
}

static void print_string(const char *s) {
  if (s == 0)
    s = "(null)";
  for (; *s; s++)
    putc(*s);
}

// Prints x in the given base; when is_signed, x holds a signed value.
static void print_number(uint64 x, int base, int is_signed) {
  char buf[24];
  int neg = is_signed && (long)x < 0;
  if (neg)
    x = -(long)x;
  int i = 0;
  do {
    buf[i++] = digits[x % base];
    x /= base;
  } while (x != 0);
  if (neg)
    buf[i++] = '-';
  while (--i >= 0)
    putc(buf[i]);
}

static void print_pointer(uint64 p) {
  print_string("0x");
  for (int shift = 60; shift >= 0; shift -= 4)
    putc(digits[(p >> shift) & 0xf]);
}

// Prints one conversion; fmt points just after the '%'.  Returns how many
// format characters it used.
static int print_conversion(const char *fmt, va_list *ap) {
  int is_long = 0;
  int used = 0;
  while (fmt[used] == 'l') {  // %l and %ll both mean 64 bits here
    is_long = 1;
    used++;
  }
  char c = fmt[used++];
  switch (c) {
  case 'd': print_number(is_long ? va_arg(*ap, long) : va_arg(*ap, int), 10, 1); break;
  case 'u': print_number(is_long ? va_arg(*ap, uint64) : va_arg(*ap, uint), 10, 0); break;
  case 'x': print_number(is_long ? va_arg(*ap, uint64) : va_arg(*ap, uint), 16, 0); break;
  case 'p': print_pointer(va_arg(*ap, uint64)); break;
  case 's': print_string(va_arg(*ap, const char *)); break;
  case 'c': putc(va_arg(*ap, int)); break;
  case '%': putc('%'); break;
  case 0:  // a lone '%' at the end
    return used - 1;
  default:  // unknown: show it as written
    putc('%');
    putc(c);
    break;
  }
  return used;
}

int printf(const char *fmt, ...) {
  int locking = pr.locking;
  if (locking)
    acquire(&pr.lock);

  va_list ap;
  va_start(ap, fmt);
  for (const char *p = fmt; *p; p++) {
    if (*p != '%')
      putc(*p);
    else
      p += print_conversion(p + 1, &ap);
  }
  va_end(ap);

  if (locking)
    release(&pr.lock);
  return 0;
}

// Walks the chain of frame pointers (compiled with -fno-omit-frame-pointer):
// a frame's return address is at fp-8 and the caller's fp at fp-16.  Stops
// when fp leaves the stack page it started on.
void backtrace(void) {
  uint64 fp = r_fp();
  uint64 stack_page = PGROUNDDOWN(fp);
  printf("backtrace:\n");
  while (PGROUNDDOWN(fp) == stack_page && fp != stack_page) {
    uint64 ra = *(uint64 *)(fp - 8);
    printf("  %p\n", (void *)ra);
    fp = *(uint64 *)(fp - 16);
  }
}

void panic(const char *msg) {
  pr.locking = 0;
  printf("panic: %s\n", msg);
  backtrace();
  // Other harts stop at their next clock tick; the UART stops taking output.
  panicked = 1;
  for (;;)
    ;
}
