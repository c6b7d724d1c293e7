/*
 * test_cmos_rtc.c - the MC146818 RTC and CMOS RAM through the port bus with
 * a test-driven wall clock: BCD and binary, 12- and 24-hour formats, the NMI
 * bit, setting the time, UIP, registers A-D, and the BIOS memory-size bytes
 * and checksum for several RAM sizes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "devices/devices.h"

#define CMOS_INDEX 0x70
#define CMOS_DATA  0x71

#define SEC_NS 1000000000ull
/* 2024-02-29 13:45:07 UTC, a Thursday (day of week 5). */
#define THU_13_45_07 1709214307ull
#define HALF_SECOND  500000000ull

#define KIB 1024ull
#define MIB (1024 * KIB)
#define GIB (1024 * MIB)

static uint64_t fake_now;

static uint64_t fake_clock(void)
{
	return fake_now;
}

struct fixture {
	struct io_bus *bus;
	struct cmos_rtc *rtc;
};

static struct cmos_rtc *create(struct io_bus *bus, uint64_t ram_bytes)
{
	struct irq_line none = {0};
	struct cmos_rtc *rtc = cmos_rtc_create(bus, none, ram_bytes);

	if (rtc)
		cmos_rtc_set_clock(rtc, fake_clock);
	return rtc;
}

static int setup(void **state)
{
	static struct fixture f;

	fake_now = THU_13_45_07 * SEC_NS + HALF_SECOND;
	f.bus = io_bus_create();
	f.rtc = f.bus ? create(f.bus, 64 * MIB) : NULL;
	*state = &f;
	return f.rtc ? 0 : -1;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	cmos_rtc_destroy(f->rtc);
	io_bus_destroy(f->bus);
	return 0;
}

static uint8_t cmos_read_on(struct io_bus *bus, uint8_t index)
{
	uint8_t value = 0;

	assert_true(pio_access(bus, CMOS_INDEX, &index, 1, true));
	assert_true(pio_access(bus, CMOS_DATA, &value, 1, false));
	return value;
}

static uint8_t cmos_read(struct fixture *f, uint8_t index)
{
	return cmos_read_on(f->bus, index);
}

static void cmos_write(struct fixture *f, uint8_t index, uint8_t value)
{
	assert_true(pio_access(f->bus, CMOS_INDEX, &index, 1, true));
	assert_true(pio_access(f->bus, CMOS_DATA, &value, 1, true));
}

static uint16_t read16(struct io_bus *bus, uint8_t index)
{
	return (uint16_t)(cmos_read_on(bus, index) | cmos_read_on(bus, index + 1) << 8);
}

static void test_power_on_registers(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(cmos_read(f, 0x0a), 0x26);
	assert_int_equal(cmos_read(f, 0x0b), 0x02); /* 24-hour, BCD */
	assert_int_equal(cmos_read(f, 0x0d), 0x80); /* VRT: battery good */
	assert_int_equal(cmos_read(f, 0x0c), 0x00);
}

static void test_time_in_bcd_24h(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(cmos_read(f, 0x00), 0x07);
	assert_int_equal(cmos_read(f, 0x02), 0x45);
	assert_int_equal(cmos_read(f, 0x04), 0x13);
	assert_int_equal(cmos_read(f, 0x06), 0x05);
	assert_int_equal(cmos_read(f, 0x07), 0x29);
	assert_int_equal(cmos_read(f, 0x08), 0x02);
	assert_int_equal(cmos_read(f, 0x09), 0x24);
	assert_int_equal(cmos_read(f, 0x32), 0x20);
}

static void test_time_in_binary(void **state)
{
	struct fixture *f = *state;

	cmos_write(f, 0x0b, 0x06);
	assert_int_equal(cmos_read(f, 0x00), 7);
	assert_int_equal(cmos_read(f, 0x02), 45);
	assert_int_equal(cmos_read(f, 0x04), 13);
	assert_int_equal(cmos_read(f, 0x07), 29);
	assert_int_equal(cmos_read(f, 0x09), 24);
	assert_int_equal(cmos_read(f, 0x32), 20);
}

