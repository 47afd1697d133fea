// The console device (major CONSOLE): a line discipline between the UART and
// processes that read and write file descriptor 0/1/2.
//
// Typed bytes arrive one at a time through consoleintr().  They are echoed
// and collected in a line buffer; a reader is woken only when a line is
// complete (newline, Ctrl-D, or buffer full), so input is line-buffered.
//   Backspace/Delete  erase one character
//   Ctrl-U            erase the whole line
//   Ctrl-D            end of file (a read returns what is there, or 0)
//   Ctrl-P            list the processes (procdump)
//
// Output: one write() reaches the UART whole, never mixed with another
// process's bytes.  A writer can sleep halfway (the UART's ring is full, and
// another writer, on any hart, takes the ring meanwhile), so without a lock
// around the whole write, lines printed at once by several processes came
// out interleaved byte by byte, a failure message with them.
//
// Lock rules: cons.lock guards the buffer and its three indexes.
// Indexes only grow; slot i lives at buf[i % INPUT_SIZE].
//   read  <= commit <= edit
//   [read, commit) complete lines a reader may take
//   [commit, edit) the line still being typed
// cons.writing, a sleep lock, is held by console_write() for a whole write.
// The kernel's own printf() goes around it (consputc()), so that a panic is
// printed even while a process holds it.
#include "types.h"
#include "param.h"
#include "lib/spinlock.h"
#include "lib/printf.h"
#include "mm/usercopy.h"
#include "sched/process.h"
#include "sched/sched.h"
#include "sched/sleeplock.h"
#include "dev/uart.h"
#include "dev/console.h"

#define CTRL(x)       ((x) - '@')
#define KEY_BACKSPACE 0x08
#define KEY_DELETE    0x7f
#define INPUT_SIZE    128

static struct {
  struct spinlock lock;
  struct sleeplock writing;
  char buf[INPUT_SIZE];
  uint read;
  uint commit;
  uint edit;
} cons;

void consputc(int c) {
  if (c == KEY_BACKSPACE) {
    // Step back, blank the character, step back again.
    uartputc_sync('\b');
    uartputc_sync(' ');
    uartputc_sync('\b');
  } else {
    uartputc_sync(c);
  }
}

// Returns the bytes written, or -1 if the first byte's address is bad.
int console_write(int user_src, uint64 src, int n) {
  int written = 0;
  acquiresleep(&cons.writing);
  for (; written < n; written++) {
    char c;
    if (either_copyin(&c, user_src, src + written, 1) < 0)
      break;
    uartputc(c);
  }
  releasesleep(&cons.writing);
  return written > 0 || n == 0 ? written : -1;
}

// Copies at most n bytes of input to dst, stopping after a newline.  Waits
// for a complete line.  Returns the bytes copied; -1 if killed, or if the
// first byte could not be stored at dst (it then stays for the next read).
int console_read(int user_dst, uint64 dst, int n) {
  int copied = 0;
  acquire(&cons.lock);
  while (copied < n) {
    while (cons.read == cons.commit) {
      if (killed(myproc())) {
        release(&cons.lock);
        return -1;
      }
      sleep(&cons.read, &cons.lock);
    }
    char c = cons.buf[cons.read % INPUT_SIZE];
    if (c == CTRL('D')) {
      // End of file.  Consumed only by a read that has no bytes yet, so
      // a read returns what precedes it and the next read returns 0.
      if (copied == 0)
        cons.read++;
      break;
    }
    if (either_copyout(user_dst, dst + copied, &c, 1) < 0) {
      if (copied == 0)
        copied = -1;
      break;
    }
    cons.read++;
    copied++;
    if (c == '\n')
      break;
  }
  release(&cons.lock);
  return copied;
}

static void erase_one(void) {
  cons.edit--;
  consputc(KEY_BACKSPACE);
}

// Stores a typed byte in the line being edited and echoes it.
static void accept_byte(int c) {
  if (c == '\r')
    c = '\n';
  consputc(c);
  cons.buf[cons.edit++ % INPUT_SIZE] = c;
  if (c == '\n' || c == CTRL('D') || cons.edit - cons.read == INPUT_SIZE) {
    cons.commit = cons.edit;
    wakeup(&cons.read);
  }
}

void consoleintr(int c) {
  acquire(&cons.lock);
  switch (c) {
  case CTRL('P'): procdump(); break;
  case CTRL('U'):
    while (cons.edit != cons.commit)  // the line being typed holds no newline
      erase_one();
    break;
  case KEY_BACKSPACE:
  case KEY_DELETE:
    if (cons.edit != cons.commit)
      erase_one();
    break;
  default:
    if (c != 0 && cons.edit - cons.read < INPUT_SIZE)
      accept_byte(c);
    break;
  }
  release(&cons.lock);
}

void consoleinit(void) {
  initlock(&cons.lock, "console");
  initsleeplock(&cons.writing, "console write");
  uartinit();
}
