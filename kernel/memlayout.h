// Physical and virtual memory layout of QEMU's virt machine and this kernel.
//
// Physical addresses (as QEMU's virt board places its devices):
//   0x02000000  CLINT (timer)
//   0x0C000000  PLIC (interrupt controller)
//   0x10000000  UART0
//   0x10001000  virtio-mmio disk
//   0x80000000  RAM: the kernel is loaded here, then free pages up to PHYSTOP
//
// The kernel page table maps the devices and RAM at the same virtual address
// ("direct map"), and at the top of the address space the trampoline page and,
// below it, each process's kernel stack with an unmapped guard page under it.
#ifndef XV6_MEMLAYOUT_H
#define XV6_MEMLAYOUT_H

#include "riscv.h"

// The CLINT's machine timer: mtime counts up at 10 MHz; each hart gets a
// machine timer interrupt while mtime >= its mtimecmp.
#define CLINT                0x02000000L
#define CLINT_MTIMECMP(hart) (CLINT + 0x4000 + 8 * (hart))
#define CLINT_MTIME          (CLINT + 0xBFF8)

#define UART0     0x10000000L
#define UART0_IRQ 10

#define VIRTIO0     0x10001000L
#define VIRTIO0_IRQ 1

#define PLIC                      0x0c000000L
#define PLIC_SIZE                 0x400000L
#define PLIC_PRIORITY             (PLIC + 0x0)
#define PLIC_SOURCE_PRIORITY(irq) (PLIC_PRIORITY + 4 * (irq))  // a word per source
#define PLIC_PENDING              (PLIC + 0x1000)
// Each hart has a supervisor-mode context with its own enable bits,
// priority threshold, and claim/complete register.
#define PLIC_SENABLE(hart)        (PLIC + 0x2080 + 0x100 * (hart))
#define PLIC_SPRIORITY(hart)      (PLIC + 0x201000 + 0x2000 * (hart))
#define PLIC_SCLAIM(hart)         (PLIC + 0x201004 + 0x2000 * (hart))

#define KERNBASE 0x80000000L
#define PHYSTOP  (KERNBASE + 128 * 1024 * 1024)

// The trampoline holds the user/kernel switch code and sits at the same
// virtual address in every page table, kernel and user.
#define TRAMPOLINE (MAXVA - PGSIZE)

// Kernel stack of process slot p: one page, with an unmapped guard page below.
#define KSTACK(p) (TRAMPOLINE - ((p) + 1) * 2 * PGSIZE)

// Each process's trap frame lives just below the trampoline in its own
// user page table (without PTE_U, so user code cannot touch it).
#define TRAPFRAME (TRAMPOLINE - PGSIZE)

#endif
