/*
 * test_pit8254.c - the 8254 through the port bus with a test-driven clock,
 * checked against the Intel 82C54 datasheet: counter values mid-period,
 * mode 0/2/3/4 OUT and periods, access modes, counter latch and read-back,
 * BCD, GATE, IRQ0 edges from pit8254_update() and pit8254_next_deadline(),
 * and Linux's TSC calibration loops on channel 2 through port 0x61.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "devices/devices.h"

#define PIT_CH0	    0x40
#define PIT_CH2	    0x42
#define PIT_CONTROL 0x43
#define PORT61	    0x61

#define PIT_HZ 1193182ull
#define T0     5000000000ull /* the clock at the start of each test: 5 s */

/* Control words: channel << 6 | access << 4 | mode << 1 | bcd. */
#define CW(ch, access, mode) (uint8_t)((ch) << 6 | (access) << 4 | (mode) << 1)
#define LATCH(ch)	     (uint8_t)((ch) << 6)
#define RW_LSB		     1
#define RW_MSB		     2
#define RW_WORD		     3

static uint64_t fake_now;

static uint64_t fake_clock(void)
{
	return fake_now;
}

/* The shortest time in which @ticks input-clock ticks pass. */
static uint64_t ticks_ns(uint64_t ticks)
{
	return (ticks * 1000000000ull + PIT_HZ - 1) / PIT_HZ;
}

/* The first clock time at which @ticks ticks have passed since T0. */
static uint64_t at_tick(uint64_t ticks)
{
	return T0 + ticks_ns(ticks);
}

struct fixture {
	struct io_bus *bus;
	struct pit8254 *pit;
	struct port61 *port61;
	int levels[64];
	int nr_levels;
};

static void record_irq0(void *opaque, int num, int level)
{
	struct fixture *f = opaque;

	assert_int_equal(num, 0);
	assert_in_range(f->nr_levels, 0, 63);
	f->levels[f->nr_levels++] = level;
}

/* Rising edges seen on IRQ0 so far. */
static int rising_edges(const struct fixture *f)
{
	int i, n = 0, prev = 0;

	for (i = 0; i < f->nr_levels; i++) {
		if (f->levels[i] && !prev)
			n++;
		prev = f->levels[i];
	}
	return n;
}

