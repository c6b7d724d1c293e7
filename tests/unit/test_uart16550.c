/*
 * test_uart16550.c - 16550A register behaviour through the port bus, checked
 * against the PC16550D datasheet: reset values, divisor latch, FIFOs and
 * trigger levels, IIR priorities, LSR, loopback and MSR, and the IRQ line.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "devices/devices.h"

#define COM1 0x3f8
enum { RBR, IER, IIR, LCR, MCR, LSR, MSR, SCR };
#define THR RBR
#define FCR IIR
#define DLL RBR
#define DLM IER

#define MCR_DTR	 0x01
#define MCR_RTS	 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10

struct fixture {
	struct io_bus *bus;
	struct console *con;
	struct uart16550 *uart;
	int in[2];  /* test writes in[1]: the host keyboard */
	int out[2]; /* test reads out[0]: the host screen */
	int levels[64];
	int nr_levels;
};

static void record_level(void *opaque, int num, int level)
{
	struct fixture *f = opaque;

	assert_int_equal(num, 4);
	assert_in_range(f->nr_levels, 0, 63);
	f->levels[f->nr_levels++] = level;
}

static int setup(void **state)
{
	static struct fixture f;
	struct irq_line irq = {.set_irq = record_level, .opaque = &f, .num = 4};

	memset(&f, 0, sizeof(f));
	if (pipe(f.in) < 0 || pipe(f.out) < 0)
		return -1;
	fcntl(f.out[0], F_SETFL, O_NONBLOCK);
	f.bus = io_bus_create();
	f.con = console_open(f.in[0], f.out[1], NULL);
	f.uart = uart16550_create(f.bus, COM1, irq, f.con);
	*state = &f;
	return f.bus && f.con && f.uart ? 0 : -1;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	io_bus_destroy(f->bus);
	uart16550_destroy(f->uart);
	console_close(f->con);
	close(f->in[0]);
	close(f->in[1]);
	close(f->out[0]);
	close(f->out[1]);
	return 0;
}

static uint8_t inb(struct fixture *f, int reg)
{
	uint8_t value = 0;

	assert_true(pio_access(f->bus, COM1 + reg, &value, 1, false));
	return value;
}

static void outb(struct fixture *f, int reg, uint8_t value)
{
	assert_true(pio_access(f->bus, COM1 + reg, &value, 1, true));
}

static void type_on_host(struct fixture *f, const char *s)
{
	assert_int_equal(write(f->in[1], s, strlen(s)), (ssize_t)strlen(s));
}

static int last_level(const struct fixture *f)
{
	return f->nr_levels ? f->levels[f->nr_levels - 1] : 0;
}

static void test_reset_registers_match_datasheet(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(inb(f, IER), 0x00);
	assert_int_equal(inb(f, IIR), 0x01); /* no interrupt, FIFOs off */
	assert_int_equal(inb(f, LCR), 0x00);
	assert_int_equal(inb(f, MCR), 0x00);
	assert_int_equal(inb(f, LSR), 0x60); /* THRE | TEMT */
	assert_int_equal(inb(f, MSR), 0xb0); /* DCD | DSR | CTS: host connected */
	assert_int_equal(f->nr_levels, 0);
}

static void test_scratch_register_holds_value(void **state)
{
	struct fixture *f = *state;

	outb(f, SCR, 0xa5);
	assert_int_equal(inb(f, SCR), 0xa5);
	outb(f, SCR, 0x5a);
	assert_int_equal(inb(f, SCR), 0x5a);
}

static void test_ier_upper_bits_read_zero(void **state)
{
	struct fixture *f = *state;

	outb(f, IER, 0xff);
	assert_int_equal(inb(f, IER), 0x0f);
	outb(f, IER, 0x00);
	assert_int_equal(inb(f, IER), 0x00);
}

