// Machine-mode set-up, run once on every hart before the kernel proper.
//
// The kernel runs in supervisor mode.  Here, still in machine mode, each hart
// hands every trap and interrupt to supervisor mode, opens physical memory
// to it, sets up its clock tick (dev/timer.c chooses the hardware: Sstc, or
// the CLINT through machine mode), and "returns" with mret into main() in
// supervisor mode.
#include "types.h"
#include "param.h"
#include "riscv.h"
#include "boot/boot.h"
#include "lib/cpu.h"
#include "dev/timer.h"

// One boot stack page per hart; entry.S points sp at them.
__attribute__((aligned(PGSIZE))) char boot_stacks[PGSIZE * NCPU];

// Delegate every exception and interrupt cause (bits 0..15) to supervisor mode.
#define DELEGATE_ALL      0xffff
// One PMP region, top-of-range over all addresses, readable, writable and
// executable (pmpcfg A=TOR, R, W, X).
#define PMP_ALL_ADDRESSES 0x3fffffffffffffull
#define PMP_TOR_RWX       0xf

static void delegate_traps(void) {
  w_medeleg(DELEGATE_ALL);
  w_mideleg(DELEGATE_ALL);
  w_sie(r_sie() | SIE_SEIE);  // timer_init() enables the tick's interrupt
}

static void open_physical_memory(void) {
  w_pmpaddr0(PMP_ALL_ADDRESSES);
  w_pmpcfg0(PMP_TOR_RWX);
}

void start(void) {
  __sync_fetch_and_add(&harts_started, 1);

  // mret will switch to supervisor mode and jump to main.
  w_mstatus((r_mstatus() & ~MSTATUS_MPP_MASK) | MSTATUS_MPP_S);
  w_mepc((uint64)main);
  w_satp(0);  // no paging until kvminithart()

  delegate_traps();
  open_physical_memory();
  timer_init();

  w_tp(r_mhartid());  // cpuid() reads the hart number from tp from now on
  asm volatile("mret");
}
