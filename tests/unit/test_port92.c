/*
 * test_port92.c - system control port A (0x92): fast A20 reads back, and
 * only a 0 -> 1 transition of bit 0 resets the machine.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "devices/devices.h"

#define PORT92 0x92

struct fixture {
	struct io_bus *bus;
	struct port92 *dev;
	int resets;
};

static void record_reset(void *opaque)
{
	struct fixture *f = opaque;

	f->resets++;
}

static int setup(void **state)
{
	static struct fixture f;

	memset(&f, 0, sizeof(f));
	f.bus = io_bus_create();
	f.dev = f.bus ? port92_create(f.bus, record_reset, &f) : NULL;
	*state = &f;
	return f.dev ? 0 : -1;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	port92_destroy(f->dev);
	io_bus_destroy(f->bus);
	return 0;
}

static void outb(struct fixture *f, uint8_t value)
{
	assert_true(pio_access(f->bus, PORT92, &value, 1, true));
}

static uint8_t inb(struct fixture *f)
{
	uint8_t value = 0;

	assert_true(pio_access(f->bus, PORT92, &value, 1, false));
	return value;
}

static void test_a20_on_at_power_on_and_reads_back(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(inb(f), 0x02);
	assert_true(port92_a20_enabled(f->dev));
	outb(f, 0x00);
	assert_int_equal(inb(f), 0x00);
	assert_false(port92_a20_enabled(f->dev));
	assert_int_equal(f->resets, 0);
}

static void test_fast_reset_on_rising_bit0_only(void **state)
{
	struct fixture *f = *state;

	outb(f, 0x03);
	assert_int_equal(f->resets, 1);
	outb(f, 0x03); /* still 1: no new transition */
	assert_int_equal(f->resets, 1);
	outb(f, 0x02);
	outb(f, 0x03);
	assert_int_equal(f->resets, 2);
}

static void test_create_without_reset_fails(void **state)
{
	struct io_bus *bus = io_bus_create();

	assert_null(port92_create(bus, NULL, NULL));
	assert_int_equal(errno, EINVAL);
	io_bus_destroy(bus);
}

#define P92_TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    P92_TEST(test_a20_on_at_power_on_and_reads_back),
	    P92_TEST(test_fast_reset_on_rising_bit0_only),
	    cmocka_unit_test(test_create_without_reset_fails),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