static void test_divisor_latch_shadows_rbr_and_ier_when_dlab_set(void **state)
{
	struct fixture *f = *state;
	char c;

	outb(f, IER, 0x05);
	outb(f, LCR, 0x83);		     /* DLAB, 8N1 */
	assert_int_equal(inb(f, DLL), 0x0c); /* 9600 baud after reset */
	assert_int_equal(inb(f, DLM), 0x00);
	outb(f, DLL, 0x01); /* 115200 baud */
	outb(f, DLM, 0x02);
	assert_int_equal(inb(f, DLL), 0x01);
	assert_int_equal(inb(f, DLM), 0x02);
	assert_int_equal(read(f->out[0], &c, 1), -1); /* the DLL write sent nothing */

	outb(f, LCR, 0x03);
	assert_int_equal(inb(f, LCR), 0x03);
	assert_int_equal(inb(f, IER), 0x05); /* IER was not overwritten by DLM */
	outb(f, LCR, 0x83);
	assert_int_equal(inb(f, DLM), 0x02);
}

static void test_thr_write_reaches_console_and_thr_stays_empty(void **state)
{
	struct fixture *f = *state;
	char out[4] = {0};

	outb(f, THR, 'h');
	outb(f, THR, 'i');
	assert_int_equal(inb(f, LSR) & 0x60, 0x60);
	assert_int_equal(read(f->out[0], out, sizeof(out)), 2);
	assert_string_equal(out, "hi");
}

static void test_fcr_fifo_enable_sets_iir_bits_6_7(void **state)
{
	struct fixture *f = *state;

	outb(f, FCR, 0x01);
	assert_int_equal(inb(f, IIR), 0xc1);
	outb(f, FCR, 0x00);
	assert_int_equal(inb(f, IIR), 0x01);
	/* Linux's 16750 probe: IIR bit 5 stays 0 on a 16550A. */
	outb(f, FCR, 0x21);
	assert_int_equal(inb(f, IIR) & 0x30, 0);
}

static void test_rx_poll_delivers_host_bytes_in_order(void **state)
{
	struct fixture *f = *state;

	outb(f, FCR, 0x07);
	type_on_host(f, "abc");
	uart16550_poll(f->uart);
	assert_int_equal(inb(f, LSR) & 0x01, 0x01);
	assert_int_equal(inb(f, RBR), 'a');
	assert_int_equal(inb(f, RBR), 'b');
	assert_int_equal(inb(f, RBR), 'c');
	assert_int_equal(inb(f, LSR), 0x60);
}

/* A guest that never enables interrupts (or polls) must still see input. */
static void test_lsr_read_with_empty_fifo_polls_console(void **state)
{
	struct fixture *f = *state;

	type_on_host(f, "z");
	assert_int_equal(inb(f, LSR), 0x61);
	assert_int_equal(inb(f, RBR), 'z');
}

static void test_rbr_read_with_empty_fifo_polls_console(void **state)
{
	struct fixture *f = *state;

	type_on_host(f, "q");
	assert_int_equal(inb(f, RBR), 'q');
}

static void test_rx_fifo_holds_16_bytes_and_leaves_rest_on_host(void **state)
{
	struct fixture *f = *state;
	int i;

	outb(f, FCR, 0x01);
	type_on_host(f, "0123456789abcdefXY");
	uart16550_poll(f->uart);
	for (i = 0; i < 16; i++)
		assert_int_equal(inb(f, RBR), "0123456789abcdef"[i]);
	assert_int_equal(inb(f, LSR) & 0x03, 0x01); /* more waiting, no overrun */
	assert_int_equal(inb(f, RBR), 'X');
	assert_int_equal(inb(f, RBR), 'Y');
}

static void test_rda_interrupt_waits_for_trigger_level(void **state)
{
	struct fixture *f = *state;

	outb(f, FCR, 0x41); /* FIFO on, trigger 4 */
	outb(f, MCR, MCR_LOOP);
	outb(f, IER, 0x01);
	outb(f, THR, '1');
	outb(f, THR, '2');
	outb(f, THR, '3');
	assert_int_equal(inb(f, IIR), 0xc1);
	outb(f, THR, '4');
	assert_int_equal(inb(f, IIR), 0xc4);
	inb(f, RBR); /* below the trigger again: RDA clears */
	assert_int_equal(inb(f, IIR), 0xc1);
}

