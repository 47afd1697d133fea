// Stopping the world: one hart holds every other still, for code that must
// read state no lock covers as a whole (the self-audit, sys/audit.c).
#ifndef KERNEL_SCHED_STOPWORLD_H
#define KERNEL_SCHED_STOPWORLD_H

// Returns with this hart's interrupts off and every other hart parked in
// its scheduler, holding no lock.  At most one hart may stop the world at a
// time; the caller sees to that.
void world_stop(void);
// Lets the parked harts go on, and restores this hart's interrupts.
void world_restart(void);
// Each hart's scheduler calls this, holding no lock, before it looks at a
// process slot: while the world is stopped, it waits here.
void world_park(void);

#endif
