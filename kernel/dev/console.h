// The console: line discipline on top of the UART, device major CONSOLE.
#ifndef KERNEL_DEV_CONSOLE_H
#define KERNEL_DEV_CONSOLE_H

#include "types.h"

void consoleinit(void);
// Called by the UART interrupt handler for each byte typed.
void consoleintr(int c);
// Writes one byte for the kernel (printf), by polling.
void consputc(int c);
// The device's read and write, for the file layer's devsw table (boot
// registers them).  user_addr says whether addr is a user address.
int console_read(int user_addr, uint64 addr, int n);
int console_write(int user_addr, uint64 addr, int n);

#endif
