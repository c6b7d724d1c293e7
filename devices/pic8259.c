/*
 * pic8259.c - the PC/AT's cascaded pair of 8259A interrupt controllers
 * (master at 0x20/0x21, slave at 0xa0/0xa1 on master IR2) and the PIIX
 * edge/level control registers (ELCR, 0x4d0/0x4d1). Follows the Intel 8259A
 * datasheet (231468) and the Intel 82371AB PIIX4 datasheet (ELCR1/ELCR2).
 *
 * (Near 400 lines of code: the two chips share every function, and the
 * ICW/OCW decoding is one datasheet table each; splitting master from slave
 * would only add an internal header.)
 */
#include <errno.h>
#include <stdlib.h>

#include "devices/devices.h"

#define PIC_MASTER_BASE 0x20
#define PIC_SLAVE_BASE	0xa0
#define PIC_ELCR_BASE	0x4d0
#define PIC_NR_PORTS	2

enum { MASTER, SLAVE };

#define CASCADE_IR  2 /* the slave's INT drives master IR2 on the AT */
#define ISA_IRQ2_IR 9 /* the ISA slot's IRQ2 pin is wired to IRQ9 on the AT */

/* ICW1 (A0 = 0, D4 = 1). */
#define ICW1_IC4  0x01 /* ICW4 will be written */
#define ICW1_SNGL 0x02 /* single 8259A, no ICW3 */
#define ICW1_LTIM 0x08 /* level-triggered inputs */
#define ICW1_INIT 0x10
/* ICW4. */
#define ICW4_UPM  0x01 /* 8086 mode (the only one an x86 can use) */
#define ICW4_AEOI 0x02 /* automatic EOI at the end of INTA */
#define ICW4_SFNM 0x10 /* special fully nested mode */
/* OCW2: R, SL, EOI in bits 7-5, level in bits 2-0. */
#define OCW2_LEVEL	  0x07
#define OCW2_CMD_MASK	  0xe0
#define OCW2_ROT_AEOI_CLR 0x00
#define OCW2_NONSPEC_EOI  0x20
#define OCW2_SPEC_EOI	  0x60
#define OCW2_ROT_AEOI_SET 0x80
#define OCW2_ROT_NONSPEC  0xa0
#define OCW2_SET_PRIORITY 0xc0
#define OCW2_ROT_SPEC_EOI 0xe0
/* OCW3 (A0 = 0, D4 = 0, D3 = 1). */
#define OCW3_RIS  0x01 /* read ISR (else IRR) ... */
#define OCW3_RR	  0x02 /* ... if this bit is set */
#define OCW3_P	  0x04 /* poll command */
#define OCW3_SEL  0x08
#define OCW3_SMM  0x20 /* special mask mode ... */
#define OCW3_ESMM 0x40 /* ... if this bit is set */
#define POLL_INT  0x80 /* poll word: an interrupt was pending */

/* PIIX: IRQ 0, 1, 2, 8 and 13 are always edge-triggered; their ELCR bits are reserved. */
#define ELCR_MASTER_MASK 0xf8
#define ELCR_SLAVE_MASK	 0xde

/* Where init was left by the last ICW: the next ICW expected on the data port, or none. */
enum init_step { INIT_DONE, INIT_ICW2, INIT_ICW3, INIT_ICW4 };

struct pic_chip {
	uint8_t irr;	   /* edge-sense latches; level inputs are read from @lines */
	uint8_t isr;	   /* in service */
	uint8_t imr;	   /* masked (OCW1) */
	uint8_t lines;	   /* input levels as last driven */
	uint8_t elcr;	   /* 1 = level-triggered (PIIX ELCR) */
	uint8_t elcr_mask; /* ELCR bits that may be set */
	uint8_t vector_base;
	uint8_t lowest; /* the IR with the lowest priority; lowest + 1 has the highest */
	uint8_t icw3;	/* master: inputs with a slave; slave: its ID */
	enum init_step init_step;
	bool icw4_needed, single, ltim;
	bool auto_eoi, rotate_on_aeoi, sfnm;
	bool special_mask, read_isr, poll;
};

struct pic8259 {
	struct pic_chip chip[2];
	struct irq_line intr;
	bool intr_level;
};

/* Inputs that are level-triggered: all of them with ICW1.LTIM, else as the ELCR says. */
static uint8_t level_inputs(const struct pic_chip *chip)
{
	return chip->ltim ? 0xff : chip->elcr;
}

