// main(): supervisor-mode initialization.  Hart 0 brings up every subsystem
// in dependency order; the other harts wait for it, then set up their own
// per-hart state.  All harts then enter the scheduler and never return.
#include "types.h"
#include "param.h"
#include "riscv.h"
#include "boot/boot.h"
#include "lib/cpu.h"
#include "lib/printf.h"
#include "mm/kalloc.h"
#include "mm/vm.h"
#include "sched/clock.h"
#include "sched/sched.h"
#include "proc/proc.h"
#include "trap/trap.h"
#include "dev/console.h"
#include "dev/plic.h"
#include "dev/timer.h"
#include "dev/virtio_disk.h"
#include "fs/buf.h"
#include "fs/inode.h"
#include "fs/file.h"

static volatile int hart0_done = 0;
static volatile int harts_announced = 0;  // other harts past init_other_hart()

// Lower layers offer functions that upper ones register or call; the
// registrations that connect a lower layer to an upper one happen here.
static void init_first_hart(void) {
  consoleinit();
  printf_set_writer(consputc);
  printfinit();
  printf("\nxv6-cow kernel is booting (timer: %s)\n\n", timer_name());
  kinit();    // physical page allocator
  kvminit();  // kernel page table
  proc_mapstacks(kernel_pagetable);
  kvminithart();   // turn on paging
  procinit();      // process table
  clockinit();     // tick counter
  trapinithart();  // trap vector
  plicinit();      // interrupt controller
  plicinithart();
  binit();     // buffer cache
  iinit();     // inode table
  fileinit();  // file table
  devsw[CONSOLE] = (struct devsw){ .read = console_read, .write = console_write };
  virtio_disk_init();
  userinit();  // first user process
}

static void init_other_hart(void) {
  printf("hart %d starting\n", cpuid());
  kvminithart();
  trapinithart();
  plicinithart();
}

void main(void) {
  if (cpuid() == 0) {
    init_first_hart();
    __sync_synchronize();
    hart0_done = 1;
  } else {
    while (hart0_done == 0)
      ;
    __sync_synchronize();
    init_other_hart();
    __sync_fetch_and_add(&harts_announced, 1);
  }
  // No hart runs a process until every other hart has printed its start
  // line, so that line never lands in the middle of a program's output.
  // (All harts reach start() within instructions of reset, long before
  // hart 0 is done initializing, so harts_started is complete by now.)
  while (harts_announced < harts_started - 1)
    ;
  scheduler();
}
