/*
 * pic.c - 8259A initialisation and control (Intel 8259A datasheet,
 * "Initialization Command Words" and "Operation Command Words").
 */
#include "cpu.h"
#include "pic.h"

#define PIC1_CMD  0x20
#define PIC1_DATA 0x21
#define PIC2_CMD  0xa0
#define PIC2_DATA 0xa1

#define ICW1_INIT_ICW4 0x11 /* ICW1: edge triggered, cascade, ICW4 follows */
#define ICW4_8086      0x01 /* ICW4: 8086 mode, normal EOI */
#define OCW2_EOI       0x20 /* non-specific end of interrupt */
#define OCW3_READ_IRR  0x0a
#define OCW3_READ_ISR  0x0b

void pic_init(void)
{
	outb(PIC1_CMD, ICW1_INIT_ICW4);
	outb(PIC2_CMD, ICW1_INIT_ICW4);
	outb(PIC1_DATA, PIC_MASTER_BASE); /* ICW2: vector base */
	outb(PIC2_DATA, PIC_SLAVE_BASE);
	outb(PIC1_DATA, 1u << 2); /* ICW3: slave on IRQ 2 */
	outb(PIC2_DATA, 2);	  /* ICW3: slave identity */
	outb(PIC1_DATA, ICW4_8086);
	outb(PIC2_DATA, ICW4_8086);
	outb(PIC1_DATA, 0xff); /* OCW1: mask everything */
	outb(PIC2_DATA, 0xff);
}

static uint16_t mask_port(unsigned irq)
{
	return irq < 8 ? PIC1_DATA : PIC2_DATA;
}

void pic_unmask(unsigned irq)
{
	uint16_t port = mask_port(irq);

	outb(port, inb(port) & (uint8_t) ~(1u << (irq & 7)));
}

void pic_mask(unsigned irq)
{
	uint16_t port = mask_port(irq);

	outb(port, inb(port) | (uint8_t)(1u << (irq & 7)));
}

void pic_eoi(unsigned irq)
{
	if (irq >= 8)
		outb(PIC2_CMD, OCW2_EOI);
	outb(PIC1_CMD, OCW2_EOI);
}

uint8_t pic_read_irr(void)
{
	outb(PIC1_CMD, OCW3_READ_IRR);
	return inb(PIC1_CMD);
}

uint8_t pic_read_isr(void)
{
	outb(PIC1_CMD, OCW3_READ_ISR);
	return inb(PIC1_CMD);
}
