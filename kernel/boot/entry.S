# The first instructions every hart runs, in machine mode, at 0x80000000.
# C needs a stack: give hart N the N-th page of boot_stacks (declared in
# start.c) and call start().  Stacks grow down, so sp starts at the page's end.
#include "param.h"
#include "riscv.h"

        .section .text.entry
        .globl _entry
_entry:
        la sp, boot_stacks
        csrr t0, mhartid
        addi t0, t0, 1
        li t1, PGSIZE
        mul t0, t0, t1
        add sp, sp, t0
        call start
hang:                           # start() never returns
        wfi
        j hang
