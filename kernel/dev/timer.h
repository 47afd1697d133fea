// The clock tick: which hardware makes it is chosen at boot (dev/timer.c).
#ifndef KERNEL_DEV_TIMER_H
#define KERNEL_DEV_TIMER_H

// The per-hart area mtimer_vector (dev/mvec.S) finds through mscratch,
// when the machine-mode timer is in use.  Offsets in bytes.
#define MTIMER_SAVED_A1 0
#define MTIMER_SAVED_A2 8
#define MTIMER_MTIMECMP 16  // address of this hart's CLINT mtimecmp
#define MTIMER_MTIME    24  // address of the CLINT's mtime
#define MTIMER_INTERVAL 32  // cycles between ticks
#define MTIMER_WORDS    5

#ifndef __ASSEMBLER__

// Machine mode, every hart, from start(): choose the timer, arm the first tick.
void timer_init(void);

// Supervisor mode, from clockintr(): acknowledge this tick and arm the next.
void timer_next_tick(void);

// Which timer is in use, in words, for the boot line.
const char *timer_name(void);

#endif  // __ASSEMBLER__

#endif
