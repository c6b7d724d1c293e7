/*
 * test_i8042.c - the keyboard controller through the port bus: status
 * register, controller commands (self-test, command byte, interface tests,
 * port enables, output port, reset pulses), keyboard command replies, the
 * aux port with nothing plugged in, and the IRQ 1 / IRQ 12 lines.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "devices/devices.h"

#define DATA	0x60
#define COMMAND 0x64
#define STATUS	0x64

#define STAT_OBF     0x01
#define STAT_SYS     0x04
#define STAT_CMD     0x08
#define STAT_AUXB    0x20
#define STAT_TIMEOUT 0x40

struct fixture {
	struct io_bus *bus;
	struct i8042 *kbc;
	int resets;
	int levels[2][64]; /* [0]: IRQ 1, [1]: IRQ 12 */
	int nr_levels[2];
};

static void record_reset(void *opaque)
{
	struct fixture *f = opaque;

	f->resets++;
}

static void record_irq(void *opaque, int num, int level)
{
	struct fixture *f = opaque;
	int which = num == 12;

	assert_true(num == 1 || num == 12);
	assert_in_range(f->nr_levels[which], 0, 63);
	f->levels[which][f->nr_levels[which]++] = level;
}

static int setup(void **state)
{
	static struct fixture f;
	struct irq_line irq1 = {.set_irq = record_irq, .opaque = &f, .num = 1};
	struct irq_line irq12 = {.set_irq = record_irq, .opaque = &f, .num = 12};

	memset(&f, 0, sizeof(f));
	f.bus = io_bus_create();
	f.kbc = f.bus ? i8042_create(f.bus, irq1, record_reset, &f) : NULL;
	if (!f.kbc)
		return -1;
	i8042_set_aux_irq(f.kbc, irq12);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	i8042_destroy(f->kbc);
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

/* Linux's i8042_command(): the byte must be waiting (OBF) before 0x60 is read. */
static uint8_t read_reply(struct fixture *f)
{
	assert_true(inb(f, STATUS) & STAT_OBF);
	return inb(f, DATA);
}

static void assert_empty(struct fixture *f)
{
	assert_false(inb(f, STATUS) & STAT_OBF);
}

static uint8_t command_byte(struct fixture *f)
{
	outb(f, COMMAND, 0x20);
	return read_reply(f);
}

static void test_power_on_status_and_command_byte(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(inb(f, STATUS), 0x10 | STAT_SYS); /* unlocked, system flag */
	assert_int_equal(command_byte(f), 0x45);	   /* XLAT, SYS, keyboard IRQ */
	assert_empty(f);
}

static void test_self_test_returns_0x55(void **state)
{
	struct fixture *f = *state;

	outb(f, COMMAND, 0xaa);
	assert_true(inb(f, STATUS) & STAT_CMD);
	assert_int_equal(read_reply(f), 0x55);
	assert_empty(f);
}

static void test_write_command_byte(void **state)
{
	struct fixture *f = *state;

	outb(f, COMMAND, 0x60);
	outb(f, DATA, 0x70);
	assert_false(inb(f, STATUS) & STAT_CMD); /* A2: last write was data */
	assert_int_equal(command_byte(f), 0x70);
	assert_false(inb(f, STATUS) & STAT_SYS);
}

static void test_interface_tests_pass(void **state)
{
	struct fixture *f = *state;

	outb(f, COMMAND, 0xab);
	assert_int_equal(read_reply(f), 0x00);
	outb(f, COMMAND, 0xa9);
	assert_int_equal(read_reply(f), 0x00);
}

static void test_port_disable_enable_bits(void **state)
{
	struct fixture *f = *state;

	outb(f, COMMAND, 0xad);
	outb(f, COMMAND, 0xa7);
	assert_int_equal(command_byte(f), 0x45 | 0x10 | 0x20);
	outb(f, COMMAND, 0xae);
	assert_int_equal(command_byte(f), 0x45 | 0x20);
	outb(f, COMMAND, 0xa8);
	assert_int_equal(command_byte(f), 0x45);
}

static void test_output_port_a20_and_reset_line(void **state)
{
	struct fixture *f = *state;

	outb(f, COMMAND, 0xd0);
	assert_int_equal(read_reply(f), 0x03);
	assert_true(i8042_a20_enabled(f->kbc));
	outb(f, COMMAND, 0xd1);
	outb(f, DATA, 0x01); /* A20 off, reset line inactive */
	assert_false(i8042_a20_enabled(f->kbc));
	assert_int_equal(f->resets, 0);
	outb(f, COMMAND, 0xd0);
	assert_int_equal(read_reply(f), 0x01);
	outb(f, COMMAND, 0xd1);
	outb(f, DATA, 0x02); /* bit 0 low: reset */
	assert_int_equal(f->resets, 1);
}

static void test_pulse_0xfe_calls_reset(void **state)
{
	struct fixture *f = *state;

	outb(f, COMMAND, 0xff); /* pulses nothing */
	assert_int_equal(f->resets, 0);
	outb(f, COMMAND, 0xfe);
	assert_int_equal(f->resets, 1);
	assert_empty(f);
}

/* Reset: ACK then BAT OK, each its own IRQ 1 edge. */
static void test_keyboard_reset_replies_with_irq_edges(void **state)
{
	struct fixture *f = *state;

	outb(f, DATA, 0xff);
	assert_int_equal(f->nr_levels[0], 1);
	assert_int_equal(read_reply(f), 0xfa);
	assert_int_equal(f->nr_levels[0], 3); /* dropped, then up for the next byte */
	assert_int_equal(f->levels[0][1], 0);
	assert_int_equal(f->levels[0][2], 1);
	assert_int_equal(read_reply(f), 0xaa);
	assert_int_equal(f->levels[0][3], 0);
	assert_empty(f);
	assert_int_equal(f->nr_levels[1], 0);
}

static void test_keyboard_identify(void **state)
{
	struct fixture *f = *state;

	outb(f, DATA, 0xf2);
	assert_int_equal(read_reply(f), 0xfa);
	assert_int_equal(read_reply(f), 0xab);
	assert_int_equal(read_reply(f), 0x41); /* 0x83 through translation */
	outb(f, COMMAND, 0x60);
	outb(f, DATA, 0x05); /* translation off */
	outb(f, DATA, 0xf2);
	assert_int_equal(read_reply(f), 0xfa);
	assert_int_equal(read_reply(f), 0xab);
	assert_int_equal(read_reply(f), 0x83);
}

static void test_keyboard_commands_with_arguments(void **state)
{
	struct fixture *f = *state;

	outb(f, DATA, 0xed); /* LEDs */
	assert_int_equal(read_reply(f), 0xfa);
	outb(f, DATA, 0x07);
	assert_int_equal(read_reply(f), 0xfa);
	outb(f, DATA, 0xf0); /* scan code set: query */
	outb(f, DATA, 0x00);
	assert_int_equal(read_reply(f), 0xfa);
	assert_int_equal(read_reply(f), 0xfa);
	assert_int_equal(read_reply(f), 0x41); /* set 2, translated */
	outb(f, DATA, 0xf0);
	outb(f, DATA, 0x01);
	outb(f, DATA, 0xf0);
	outb(f, DATA, 0x00);
	inb(f, DATA);
	inb(f, DATA);
	inb(f, DATA);
	inb(f, DATA);
	assert_int_equal(read_reply(f), 0x43); /* set 1, translated */
	outb(f, DATA, 0xf4);
	assert_int_equal(read_reply(f), 0xfa);
	outb(f, DATA, 0xee);
	assert_int_equal(read_reply(f), 0xee); /* echo: no ACK */
	outb(f, DATA, 0x12);
	assert_int_equal(read_reply(f), 0xfe); /* not a command: resend */
	assert_empty(f);
}

static void test_irq1_follows_command_byte(void **state)
{
	struct fixture *f = *state;

	outb(f, COMMAND, 0x60);
	outb(f, DATA, 0x44); /* keyboard IRQ off */
	outb(f, DATA, 0xf4);
	assert_int_equal(f->nr_levels[0], 0);
	assert_true(inb(f, STATUS) & STAT_OBF);
	outb(f, COMMAND, 0x60);
	outb(f, DATA, 0x45);
	assert_int_equal(f->nr_levels[0], 1);
	assert_int_equal(f->levels[0][0], 1);
	assert_int_equal(inb(f, DATA), 0xfa);
	assert_int_equal(f->levels[0][1], 0);
}

/* Linux's AUX probe: the loopback byte comes back as aux data on IRQ 12. */
static void test_aux_loopback_raises_irq12(void **state)
{
	struct fixture *f = *state;

	outb(f, COMMAND, 0x60);
	outb(f, DATA, 0x47); /* aux IRQ on */
	outb(f, COMMAND, 0xd3);
	outb(f, DATA, 0xa5);
	assert_int_equal(inb(f, STATUS) & (STAT_OBF | STAT_AUXB), STAT_OBF | STAT_AUXB);
	assert_int_equal(f->nr_levels[1], 1);
	assert_int_equal(f->nr_levels[0], 0);
	assert_int_equal(inb(f, DATA), 0xa5);
	assert_int_equal(f->levels[1][1], 0);
}

static void test_aux_device_write_times_out(void **state)
{
	struct fixture *f = *state;

	outb(f, COMMAND, 0xd4);
	outb(f, DATA, 0xf2);
	assert_int_equal(inb(f, STATUS) & (STAT_OBF | STAT_AUXB | STAT_TIMEOUT),
			 STAT_OBF | STAT_AUXB | STAT_TIMEOUT);
	assert_int_equal(inb(f, DATA), 0xfe);
	assert_false(inb(f, STATUS) & STAT_TIMEOUT);
}

static void test_empty_buffer_rereads_last_byte(void **state)
{
	struct fixture *f = *state;

	outb(f, COMMAND, 0xaa);
	assert_int_equal(inb(f, DATA), 0x55);
	assert_int_equal(inb(f, DATA), 0x55);
	assert_empty(f);
}

#define KBC_TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    KBC_TEST(test_power_on_status_and_command_byte),
	    KBC_TEST(test_self_test_returns_0x55),
	    KBC_TEST(test_write_command_byte),
	    KBC_TEST(test_interface_tests_pass),
	    KBC_TEST(test_port_disable_enable_bits),
	    KBC_TEST(test_output_port_a20_and_reset_line),
	    KBC_TEST(test_pulse_0xfe_calls_reset),
	    KBC_TEST(test_keyboard_reset_replies_with_irq_edges),
	    KBC_TEST(test_keyboard_identify),
	    KBC_TEST(test_keyboard_commands_with_arguments),
	    KBC_TEST(test_irq1_follows_command_byte),
	    KBC_TEST(test_aux_loopback_raises_irq12),
	    KBC_TEST(test_aux_device_write_times_out),
	    KBC_TEST(test_empty_buffer_rereads_last_byte),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