/* The IRR as the datasheet's priority cell sees it: edge latches plus high level inputs. */
static uint8_t requests(const struct pic_chip *chip)
{
	uint8_t level = level_inputs(chip);

	return (uint8_t)((chip->irr & ~level) | (chip->lines & level));
}

/* Priority rank of @ir: 0 is the highest. */
static int rank_of(const struct pic_chip *chip, int ir)
{
	return (ir - chip->lowest - 1) & 7;
}

/* The highest-priority IR set in @bits, or -1. */
static int highest(const struct pic_chip *chip, uint8_t bits)
{
	int rank, ir;

	for (rank = 0; rank < 8; rank++) {
		ir = (chip->lowest + 1 + rank) & 7;
		if (bits & (1u << ir))
			return ir;
	}
	return -1;
}

/*
 * The IR this chip would interrupt for now, or -1: the highest unmasked
 * request of strictly higher priority than everything in service. In special
 * mask mode masked levels in service do not block; in special fully nested
 * mode (master only) the cascade input in service does not block, so the
 * slave can nest its own higher-priority requests.
 */
static int pending_ir(const struct pic_chip *chip, bool is_master)
{
	uint8_t in_service = chip->isr;
	int req = highest(chip, requests(chip) & ~chip->imr);
	int cur;

	if (req < 0)
		return -1;
	if (chip->special_mask)
		in_service &= ~chip->imr;
	if (is_master && chip->sfnm)
		in_service &= ~chip->icw3;
	cur = highest(chip, in_service);
	if (cur >= 0 && rank_of(chip, cur) <= rank_of(chip, req))
		return -1;
	return req;
}

/*
 * Drive input @ir. A rising edge sets the edge latch; a falling edge clears
 * it, because the request must still be there at INTA (a request that
 * vanished before INTA gets the default IR7 vector). A level held high sets
 * nothing new in edge mode: it must go low and high again.
 */
static void set_input(struct pic_chip *chip, int ir, bool level)
{
	uint8_t bit = (uint8_t)(1u << ir);

	if (level) {
		if (!(chip->lines & bit))
			chip->irr |= bit;
		chip->lines |= bit;
	} else {
		chip->irr &= ~bit;
		chip->lines &= ~bit;
	}
}

/* The slave's INT feeds master IR2; the master's INT is the CPU's INTR. */
static void update_outputs(struct pic8259 *pic)
{
	bool slave_int = pending_ir(&pic->chip[SLAVE], false) >= 0;
	bool level;

	set_input(&pic->chip[MASTER], CASCADE_IR, slave_int);
	level = pending_ir(&pic->chip[MASTER], true) >= 0;
	if (level != pic->intr_level) {
		pic->intr_level = level;
		irq_set_level(&pic->intr, level);
	}
}

/* INTA (or poll) accepted @ir: clear its edge latch; set ISR unless auto-EOI. */
static void accept(struct pic_chip *chip, int ir)
{
	uint8_t bit = (uint8_t)(1u << ir);

	chip->irr &= ~bit;
	if (!chip->auto_eoi)
		chip->isr |= bit;
	else if (chip->rotate_on_aeoi)
		chip->lowest = (uint8_t)ir;
}

/* The INTA sequence on one chip: its vector, or the default IR7 vector if nothing is pending. */
static int chip_ack(struct pic_chip *chip, bool is_master, int *ir_out)
{
	int ir = pending_ir(chip, is_master);

	*ir_out = ir;
	if (ir < 0)
		return chip->vector_base | 7; /* spurious: ISR is left alone */
	accept(chip, ir);
	return chip->vector_base + ir;
}

/* Does master input @ir have a slave behind it (ICW1.SNGL clear, ICW3 bit set)? */
static bool is_cascade(const struct pic_chip *master, int ir)
{
	return ir == CASCADE_IR && !master->single && (master->icw3 & (1u << ir));
}

int pic8259_ack(struct pic8259 *pic)
{
	int ir, slave_ir, vector;

	vector = chip_ack(&pic->chip[MASTER], true, &ir);
	if (ir >= 0 && is_cascade(&pic->chip[MASTER], ir))
		vector = chip_ack(&pic->chip[SLAVE], false, &slave_ir);
	update_outputs(pic);
	return vector;
}

bool pic8259_intr_pending(struct pic8259 *pic)
{
	return pic->intr_level;
}

