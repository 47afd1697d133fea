// The 16550 UART: the console's serial line.
#ifndef KERNEL_DEV_UART_H
#define KERNEL_DEV_UART_H

void uartinit(void);
// Queues a byte for output, sleeping while the queue is full.
void uartputc(int c);
// Writes a byte by polling, for printf and echo (no sleeping, no interrupts).
void uartputc_sync(int c);
void uartintr(void);

#endif
