/*
 * test_pic8259.c - the cascaded 8259A pair through the port bus, checked
 * against the Intel 8259A datasheet: Linux's init sequence, masking, fixed
 * and rotating priority, EOI forms, the cascade, edge versus level (ICW1
 * LTIM and the ELCR), spurious IR7, auto-EOI, OCW3 reads, poll and special
 * mask mode, and the INTR line's transitions.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "devices/devices.h"

#define MASTER_CMD  0x20
#define MASTER_DATA 0x21
#define SLAVE_CMD   0xa0
#define SLAVE_DATA  0xa1
#define ELCR1	    0x4d0
#define ELCR2	    0x4d1

#define OCW2_EOI       0x20
#define OCW2_SPEC_EOI  0x60
#define OCW2_ROT_EOI   0xa0
#define OCW2_SET_PRIO  0xc0
#define OCW3_READ_IRR  0x0a
#define OCW3_READ_ISR  0x0b
#define OCW3_POLL      0x0c
#define OCW3_SET_SMM   0x68
#define OCW3_CLEAR_SMM 0x48

struct fixture {
	struct io_bus *bus;
	struct pic8259 *pic;
	int levels[64];
	int nr_levels;
};

static void record_intr(void *opaque, int num, int level)
{
	struct fixture *f = opaque;

	assert_in_range(f->nr_levels, 0, 63);
	f->levels[f->nr_levels++] = level;
}

static int setup(void **state)
{
	static struct fixture f;
	struct irq_line intr = {.set_irq = record_intr, .opaque = &f};

	memset(&f, 0, sizeof(f));
	f.bus = io_bus_create();
	f.pic = f.bus ? pic8259_create(f.bus, intr) : NULL;
	*state = &f;
	return f.pic ? 0 : -1;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	pic8259_destroy(f->pic);
	io_bus_destroy(f->bus);
	return 0;
}

static void outb(struct fixture *f, uint16_t port, uint8_t value)
{
	assert_true(pio_access(f->bus, port, &value, 1, true));
}

static uint8_t inb(struct fixture *f, uint16_t port)
{
	uint8_t value = 0;

	assert_true(pio_access(f->bus, port, &value, 1, false));
	return value;
}

static void irq(struct fixture *f, int n, int level)
{
	pic8259_set_irq(f->pic, n, level);
}

/* Linux's init_8259A(): ICW1 = 0x11, vectors 0x20/0x28, slave on IR2, 8086 mode. */
static void init_chip(struct fixture *f, uint16_t cmd, uint8_t icw1, uint8_t base, uint8_t icw3,
		      uint8_t icw4)
{
	outb(f, cmd, icw1);
	outb(f, cmd + 1, base);
	outb(f, cmd + 1, icw3);
	outb(f, cmd + 1, icw4);
}

static void init_pair(struct fixture *f, uint8_t icw1, uint8_t icw4)
{
	init_chip(f, MASTER_CMD, icw1, 0x20, 0x04, icw4);
	init_chip(f, SLAVE_CMD, icw1, 0x28, 0x02, icw4);
	outb(f, MASTER_DATA, 0x00);
	outb(f, SLAVE_DATA, 0x00);
}

static void linux_init(struct fixture *f)
{
	init_pair(f, 0x11, 0x01);
}

static uint8_t read_isr(struct fixture *f, uint16_t cmd)
{
	outb(f, cmd, OCW3_READ_ISR);
	return inb(f, cmd);
}

static uint8_t read_irr(struct fixture *f, uint16_t cmd)
{
	outb(f, cmd, OCW3_READ_IRR);
	return inb(f, cmd);
}

static void test_power_on_everything_masked(void **state)
{
	struct fixture *f = *state;

	irq(f, 0, 1);
	assert_false(pic8259_intr_pending(f->pic));
	assert_int_equal(inb(f, MASTER_DATA), 0xff);
	assert_int_equal(inb(f, SLAVE_DATA), 0xff);
	assert_int_equal(f->nr_levels, 0);
}

