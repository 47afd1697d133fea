# Machine-mode trap vectors.  After start() drops to supervisor mode, the
# only code that ever runs in machine mode is here: dev/timer.c points a
# hart's mtvec at one of these two, or at neither (with Sstc).  Neither
# changes a general register the interrupted code can see.
#include "dev/timer.h"

# csr_probe_skip: mtvec while dev/timer.c reads a CSR that may not exist.
# The only trap possible then is the illegal-instruction exception of that
# one csrr (machine interrupts are off in start()).  CSR instructions are
# always 4 bytes long (there is no compressed form), so resuming at mepc + 4
# steps over it.  mcause keeps the cause, for the caller to look at.  A trap
# taken in machine mode leaves mstatus.MPP = machine, so mret stays there.
# mscratch is free to borrow: the timer sets it up after the probes.
        .globl csr_probe_skip
        .align 4
csr_probe_skip:
        csrw mscratch, t0
        csrr t0, mepc
        addi t0, t0, 4
        csrw mepc, t0
        csrr t0, mscratch
        mret

# mtimer_vector: mtvec when the CLINT's machine timer makes the tick (no
# Sstc).  The only machine-level interrupt enabled is that timer, and every
# exception is delegated to supervisor mode, so every trap arriving here is
# this hart's timer.  It moves mtimecmp one interval past now, which stops
# the interrupt, and raises a supervisor software interrupt: the tick the
# kernel sees (clockintr() clears it).  mscratch points at this hart's
# MTIMER_* area (dev/timer.h); a0 is swapped with it, a1 and a2 saved there.
        .globl mtimer_vector
        .align 4
mtimer_vector:
        csrrw a0, mscratch, a0
        sd a1, MTIMER_SAVED_A1(a0)
        sd a2, MTIMER_SAVED_A2(a0)

        ld a1, MTIMER_MTIME(a0)
        ld a1, 0(a1)                    # now
        ld a2, MTIMER_INTERVAL(a0)
        add a2, a1, a2
        ld a1, MTIMER_MTIMECMP(a0)
        sd a2, 0(a1)                    # next deadline: now + interval

        li a1, 1 << 1                   # mip.SSIP, the supervisor software interrupt
        csrs mip, a1

        ld a2, MTIMER_SAVED_A2(a0)
        ld a1, MTIMER_SAVED_A1(a0)
        csrrw a0, mscratch, a0
        mret
