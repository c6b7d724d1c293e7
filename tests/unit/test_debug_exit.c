/*
 * test_debug_exit.c - the isa-debug-exit port (status (V << 1) | 1, any
 * width, any of its four ports) and the port 0xe9 debug console.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "devices/devices.h"

#define EXIT_PORT 0xf4

struct fixture {
	struct io_bus *bus;
	struct debug_exit *dev;
	int pipe[2];
	int exits;
	int status;
};

static void record_exit(void *opaque, int status)
{
	struct fixture *f = opaque;

	f->exits++;
	f->status = status;
}

static int setup(void **state)
{
	static struct fixture f;

	memset(&f, 0, sizeof(f));
	if (pipe(f.pipe) < 0)
		return -1;
	f.bus = io_bus_create();
	f.dev = debug_exit_create(f.bus, EXIT_PORT, record_exit, &f, f.pipe[1]);
	*state = &f;
	return f.bus && f.dev ? 0 : -1;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	io_bus_destroy(f->bus);
	debug_exit_destroy(f->dev);
	close(f->pipe[0]);
	close(f->pipe[1]);
	return 0;
}

static void outb(struct fixture *f, uint16_t port, uint8_t value)
{
	assert_true(pio_access(f->bus, port, &value, 1, true));
}

static void test_exit_byte_write_gives_status_v_shl_1_or_1(void **state)
{
	struct fixture *f = *state;

	outb(f, EXIT_PORT, 0x10);
	assert_int_equal(f->exits, 1);
	assert_int_equal(f->status, 0x21);
	outb(f, EXIT_PORT, 0);
	assert_int_equal(f->status, 1);
}

static void test_exit_wide_write_uses_whole_value(void **state)
{
	struct fixture *f = *state;
	uint8_t word[2] = {0x34, 0x12};
	uint8_t dword[4] = {0x78, 0x56, 0x34, 0x02};

	assert_true(pio_access(f->bus, EXIT_PORT, word, 2, true));
	assert_int_equal(f->status, (0x1234 << 1) | 1);
	assert_true(pio_access(f->bus, EXIT_PORT, dword, 4, true));
	assert_int_equal(f->status, (0x02345678 << 1) | 1);
	assert_int_equal(f->exits, 2);
}

static void test_exit_any_of_four_ports_exits(void **state)
{
	struct fixture *f = *state;
	uint8_t value = 3;

	outb(f, EXIT_PORT + 3, 3);
	assert_int_equal(f->status, 7);
	assert_false(pio_access(f->bus, EXIT_PORT + 4, &value, 1, true));
	assert_int_equal(f->exits, 1);
}

static void test_exit_port_reads_all_ones_without_exiting(void **state)
{
	struct fixture *f = *state;
	uint8_t data[4] = {0};

	assert_true(pio_access(f->bus, EXIT_PORT, data, 4, false));
	assert_memory_equal(data, "\xff\xff\xff\xff", 4);
	assert_int_equal(f->exits, 0);
}

static void test_debugcon_writes_bytes_to_fd(void **state)
{
	struct fixture *f = *state;
	uint8_t wide[2] = {'!', 'X'};
	char out[8] = {0};

	outb(f, 0xe9, 'o');
	outb(f, 0xe9, 'k');
	assert_true(pio_access(f->bus, 0xe9, wide, 2, true)); /* only the low byte is a char */
	assert_int_equal(read(f->pipe[0], out, sizeof(out)), 3);
	assert_string_equal(out, "ok!");
}

static void test_debugcon_reads_back_0xe9(void **state)
{
	struct fixture *f = *state;
	uint8_t data = 0;

	assert_true(pio_access(f->bus, 0xe9, &data, 1, false));
	assert_int_equal(data, 0xe9);
}

static void test_debugcon_without_fd_discards(void **state)
{
	struct io_bus *bus = io_bus_create();
	struct fixture f = {0};
	struct debug_exit *dev = debug_exit_create(bus, 0x501, record_exit, &f, -1);
	uint8_t c = 'x';

	assert_non_null(dev);
	assert_true(pio_access(bus, 0xe9, &c, 1, true));
	debug_exit_destroy(dev);
	io_bus_destroy(bus);
}

/* A clash on the second range must not leave the first one claimed. */
static void test_create_conflict_fails_and_unwinds(void **state)
{
	struct fixture *f = *state;
	struct io_bus *bus = io_bus_create();
	struct debug_exit *first = debug_exit_create(bus, 0x501, record_exit, f, -1);
	struct debug_exit *second;
	uint8_t data;

	assert_non_null(first);
	second = debug_exit_create(bus, 0x600, record_exit, f, -1); /* 0xe9 is taken */
	assert_null(second);
	assert_int_equal(errno, EBUSY);
	assert_false(pio_access(bus, 0x600, &data, 1, false));
	assert_null(debug_exit_create(bus, 0x503, record_exit, f, -1)); /* overlaps 0x501-0x504 */
	debug_exit_destroy(first);
	io_bus_destroy(bus);
}

#define DEV_TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    DEV_TEST(test_exit_byte_write_gives_status_v_shl_1_or_1),
	    DEV_TEST(test_exit_wide_write_uses_whole_value),
	    DEV_TEST(test_exit_any_of_four_ports_exits),
	    DEV_TEST(test_exit_port_reads_all_ones_without_exiting),
	    DEV_TEST(test_debugcon_writes_bytes_to_fd),
	    DEV_TEST(test_debugcon_reads_back_0xe9),
	    DEV_TEST(test_debugcon_without_fd_discards),
	    DEV_TEST(test_create_conflict_fails_and_unwinds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
