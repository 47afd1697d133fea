// The platform-level interrupt controller: routes device interrupts to harts.
#ifndef KERNEL_DEV_PLIC_H
#define KERNEL_DEV_PLIC_H

void plicinit(void);
void plicinithart(void);
// Which device interrupted (0 if none); tell the PLIC when it is served.
int plic_claim(void);
void plic_complete(int irq);

#endif
