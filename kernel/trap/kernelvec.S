# kernelvec: where traps taken in supervisor mode arrive (stvec points here
# while in the kernel).  It saves the caller-saved registers, which the C
# code it calls may clobber, on the current kernel stack, calls kerneltrap(),
# restores them and returns with sret to the interrupted kernel code.
# Callee-saved registers are preserved by kerneltrap() itself.  tp is left
# alone: it names the hart, and this thread may resume on another hart if
# kerneltrap() yields.

        .globl kerneltrap
        .globl kernelvec
        .align 4                   # stvec needs a 4-byte aligned address
kernelvec:
        addi sp, sp, -144
        sd ra, 0(sp)
        sd gp, 8(sp)
        sd t0, 16(sp)
        sd t1, 24(sp)
        sd t2, 32(sp)
        sd a0, 40(sp)
        sd a1, 48(sp)
        sd a2, 56(sp)
        sd a3, 64(sp)
        sd a4, 72(sp)
        sd a5, 80(sp)
        sd a6, 88(sp)
        sd a7, 96(sp)
        sd t3, 104(sp)
        sd t4, 112(sp)
        sd t5, 120(sp)
        sd t6, 128(sp)

        call kerneltrap

        ld ra, 0(sp)
        ld gp, 8(sp)
        ld t0, 16(sp)
        ld t1, 24(sp)
        ld t2, 32(sp)
        ld a0, 40(sp)
        ld a1, 48(sp)
        ld a2, 56(sp)
        ld a3, 64(sp)
        ld a4, 72(sp)
        ld a5, 80(sp)
        ld a6, 88(sp)
        ld a7, 96(sp)
        ld t3, 104(sp)
        ld t4, 112(sp)
        ld t5, 120(sp)
        ld t6, 128(sp)
        addi sp, sp, 144
        sret