static void test_linux_init_irq0_gives_vector_0x20(void **state)
{
	struct fixture *f = *state;

	linux_init(f);
	irq(f, 0, 1);
	assert_true(pic8259_intr_pending(f->pic));
	assert_int_equal(pic8259_ack(f->pic), 0x20);
	assert_false(pic8259_intr_pending(f->pic));
	assert_int_equal(read_isr(f, MASTER_CMD), 0x01);
	assert_int_equal(read_irr(f, MASTER_CMD), 0x00);
	outb(f, MASTER_CMD, OCW2_EOI);
	assert_int_equal(read_isr(f, MASTER_CMD), 0x00);
}

static void test_intr_line_transitions_are_reported_once(void **state)
{
	struct fixture *f = *state;

	linux_init(f);
	irq(f, 3, 1);
	irq(f, 4, 1); /* INTR is already high: no new transition */
	assert_int_equal(f->nr_levels, 1);
	assert_int_equal(f->levels[0], 1);
	assert_int_equal(pic8259_ack(f->pic), 0x23);
	assert_int_equal(f->nr_levels, 2);
	assert_int_equal(f->levels[1], 0);
	outb(f, MASTER_CMD, OCW2_EOI); /* IR4 may now interrupt */
	assert_int_equal(f->nr_levels, 3);
	assert_int_equal(f->levels[2], 1);
}

static void test_imr_masks_request_but_irr_records_it(void **state)
{
	struct fixture *f = *state;

	linux_init(f);
	outb(f, MASTER_DATA, 0x20);
	assert_int_equal(inb(f, MASTER_DATA), 0x20);
	irq(f, 5, 1);
	assert_false(pic8259_intr_pending(f->pic));
	assert_int_equal(read_irr(f, MASTER_CMD), 0x20);
	outb(f, MASTER_DATA, 0x00);
	assert_true(pic8259_intr_pending(f->pic));
	assert_int_equal(pic8259_ack(f->pic), 0x25);
}

/* Fixed priority: IR0 highest; a higher request nests, a lower one waits for EOI. */
static void test_fixed_priority_and_nesting(void **state)
{
	struct fixture *f = *state;

	linux_init(f);
	irq(f, 5, 1);
	irq(f, 3, 1);
	assert_int_equal(pic8259_ack(f->pic), 0x23);
	assert_false(pic8259_intr_pending(f->pic)); /* IR5 is lower than IR3 in service */
	irq(f, 1, 1);
	assert_true(pic8259_intr_pending(f->pic));
	assert_int_equal(pic8259_ack(f->pic), 0x21);
	assert_int_equal(read_isr(f, MASTER_CMD), 0x0a);
	outb(f, MASTER_CMD, OCW2_EOI); /* clears IR1, the highest in service */
	assert_int_equal(read_isr(f, MASTER_CMD), 0x08);
	assert_false(pic8259_intr_pending(f->pic));
	outb(f, MASTER_CMD, OCW2_EOI);
	assert_true(pic8259_intr_pending(f->pic));
	assert_int_equal(pic8259_ack(f->pic), 0x25);
}

static void test_specific_eoi_clears_named_level(void **state)
{
	struct fixture *f = *state;

	linux_init(f);
	irq(f, 6, 1);
	assert_int_equal(pic8259_ack(f->pic), 0x26);
	irq(f, 3, 1);
	assert_int_equal(pic8259_ack(f->pic), 0x23);
	outb(f, MASTER_CMD, OCW2_SPEC_EOI | 6);
	assert_int_equal(read_isr(f, MASTER_CMD), 0x08);
}

