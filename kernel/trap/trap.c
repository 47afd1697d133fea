// Trap handling: what happens when a hart leaves its current code because
// of a system call, an exception, or a device interrupt.
//
// From user mode: trampoline.S (uservec) saves the user registers in the
// trap frame and calls usertrap(), which serves the trap and leaves through
// usertrapret() and userret back to user space.
// From supervisor mode: kernelvec.S saves registers on the kernel stack and
// calls kerneltrap(); only device interrupts are expected there, anything
// else is a kernel bug and panics.
//
// While in the kernel, stvec points at kernelvec; usertrapret() points it at
// uservec just before returning to user space.
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "lib/spinlock.h"
#include "lib/printf.h"
#include "sched/clock.h"
#include "sched/process.h"
#include "sched/sched.h"
#include "proc/proc.h"
#include "mm/cow.h"
#include "mm/cowcount.h"
#include "trap/trap.h"
#include "sys/sysargs.h"
#include "dev/plic.h"
#include "dev/uart.h"
#include "dev/timer.h"
#include "dev/virtio_disk.h"

extern char trampoline[], uservec[], userret[];  // trampoline.S
void kernelvec(void);                            // kernelvec.S

// What devintr() found.
enum interrupt { NOT_AN_INTERRUPT = 0, DEVICE_INTERRUPT, TIMER_INTERRUPT };

void trapinithart(void) {
  w_stvec((uint64)kernelvec);
}

static void clockintr(void) {
  if (panicked)  // another hart panicked: stop here for good
    for (;;)
      asm volatile("wfi");
  if (cpuid() == 0)
    clock_tick();
  timer_next_tick();  // also clears the pending interrupt
}

static void external_interrupt(void) {
  int irq = plic_claim();
  if (irq == UART0_IRQ)
    uartintr();
  else if (irq == VIRTIO0_IRQ)
    virtio_disk_intr();
  else if (irq != 0)
    printf("devintr: unexpected irq %d\n", irq);
  if (irq != 0)
    plic_complete(irq);
}

// Serves the interrupt that scause names, if it is one.
static enum interrupt devintr(uint64 scause) {
  if (scause == SCAUSE_SUPERVISOR_EXTERNAL) {
    external_interrupt();
    return DEVICE_INTERRUPT;
  }
  // The tick: a timer interrupt with Sstc, else a software interrupt that
  // the machine-mode timer raises (dev/timer.c).
  if (scause == SCAUSE_SUPERVISOR_TIMER || scause == SCAUSE_SUPERVISOR_SOFTWARE) {
    clockintr();
    return TIMER_INTERRUPT;
  }
  return NOT_AN_INTERRUPT;
}

static const char *const exception_names[] = {
  [SCAUSE_INSTRUCTION_MISALIGNED] = "instruction address misaligned",
  [SCAUSE_INSTRUCTION_ACCESS_FAULT] = "instruction access fault",
  [SCAUSE_ILLEGAL_INSTRUCTION] = "illegal instruction",
  [SCAUSE_BREAKPOINT] = "breakpoint",
  [SCAUSE_LOAD_MISALIGNED] = "load address misaligned",
  [SCAUSE_LOAD_ACCESS_FAULT] = "load access fault",
  [SCAUSE_STORE_MISALIGNED] = "store address misaligned",
  [SCAUSE_STORE_ACCESS_FAULT] = "store access fault",
  [SCAUSE_ECALL_FROM_USER] = "system call",
  [SCAUSE_INSTRUCTION_PAGE_FAULT] = "instruction page fault",
  [SCAUSE_LOAD_PAGE_FAULT] = "load page fault",
  [SCAUSE_STORE_PAGE_FAULT] = "store page fault",
};

static const char *exception_name(uint64 scause) {
  uint64 n = sizeof(exception_names) / sizeof(exception_names[0]);
  if (scause < n && exception_names[scause])
    return exception_names[scause];
  return "unexpected exception";
}

// The one line printed when a user process is killed for a fault.
static void report_user_fault(struct proc *p, uint64 scause) {
  printf("usertrap(): %s (scause %ld) pid=%d %s sepc=%p stval=%p\n",
         exception_name(scause), scause, p->pid, p->name, (void *)r_sepc(),
         (void *)r_stval());
}

