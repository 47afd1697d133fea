// Per-hart state.  Each hart keeps its own number in the tp register from
// machine-mode start-up on (boot/start.c), so finding its struct cpu takes
// no lock and no memory access.
#include "types.h"
#include "param.h"
#include "riscv.h"
#include "lib/cpu.h"

struct cpu cpus[NCPU];
volatile int harts_started;