/* 12-hour mode: 1-12 with bit 7 for PM; midnight is 12 AM, noon 12 PM. */
static void test_twelve_hour_mode(void **state)
{
	struct fixture *f = *state;

	cmos_write(f, 0x0b, 0x00);
	assert_int_equal(cmos_read(f, 0x04), 0x81);
	cmos_write(f, 0x0b, 0x04); /* binary 12-hour */
	assert_int_equal(cmos_read(f, 0x04), 0x81);
	fake_now = (THU_13_45_07 - 13 * 3600 - 15 * 60) * SEC_NS; /* 00:30 */
	assert_int_equal(cmos_read(f, 0x04), 0x0c);
	fake_now += 12 * 3600 * SEC_NS; /* 12:30 */
	assert_int_equal(cmos_read(f, 0x04), 0x8c);
	cmos_write(f, 0x0b, 0x00);
	assert_int_equal(cmos_read(f, 0x04), 0x92);
}

static void test_nmi_bit_does_not_change_index(void **state)
{
	struct fixture *f = *state;
	uint8_t value;

	assert_false(cmos_rtc_nmi_disabled(f->rtc));
	assert_int_equal(cmos_read(f, 0x80 | 0x02), 0x45);
	assert_true(cmos_rtc_nmi_disabled(f->rtc));
	assert_int_equal(cmos_read(f, 0x02), 0x45);
	assert_false(cmos_rtc_nmi_disabled(f->rtc));
	assert_true(pio_access(f->bus, CMOS_INDEX, &value, 1, false));
	assert_int_equal(value, 0xff); /* the index port is write-only */
}

/* With SET the clock stops and can be written; clearing SET runs it from there. */
static void test_set_time_through_registers(void **state)
{
	struct fixture *f = *state;

	cmos_write(f, 0x0b, 0x82 | 0x10);
	assert_int_equal(cmos_read(f, 0x0b), 0x82); /* SET clears UIE */
	cmos_write(f, 0x04, 0x08);
	cmos_write(f, 0x09, 0x30);
	cmos_write(f, 0x00, 0x00);
	fake_now += 5 * SEC_NS;
	assert_int_equal(cmos_read(f, 0x00), 0x00); /* halted */
	cmos_write(f, 0x0b, 0x02);
	fake_now += 2 * SEC_NS;
	assert_int_equal(cmos_read(f, 0x00), 0x02);
	assert_int_equal(cmos_read(f, 0x04), 0x08);
	assert_int_equal(cmos_read(f, 0x09), 0x30);
	assert_int_equal(cmos_read(f, 0x07), 0x01); /* 2030 has no 29 February */
	assert_int_equal(cmos_read(f, 0x08), 0x03);
	assert_int_equal(cmos_read(f, 0x06), 0x06); /* 2030-03-01 is a Friday */
}

/*
 * Linux's mc146818_set_time() writes the day before the month: going from
 * 29 February to 31 January passes through "31 February", which must not
 * be normalized while SET holds the registers.
 */
static void test_set_date_passes_through_invalid_dates(void **state)
{
	struct fixture *f = *state;

	cmos_write(f, 0x0b, 0x82);
	cmos_write(f, 0x07, 0x31);
	assert_int_equal(cmos_read(f, 0x07), 0x31);
	cmos_write(f, 0x08, 0x01);
	cmos_write(f, 0x0b, 0x02);
	assert_int_equal(cmos_read(f, 0x07), 0x31);
	assert_int_equal(cmos_read(f, 0x08), 0x01);
	assert_int_equal(cmos_read(f, 0x09), 0x24);
	assert_int_equal(cmos_read(f, 0x06), 0x04); /* 2024-01-31 is a Wednesday */
}

static void test_uip_only_just_before_the_second(void **state)
{
	struct fixture *f = *state;

	assert_false(cmos_read(f, 0x0a) & 0x80);
	fake_now = THU_13_45_07 * SEC_NS + SEC_NS - 100000;
	assert_true(cmos_read(f, 0x0a) & 0x80);
	assert_int_equal(cmos_read(f, 0x00), 0x07);
	fake_now += 100000;
	assert_false(cmos_read(f, 0x0a) & 0x80);
	assert_int_equal(cmos_read(f, 0x00), 0x08);
	fake_now -= 100000;
	cmos_write(f, 0x0b, 0x82);
	assert_false(cmos_read(f, 0x0a) & 0x80); /* no updates while SET */
}

