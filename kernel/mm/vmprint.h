// vmprint: a debugging aid that prints a page table, for students.
#ifndef KERNEL_MM_VMPRINT_H
#define KERNEL_MM_VMPRINT_H

#include "types.h"
#include "riscv.h"

// Prints every valid PTE of the page table rooted at pagetable, one line each,
// indented by depth.  Call it from kernel code, e.g.
// vmprint(myproc()->pagetable), or from gdb (see .gdbinit.tmpl).
void vmprint(pagetable_t pagetable);

#endif