static int setup(void **state)
{
	static struct fixture f;
	struct irq_line irq0 = {.set_irq = record_irq0, .opaque = &f, .num = 0};

	memset(&f, 0, sizeof(f));
	fake_now = T0;
	f.bus = io_bus_create();
	f.pit = f.bus ? pit8254_create(f.bus, irq0) : NULL;
	if (!f.pit)
		return -1;
	pit8254_set_clock(f.pit, fake_clock);
	f.port61 = port61_create(f.bus, f.pit);
	*state = &f;
	return f.port61 ? 0 : -1;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	port61_destroy(f->port61);
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

static void program(struct fixture *f, int ch, int mode, uint16_t count)
{
	outb(f, PIT_CONTROL, CW(ch, RW_WORD, mode));
	outb(f, PIT_CH0 + ch, (uint8_t)count);
	outb(f, PIT_CH0 + ch, (uint8_t)(count >> 8));
}

static uint16_t read_word(struct fixture *f, int ch)
{
	uint8_t lsb = inb(f, PIT_CH0 + ch);

	return (uint16_t)(lsb | inb(f, PIT_CH0 + ch) << 8);
}

static uint16_t latched_count(struct fixture *f, int ch)
{
	outb(f, PIT_CONTROL, LATCH(ch));
	return read_word(f, ch);
}

/* Read-back: status only, of one channel. */
static uint8_t status_of(struct fixture *f, int ch)
{
	outb(f, PIT_CONTROL, (uint8_t)(0xe0 | 2 << ch));
	return inb(f, PIT_CH0 + ch);
}

static void test_mode2_counter_mid_period(void **state)
{
	struct fixture *f = *state;

	program(f, 0, 2, 1000);
	fake_now = at_tick(300);
	assert_int_equal(latched_count(f, 0), 700);
	fake_now = at_tick(1300); /* reloaded at 1000 */
	assert_int_equal(latched_count(f, 0), 700);
	fake_now = at_tick(1999);
	assert_int_equal(latched_count(f, 0), 1);
}

static void test_mode2_irq0_edges_and_deadline(void **state)
{
	struct fixture *f = *state;

	program(f, 0, 2, 1000); /* OUT goes high at the control word */
	assert_int_equal(rising_edges(f), 1);
	assert_int_equal(pit8254_next_deadline(f->pit), at_tick(1000));
	pit8254_update(f->pit, at_tick(1000) - 1);
	assert_int_equal(rising_edges(f), 1);
	pit8254_update(f->pit, at_tick(1000));
	assert_int_equal(rising_edges(f), 2);
	assert_int_equal(f->levels[f->nr_levels - 1], 1); /* left high between edges */
	assert_int_equal(pit8254_next_deadline(f->pit), at_tick(2000));
	pit8254_update(f->pit, at_tick(5500)); /* four periods late: one pulse */
	assert_int_equal(rising_edges(f), 3);
	assert_int_equal(pit8254_next_deadline(f->pit), at_tick(6000));
}

static void test_mode3_square_wave_out_and_period(void **state)
{
	struct fixture *f = *state;

	program(f, 0, 3, 100);
	assert_int_equal(pit8254_next_deadline(f->pit), at_tick(100));
	fake_now = at_tick(10);
	assert_true(status_of(f, 0) & 0x80);
	fake_now = at_tick(60);
	assert_false(status_of(f, 0) & 0x80);
	fake_now = at_tick(100);
	assert_true(status_of(f, 0) & 0x80);
	fake_now = at_tick(25);
	assert_int_equal(latched_count(f, 0), 50);		       /* counts down by two */
	assert_int_equal(pit8254_next_deadline(f->pit), at_tick(200)); /* edge 1 went at 100 */
}

static void test_latch_holds_until_read(void **state)
{
	struct fixture *f = *state;

	program(f, 0, 2, 1000);
	fake_now = at_tick(100);
	outb(f, PIT_CONTROL, LATCH(0));
	fake_now = at_tick(200);
	outb(f, PIT_CONTROL, LATCH(0)); /* ignored: the first latch is unread */
	assert_int_equal(read_word(f, 0), 900);
	assert_int_equal(read_word(f, 0), 800); /* released: live again */
}

static void test_readback_status_then_count(void **state)
{
	struct fixture *f = *state;

	outb(f, PIT_CONTROL, CW(0, RW_WORD, 2));
	assert_int_equal(status_of(f, 0), 0x40 | 0x80 | 0x34); /* null count, OUT high */
	outb(f, PIT_CH0, 0x00);
	outb(f, PIT_CH0, 0x10); /* 4096 */
	fake_now = at_tick(96);
	outb(f, PIT_CONTROL, 0xc2); /* count and status of channel 0 */
	assert_int_equal(inb(f, PIT_CH0), 0x80 | 0x34);
	assert_int_equal(read_word(f, 0), 4000);
}

static void test_mode0_terminal_count_raises_out_once(void **state)
{
	struct fixture *f = *state;

	program(f, 0, 0, 500);
	assert_int_equal(rising_edges(f), 0);
	fake_now = at_tick(499);
	assert_false(status_of(f, 0) & 0x80);
	assert_int_equal(pit8254_next_deadline(f->pit), at_tick(500));
	pit8254_update(f->pit, at_tick(500));
	assert_int_equal(rising_edges(f), 1);
	fake_now = at_tick(500);
	assert_true(status_of(f, 0) & 0x80);
	assert_int_equal(pit8254_next_deadline(f->pit), UINT64_MAX);
	fake_now = at_tick(600);
	pit8254_update(f->pit, fake_now);
	assert_int_equal(rising_edges(f), 1);
	assert_int_equal(latched_count(f, 0), 65536 - 100); /* wraps and keeps counting */
}

/* A new count in mode 0 drops OUT and starts a new one-shot. */
static void test_mode0_new_count_rearms(void **state)
{
	struct fixture *f = *state;

	program(f, 0, 0, 10);
	pit8254_update(f->pit, at_tick(10));
	assert_int_equal(rising_edges(f), 1);
	fake_now = at_tick(20);
	outb(f, PIT_CH0, 10);
	outb(f, PIT_CH0, 0);
	assert_int_equal(f->levels[f->nr_levels - 1], 0);
	assert_int_equal(pit8254_next_deadline(f->pit), fake_now + ticks_ns(10));
	pit8254_update(f->pit, fake_now + ticks_ns(10));
	assert_int_equal(rising_edges(f), 2);
}

/* Linux's oneshot clockevent: mode 4 (control word 0x38), IRQ0 once after the strobe. */
static void test_mode4_strobe_fires_once(void **state)
{
	struct fixture *f = *state;

	program(f, 0, 4, 100);
	assert_int_equal(rising_edges(f), 1); /* OUT high at the control word */
	assert_int_equal(pit8254_next_deadline(f->pit), at_tick(101));
	fake_now = at_tick(100);
	assert_false(status_of(f, 0) & 0x80); /* low for the one tick at terminal count */
	pit8254_update(f->pit, at_tick(101));
	assert_int_equal(rising_edges(f), 2);
	assert_int_equal(pit8254_next_deadline(f->pit), UINT64_MAX);
}

static void test_lsb_only_and_msb_only_access(void **state)
{
	struct fixture *f = *state;

	outb(f, PIT_CONTROL, CW(0, RW_LSB, 2));
	outb(f, PIT_CH0, 0x50);
	fake_now = at_tick(0x10);
	assert_int_equal(inb(f, PIT_CH0), 0x40);
	assert_int_equal(inb(f, PIT_CH0), 0x40); /* no flip-flop: LSB every time */
	fake_now = T0;
	outb(f, PIT_CONTROL, CW(0, RW_MSB, 2));
	outb(f, PIT_CH0, 0x02);
	assert_int_equal(pit8254_next_deadline(f->pit), at_tick(0x200));
	fake_now = at_tick(0x100);
	assert_int_equal(inb(f, PIT_CH0), 0x01);
}

static void test_count_zero_means_65536(void **state)
{
	struct fixture *f = *state;

	program(f, 0, 2, 0);
	assert_int_equal(pit8254_next_deadline(f->pit), at_tick(65536));
	fake_now = at_tick(1);
	assert_int_equal(latched_count(f, 0), 65535);
}

static void test_bcd_counts_in_decimal(void **state)
{
	struct fixture *f = *state;

	outb(f, PIT_CONTROL, CW(0, RW_WORD, 0) | 1);
	outb(f, PIT_CH0, 0x00);
	outb(f, PIT_CH0, 0x10); /* 1000 decimal */
	fake_now = at_tick(1);
	assert_int_equal(latched_count(f, 0), 0x0999);
	assert_int_equal(pit8254_next_deadline(f->pit), at_tick(1000));
}

/* An edge that came due is delivered before a reprogramming can lose it. */
static void test_port_access_delivers_due_edge_first(void **state)
{
	struct fixture *f = *state;

	program(f, 0, 2, 100);
	fake_now = at_tick(150);
	outb(f, PIT_CONTROL, CW(0, RW_WORD, 2));
	assert_int_equal(rising_edges(f), 2);
}

static void test_channel2_gate_pauses_mode0(void **state)
{
	struct fixture *f = *state;

	outb(f, PORT61, 0x01);
	program(f, 2, 0, 1000);
	fake_now = at_tick(100);
	outb(f, PORT61, 0x00);
	fake_now = at_tick(500);
	assert_int_equal(latched_count(f, 2), 900);
	outb(f, PORT61, 0x01);
	fake_now = at_tick(600);
	assert_int_equal(latched_count(f, 2), 800);
}

static void test_channel2_gate_low_never_counts(void **state)
{
	struct fixture *f = *state;

	program(f, 2, 0, 10);
	fake_now = at_tick(1000);
	assert_int_equal(latched_count(f, 2), 10);
	assert_false(inb(f, PORT61) & 0x20);
}

/*
 * arch/x86/kernel/tsc.c pit_calibrate_tsc(): gate on and speaker off through
 * 0x61, channel 2 in mode 0 with a 50 ms count, then poll 0x61 bit 5.
 */
static void test_linux_pit_calibrate_tsc_loop(void **state)
{
	struct fixture *f = *state;
	const uint16_t latch = (uint16_t)(PIT_HZ / (1000 / 50));
	unsigned long polls = 0;

	outb(f, PORT61, (uint8_t)((inb(f, PORT61) & ~0x02) | 0x01));
	outb(f, PIT_CONTROL, 0xb0);
	outb(f, PIT_CH2, (uint8_t)latch);
	outb(f, PIT_CH2, (uint8_t)(latch >> 8));
	while ((inb(f, PORT61) & 0x20) == 0) {
		fake_now += 1000; /* 1 us per poll */
		polls++;
		assert_true(polls < 100000);
	}
	assert_in_range(fake_now, at_tick(latch), at_tick(latch) + 1000);
	assert_int_equal(rising_edges(f), 0); /* channel 2 is not IRQ0 */
}

/*
 * quick_pit_calibrate(): channel 2 mode 0 from 0xffff, read LSB then MSB
 * without latching, and watch the MSB fall by one every 256 ticks.
 */
static void test_linux_quick_pit_calibrate_msb(void **state)
{
	struct fixture *f = *state;
	int i;

	outb(f, PORT61, (uint8_t)((inb(f, PORT61) & ~0x02) | 0x01));
	outb(f, PIT_CONTROL, 0xb0);
	outb(f, PIT_CH2, 0xff);
	outb(f, PIT_CH2, 0xff);
	for (i = 0; i < 8; i++) {
		fake_now = at_tick((uint64_t)i * 256 + 10);
		inb(f, PIT_CH2);
		assert_int_equal(inb(f, PIT_CH2), 0xff - i);
	}
}

#define PIT_TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    PIT_TEST(test_mode2_counter_mid_period),
	    PIT_TEST(test_mode2_irq0_edges_and_deadline),
	    PIT_TEST(test_mode3_square_wave_out_and_period),
	    PIT_TEST(test_latch_holds_until_read),
	    PIT_TEST(test_readback_status_then_count),
	    PIT_TEST(test_mode0_terminal_count_raises_out_once),
	    PIT_TEST(test_mode0_new_count_rearms),
	    PIT_TEST(test_mode4_strobe_fires_once),
	    PIT_TEST(test_lsb_only_and_msb_only_access),
	    PIT_TEST(test_count_zero_means_65536),
	    PIT_TEST(test_bcd_counts_in_decimal),
	    PIT_TEST(test_port_access_delivers_due_edge_first),
	    PIT_TEST(test_channel2_gate_pauses_mode0),
	    PIT_TEST(test_channel2_gate_low_never_counts),
	    PIT_TEST(test_linux_pit_calibrate_tsc_loop),
	    PIT_TEST(test_linux_quick_pit_calibrate_msb),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