static void test_character_timeout_after_idle_poll_cleared_by_rbr_read(void **state)
{
	struct fixture *f = *state;

	outb(f, FCR, 0xc1); /* trigger 14 */
	outb(f, MCR, MCR_OUT2);
	outb(f, IER, 0x01);
	type_on_host(f, "ab");
	uart16550_poll(f->uart);
	assert_int_equal(inb(f, IIR), 0xcc);
	assert_int_equal(last_level(f), 1);
	assert_int_equal(inb(f, RBR), 'a');
	assert_int_equal(inb(f, IIR), 0xc1);
	assert_int_equal(last_level(f), 0);
	uart16550_poll(f->uart); /* still one byte, line idle: times out again */
	assert_int_equal(inb(f, IIR), 0xcc);
	assert_int_equal(inb(f, RBR), 'b');
	uart16550_poll(f->uart);
	assert_int_equal(inb(f, IIR), 0xc1);
}

static void test_fcr_rx_reset_empties_fifo(void **state)
{
	struct fixture *f = *state;

	outb(f, FCR, 0x01);
	outb(f, MCR, MCR_LOOP);
	outb(f, THR, 'x');
	assert_int_equal(inb(f, LSR) & 0x01, 0x01);
	outb(f, FCR, 0x03);
	assert_int_equal(inb(f, LSR) & 0x01, 0x00);
}

static void test_fifo_enable_change_empties_fifo(void **state)
{
	struct fixture *f = *state;

	outb(f, MCR, MCR_LOOP);
	outb(f, THR, 'x'); /* 16450 mode: one byte in RBR */
	assert_int_equal(inb(f, LSR) & 0x01, 0x01);
	outb(f, FCR, 0x01);
	assert_int_equal(inb(f, LSR) & 0x01, 0x00);
}

static void test_thre_interrupt_on_enable_cleared_by_iir_read(void **state)
{
	struct fixture *f = *state;

	outb(f, MCR, MCR_OUT2);
	outb(f, IER, 0x02);
	assert_int_equal(last_level(f), 1);
	assert_int_equal(inb(f, IIR), 0x02);
	assert_int_equal(last_level(f), 0);
	assert_int_equal(inb(f, IIR), 0x01); /* the read acknowledged it */
}

/* Each byte written gives the PIC a fresh rising edge (Linux's TX interrupt loop). */
static void test_thr_write_rearms_thre_with_new_edge(void **state)
{
	struct fixture *f = *state;
	int before;

	outb(f, MCR, MCR_OUT2);
	outb(f, IER, 0x02);
	inb(f, IIR);
	before = f->nr_levels;
	outb(f, THR, 'a');
	assert_int_equal(f->nr_levels, before + 1);
	assert_int_equal(last_level(f), 1);
	outb(f, THR, 'b'); /* still pending: the write drops the line, transmit raises it */
	assert_int_equal(f->nr_levels, before + 3);
	assert_int_equal(f->levels[before + 1], 0);
	assert_int_equal(last_level(f), 1);
	assert_int_equal(inb(f, IIR), 0x02);
}

/* Linux's UART_BUG_THRE check: IER off then on must re-assert THRE. */
static void test_thre_reasserted_when_etbei_reenabled(void **state)
{
	struct fixture *f = *state;

	outb(f, IER, 0x02);
	assert_int_equal(inb(f, IIR), 0x02);
	outb(f, IER, 0x00);
	outb(f, IER, 0x02);
	assert_int_equal(inb(f, IIR), 0x02);
}

static void test_irq_line_gated_by_out2(void **state)
{
	struct fixture *f = *state;

	outb(f, IER, 0x02);
	assert_int_equal(f->nr_levels, 0); /* pending, but OUT2 is off */
	outb(f, MCR, MCR_OUT2);
	assert_int_equal(last_level(f), 1);
	outb(f, MCR, 0);
	assert_int_equal(last_level(f), 0);
	assert_int_equal(inb(f, IIR), 0x02); /* still pending inside the UART */
}

static void test_overrun_in_fifo_mode_keeps_fifo_sets_oe(void **state)
{
	struct fixture *f = *state;
	int i;

	outb(f, FCR, 0x01);
	outb(f, MCR, MCR_LOOP);
	for (i = 0; i < 17; i++)
		outb(f, THR, (uint8_t)('A' + i));
	assert_int_equal(inb(f, LSR), 0x63); /* DR | OE | THRE | TEMT */
	assert_int_equal(inb(f, LSR), 0x61); /* reading LSR cleared OE */
	for (i = 0; i < 16; i++)
		assert_int_equal(inb(f, RBR), 'A' + i);
	assert_int_equal(inb(f, LSR) & 0x01, 0);
}

