// fprintf() and printf(): formatted output to a file descriptor.
//
// Conversions: %d %u %x (int-sized), the same with an l or ll prefix
// (64-bit), a bare %l (64-bit unsigned decimal, as older lab code writes
// it), %p (pointer, 0x and 16 hex digits), %s, %c and %%.  An unknown
// conversion is printed as written.
//
// Output is collected in a buffer on the caller's stack and handed to
// write() when the buffer fills and once at the end, so a normal line
// reaches the file in one write() and is not interleaved with other
// processes' output.  Keeping the buffer on the stack (not static) lets a
// handler that interrupts printf (an alarm upcall, say) call printf itself.
#include <stdarg.h>

#include "kernel/types.h"
#include "user/user.h"

#define OUTBUF_SIZE    256  // bytes collected before a write()
#define PTR_HEX_DIGITS (sizeof(uint64) * 2)

static const char digits[] = "0123456789abcdef";

// Output being collected for one call.
struct outbuf {
  int fd;
  int len;  // bytes in buf
  char buf[OUTBUF_SIZE];
};

// Writes out what has been collected so far.
static void flush(struct outbuf *out) {
  if (out->len > 0)
    write(out->fd, out->buf, out->len);
  out->len = 0;
}

static void putch(struct outbuf *out, char c) {
  if (out->len == OUTBUF_SIZE)
    flush(out);
  out->buf[out->len++] = c;
}

static void putstr(struct outbuf *out, const char *s) {
  while (*s)
    putch(out, *s++);
}

// Prints x in the given base (10 or 16), preceded by '-' if negative.
static void putnum(struct outbuf *out, uint64 x, int base, int negative) {
  char tmp[24];  // 2^64 has 20 decimal digits
  int n = 0;

  do {
    tmp[n++] = digits[x % base];
    x /= base;
  } while (x != 0);
  if (negative)
    putch(out, '-');
  while (n > 0)
    putch(out, tmp[--n]);
}

// Prints p as 0x followed by all 16 hex digits.
static void putptr(struct outbuf *out, uint64 p) {
  int i;

  putstr(out, "0x");
  for (i = PTR_HEX_DIGITS - 1; i >= 0; i--)
    putch(out, digits[(p >> (i * 4)) & 0xf]);
}

// Prints one conversion: spec is the conversion letter, wide says an l
// prefix was seen.
static void convert(struct outbuf *out, char spec, int wide, va_list *ap) {
  long sx;
  uint64 ux;
  const char *s;

  switch (spec) {
  case 'd':
    sx = wide ? va_arg(*ap, long) : va_arg(*ap, int);
    putnum(out, sx < 0 ? -(uint64)sx : (uint64)sx, 10, sx < 0);
    break;
  case 'u':
  case 'x':
    ux = wide ? va_arg(*ap, uint64) : va_arg(*ap, uint);
    putnum(out, ux, spec == 'u' ? 10 : 16, 0);
    break;
  case 'p': putptr(out, (uint64)va_arg(*ap, void *)); break;
  case 's':
    s = va_arg(*ap, const char *);
    putstr(out, s ? s : "(null)");
    break;
  case 'c': putch(out, va_arg(*ap, int)); break;
  case '%': putch(out, '%'); break;
  default:
    putch(out, '%');
    putch(out, spec);
    break;
  }
}

// Formats fmt with the arguments in ap and writes the result to fd.
static void format(int fd, const char *fmt, va_list ap) {
  struct outbuf out;
  va_list args;  // a local copy, so convert() can take its address
  int wide;

  va_copy(args, ap);
  out.fd = fd;
  out.len = 0;
  while (*fmt) {
    if (*fmt != '%') {
      putch(&out, *fmt++);
      continue;
    }
    fmt++;
    wide = 0;
    while (*fmt == 'l') {  // "l" and "ll" both mean 64 bits on RV64
      wide = 1;
      fmt++;
    }
    if (wide && strchr("dux", *fmt) == 0)
      convert(&out, 'u', wide, &args);  // a bare %l: unsigned 64-bit decimal
    else if (*fmt != 0)                 // a lone '%' at the end prints nothing
      convert(&out, *fmt++, wide, &args);
  }
  va_end(args);
  flush(&out);
}

void fprintf(int fd, const char *fmt, ...) {
  va_list ap;

  va_start(ap, fmt);
  format(fd, fmt, ap);
  va_end(ap);
}

void printf(const char *fmt, ...) {
  va_list ap;

  va_start(ap, fmt);
  format(1, fmt, ap);
  va_end(ap);
}
