# The trampoline: the code that switches between user and kernel space.
#
# This page is mapped at TRAMPOLINE in the kernel's page table and in every
# user page table, at the same address, so the instruction after a satp
# switch is still there.  It is mapped without PTE_U: user code cannot run
# it, but traps from user mode land here (stvec points at uservec).
#
# uservec saves every user register in the process's trap frame (mapped at
# TRAPFRAME in the user page table), switches to the kernel page table and
# stack, and jumps to usertrap().  userret does the opposite.  Trap-frame
# offsets follow struct trapframe in proc/proc.h.
#
# One sfence.vma after each satp switch is enough: it orders every earlier
# store to a page table (the kernel's changes to a user table, for one)
# before any later translation, and drops the old table's translations.
# The code between the two instructions is this page, mapped alike in both.
#include "riscv.h"
#include "memlayout.h"

        .section .trampoline
        .globl uservec
        .align 4                  # stvec needs a 4-byte aligned address
uservec:
        # Only sscratch is free: park a0 there, point a0 at the trap frame.
        csrw sscratch, a0
        li a0, TRAPFRAME

        sd ra, 40(a0)
        sd sp, 48(a0)
        sd gp, 56(a0)
        sd tp, 64(a0)
        sd t0, 72(a0)
        sd t1, 80(a0)
        sd t2, 88(a0)
        sd s0, 96(a0)
        sd s1, 104(a0)
        sd a1, 120(a0)
        sd a2, 128(a0)
        sd a3, 136(a0)
        sd a4, 144(a0)
        sd a5, 152(a0)
        sd a6, 160(a0)
        sd a7, 168(a0)
        sd s2, 176(a0)
        sd s3, 184(a0)
        sd s4, 192(a0)
        sd s5, 200(a0)
        sd s6, 208(a0)
        sd s7, 216(a0)
        sd s8, 224(a0)
        sd s9, 232(a0)
        sd s10, 240(a0)
        sd s11, 248(a0)
        sd t3, 256(a0)
        sd t4, 264(a0)
        sd t5, 272(a0)
        sd t6, 280(a0)
        csrr t0, sscratch          # the user's a0
        sd t0, 112(a0)

        ld sp, 8(a0)               # kernel_sp
        ld tp, 32(a0)              # kernel_hartid
        ld t0, 16(a0)              # kernel_trap: usertrap()
        ld t1, 0(a0)               # kernel_satp

        csrw satp, t1
        sfence.vma zero, zero      # drop the user translations
        jr t0                      # usertrap() does not return

# userret(satp): called by usertrapret() with the user page table in a0.
        .globl userret
userret:
        csrw satp, a0
        sfence.vma zero, zero

        li a0, TRAPFRAME
        ld ra, 40(a0)
        ld sp, 48(a0)
        ld gp, 56(a0)
        ld tp, 64(a0)
        ld t0, 72(a0)
        ld t1, 80(a0)
        ld t2, 88(a0)
        ld s0, 96(a0)
        ld s1, 104(a0)
        ld a1, 120(a0)
        ld a2, 128(a0)
        ld a3, 136(a0)
        ld a4, 144(a0)
        ld a5, 152(a0)
        ld a6, 160(a0)
        ld a7, 168(a0)
        ld s2, 176(a0)
        ld s3, 184(a0)
        ld s4, 192(a0)
        ld s5, 200(a0)
        ld s6, 208(a0)
        ld s7, 216(a0)
        ld s8, 224(a0)
        ld s9, 232(a0)
        ld s10, 240(a0)
        ld s11, 248(a0)
        ld t3, 256(a0)
        ld t4, 264(a0)
        ld t5, 272(a0)
        ld t6, 280(a0)
        ld a0, 112(a0)             # last: the user's a0
        sret                       # to user mode, at sepc