/* OCW2 set priority makes IR3 the lowest (IR4 the highest); rotate-on-EOI moves it. */
static void test_priority_rotation(void **state)
{
	struct fixture *f = *state;

	linux_init(f);
	outb(f, MASTER_CMD, OCW2_SET_PRIO | 3);
	irq(f, 1, 1);
	irq(f, 5, 1);
	assert_int_equal(pic8259_ack(f->pic), 0x25);
	outb(f, MASTER_CMD, OCW2_ROT_EOI); /* IR5 becomes the lowest: IR6 highest */
	irq(f, 6, 1);
	irq(f, 5, 0);
	irq(f, 5, 1);
	assert_int_equal(pic8259_ack(f->pic), 0x26);
	outb(f, MASTER_CMD, OCW2_EOI);
	assert_int_equal(pic8259_ack(f->pic), 0x21); /* then 7, 0, 1: IR1 before IR5 */
	outb(f, MASTER_CMD, OCW2_EOI);
	assert_int_equal(pic8259_ack(f->pic), 0x25);
}

static void test_cascade_irq12_gives_slave_vector(void **state)
{
	struct fixture *f = *state;

	linux_init(f);
	irq(f, 12, 1);
	assert_true(pic8259_intr_pending(f->pic));
	assert_int_equal(pic8259_ack(f->pic), 0x2c);
	assert_int_equal(read_isr(f, MASTER_CMD), 0x04);
	assert_int_equal(read_isr(f, SLAVE_CMD), 0x10);
	assert_false(pic8259_intr_pending(f->pic));
	outb(f, SLAVE_CMD, OCW2_EOI);
	outb(f, MASTER_CMD, OCW2_EOI);
	assert_int_equal(read_isr(f, MASTER_CMD), 0x00);
	assert_int_equal(read_isr(f, SLAVE_CMD), 0x00);
}

/* A slave request waits while the master has IR2 in service (not special fully nested). */
static void test_cascade_waits_for_master_eoi(void **state)
{
	struct fixture *f = *state;

	linux_init(f);
	irq(f, 9, 1);
	assert_int_equal(pic8259_ack(f->pic), 0x29);
	outb(f, SLAVE_CMD, OCW2_EOI);
	irq(f, 14, 1);
	assert_false(pic8259_intr_pending(f->pic));
	outb(f, MASTER_CMD, OCW2_EOI);
	assert_true(pic8259_intr_pending(f->pic));
	assert_int_equal(pic8259_ack(f->pic), 0x2e);
}

/* In special fully nested mode a higher slave request nests inside a lower slave one. */
static void test_sfnm_lets_slave_nest(void **state)
{
	struct fixture *f = *state;

	init_pair(f, 0x11, 0x11);
	irq(f, 14, 1);
	assert_int_equal(pic8259_ack(f->pic), 0x2e);
	irq(f, 9, 1);
	assert_true(pic8259_intr_pending(f->pic));
	assert_int_equal(pic8259_ack(f->pic), 0x29);
}

static void test_edge_held_high_does_not_retrigger(void **state)
{
	struct fixture *f = *state;

	linux_init(f);
	irq(f, 4, 1);
	assert_int_equal(pic8259_ack(f->pic), 0x24);
	outb(f, MASTER_CMD, OCW2_EOI);
	assert_false(pic8259_intr_pending(f->pic));
	irq(f, 4, 1); /* still high: no edge */
	assert_false(pic8259_intr_pending(f->pic));
	irq(f, 4, 0);
	irq(f, 4, 1);
	assert_true(pic8259_intr_pending(f->pic));
}

static void test_elcr_reserved_bits_read_zero(void **state)
{
	struct fixture *f = *state;

	outb(f, ELCR1, 0xff);
	outb(f, ELCR2, 0xff);
	assert_int_equal(inb(f, ELCR1), 0xf8);
	assert_int_equal(inb(f, ELCR2), 0xde);
}

