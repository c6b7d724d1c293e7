/*
 * test_io_dispatch.c - the port and MMIO dispatch tables: registration
 * errors, routing and offsets, the unclaimed-port policy, the legacy table.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "devices/devices.h"

/* What a fake device saw last. */
struct probe {
	int calls;
	uint32_t offset;
	uint32_t len;
	bool is_write;
	uint8_t written[4];
	uint8_t reply;
};

static void probe_io(void *opaque, uint32_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct probe *p = opaque;

	p->calls++;
	p->offset = offset;
	p->len = len;
	p->is_write = is_write;
	if (is_write)
		memcpy(p->written, data, len < 4 ? len : 4);
	else
		memset(data, p->reply, len);
}

static int bus_setup(void **state)
{
	*state = io_bus_create();
	return *state ? 0 : -1;
}

static int bus_teardown(void **state)
{
	io_bus_destroy(*state);
	return 0;
}

static void test_pio_unclaimed_reads_all_ones(void **state)
{
	struct io_bus *bus = *state;
	uint8_t data[4] = {0};

	assert_false(pio_access(bus, 0x2e, data, 1, false));
	assert_int_equal(data[0], 0xff);
	memset(data, 0, sizeof(data));
	assert_false(pio_access(bus, 0x4e, data, 4, false));
	assert_memory_equal(data, "\xff\xff\xff\xff", 4);
}

static void test_pio_unclaimed_write_is_ignored(void **state)
{
	struct io_bus *bus = *state;
	uint8_t data[2] = {0x12, 0x34};

	assert_false(pio_access(bus, 0x300, data, 2, true));
	assert_int_equal(data[0], 0x12); /* a write never has its data changed */
}

static void test_pio_claimed_access_reaches_handler_with_offset(void **state)
{
	struct io_bus *bus = *state;
	struct probe p = {.reply = 0x5a};
	uint8_t data = 0x77;

	assert_int_equal(pio_register(bus, 0x3f8, 8, probe_io, &p), 0);
	assert_true(pio_access(bus, 0x3fb, &data, 1, true));
	assert_int_equal(p.calls, 1);
	assert_int_equal(p.offset, 3);
	assert_true(p.is_write);
	assert_int_equal(p.written[0], 0x77);

	assert_true(pio_access(bus, 0x3f8, &data, 1, false));
	assert_int_equal(p.offset, 0);
	assert_false(p.is_write);
	assert_int_equal(data, 0x5a);
}

static void test_pio_wide_access_goes_whole_to_first_port(void **state)
{
	struct io_bus *bus = *state;
	struct probe low = {.reply = 0x11}, high = {.reply = 0x22};
	uint8_t data[4];

	assert_int_equal(pio_register(bus, 0x100, 2, probe_io, &low), 0);
	assert_int_equal(pio_register(bus, 0x102, 2, probe_io, &high), 0);
	/* Crosses from the first range into the second: the first gets all 4 bytes. */
	assert_true(pio_access(bus, 0x101, data, 4, false));
	assert_int_equal(low.calls, 1);
	assert_int_equal(low.offset, 1);
	assert_int_equal(low.len, 4);
	assert_int_equal(high.calls, 0);
	assert_memory_equal(data, "\x11\x11\x11\x11", 4);
}

static void test_pio_register_overlap_is_busy(void **state)
{
	struct io_bus *bus = *state;
	struct probe p = {0};

	assert_int_equal(pio_register(bus, 0x40, 4, probe_io, &p), 0);
	assert_int_equal(pio_register(bus, 0x43, 1, probe_io, &p), -EBUSY);    /* inside */
	assert_int_equal(pio_register(bus, 0x3e, 3, probe_io, &p), -EBUSY);    /* tail overlaps */
	assert_int_equal(pio_register(bus, 0x30, 0x20, probe_io, &p), -EBUSY); /* covers */
	assert_int_equal(pio_register(bus, 0x3c, 4, probe_io, &p), 0);	       /* adjacent below */
	assert_int_equal(pio_register(bus, 0x44, 4, probe_io, &p), 0);	       /* adjacent above */
}

static void test_pio_register_empty_or_wrapping_is_invalid(void **state)
{
	struct io_bus *bus = *state;
	struct probe p = {0};
	uint8_t data = 0;

	assert_int_equal(pio_register(bus, 0x80, 0, probe_io, &p), -EINVAL);
	assert_int_equal(pio_register(bus, 0xffff, 2, probe_io, &p), -EINVAL);
	assert_int_equal(pio_register(bus, 0xfff0, 0xffff, probe_io, &p), -EINVAL);
	/* The last port alone is fine, and nothing was claimed by the failures. */
	assert_int_equal(pio_register(bus, 0xffff, 1, probe_io, &p), 0);
	assert_false(pio_access(bus, 0x80, &data, 1, false));
}

static void test_pio_unregister_frees_ports_for_reuse(void **state)
{
	struct io_bus *bus = *state;
	struct probe a = {0}, b = {.reply = 0x42};
	uint8_t data = 0;

	assert_int_equal(pio_register(bus, 0x2f8, 8, probe_io, &a), 0);
	assert_int_equal(pio_unregister(bus, 0x2f9), -ENOENT); /* not the first port */
	assert_int_equal(pio_unregister(bus, 0x2f8), 0);
	assert_false(pio_access(bus, 0x2fc, &data, 1, false));
	assert_int_equal(data, 0xff);
	assert_int_equal(pio_register(bus, 0x2fc, 1, probe_io, &b), 0);
	assert_true(pio_access(bus, 0x2fc, &data, 1, false));
	assert_int_equal(data, 0x42);
	assert_int_equal(a.calls, 0);
}

