/*
 * pic.h - the 8259A pair (Intel 8259A datasheet: ICW1-4, OCW1-3) and the
 * 8254 PIT channel 0 (Intel 82C54 datasheet), for the interrupt guests.
 */
#ifndef GUEST_PIC_H
#define GUEST_PIC_H

#include <stdint.h>

#define PIC_MASTER_BASE 0x20 /* vectors of IRQ 0-7 */
#define PIC_SLAVE_BASE	0x28 /* vectors of IRQ 8-15 */

/* Initialises both PICs (edge triggered, cascade on IRQ 2), all IRQs masked. */
void pic_init(void);

/* Unmasks or masks one IRQ line (0-15). */
void pic_unmask(unsigned irq);
void pic_mask(unsigned irq);

/* Sends a non-specific EOI for irq (to the slave too for 8-15). */
void pic_eoi(unsigned irq);

/* The master's interrupt request and in-service registers (OCW3 reads). */
uint8_t pic_read_irr(void);
uint8_t pic_read_isr(void);

/* Programs PIT channel 0 as a rate generator (mode 2) dividing 1.193182 MHz by divisor. */
void pit_start(uint16_t divisor);

#endif
