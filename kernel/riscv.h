// RISC-V facts the kernel relies on: control and status registers (CSRs),
// their bits, and the Sv39 page-table format.
//
// User programs may include this file too, so everything here is either a
// macro or a static inline function with no kernel-only dependency.
#ifndef XV6_RISCV_H
#define XV6_RISCV_H

#ifndef __ASSEMBLER__

#include "types.h"

// r_NAME() reads and w_NAME(x) writes the CSR called NAME, c_NAME(bits)
// clears bits in it in one instruction, and CSR_NAME is its number.  One
// macro makes them all, so each CSR below is one line and they cannot drift
// apart.  The instructions name each CSR by number, not by name: older
// assemblers (binutils 2.35 in Debian 11) do not know the newer names such
// as menvcfg and stimecmp.
#define CSR_ACCESSORS(name, number)                         \
  enum { CSR_##name = number };                             \
  static inline uint64 r_##name(void) {                     \
    uint64 x;                                               \
    asm volatile("csrr %0, %1" : "=r"(x) : "i"(number));    \
    return x;                                               \
  }                                                         \
  static inline void w_##name(uint64 x) {                   \
    asm volatile("csrw %0, %1" : : "i"(number), "r"(x));    \
  }                                                         \
  static inline void c_##name(uint64 bits) {                \
    asm volatile("csrc %0, %1" : : "i"(number), "r"(bits)); \
  }

// Machine mode: used only by boot/start.c and dev/timer.c, before dropping
// to supervisor mode.
CSR_ACCESSORS(mhartid, 0xf14)
CSR_ACCESSORS(mstatus, 0x300)
CSR_ACCESSORS(medeleg, 0x302)
CSR_ACCESSORS(mideleg, 0x303)
CSR_ACCESSORS(mie, 0x304)
CSR_ACCESSORS(mtvec, 0x305)
CSR_ACCESSORS(mcounteren, 0x306)
CSR_ACCESSORS(menvcfg, 0x30a)  // privileged spec 1.12 and later
CSR_ACCESSORS(mscratch, 0x340)
CSR_ACCESSORS(mepc, 0x341)
CSR_ACCESSORS(mcause, 0x342)
CSR_ACCESSORS(pmpcfg0, 0x3a0)
CSR_ACCESSORS(pmpaddr0, 0x3b0)

// Supervisor mode: the kernel proper.
CSR_ACCESSORS(sstatus, 0x100)
CSR_ACCESSORS(sie, 0x104)
CSR_ACCESSORS(stvec, 0x105)
CSR_ACCESSORS(scounteren, 0x106)
CSR_ACCESSORS(sepc, 0x141)
CSR_ACCESSORS(scause, 0x142)
CSR_ACCESSORS(stval, 0x143)
CSR_ACCESSORS(sip, 0x144)
CSR_ACCESSORS(stimecmp, 0x14d)  // only with the Sstc extension
CSR_ACCESSORS(satp, 0x180)
CSR_ACCESSORS(time, 0xc01)

// mstatus.MPP: the privilege mret returns to.
#define MSTATUS_MPP_MASK (3L << 11)
#define MSTATUS_MPP_S    (1L << 11)

// menvcfg.STCE lets supervisor mode use stimecmp (the Sstc extension).
#define MENVCFG_STCE (1L << 63)
// [ms]counteren.TM lets the next mode down read the time CSR.
#define COUNTEREN_TM (1L << 1)

// sstatus bits.
#define SSTATUS_SPP  (1L << 8)  // trap came from supervisor (1) or user (0)
#define SSTATUS_SPIE (1L << 5)  // interrupts were enabled before the trap
#define SSTATUS_SIE  (1L << 1)  // supervisor interrupts enabled

// sie/sip bits: which supervisor interrupts are enabled or pending.
#define SIE_SSIE (1L << 1)  // software
#define SIP_SSIP SIE_SSIE   // (sip uses the same bit positions)
#define SIE_STIE (1L << 5)  // timer
#define SIE_SEIE (1L << 9)  // external (PLIC)

// mie bits: which machine-level interrupts are enabled.
#define MIE_STIE (1L << 5)  // supervisor timer (a delegated one: same as sie.STIE)
#define MIE_MTIE (1L << 7)  // machine timer (the CLINT's mtimecmp)

