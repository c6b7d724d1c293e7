/*
 * test_mmio_testdev.c - the MMIO test device through the bus: scratch
 * registers start at 0 and read back at every width and alignment, the
 * access counter counts every access and ignores writes, the page and
 * nothing else is claimed.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "devices/devices.h"

#define BASE MMIO_TESTDEV_BASE

struct fixture {
	struct io_bus *bus;
	struct mmio_testdev *dev;
};

static int setup(void **state)
{
	static struct fixture f;

	memset(&f, 0, sizeof(f));
	f.bus = io_bus_create();
	f.dev = f.bus ? mmio_testdev_create(f.bus, BASE) : NULL;
	*state = &f;
	return f.dev ? 0 : -1;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	mmio_testdev_destroy(f->dev);
	io_bus_destroy(f->bus);
	return 0;
}

static uint32_t rd(struct fixture *f, uint32_t offset, uint32_t len)
{
	uint8_t data[4] = {0};
	uint32_t v = 0;

	assert_true(mmio_access(f->bus, BASE + offset, data, len, false));
	for (uint32_t i = 0; i < len; i++)
		v |= (uint32_t)data[i] << (8 * i);
	return v;
}

static void wr(struct fixture *f, uint32_t offset, uint32_t len, uint32_t v)
{
	uint8_t data[4];

	for (uint32_t i = 0; i < len; i++)
		data[i] = (uint8_t)(v >> (8 * i));
	assert_true(mmio_access(f->bus, BASE + offset, data, len, true));
}

static void test_scratch_starts_zero(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(rd(f, 0, 4), 0);
	assert_int_equal(rd(f, 0x7fe, 2), 0);
	assert_int_equal(rd(f, 0xfff, 1), 0);
}

static void test_scratch_reads_back_every_width(void **state)
{
	struct fixture *f = *state;

	wr(f, 0x10, 4, 0x11223344);
	assert_int_equal(rd(f, 0x10, 4), 0x11223344);
	assert_int_equal(rd(f, 0x10, 1), 0x44);
	assert_int_equal(rd(f, 0x11, 2), 0x2233);
	wr(f, 0x12, 1, 0xaa);
	assert_int_equal(rd(f, 0x10, 4), 0x11aa3344);
	wr(f, 0x21, 4, 0xcafef00d); /* unaligned */
	assert_int_equal(rd(f, 0x21, 4), 0xcafef00d);
	wr(f, 0xffc, 4, 0x01020304); /* last dword: beyond the counter */
	assert_int_equal(rd(f, 0xffc, 4), 0x01020304);
}

static void test_counter_counts_every_access(void **state)
{
	struct fixture *f = *state;
	uint32_t before = rd(f, MMIO_TESTDEV_COUNTER, 4);

	assert_int_equal(before, 1); /* the first access is this read */
	wr(f, 0, 1, 1);
	(void)rd(f, 0, 2);
	wr(f, 0x100, 4, 2);
	assert_int_equal(rd(f, MMIO_TESTDEV_COUNTER, 4), before + 4);
	assert_int_equal(rd(f, MMIO_TESTDEV_COUNTER, 1), (before + 5) & 0xff);
}

static void test_counter_ignores_writes(void **state)
{
	struct fixture *f = *state;

	wr(f, MMIO_TESTDEV_COUNTER, 4, 0xdeadbeef);
	assert_int_equal(rd(f, MMIO_TESTDEV_COUNTER, 4), 2);
	wr(f, MMIO_TESTDEV_COUNTER - 2, 4, 0x55667788); /* half scratch, half counter */
	assert_int_equal(rd(f, MMIO_TESTDEV_COUNTER - 2, 2), 0x7788);
	assert_int_equal(rd(f, MMIO_TESTDEV_COUNTER, 4), 5);
}

static void test_bytes_past_the_page_read_ones(void **state)
{
	struct fixture *f = *state;

	wr(f, 0xffe, 4, 0x99887766);
	assert_int_equal(rd(f, 0xffe, 4), 0xffff7766);
}

static void test_claims_its_page_only(void **state)
{
	struct fixture *f = *state;

	assert_false(mmio_is_claimed(f->bus, BASE - 1));
	assert_true(mmio_is_claimed(f->bus, BASE));
	assert_true(mmio_is_claimed(f->bus, BASE + MMIO_TESTDEV_SIZE - 1));
	assert_false(mmio_is_claimed(f->bus, BASE + MMIO_TESTDEV_SIZE));
}

static void test_second_device_on_same_page_fails(void **state)
{
	struct fixture *f = *state;

	assert_null(mmio_testdev_create(f->bus, BASE + 0x800));
	assert_int_equal(errno, EBUSY);
}

#define DEV_TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    DEV_TEST(test_scratch_starts_zero),
	    DEV_TEST(test_scratch_reads_back_every_width),
	    DEV_TEST(test_counter_counts_every_access),
	    DEV_TEST(test_counter_ignores_writes),
	    DEV_TEST(test_bytes_past_the_page_read_ones),
	    DEV_TEST(test_claims_its_page_only),
	    DEV_TEST(test_second_device_on_same_page_fails),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