/* A level-triggered input still high after EOI interrupts again; dropping it withdraws it. */
static void test_elcr_level_retriggers_after_eoi(void **state)
{
	struct fixture *f = *state;

	linux_init(f);
	outb(f, ELCR2, 0x08); /* IRQ 11 level-triggered */
	irq(f, 11, 1);
	assert_int_equal(pic8259_ack(f->pic), 0x2b);
	assert_int_equal(read_irr(f, SLAVE_CMD), 0x08); /* IRR follows the level */
	outb(f, SLAVE_CMD, OCW2_EOI);
	outb(f, MASTER_CMD, OCW2_EOI);
	assert_true(pic8259_intr_pending(f->pic));
	irq(f, 11, 0);
	assert_false(pic8259_intr_pending(f->pic));
	assert_int_equal(read_irr(f, SLAVE_CMD), 0x00);
}

static void test_icw1_ltim_makes_all_inputs_level(void **state)
{
	struct fixture *f = *state;

	init_pair(f, 0x19, 0x01);
	irq(f, 6, 1);
	assert_int_equal(pic8259_ack(f->pic), 0x26);
	outb(f, MASTER_CMD, OCW2_EOI);
	assert_true(pic8259_intr_pending(f->pic));
	assert_int_equal(pic8259_ack(f->pic), 0x26);
}

/* An input high through ICW1 must go low and high again (datasheet: edge sense reset). */
static void test_reinit_requires_new_edge(void **state)
{
	struct fixture *f = *state;

	irq(f, 3, 1);
	linux_init(f);
	assert_false(pic8259_intr_pending(f->pic));
	irq(f, 3, 0);
	irq(f, 3, 1);
	assert_true(pic8259_intr_pending(f->pic));
}

/* The request vanished before INTA: the master answers with its IR7 vector, ISR untouched. */
static void test_vanished_request_gives_spurious_irq7(void **state)
{
	struct fixture *f = *state;

	linux_init(f);
	irq(f, 3, 1);
	assert_true(pic8259_intr_pending(f->pic));
	irq(f, 3, 0);
	assert_false(pic8259_intr_pending(f->pic));
	assert_int_equal(pic8259_ack(f->pic), 0x27);
	assert_int_equal(read_isr(f, MASTER_CMD), 0x00);
	irq(f, 11, 1);
	irq(f, 11, 0);
	assert_int_equal(pic8259_ack(f->pic), 0x27); /* the slave's INT dropped too */
	assert_int_equal(read_isr(f, SLAVE_CMD), 0x00);
}

static void test_auto_eoi_leaves_isr_clear(void **state)
{
	struct fixture *f = *state;

	init_pair(f, 0x11, 0x03);
	irq(f, 5, 1);
	assert_int_equal(pic8259_ack(f->pic), 0x25);
	assert_int_equal(read_isr(f, MASTER_CMD), 0x00);
	irq(f, 6, 1); /* lower priority, but nothing is in service */
	assert_true(pic8259_intr_pending(f->pic));
	irq(f, 10, 1);
	assert_int_equal(pic8259_ack(f->pic), 0x2a);
	assert_int_equal(read_isr(f, MASTER_CMD), 0x00);
	assert_int_equal(read_isr(f, SLAVE_CMD), 0x00);
}

static void test_ocw3_selects_irr_or_isr_and_sticks(void **state)
{
	struct fixture *f = *state;

	linux_init(f);
	outb(f, MASTER_DATA, 0x80);
	irq(f, 7, 1);
	irq(f, 1, 1);
	assert_int_equal(pic8259_ack(f->pic), 0x21);
	outb(f, MASTER_CMD, OCW3_READ_IRR);
	assert_int_equal(inb(f, MASTER_CMD), 0x80);
	assert_int_equal(inb(f, MASTER_CMD), 0x80); /* the selection stays */
	outb(f, MASTER_CMD, OCW3_READ_ISR);
	assert_int_equal(inb(f, MASTER_CMD), 0x02);
	assert_int_equal(inb(f, MASTER_DATA), 0x80); /* the data port reads IMR */
}