void pic8259_set_irq(void *opaque, int irq, int level)
{
	struct pic8259 *pic = opaque;

	if (irq == CASCADE_IR)
		irq = ISA_IRQ2_IR;
	if (irq < 0 || irq > 15)
		return;
	set_input(&pic->chip[irq >> 3], irq & 7, level != 0);
	update_outputs(pic);
}

/*
 * ICW1 starts initialization: the edge latches, IMR, ISR and the special
 * mask mode are cleared, IR7 gets the lowest priority, status reads return
 * IRR, and without IC4 all ICW4 functions are zero. Inputs already high must
 * go low and high again to interrupt. (The datasheet does not list ISR;
 * clearing it too, as PC emulators do, lets a guest re-initialize cleanly.)
 */
static void write_icw1(struct pic_chip *chip, uint8_t value)
{
	chip->icw4_needed = value & ICW1_IC4;
	chip->single = value & ICW1_SNGL;
	chip->ltim = value & ICW1_LTIM;
	chip->irr = 0;
	chip->imr = 0;
	chip->isr = 0;
	chip->lowest = 7;
	chip->special_mask = false;
	chip->read_isr = false;
	chip->poll = false;
	chip->auto_eoi = false;
	chip->rotate_on_aeoi = false;
	chip->sfnm = false;
	chip->init_step = INIT_ICW2;
}

/* ICW4 is only ever read for 8086 mode: MCS-80/85 mode (UPM clear) makes no sense on an x86. */
static void write_icw4(struct pic_chip *chip, uint8_t value)
{
	chip->auto_eoi = value & ICW4_AEOI;
	chip->sfnm = value & ICW4_SFNM;
}

/* ICW2, ICW3 and ICW4 arrive on the data port, in that order, as ICW1 asked for them. */
static void write_icw(struct pic_chip *chip, uint8_t value)
{
	switch (chip->init_step) {
	case INIT_ICW2:
		chip->vector_base = value & 0xf8;
		if (!chip->single)
			chip->init_step = INIT_ICW3;
		else
			chip->init_step = chip->icw4_needed ? INIT_ICW4 : INIT_DONE;
		break;
	case INIT_ICW3:
		chip->icw3 = value;
		chip->init_step = chip->icw4_needed ? INIT_ICW4 : INIT_DONE;
		break;
	case INIT_ICW4:
		write_icw4(chip, value);
		chip->init_step = INIT_DONE;
		break;
	case INIT_DONE:
		break;
	}
}

/* Clear one ISR bit: the highest in service (non-specific) or @level (specific). */
static int end_of_interrupt(struct pic_chip *chip, bool specific, int level)
{
	int ir = specific ? level : highest(chip, chip->isr);

	if (ir >= 0)
		chip->isr &= ~(1u << ir);
	return ir;
}

static void write_ocw2(struct pic_chip *chip, uint8_t value)
{
	int level = value & OCW2_LEVEL, ir;

	switch (value & OCW2_CMD_MASK) {
	case OCW2_NONSPEC_EOI:
		end_of_interrupt(chip, false, 0);
		break;
	case OCW2_SPEC_EOI:
		end_of_interrupt(chip, true, level);
		break;
	case OCW2_ROT_NONSPEC:
		ir = end_of_interrupt(chip, false, 0);
		if (ir >= 0)
			chip->lowest = (uint8_t)ir;
		break;
	case OCW2_ROT_SPEC_EOI:
		chip->lowest = (uint8_t)end_of_interrupt(chip, true, level);
		break;
	case OCW2_SET_PRIORITY:
		chip->lowest = (uint8_t)level;
		break;
	case OCW2_ROT_AEOI_SET:
		chip->rotate_on_aeoi = true;
		break;
	case OCW2_ROT_AEOI_CLR:
		chip->rotate_on_aeoi = false;
		break;
	default: /* 0x40: no operation */
		break;
	}
}

static void write_ocw3(struct pic_chip *chip, uint8_t value)
{
	if (value & OCW3_ESMM)
		chip->special_mask = value & OCW3_SMM;
	if (value & OCW3_RR)
		chip->read_isr = value & OCW3_RIS;
	chip->poll = value & OCW3_P;
}

static void chip_write(struct pic_chip *chip, uint32_t offset, uint8_t value)
{
	if (offset == 1) {
		if (chip->init_step != INIT_DONE)
			write_icw(chip, value);
		else
			chip->imr = value; /* OCW1 */
	} else if (value & ICW1_INIT) {
		write_icw1(chip, value);
	} else if (value & OCW3_SEL) {
		write_ocw3(chip, value);
	} else {
		write_ocw2(chip, value);
	}
}

