// The console: line discipline on top of the UART, device major CONSOLE.
#ifndef KERNEL_DEV_CONSOLE_H
#define KERNEL_DEV_CONSOLE_H

void consoleinit(void);
// Called by the UART interrupt handler for each byte typed.
void consoleintr(int c);
// Writes one byte for the kernel (printf), by polling.
void consputc(int c);

#endif
