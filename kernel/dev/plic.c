// The PLIC routes device interrupts (UART, virtio disk) to harts.  Each
// source has a priority; each hart's supervisor context has enable bits and
// a threshold.  A hart claims an interrupt to learn its source and completes
// it when served, which lets that source interrupt again.
#include "types.h"
#include "memlayout.h"
#include "lib/cpu.h"
#include "dev/plic.h"

#define REG32(addr) (*(volatile uint32 *)(addr))

void plicinit(void) {
  // Priority 0 would mean "never"; any non-zero priority enables the source.
  REG32(PLIC_SOURCE_PRIORITY(UART0_IRQ)) = 1;
  REG32(PLIC_SOURCE_PRIORITY(VIRTIO0_IRQ)) = 1;
}

void plicinithart(void) {
  int hart = cpuid();
  REG32(PLIC_SENABLE(hart)) = (1 << UART0_IRQ) | (1 << VIRTIO0_IRQ);
  REG32(PLIC_SPRIORITY(hart)) = 0;  // threshold: accept every priority
}

int plic_claim(void) {
  return REG32(PLIC_SCLAIM(cpuid()));
}

void plic_complete(int irq) {
  REG32(PLIC_SCLAIM(cpuid())) = irq;
}
