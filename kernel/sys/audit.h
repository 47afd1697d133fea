// The kernel self-audit (sys/audit.c).
#ifndef KERNEL_SYS_AUDIT_H
#define KERNEL_SYS_AUDIT_H

#include "types.h"

// int audit(int how, struct auditstat *st): the system call.
uint64 sys_audit(void);

#endif