// COW-LAB BEGIN: decide what a process gets when no page is free for its copy-on-write copy
// COW-LAB GUIDED: out_of_memory(p, va): init must never exit: it yield()s, and its store faults
// COW-LAB GUIDED:   again once others have run.  Any other process: print one line starting
// COW-LAB GUIDED:   "usertrap():", count COW_EVENT_OOM_KILL, and setkilled() it.  Never panic.
// No page for a copy-on-write copy: the process's problem, not the
// kernel's.  init must never exit, so it yields instead, and its store
// faults again once others have run (and perhaps freed memory).
static void out_of_memory(struct proc *p, uint64 va) {
  if (is_init(p)) {
    yield();
    return;
  }
  cow_count(COW_EVENT_OOM_KILL);
  printf("usertrap(): out of memory for a copy-on-write page, pid=%d %s stval=%p\n",
         p->pid, p->name, (void *)va);
  setkilled(p);
}
// COW-LAB END

// Exceptions that are not the program's mistake.  Returns 1 if the
// exception scause was one and has been dealt with (perhaps by killing the
// process for lack of memory), 0 if it is a real fault.
static int fault_served(struct proc *p, uint64 scause) {
  // COW-LAB BEGIN: a store page fault may be a write to a copy-on-write page (mm/cow.c)
  // COW-LAB GUIDED: for SCAUSE_STORE_PAGE_FAULT, give the faulting address (r_stval(), not
  // COW-LAB GUIDED: sepc) to cow_resolve(); COW_OUT_OF_MEMORY: out_of_memory(p, va).  Anything
  // COW-LAB GUIDED: but COW_NOT_COW was served: return 1.
  if (scause == SCAUSE_STORE_PAGE_FAULT) {
    uint64 va = r_stval();
    enum cow_result result = cow_resolve(p->pagetable, va);
    if (result == COW_OUT_OF_MEMORY)
      out_of_memory(p, va);
    if (result != COW_NOT_COW)
      return 1;
  }
  // COW-LAB END
  return 0;
}

// Entered from uservec with the kernel page table and stack in place.
void usertrap(void) {
  if (r_sstatus() & SSTATUS_SPP)
    panic("usertrap: trap did not come from user mode");
  w_stvec((uint64)kernelvec);  // we are in the kernel now

  struct proc *p = myproc();
  p->trapframe->epc = r_sepc();
  uint64 scause = r_scause();
  enum interrupt which = NOT_AN_INTERRUPT;

  if (scause == SCAUSE_ECALL_FROM_USER) {
    if (killed(p))
      exit(-1);
    p->trapframe->epc += 4;  // resume after the ecall instruction
    intr_on();               // sepc and scause are saved; interrupts are safe
    syscall();
  } else if ((which = devintr(scause)) == NOT_AN_INTERRUPT && !fault_served(p, scause)) {
    report_user_fault(p, scause);
    setkilled(p);
  }

  if (killed(p))
    exit(-1);
  if (which == TIMER_INTERRUPT)
    yield();
  usertrapret();
}

typedef void (*userret_fn)(uint64 satp) __attribute__((noreturn));

// Returns to user space at p->trapframe->epc.
void usertrapret(void) {
  struct proc *p = myproc();

  // From here until sret a trap would go to uservec while we are still in
  // the kernel, so keep interrupts off.
  intr_off();
  w_stvec(TRAMPOLINE + (uservec - trampoline));

  // What uservec needs next time this process traps.
  p->trapframe->kernel_satp = r_satp();
  p->trapframe->kernel_sp = p->kstack + PGSIZE;
  p->trapframe->kernel_trap = (uint64)usertrap;
  p->trapframe->kernel_hartid = r_tp();

  // sret goes to user mode (SPP=0) with interrupts on (SPIE=1).
  w_sstatus((r_sstatus() & ~SSTATUS_SPP) | SSTATUS_SPIE);
  w_sepc(p->trapframe->epc);

  userret_fn to_user = (userret_fn)(TRAMPOLINE + (userret - trampoline));
  to_user(MAKE_SATP(p->pagetable));
}

// Entered from kernelvec on the current kernel stack.
void kerneltrap(void) {
  uint64 sepc = r_sepc();
  uint64 sstatus = r_sstatus();
  uint64 scause = r_scause();

  if ((sstatus & SSTATUS_SPP) == 0)
    panic("kerneltrap: trap did not come from supervisor mode");
  if (intr_get())
    panic("kerneltrap: interrupts were on");

  enum interrupt which = devintr(scause);
  if (which == NOT_AN_INTERRUPT) {
    printf("kerneltrap: %s (scause %ld) sepc=%p stval=%p\n", exception_name(scause),
           scause, (void *)sepc, (void *)r_stval());
    panic("kerneltrap: exception in the kernel");
  }
  if (which == TIMER_INTERRUPT && myproc() != 0)
    yield();

  // yield() may have let other traps overwrite these.
  w_sepc(sepc);
  w_sstatus(sstatus);
}