static void test_overrun_in_16450_mode_overwrites_rbr(void **state)
{
	struct fixture *f = *state;

	outb(f, MCR, MCR_LOOP);
	outb(f, THR, '1');
	outb(f, THR, '2');
	assert_int_equal(inb(f, LSR) & 0x03, 0x03);
	assert_int_equal(inb(f, RBR), '2');
	assert_int_equal(inb(f, LSR) & 0x03, 0x00);
}

static void test_iir_reports_sources_in_priority_order(void **state)
{
	struct fixture *f = *state;
	int i;

	outb(f, FCR, 0x01); /* trigger 1 */
	outb(f, MCR, MCR_LOOP);
	outb(f, IER, 0x0f);
	for (i = 0; i < 17; i++)
		outb(f, THR, 'x');	     /* overrun + data + THRE + modem deltas */
	assert_int_equal(inb(f, IIR), 0xc6); /* line status first */
	inb(f, LSR);
	assert_int_equal(inb(f, IIR), 0xc4); /* then received data */
	for (i = 0; i < 16; i++)
		inb(f, RBR);
	assert_int_equal(inb(f, IIR), 0xc2); /* then THR empty */
	assert_int_equal(inb(f, IIR), 0xc0); /* then modem status (loop set DSR etc.) */
	inb(f, MSR);
	assert_int_equal(inb(f, IIR), 0xc1);
}

/* Linux's 8250 probe: MCR = LOOP | OUT2 | RTS must read back MSR & 0xf0 == 0x90. */
static void test_loopback_msr_mirrors_mcr_outputs(void **state)
{
	struct fixture *f = *state;

	outb(f, MCR, MCR_LOOP | MCR_OUT2 | MCR_RTS);
	assert_int_equal(inb(f, MSR) & 0xf0, 0x90);
	outb(f, MCR, MCR_LOOP | MCR_DTR | MCR_OUT1);
	assert_int_equal(inb(f, MSR) & 0xf0, 0x60); /* DSR | RI */
	outb(f, MCR, MCR_LOOP | MCR_DTR | MCR_RTS | MCR_OUT1 | MCR_OUT2);
	assert_int_equal(inb(f, MSR) & 0xf0, 0xf0);
	outb(f, MCR, 0);
	assert_int_equal(inb(f, MSR) & 0xf0, 0xb0);
}

static void test_msr_deltas_set_on_change_cleared_by_read(void **state)
{
	struct fixture *f = *state;

	outb(f, MCR, MCR_LOOP | MCR_OUT1); /* DCD, DSR, CTS drop; RI rises */
	assert_int_equal(inb(f, MSR), 0x4b);
	assert_int_equal(inb(f, MSR), 0x40);
	outb(f, MCR, MCR_LOOP); /* RI falls: trailing edge */
	assert_int_equal(inb(f, MSR), 0x04);
	outb(f, MCR, MCR_LOOP | MCR_OUT1); /* RI rises: no TERI */
	assert_int_equal(inb(f, MSR), 0x40);
}

static void test_loopback_tx_goes_to_rx_not_console(void **state)
{
	struct fixture *f = *state;
	char c;

	outb(f, MCR, MCR_LOOP);
	outb(f, THR, 'L');
	assert_int_equal(read(f->out[0], &c, 1), -1);
	assert_int_equal(inb(f, RBR), 'L');
}

/* In loopback the serial input is cut: host typing waits for loopback to end. */
static void test_loopback_leaves_host_input_queued(void **state)
{
	struct fixture *f = *state;

	outb(f, MCR, MCR_LOOP);
	type_on_host(f, "k");
	uart16550_poll(f->uart);
	assert_int_equal(inb(f, LSR) & 0x01, 0);
	outb(f, MCR, 0);
	uart16550_poll(f->uart);
	assert_int_equal(inb(f, RBR), 'k');
}

/* The datasheet forces OUT2 inactive in loopback, which on a PC cuts the IRQ. */
static void test_loopback_masks_irq_line(void **state)
{
	struct fixture *f = *state;

	outb(f, MCR, MCR_OUT2);
	outb(f, IER, 0x02);
	assert_int_equal(last_level(f), 1);
	outb(f, MCR, MCR_OUT2 | MCR_LOOP);
	assert_int_equal(last_level(f), 0);
	assert_int_equal(inb(f, IIR), 0x02);
}