/* UF after each second, PF at the rate register A selects; reading C clears them. */
static void test_register_c_flags_clear_on_read(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(cmos_read(f, 0x0c), 0x00);
	cmos_write(f, 0x0a, 0x20); /* no periodic rate */
	fake_now += SEC_NS;
	assert_int_equal(cmos_read(f, 0x0c), 0x10);
	assert_int_equal(cmos_read(f, 0x0c), 0x00);
	cmos_write(f, 0x0a, 0x26);			   /* 1024 Hz */
	cmos_write(f, 0x0b, 0x02 | 0x40);		   /* PIE */
	fake_now += 2 * 976562;				   /* two periods */
	assert_int_equal(cmos_read(f, 0x0c), 0x80 | 0x40); /* IRQF | PF */
	assert_int_equal(cmos_read(f, 0x0c), 0x00);
}

static void test_registers_c_and_d_are_read_only(void **state)
{
	struct fixture *f = *state;

	cmos_write(f, 0x0d, 0x00);
	assert_int_equal(cmos_read(f, 0x0d), 0x80);
	cmos_write(f, 0x0c, 0xff);
	assert_int_equal(cmos_read(f, 0x0c), 0x00);
	cmos_write(f, 0x0a, 0xa6); /* UIP is read-only too */
	assert_int_equal(cmos_read(f, 0x0a), 0x26);
}

static void test_battery_ram_and_alarms_read_back(void **state)
{
	struct fixture *f = *state;

	cmos_write(f, 0x40, 0x5a);
	cmos_write(f, 0x7f, 0xa5);
	cmos_write(f, 0x01, 0x30);
	cmos_write(f, 0x0b, 0x02 | 0x20); /* AIE is stored */
	assert_int_equal(cmos_read(f, 0x40), 0x5a);
	assert_int_equal(cmos_read(f, 0x7f), 0xa5);
	assert_int_equal(cmos_read(f, 0x01), 0x30);
	assert_int_equal(cmos_read(f, 0x0b), 0x22);
}

static void check_checksum(struct io_bus *bus)
{
	unsigned int sum = 0, i;

	for (i = 0x10; i <= 0x2d; i++)
		sum += cmos_read_on(bus, (uint8_t)i);
	assert_int_equal(cmos_read_on(bus, 0x2e) << 8 | cmos_read_on(bus, 0x2f), sum & 0xffff);
}

struct mem_case {
	uint64_t ram;
	uint16_t base_kib, ext_kib, above_16m;
	uint32_t above_4g;
};

static void test_memory_size_bytes_and_checksum(void **state)
{
	static const struct mem_case cases[] = {
	    {512 * KIB, 512, 0, 0, 0},
	    {16 * MIB, 640, 15 * 1024, 0, 0},
	    {32 * MIB, 640, 31 * 1024, 256, 0},
	    {128 * MIB, 640, 0xffff, 1792, 0},
	    {8 * GIB, 640, 0xffff, 0xff00, 0x10000},
	};
	struct io_bus *bus;
	struct cmos_rtc *rtc;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bus = io_bus_create();
		rtc = create(bus, cases[i].ram);
		assert_non_null(rtc);
		assert_int_equal(read16(bus, 0x15), cases[i].base_kib);
		assert_int_equal(read16(bus, 0x17), cases[i].ext_kib);
		assert_int_equal(read16(bus, 0x30), cases[i].ext_kib);
		assert_int_equal(read16(bus, 0x34), cases[i].above_16m);
		assert_int_equal(read16(bus, 0x5b) | cmos_read_on(bus, 0x5d) << 16,
				 cases[i].above_4g);
		assert_int_equal(cmos_read_on(bus, 0x10), 0x00); /* no floppies */
		check_checksum(bus);
		cmos_rtc_destroy(rtc);
		io_bus_destroy(bus);
	}
}

#define RTC_TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    RTC_TEST(test_power_on_registers),
	    RTC_TEST(test_time_in_bcd_24h),
	    RTC_TEST(test_time_in_binary),
	    RTC_TEST(test_twelve_hour_mode),
	    RTC_TEST(test_nmi_bit_does_not_change_index),
	    RTC_TEST(test_set_time_through_registers),
	    RTC_TEST(test_set_date_passes_through_invalid_dates),
	    RTC_TEST(test_uip_only_just_before_the_second),
	    RTC_TEST(test_register_c_flags_clear_on_read),
	    RTC_TEST(test_registers_c_and_d_are_read_only),
	    RTC_TEST(test_battery_ram_and_alarms_read_back),
	    cmocka_unit_test(test_memory_size_bytes_and_checksum),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
