// Driver for the 16550a UART that QEMU's virt machine puts at UART0.
//
// Output written by processes goes through a small ring buffer: uartputc()
// queues a byte (sleeping while the ring is full) and the transmit-ready
// interrupt feeds the next byte to the chip.  Kernel printf and echo use
// uartputc_sync(), which polls and never sleeps.  Input bytes raise a receive
// interrupt; uartintr() passes them to the console.
//
// Lock rule: tx_lock guards the ring and its indexes.
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "lib/spinlock.h"
#include "lib/printf.h"
#include "sched/sched.h"
#include "dev/uart.h"
#include "dev/console.h"

// 16550 registers, as byte offsets from UART0.
#define REG_RHR 0  // receive holding (read)
#define REG_THR 0  // transmit holding (write)
#define REG_DLL 0  // divisor latch low, when LCR_DLAB is set
#define REG_IER 1  // interrupt enable
#define REG_DLM 1  // divisor latch high, when LCR_DLAB is set
#define REG_FCR 2  // FIFO control (write)
#define REG_LCR 3  // line control
#define REG_LSR 5  // line status

#define IER_RX_READY         (1 << 0)
#define IER_TX_EMPTY         (1 << 1)
#define FCR_ENABLE_AND_CLEAR 0x07  // enable FIFOs, clear both
#define LCR_8N1              0x03  // 8 data bits, no parity, 1 stop bit
#define LCR_DLAB             0x80  // divisor latch access
#define BAUD_38400_DIVISOR   3
#define LSR_RX_READY         (1 << 0)  // a byte is waiting in RHR
#define LSR_TX_IDLE          (1 << 5)  // THR can take a byte

static volatile uchar *const uart_regs = (uchar *)UART0;

static inline uchar read_reg(int reg) {
  return uart_regs[reg];
}
static inline void write_reg(int reg, uchar v) {
  uart_regs[reg] = v;
}

#define TX_RING_SIZE 32
static struct spinlock tx_lock;
static char tx_ring[TX_RING_SIZE];
static uint64 tx_written;  // bytes ever queued; next slot is tx_written % size
static uint64 tx_sent;     // bytes ever handed to the chip

void uartinit(void) {
  write_reg(REG_IER, 0);
  write_reg(REG_LCR, LCR_DLAB);
  write_reg(REG_DLL, BAUD_38400_DIVISOR);
  write_reg(REG_DLM, 0);
  write_reg(REG_LCR, LCR_8N1);
  write_reg(REG_FCR, FCR_ENABLE_AND_CLEAR);
  write_reg(REG_IER, IER_RX_READY | IER_TX_EMPTY);
  initlock(&tx_lock, "uart");
}

// Hands queued bytes to the chip while it can take them.  Caller holds tx_lock.
static void uart_start(void) {
  while (tx_sent != tx_written && (read_reg(REG_LSR) & LSR_TX_IDLE)) {
    write_reg(REG_THR, tx_ring[tx_sent % TX_RING_SIZE]);
    tx_sent++;
    wakeup(&tx_sent);  // uartputc may be waiting for room
  }
}

void uartputc(int c) {
  acquire(&tx_lock);
  while (panicked)
    ;
  while (tx_written - tx_sent == TX_RING_SIZE)
    sleep(&tx_sent, &tx_lock);
  tx_ring[tx_written % TX_RING_SIZE] = c;
  tx_written++;
  uart_start();
  release(&tx_lock);
}

void uartputc_sync(int c) {
  push_off();
  while (panicked)  // the panicking hart has printed its last words
    ;
  while ((read_reg(REG_LSR) & LSR_TX_IDLE) == 0)
    ;
  write_reg(REG_THR, c);
  pop_off();
}

// Receive interrupts deliver typed bytes; transmit interrupts mean room.
void uartintr(void) {
  while (read_reg(REG_LSR) & LSR_RX_READY)
    consoleintr(read_reg(REG_RHR));
  acquire(&tx_lock);
  uart_start();
  release(&tx_lock);
}