static void test_rx_interrupt_raises_and_lowers_irq(void **state)
{
	struct fixture *f = *state;

	outb(f, MCR, MCR_OUT2);
	outb(f, IER, 0x01);
	assert_int_equal(f->nr_levels, 0);
	type_on_host(f, "r");
	uart16550_poll(f->uart);
	assert_int_equal(f->nr_levels, 1);
	assert_int_equal(last_level(f), 1);
	assert_int_equal(inb(f, IIR), 0x04);
	assert_int_equal(inb(f, RBR), 'r');
	assert_int_equal(f->nr_levels, 2);
	assert_int_equal(last_level(f), 0);
}

static void test_wide_access_splits_into_byte_registers(void **state)
{
	struct fixture *f = *state;
	uint8_t data[2] = {0x03, 0x00}; /* LCR = 3, MCR = 0 */
	uint8_t back[2] = {0};

	assert_true(pio_access(f->bus, COM1 + LCR, data, 2, true));
	assert_true(pio_access(f->bus, COM1 + LCR, back, 2, false));
	assert_memory_equal(back, data, 2);
	assert_true(pio_access(f->bus, COM1 + SCR, back, 2, false));
	assert_int_equal(back[1], 0xff); /* past the last register */
}

static void test_no_console_discards_output_and_never_receives(void **state)
{
	struct io_bus *bus = io_bus_create();
	struct uart16550 *uart = uart16550_create(bus, 0x2f8, (struct irq_line){0}, NULL);
	uint8_t c = 'x';

	assert_non_null(uart);
	assert_true(pio_access(bus, 0x2f8, &c, 1, true));
	uart16550_poll(uart);
	assert_true(pio_access(bus, 0x2f8 + LSR, &c, 1, false));
	assert_int_equal(c, 0x60);
	assert_null(uart16550_create(bus, 0x2fc, (struct irq_line){0}, NULL));
	uart16550_destroy(uart);
	io_bus_destroy(bus);
}

#define UART_TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    UART_TEST(test_reset_registers_match_datasheet),
	    UART_TEST(test_scratch_register_holds_value),
	    UART_TEST(test_ier_upper_bits_read_zero),
	    UART_TEST(test_divisor_latch_shadows_rbr_and_ier_when_dlab_set),
	    UART_TEST(test_thr_write_reaches_console_and_thr_stays_empty),
	    UART_TEST(test_fcr_fifo_enable_sets_iir_bits_6_7),
	    UART_TEST(test_rx_poll_delivers_host_bytes_in_order),
	    UART_TEST(test_lsr_read_with_empty_fifo_polls_console),
	    UART_TEST(test_rbr_read_with_empty_fifo_polls_console),
	    UART_TEST(test_rx_fifo_holds_16_bytes_and_leaves_rest_on_host),
	    UART_TEST(test_rda_interrupt_waits_for_trigger_level),
	    UART_TEST(test_character_timeout_after_idle_poll_cleared_by_rbr_read),
	    UART_TEST(test_fcr_rx_reset_empties_fifo),
	    UART_TEST(test_fifo_enable_change_empties_fifo),
	    UART_TEST(test_thre_interrupt_on_enable_cleared_by_iir_read),
	    UART_TEST(test_thr_write_rearms_thre_with_new_edge),
	    UART_TEST(test_thre_reasserted_when_etbei_reenabled),
	    UART_TEST(test_irq_line_gated_by_out2),
	    UART_TEST(test_overrun_in_fifo_mode_keeps_fifo_sets_oe),
	    UART_TEST(test_overrun_in_16450_mode_overwrites_rbr),
	    UART_TEST(test_iir_reports_sources_in_priority_order),
	    UART_TEST(test_loopback_msr_mirrors_mcr_outputs),
	    UART_TEST(test_msr_deltas_set_on_change_cleared_by_read),
	    UART_TEST(test_loopback_tx_goes_to_rx_not_console),
	    UART_TEST(test_loopback_leaves_host_input_queued),
	    UART_TEST(test_loopback_masks_irq_line),
	    UART_TEST(test_rx_interrupt_raises_and_lowers_irq),
	    UART_TEST(test_wide_access_splits_into_byte_registers),
	    UART_TEST(test_no_console_discards_output_and_never_receives),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
