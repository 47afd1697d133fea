// The clock tick.  Every TIMER_INTERVAL, each hart gets an interrupt in
// supervisor mode; trap.c's clockintr() brings the tick count up to date
// (sched/clock.c) and preempts.  Which
// hardware delivers it is decided on every hart at boot, in machine mode:
//
//  - Sstc, the supervisor timer extension (privileged spec 1.12; QEMU 7.0
//    and later): supervisor mode has its own comparator, stimecmp.  The tick
//    is a supervisor timer interrupt, and writing the next deadline to
//    stimecmp clears it.  No machine-mode code runs after boot.
//  - Otherwise (older QEMU, `-cpu rv64,sstc=off`, `-cpu rv64,priv_spec=v1.11.0`),
//    the CLINT's mtimecmp, which only machine mode can program.  Its
//    machine timer interrupt enters mtimer_vector (dev/mvec.S), which sets
//    the next deadline and raises a supervisor software interrupt.  That is
//    the tick; clockintr() clears it in sip.
//
// Probing.  misa names only single-letter extensions, so Sstc cannot be seen
// there, and reading a CSR the hart lacks raises an illegal-instruction
// exception.  So we read menvcfg (where Sstc is switched on) and stimecmp
// with mtvec pointing at csr_probe_skip, which steps over a trapping CSR
// instruction (mvec.S says why that is safe), and look at mcause afterwards:
// zeroed before the read, it says "illegal instruction" only if the read
// trapped.  Sstc is used if both exist and menvcfg.STCE sticks when set.
//
// Invariants: every hart makes the same choice (QEMU's harts are alike),
// and timer_kind is written, the same value by every hart, only before that
// hart leaves machine mode; supervisor mode only reads it.  No locks.
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "dev/timer.h"

void csr_probe_skip(void);  // dev/mvec.S
void mtimer_vector(void);   // dev/mvec.S

static enum { TIMER_SSTC, TIMER_MACHINE } timer_kind;

// Per hart: what mtimer_vector needs, at the offsets dev/timer.h names.
static uint64 mtimer_area[NCPU][MTIMER_WORDS];

// Machine mode, interrupts off.  Reads CSR number csr; returns 1 if that
// trapped, that is, if this hart does not have that CSR.  A trap and its
// mret rewrite mepc and mstatus.MPP, which start() has already set up to
// enter main() in supervisor mode, so both are put back.  Always inlined, so
// that csr is a constant the csrr instruction can hold.
__attribute__((always_inline)) static inline int csr_is_missing(const int csr) {
  uint64 saved_mtvec = r_mtvec();
  uint64 saved_mepc = r_mepc();
  uint64 saved_mstatus = r_mstatus();
  w_mtvec((uint64)csr_probe_skip);
  w_mcause(0);
  asm volatile("csrr zero, %0" : : "i"(csr));
  int missing = r_mcause() == SCAUSE_ILLEGAL_INSTRUCTION;
  w_mstatus(saved_mstatus);
  w_mepc(saved_mepc);
  w_mtvec(saved_mtvec);
  return missing;
}

// Machine mode: switches Sstc on and returns 1 if this hart has it.
static int sstc_enabled(void) {
  if (csr_is_missing(CSR_menvcfg) || csr_is_missing(CSR_stimecmp))
    return 0;
  w_menvcfg(r_menvcfg() | MENVCFG_STCE);
  return (r_menvcfg() & MENVCFG_STCE) != 0;
}

static void sstc_timer_init(void) {
  w_mie(r_mie() | MIE_STIE);
  w_stimecmp(r_time() + TIMER_INTERVAL);
}

static void machine_timer_init(void) {
  uint64 hart = r_mhartid();
  uint64 *area = mtimer_area[hart];
  area[MTIMER_MTIMECMP / sizeof(uint64)] = CLINT_MTIMECMP(hart);
  area[MTIMER_MTIME / sizeof(uint64)] = CLINT_MTIME;
  area[MTIMER_INTERVAL / sizeof(uint64)] = TIMER_INTERVAL;
  w_mscratch((uint64)area);
  w_mtvec((uint64)mtimer_vector);

  volatile uint64 *mtimecmp = (volatile uint64 *)CLINT_MTIMECMP(hart);
  *mtimecmp = *(volatile uint64 *)CLINT_MTIME + TIMER_INTERVAL;
  w_sie(r_sie() | SIE_SSIE);
  w_mie(r_mie() | MIE_MTIE);
}

void timer_init(void) {
  // Both supervisor and user mode may read the time CSR (user programs use
  // it for fine timing).
  w_mcounteren(r_mcounteren() | COUNTEREN_TM);
  w_scounteren(r_scounteren() | COUNTEREN_TM);
  if (sstc_enabled()) {
    timer_kind = TIMER_SSTC;
    sstc_timer_init();
  } else {
    timer_kind = TIMER_MACHINE;
    machine_timer_init();
  }
}

void timer_next_tick(void) {
  if (timer_kind == TIMER_SSTC)
    w_stimecmp(r_time() + TIMER_INTERVAL);  // also clears the interrupt
  else
    c_sip(SIP_SSIP);  // mtimer_vector has set the next deadline already
}

const char *timer_name(void) {
  if (timer_kind == TIMER_SSTC)
    return "Sstc stimecmp";
  return "CLINT via machine mode, no Sstc";
}
