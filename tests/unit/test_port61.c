/*
 * test_port61.c - system control port B (0x61) in front of PIT channel 2,
 * with the PIT's clock driven by the test: writable bits, GATE, OUT in bit
 * 5, and the refresh toggle in bit 4.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "devices/devices.h"

#define PORT61	    0x61
#define PIT_CH2	    0x42
#define PIT_CONTROL 0x43

#define REFRESH 0x10
#define OUT2	0x20

static uint64_t fake_now;

static uint64_t fake_clock(void)
{
	return fake_now;
}

struct fixture {
	struct io_bus *bus;
	struct pit8254 *pit;
	struct port61 *dev;
};

static int setup(void **state)
{
	static struct fixture f;
	struct irq_line none = {0};

	fake_now = 1000000000ull;
	f.bus = io_bus_create();
	f.pit = f.bus ? pit8254_create(f.bus, none) : NULL;
	if (!f.pit)
		return -1;
	pit8254_set_clock(f.pit, fake_clock);
	f.dev = port61_create(f.bus, f.pit);
	*state = &f;
	return f.dev ? 0 : -1;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	port61_destroy(f->dev);
	pit8254_destroy(f->pit);
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

static void test_low_nibble_reads_back_high_bits_read_only(void **state)
{
	struct fixture *f = *state;

	outb(f, PORT61, 0xfe);
	assert_int_equal(inb(f, PORT61) & 0xcf, 0x0e);
	outb(f, PORT61, 0x00);
	assert_int_equal(inb(f, PORT61) & 0xcf, 0x00);
}

static void test_refresh_bit_toggles_every_15us(void **state)
{
	struct fixture *f = *state;
	uint8_t first = inb(f, PORT61) & REFRESH;

	fake_now += 15085;
	assert_int_equal(inb(f, PORT61) & REFRESH, first ^ REFRESH);
	fake_now += 15085;
	assert_int_equal(inb(f, PORT61) & REFRESH, first);
}

/* Channel 2 in mode 0: OUT (bit 5) rises at terminal count, only while GATE (bit 0) is set. */
static void test_gate_and_out_of_channel2(void **state)
{
	struct fixture *f = *state;

	outb(f, PIT_CONTROL, 0xb0);
	outb(f, PIT_CH2, 100);
	outb(f, PIT_CH2, 0);
	fake_now += 1000000;
	assert_false(inb(f, PORT61) & OUT2); /* GATE low: not counting */
	outb(f, PORT61, 0x01);
	fake_now += 50000;
	assert_false(inb(f, PORT61) & OUT2);
	fake_now += 50000; /* 100 us > 100 ticks */
	assert_true(inb(f, PORT61) & OUT2);
}

#define P61_TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    P61_TEST(test_low_nibble_reads_back_high_bits_read_only),
	    P61_TEST(test_refresh_bit_toggles_every_15us),
	    P61_TEST(test_gate_and_out_of_channel2),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