// scause: the top bit says "interrupt"; the rest is the cause number.
#define SCAUSE_INTERRUPT                (1L << 63)
#define SCAUSE_SUPERVISOR_SOFTWARE      (SCAUSE_INTERRUPT | 1)
#define SCAUSE_SUPERVISOR_TIMER         (SCAUSE_INTERRUPT | 5)
#define SCAUSE_SUPERVISOR_EXTERNAL      (SCAUSE_INTERRUPT | 9)
#define SCAUSE_INSTRUCTION_MISALIGNED   0
#define SCAUSE_INSTRUCTION_ACCESS_FAULT 1
#define SCAUSE_ILLEGAL_INSTRUCTION      2  // mcause uses the same numbers
#define SCAUSE_BREAKPOINT               3
#define SCAUSE_LOAD_MISALIGNED          4
#define SCAUSE_LOAD_ACCESS_FAULT        5
#define SCAUSE_STORE_MISALIGNED         6
#define SCAUSE_STORE_ACCESS_FAULT       7
#define SCAUSE_ECALL_FROM_USER          8
#define SCAUSE_INSTRUCTION_PAGE_FAULT   12
#define SCAUSE_LOAD_PAGE_FAULT          13
#define SCAUSE_STORE_PAGE_FAULT         15

// Interrupts on this hart.
static inline void intr_on(void) {
  w_sstatus(r_sstatus() | SSTATUS_SIE);
}
static inline void intr_off(void) {
  w_sstatus(r_sstatus() & ~SSTATUS_SIE);
}
static inline int intr_get(void) {
  return (r_sstatus() & SSTATUS_SIE) != 0;
}

// r_NAME() reads general register reg: tp (the kernel keeps the hart number
// there), fp (s0, the frame pointer, for backtraces) and sp (the stack
// pointer; the public labs' user tests call r_sp() too).
#define REGISTER_READER(name, reg)          \
  static inline uint64 r_##name(void) {     \
    uint64 x;                               \
    asm volatile("mv %0, " #reg : "=r"(x)); \
    return x;                               \
  }
REGISTER_READER(tp, tp)
REGISTER_READER(fp, s0)
REGISTER_READER(sp, sp)

static inline void w_tp(uint64 x) {
  asm volatile("mv tp, %0" : : "r"(x));
}

// Throw away every cached translation on this hart.
static inline void sfence_vma(void) {
  asm volatile("sfence.vma zero, zero");
}

typedef uint64 pte_t;
typedef uint64 *pagetable_t;  // a page of 512 PTEs

#endif  // __ASSEMBLER__

#define PGSIZE  4096  // bytes per page
#define PGSHIFT 12    // bits of offset within a page

#define PGROUNDUP(sz)  (((sz) + PGSIZE - 1) & ~(PGSIZE - 1))
#define PGROUNDDOWN(a) (((a)) & ~(PGSIZE - 1))

// Sv39 page-table entry bits.
#define PTE_V (1L << 0)  // valid
#define PTE_R (1L << 1)  // readable
#define PTE_W (1L << 2)  // writable
#define PTE_X (1L << 3)  // executable
#define PTE_U (1L << 4)  // reachable from user mode
#define PTE_A (1L << 6)  // accessed: set by the MMU (QEMU) on a use through the PTE
#define PTE_D (1L << 7)  // dirty: set by the MMU (QEMU) on a store through the PTE

// A PTE holds a physical page number from bit 10 up; the low 10 bits are flags.
#define PA2PTE(pa)     ((((uint64)pa) >> 12) << 10)
#define PTE2PA(pte)    (((pte) >> 10) << 12)
#define PTE_FLAGS(pte) (0x3FF & (pte))

// A virtual address has three 9-bit page-table indexes above its 12-bit offset.
#define PXMASK         0x1FF
#define PXSHIFT(level) (PGSHIFT + (9 * (level)))
#define PX(level, va)  ((((uint64)(va)) >> PXSHIFT(level)) & PXMASK)

// One bit below the top of Sv39's 39 bits, so that no address needs to be
// sign-extended: the highest user or kernel virtual address is MAXVA-1.
#define MAXVA (1L << (9 + 9 + 9 + 12 - 1))

// satp: Sv39 mode plus the physical page number of the root page table.
#define SATP_SV39            (8L << 60)
#define MAKE_SATP(pagetable) (SATP_SV39 | (((uint64)pagetable) >> 12))

#endif
