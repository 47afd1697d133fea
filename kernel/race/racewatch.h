// The race watcher: finds harts that touch the same memory at once.
//
// Only the race kernel (kernel/kernel-race, built by `make` beside
// kernel/kernel) has it.  There the files of the COW lab are compiled with
// -fsanitize=thread, so the compiler puts a call before each of their memory
// accesses; race/tsan.c receives those calls and hands each to
// racewatch_access() below.  Nothing else in the kernel calls into it.
#ifndef KERNEL_RACE_RACEWATCH_H
#define KERNEL_RACE_RACEWATCH_H

#include "types.h"

// What an access does: a read or a write, whether it is one atomic
// instruction, and whether it is an atomic read-modify-write (fetch-and-add,
// exchange, compare-and-swap ...), which counts as a write and also gives
// the thread the value it replaced; and whether that write is conditional
// (a compare-and-swap writes only if the value is still the one expected).
#define ACCESS_WRITE       1
#define ACCESS_ATOMIC      2
#define ACCESS_RMW         4
#define ACCESS_CONDITIONAL 8

// Called just before the access of size bytes at addr, made by the
// instruction at pc.  May wait a little first (see racewatch.c).
void racewatch_access(uint64 addr, uint64 size, int kind, uint64 pc);

// An instrumented function starts, or returns.
void racewatch_enter(void);
void racewatch_leave(void);

#endif