static void test_poll_reads_level_and_acknowledges(void **state)
{
	struct fixture *f = *state;

	linux_init(f);
	irq(f, 5, 1);
	outb(f, MASTER_CMD, OCW3_POLL);
	assert_int_equal(inb(f, MASTER_CMD), 0x85);
	assert_int_equal(read_isr(f, MASTER_CMD), 0x20);
	outb(f, MASTER_CMD, OCW3_POLL);
	assert_int_equal(inb(f, MASTER_DATA), 0x00); /* nothing pending */
}

/* In special mask mode a masked level in service no longer blocks lower levels. */
static void test_special_mask_mode_lets_lower_levels_in(void **state)
{
	struct fixture *f = *state;

	linux_init(f);
	irq(f, 1, 1);
	assert_int_equal(pic8259_ack(f->pic), 0x21);
	irq(f, 5, 1);
	assert_false(pic8259_intr_pending(f->pic));
	outb(f, MASTER_DATA, 0x02);
	outb(f, MASTER_CMD, OCW3_SET_SMM);
	assert_true(pic8259_intr_pending(f->pic));
	outb(f, MASTER_CMD, OCW3_CLEAR_SMM);
	assert_false(pic8259_intr_pending(f->pic));
}

static void test_isa_irq2_drives_irq9(void **state)
{
	struct fixture *f = *state;

	linux_init(f);
	irq(f, 2, 1);
	assert_int_equal(pic8259_ack(f->pic), 0x29);
	irq(f, 16, 1); /* out of range: ignored */
	irq(f, -1, 1);
	assert_false(pic8259_intr_pending(f->pic));
}

static void dummy_io(void *opaque, uint32_t offset, uint8_t *data, uint32_t len, bool is_write)
{
}

static void test_create_conflict_unwinds(void **state)
{
	struct io_bus *bus = io_bus_create();
	struct irq_line none = {0};
	uint8_t value;

	assert_int_equal(pio_register(bus, ELCR1, 1, dummy_io, NULL), 0);
	assert_null(pic8259_create(bus, none));
	assert_int_equal(errno, EBUSY);
	assert_false(pio_access(bus, MASTER_CMD, &value, 1, false));
	assert_false(pio_access(bus, SLAVE_CMD, &value, 1, false));
	io_bus_destroy(bus);
}

#define PIC_TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    PIC_TEST(test_power_on_everything_masked),
	    PIC_TEST(test_linux_init_irq0_gives_vector_0x20),
	    PIC_TEST(test_intr_line_transitions_are_reported_once),
	    PIC_TEST(test_imr_masks_request_but_irr_records_it),
	    PIC_TEST(test_fixed_priority_and_nesting),
	    PIC_TEST(test_specific_eoi_clears_named_level),
	    PIC_TEST(test_priority_rotation),
	    PIC_TEST(test_cascade_irq12_gives_slave_vector),
	    PIC_TEST(test_cascade_waits_for_master_eoi),
	    PIC_TEST(test_sfnm_lets_slave_nest),
	    PIC_TEST(test_edge_held_high_does_not_retrigger),
	    PIC_TEST(test_elcr_reserved_bits_read_zero),
	    PIC_TEST(test_elcr_level_retriggers_after_eoi),
	    PIC_TEST(test_icw1_ltim_makes_all_inputs_level),
	    PIC_TEST(test_reinit_requires_new_edge),
	    PIC_TEST(test_vanished_request_gives_spurious_irq7),
	    PIC_TEST(test_auto_eoi_leaves_isr_clear),
	    PIC_TEST(test_ocw3_selects_irr_or_isr_and_sticks),
	    PIC_TEST(test_poll_reads_level_and_acknowledges),
	    PIC_TEST(test_special_mask_mode_lets_lower_levels_in),
	    PIC_TEST(test_isa_irq2_drives_irq9),
	    PIC_TEST(test_create_conflict_unwinds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