/*
 * After a poll command the next read, at either port, is an interrupt
 * acknowledge: it returns 0x80 | level if a request was pending. A poll is
 * local to the chip read: polling the master does not run the slave's INTA.
 */
static uint8_t poll_read(struct pic_chip *chip, bool is_master)
{
	int ir = pending_ir(chip, is_master);

	chip->poll = false;
	if (ir < 0)
		return 0;
	accept(chip, ir);
	return (uint8_t)(POLL_INT | ir);
}

static uint8_t chip_read(struct pic_chip *chip, bool is_master, uint32_t offset)
{
	if (chip->poll)
		return poll_read(chip, is_master);
	if (offset == 1)
		return chip->imr;
	return chip->read_isr ? chip->isr : requests(chip);
}

/* The 8259A is an 8-bit device: wider accesses are split; bytes past port 1 float high. */
static void chip_io(struct pic8259 *pic, int which, uint32_t offset, uint8_t *data, uint32_t len,
		    bool is_write)
{
	struct pic_chip *chip = &pic->chip[which];
	uint32_t i;

	for (i = 0; i < len; i++) {
		if (offset + i >= PIC_NR_PORTS) {
			if (!is_write)
				data[i] = 0xff;
		} else if (is_write) {
			chip_write(chip, offset + i, data[i]);
		} else {
			data[i] = chip_read(chip, which == MASTER, offset + i);
		}
	}
	update_outputs(pic);
}

static void master_io(void *opaque, uint32_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	chip_io(opaque, MASTER, offset, data, len, is_write);
}

static void slave_io(void *opaque, uint32_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	chip_io(opaque, SLAVE, offset, data, len, is_write);
}

/* ELCR1 (0x4d0) is the master's, ELCR2 (0x4d1) the slave's; reserved bits stay 0. */
static void elcr_io(void *opaque, uint32_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct pic8259 *pic = opaque;
	struct pic_chip *chip;
	uint32_t i;

	for (i = 0; i < len; i++) {
		if (offset + i >= PIC_NR_PORTS) {
			if (!is_write)
				data[i] = 0xff;
			continue;
		}
		chip = &pic->chip[offset + i];
		if (is_write)
			chip->elcr = data[i] & chip->elcr_mask;
		else
			data[i] = chip->elcr;
	}
	update_outputs(pic);
}

/*
 * There is no BIOS, so power-on is the state a PC BIOS would leave, with
 * everything masked: cascaded, 8086 mode, vectors 0x08 and 0x70, all edge.
 */
static void chip_power_on(struct pic_chip *chip, uint8_t vector_base, uint8_t icw3,
			  uint8_t elcr_mask)
{
	chip->vector_base = vector_base;
	chip->icw3 = icw3;
	chip->elcr_mask = elcr_mask;
	chip->imr = 0xff;
	chip->lowest = 7;
	chip->init_step = INIT_DONE;
}

/* Three decode ranges on the AT: master, slave, and the PIIX's ELCR pair. */
static int register_ports(struct io_bus *bus, struct pic8259 *pic)
{
	int err;

	err = pio_register(bus, PIC_MASTER_BASE, PIC_NR_PORTS, master_io, pic);
	if (err)
		return err;
	err = pio_register(bus, PIC_SLAVE_BASE, PIC_NR_PORTS, slave_io, pic);
	if (err)
		goto err_master;
	err = pio_register(bus, PIC_ELCR_BASE, PIC_NR_PORTS, elcr_io, pic);
	if (err)
		goto err_slave;
	return 0;

err_slave:
	pio_unregister(bus, PIC_SLAVE_BASE);
err_master:
	pio_unregister(bus, PIC_MASTER_BASE);
	return err;
}

struct pic8259 *pic8259_create(struct io_bus *bus, struct irq_line intr)
{
	struct pic8259 *pic = calloc(1, sizeof(*pic));
	int err;

	if (!pic)
		return NULL;
	pic->intr = intr;
	chip_power_on(&pic->chip[MASTER], 0x08, 1u << CASCADE_IR, ELCR_MASTER_MASK);
	chip_power_on(&pic->chip[SLAVE], 0x70, CASCADE_IR, ELCR_SLAVE_MASK);
	err = register_ports(bus, pic);
	if (err) {
		free(pic);
		errno = -err;
		return NULL;
	}
	return pic;
}

/* The bus still points at @pic: call this only once the bus is no longer used. */
void pic8259_destroy(struct pic8259 *pic)
{
	free(pic);
}
