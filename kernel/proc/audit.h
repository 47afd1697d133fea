// The kernel self-audit (proc/audit.c).
#ifndef KERNEL_PROC_AUDIT_H
#define KERNEL_PROC_AUDIT_H

#include "types.h"

// Called by each hart's scheduler before it looks at a process slot: while
// an audit has the world stopped, waits here until it is done.
void audit_park(void);

// int audit(int how, struct auditstat *st): the system call.
uint64 sys_audit(void);

#endif