static void test_mmio_unclaimed_returns_false_and_leaves_data(void **state)
{
	struct io_bus *bus = *state;
	uint8_t data[4] = {1, 2, 3, 4};

	assert_false(mmio_access(bus, 0xfee00000, data, 4, false));
	assert_memory_equal(data, "\x01\x02\x03\x04", 4);
	assert_false(mmio_is_claimed(bus, 0xfee00000));
}

static void test_mmio_ranges_found_whatever_the_insertion_order(void **state)
{
	struct io_bus *bus = *state;
	struct probe p[5] = {{0}};
	static const uint64_t bases[5] = {0xfec00000, 0xa0000, 0xfee00000, 0xd0000, 0xe0000000};
	uint8_t data;
	int i;

	for (i = 0; i < 5; i++) {
		p[i].reply = (uint8_t)i;
		assert_int_equal(mmio_register(bus, bases[i], 0x1000, probe_io, &p[i]), 0);
	}
	for (i = 0; i < 5; i++) {
		assert_true(mmio_access(bus, bases[i] + 0xfff, &data, 1, false));
		assert_int_equal(data, i);
		assert_int_equal(p[i].offset, 0xfff);
		assert_true(mmio_is_claimed(bus, bases[i]));
		assert_false(mmio_is_claimed(bus, bases[i] + 0x1000));
		assert_false(mmio_is_claimed(bus, bases[i] - 1));
	}
}

static void test_mmio_register_overlap_is_busy(void **state)
{
	struct io_bus *bus = *state;
	struct probe p = {0};

	assert_int_equal(mmio_register(bus, 0x10000, 0x1000, probe_io, &p), 0);
	assert_int_equal(mmio_register(bus, 0x10fff, 1, probe_io, &p), -EBUSY);
	assert_int_equal(mmio_register(bus, 0xf000, 0x1001, probe_io, &p), -EBUSY);
	assert_int_equal(mmio_register(bus, 0x0, 0x100000, probe_io, &p), -EBUSY);
	assert_int_equal(mmio_register(bus, 0xf000, 0x1000, probe_io, &p), 0);
	assert_int_equal(mmio_register(bus, 0x11000, 0x1000, probe_io, &p), 0);
}

static void test_mmio_register_empty_or_wrapping_is_invalid(void **state)
{
	struct io_bus *bus = *state;
	struct probe p = {0};

	assert_int_equal(mmio_register(bus, 0x1000, 0, probe_io, &p), -EINVAL);
	assert_int_equal(mmio_register(bus, UINT64_MAX, 2, probe_io, &p), -EINVAL);
	assert_int_equal(mmio_register(bus, UINT64_MAX - 0xfff, 0x1000, probe_io, &p), 0);
}

static void test_legacy_ports_claim_post_port_reading_all_ones(void **state)
{
	struct io_bus *bus = *state;
	struct probe p = {0};
	uint8_t data = 0x55;

	assert_int_equal(legacy_ports_register(bus), 0);
	assert_true(pio_access(bus, 0x80, &data, 1, true));
	assert_true(pio_access(bus, 0x80, &data, 1, false));
	assert_int_equal(data, 0xff);
	assert_int_equal(pio_register(bus, 0x80, 1, probe_io, &p), -EBUSY);
}

/* The ports that become real devices must stay free for them. */
static void test_legacy_ports_leave_device_ports_free(void **state)
{
	struct io_bus *bus = *state;
	static const uint16_t device_ports[] = {0x20, 0x21, 0xa0, 0xa1, 0x40, 0x41, 0x42, 0x43,
						0x60, 0x61, 0x64, 0x70, 0x71, 0x92, 0xe9, 0x3f8};
	struct probe p = {0};
	size_t i;

	assert_int_equal(legacy_ports_register(bus), 0);
	for (i = 0; i < sizeof(device_ports) / sizeof(device_ports[0]); i++)
		assert_int_equal(pio_register(bus, device_ports[i], 1, probe_io, &p), 0);
}

static void test_legacy_ports_conflict_unwinds_everything(void **state)
{
	struct io_bus *bus = *state;
	struct probe p = {.reply = 0x33};
	uint8_t data;

	assert_int_equal(pio_register(bus, 0xed, 1, probe_io, &p), 0);
	assert_int_equal(legacy_ports_register(bus), -EBUSY);
	assert_false(pio_access(bus, 0x80, &data, 1, false)); /* rows before the conflict undone */
	assert_true(pio_access(bus, 0xed, &data, 1, false));
	assert_int_equal(data, 0x33);
}

#define BUS_TEST(fn) cmocka_unit_test_setup_teardown(fn, bus_setup, bus_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    BUS_TEST(test_pio_unclaimed_reads_all_ones),
	    BUS_TEST(test_pio_unclaimed_write_is_ignored),
	    BUS_TEST(test_pio_claimed_access_reaches_handler_with_offset),
	    BUS_TEST(test_pio_wide_access_goes_whole_to_first_port),
	    BUS_TEST(test_pio_register_overlap_is_busy),
	    BUS_TEST(test_pio_register_empty_or_wrapping_is_invalid),
	    BUS_TEST(test_pio_unregister_frees_ports_for_reuse),
	    BUS_TEST(test_mmio_unclaimed_returns_false_and_leaves_data),
	    BUS_TEST(test_mmio_ranges_found_whatever_the_insertion_order),
	    BUS_TEST(test_mmio_register_overlap_is_busy),
	    BUS_TEST(test_mmio_register_empty_or_wrapping_is_invalid),
	    BUS_TEST(test_legacy_ports_claim_post_port_reading_all_ones),
	    BUS_TEST(test_legacy_ports_leave_device_ports_free),
	    BUS_TEST(test_legacy_ports_conflict_unwinds_everything),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
