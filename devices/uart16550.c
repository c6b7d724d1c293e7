/*
 * uart16550.c - 16550A UART with 16-byte FIFOs (a PC's COM port) in front of
 * the host console. Follows the National Semiconductor PC16550D datasheet;
 * register and bit names are the datasheet's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/devices.h"

/* Register offsets from the base port (datasheet Table II). */
#define UART_RBR      0 /* read, DLAB=0: receiver buffer */
#define UART_THR      0 /* write, DLAB=0: transmitter holding */
#define UART_DLL      0 /* DLAB=1: divisor latch, low byte */
#define UART_IER      1 /* DLAB=0: interrupt enable */
#define UART_DLM      1 /* DLAB=1: divisor latch, high byte */
#define UART_IIR      2 /* read: interrupt identification */
#define UART_FCR      2 /* write: FIFO control */
#define UART_LCR      3 /* line control */
#define UART_MCR      4 /* modem control */
#define UART_LSR      5 /* line status */
#define UART_MSR      6 /* modem status */
#define UART_SCR      7 /* scratch */
#define UART_NR_PORTS 8

#define IER_ERBFI 0x01 /* received data available (and character timeout) */
#define IER_ETBEI 0x02 /* transmitter holding register empty */
#define IER_ELSI  0x04 /* receiver line status */
#define IER_EDSSI 0x08 /* modem status */
#define IER_MASK  0x0f /* bits 4-7 are always 0 (Linux probes this) */

/* IIR bits 0-3, highest priority first. Bit 0 clear means "interrupt pending". */
#define IIR_NO_INT  0x01
#define IIR_RLS	    0x06 /* receiver line status: OE, PE, FE or BI */
#define IIR_RDA	    0x04 /* received data reached the trigger level */
#define IIR_CTI	    0x0c /* character timeout: data waiting below the trigger level */
#define IIR_THRE    0x02 /* transmitter holding register empty */
#define IIR_MS	    0x00 /* modem status changed */
#define IIR_FIFO_ON 0xc0 /* bits 6-7: both set while FCR0 is set */

#define FCR_FIFO_ENABLE	 0x01
#define FCR_RX_RESET	 0x02 /* self-clearing */
#define FCR_TX_RESET	 0x04 /* self-clearing */
#define FCR_DMA_MODE	 0x08
#define FCR_TRIGGER_MASK 0xc0 /* RX trigger level: 1, 4, 8 or 14 bytes */

#define LCR_DLAB 0x80 /* divisor latch access */

#define MCR_DTR	 0x01
#define MCR_RTS	 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08 /* on a PC, enables the UART's IRQ onto the ISA bus */
#define MCR_LOOP 0x10
#define MCR_MASK 0x1f

#define LSR_DR	   0x01 /* data ready */
#define LSR_OE	   0x02 /* overrun error */
#define LSR_PE	   0x04 /* parity error */
#define LSR_FE	   0x08 /* framing error */
#define LSR_BI	   0x10 /* break interrupt */
#define LSR_THRE   0x20 /* transmitter holding register (or TX FIFO) empty */
#define LSR_TEMT   0x40 /* transmitter entirely empty */
#define LSR_ERRORS (LSR_OE | LSR_PE | LSR_FE | LSR_BI)

#define MSR_DCTS   0x01 /* delta CTS */
#define MSR_DDSR   0x02 /* delta DSR */
#define MSR_TERI   0x04 /* trailing edge of RI */
#define MSR_DDCD   0x08 /* delta DCD */
#define MSR_CTS	   0x10
#define MSR_DSR	   0x20
#define MSR_RI	   0x40
#define MSR_DCD	   0x80
#define MSR_DELTAS 0x0f
/* Outside loopback the host terminal is a connected, ready modem. */
#define MSR_HOST_LINES (MSR_DCD | MSR_DSR | MSR_CTS)

#define UART_FIFO_SIZE 16
#define DIVISOR_9600   12 /* 1.8432 MHz / (16 * 9600) */
/*
 * An LSR read with the RX FIFO empty polls the console so that a guest that
 * polls LSR without interrupts still sees input; but guests also spin on LSR
 * for THRE before every byte they print, and a read() per spin would put a
 * syscall on that path. So only every Nth such read asks the host.
 */
#define EMPTY_READS_PER_POLL 32

struct rx_fifo {
	uint8_t data[UART_FIFO_SIZE];
	uint8_t head;
	uint8_t count;
};

struct uart16550 {
	struct irq_line irq;
	struct console *con;
	struct rx_fifo rx;
	uint8_t ier, fcr, lcr, mcr, scr;
	uint8_t lsr_errors; /* OE/PE/FE/BI, cleared by reading LSR */
	uint8_t msr;	    /* modem lines in bits 4-7, deltas in bits 0-3 */
	uint8_t last_rbr;   /* what RBR reads when nothing was received */
	uint16_t divisor;
	bool thre_pending;    /* THRE interrupt: set when THR empties, cleared by IIR read */
	bool timeout_pending; /* the line went idle with data below the trigger level */
	int irq_level;
	unsigned int empty_reads;
};

static bool fifo_mode(const struct uart16550 *uart)
{
	return uart->fcr & FCR_FIFO_ENABLE;
}

/* Without FIFOs (16450 mode) the receiver holds one byte. */
static unsigned int rx_capacity(const struct uart16550 *uart)
{
	return fifo_mode(uart) ? UART_FIFO_SIZE : 1;
}

static unsigned int rx_trigger_level(const struct uart16550 *uart)
{
	static const uint8_t levels[4] = {1, 4, 8, 14};

	return fifo_mode(uart) ? levels[uart->fcr >> 6] : 1;
}

static void rx_reset(struct uart16550 *uart)
{
	uart->rx.head = 0;
	uart->rx.count = 0;
	uart->timeout_pending = false;
}

/*
 * A received character. When the receiver is full it is an overrun (OE): in
 * FIFO mode the new character is lost and the FIFO kept; in 16450 mode it
 * overwrites the unread one in RBR.
 */
static void rx_push(struct uart16550 *uart, uint8_t byte)
{
	struct rx_fifo *rx = &uart->rx;

	uart->timeout_pending = false; /* a character arrived: the timeout clock restarts */
	if (rx->count < rx_capacity(uart)) {
		rx->data[(rx->head + rx->count) % UART_FIFO_SIZE] = byte;
		rx->count++;
		return;
	}
	uart->lsr_errors |= LSR_OE;
	if (!fifo_mode(uart))
		rx->data[rx->head] = byte;
}

static uint8_t rx_pop(struct uart16550 *uart)
{
	struct rx_fifo *rx = &uart->rx;

	if (rx->count) {
		uart->last_rbr = rx->data[rx->head];
		rx->head = (rx->head + 1) % UART_FIFO_SIZE;
		rx->count--;
	}
	return uart->last_rbr;
}

/* The highest-priority pending interrupt, as IIR bits 0-3 (datasheet Table IV). */
static uint8_t pending_interrupt(const struct uart16550 *uart)
{
	if ((uart->ier & IER_ELSI) && uart->lsr_errors)
		return IIR_RLS;
	if ((uart->ier & IER_ERBFI) && uart->rx.count) {
		if (uart->rx.count >= rx_trigger_level(uart))
			return IIR_RDA;
		if (uart->timeout_pending)
			return IIR_CTI;
	}
	if ((uart->ier & IER_ETBEI) && uart->thre_pending)
		return IIR_THRE;
	if ((uart->ier & IER_EDSSI) && (uart->msr & MSR_DELTAS))
		return IIR_MS;
	return IIR_NO_INT;
}

/*
 * On a PC the UART's INTRPT pin reaches the PIC only through a buffer enabled
 * by OUT2. In loopback the datasheet forces the OUT pins inactive, so the IRQ
 * is cut off then too, whatever MCR says.
 */
static void update_irq(struct uart16550 *uart)
{
	bool wired = (uart->mcr & (MCR_OUT2 | MCR_LOOP)) == MCR_OUT2;
	int level = wired && pending_interrupt(uart) != IIR_NO_INT;

	if (level != uart->irq_level) {
		uart->irq_level = level;
		irq_set_level(&uart->irq, level);
	}
}

/* Move console input into the receiver while it has room. Not in loopback: the line is cut. */
static void pull_input(struct uart16550 *uart)
{
	uint8_t byte;

	if (!uart->con || (uart->mcr & MCR_LOOP))
		return;
	while (uart->rx.count < rx_capacity(uart) && console_getc(uart->con, &byte)) {
		rx_push(uart, byte);
		uart->empty_reads = 0;
	}
}

static void pull_input_on_empty_read(struct uart16550 *uart)
{
	if (uart->rx.count == 0 && uart->empty_reads++ % EMPTY_READS_PER_POLL == 0)
		pull_input(uart);
}

/*
 * The real character timeout is "no character in or out of the FIFO for four
 * character times". We have no character times, only polls: a poll that
 * finds the host idle while data sits below the trigger level is the timeout.
 */
void uart16550_poll(struct uart16550 *uart)
{
	if (uart->con)
		console_poll(uart->con);
	pull_input(uart);
	if (fifo_mode(uart) && uart->rx.count)
		uart->timeout_pending = true;
	update_irq(uart);
}

/* Modem lines as the receiver sees them: the host's, or MCR's own in loopback. */
static uint8_t modem_lines(uint8_t mcr)
{
	uint8_t lines = 0;

	if (!(mcr & MCR_LOOP))
		return MSR_HOST_LINES;
	if (mcr & MCR_RTS)
		lines |= MSR_CTS;
	if (mcr & MCR_DTR)
		lines |= MSR_DSR;
	if (mcr & MCR_OUT1)
		lines |= MSR_RI;
	if (mcr & MCR_OUT2)
		lines |= MSR_DCD;
	return lines;
}

static void write_mcr(struct uart16550 *uart, uint8_t value)
{
	uint8_t old = uart->msr & ~MSR_DELTAS, new;
	uint8_t changed;

	uart->mcr = value & MCR_MASK;
	new = modem_lines(uart->mcr);
	changed = old ^ new;
	if (changed & MSR_CTS)
		uart->msr |= MSR_DCTS;
	if (changed & MSR_DSR)
		uart->msr |= MSR_DDSR;
	if ((old & MSR_RI) && !(new &MSR_RI))
		uart->msr |= MSR_TERI; /* trailing edge only */
	if (changed & MSR_DCD)
		uart->msr |= MSR_DDCD;
	uart->msr = (uart->msr & MSR_DELTAS) | new;
}

/*
 * Transmission is instant: the byte leaves THR, so THR is empty again and the
 * THRE interrupt re-arms at once. Dropping it first gives the PIC the falling
 * and rising edge a real UART would produce a character time apart.
 */
static void write_thr(struct uart16550 *uart, uint8_t byte)
{
	uart->thre_pending = false;
	update_irq(uart);
	if (uart->mcr & MCR_LOOP)
		rx_push(uart, byte);
	else if (uart->con)
		console_putc(uart->con, byte);
	uart->thre_pending = true;
}

/* Enabling ETBEI while THR is empty interrupts at once; Linux tests for this (UART_BUG_TXEN). */
static void write_ier(struct uart16550 *uart, uint8_t value)
{
	uint8_t enabled = (uint8_t)(value & ~uart->ier);

	uart->ier = value & IER_MASK;
	if (enabled & IER_ETBEI)
		uart->thre_pending = true;
}

/*
 * FCR0 must be set for the other bits to take effect, and any change of FCR0
 * clears both FIFOs. The TX FIFO is always empty here, so TX reset is a no-op.
 */
static void write_fcr(struct uart16550 *uart, uint8_t value)
{
	if ((value ^ uart->fcr) & FCR_FIFO_ENABLE)
		rx_reset(uart);
	if (!(value & FCR_FIFO_ENABLE)) {
		uart->fcr = 0;
		return;
	}
	if (value & FCR_RX_RESET)
		rx_reset(uart);
	uart->fcr = value & (FCR_FIFO_ENABLE | FCR_DMA_MODE | FCR_TRIGGER_MASK);
}

static void uart_write(struct uart16550 *uart, uint32_t offset, uint8_t value)
{
	bool dlab = uart->lcr & LCR_DLAB;

	switch (offset) {
	case UART_THR: /* or DLL */
		if (dlab)
			uart->divisor = (uart->divisor & 0xff00) | value;
		else
			write_thr(uart, value);
		break;
	case UART_IER: /* or DLM */
		if (dlab)
			uart->divisor = (uint16_t)((uart->divisor & 0x00ff) | (value << 8));
		else
			write_ier(uart, value);
		break;
	case UART_FCR:
		write_fcr(uart, value);
		break;
	case UART_LCR:
		uart->lcr = value;
		break;
	case UART_MCR:
		write_mcr(uart, value);
		break;
	case UART_SCR:
		uart->scr = value;
		break;
	default: /* LSR and MSR are read-only */
		break;
	}
}

/* Reading IIR acknowledges a THRE interrupt, and only that one. */
static uint8_t read_iir(struct uart16550 *uart)
{
	uint8_t iir = pending_interrupt(uart);

	if (iir == IIR_THRE)
		uart->thre_pending = false;
	return iir | (fifo_mode(uart) ? IIR_FIFO_ON : 0);
}

/* Reading LSR reports and clears the error bits (and so the RLS interrupt). */
static uint8_t read_lsr(struct uart16550 *uart)
{
	uint8_t lsr = uart->lsr_errors | LSR_THRE | LSR_TEMT;

	pull_input_on_empty_read(uart);
	if (uart->rx.count)
		lsr |= LSR_DR;
	uart->lsr_errors = 0;
	return lsr;
}

/* Reading MSR clears the delta bits (and so the modem status interrupt). */
static uint8_t read_msr(struct uart16550 *uart)
{
	uint8_t msr = uart->msr;

	uart->msr &= ~MSR_DELTAS;
	return msr;
}

/* A read of the receiver restarts the timeout clock and clears a timeout interrupt. */
static uint8_t read_rbr(struct uart16550 *uart)
{
	if (uart->rx.count == 0)
		pull_input(uart);
	uart->timeout_pending = false;
	return rx_pop(uart);
}

static uint8_t uart_read(struct uart16550 *uart, uint32_t offset)
{
	bool dlab = uart->lcr & LCR_DLAB;

	switch (offset) {
	case UART_RBR: /* or DLL */
		return dlab ? (uint8_t)uart->divisor : read_rbr(uart);
	case UART_IER: /* or DLM */
		return dlab ? (uint8_t)(uart->divisor >> 8) : uart->ier;
	case UART_IIR:
		return read_iir(uart);
	case UART_LCR:
		return uart->lcr;
	case UART_MCR:
		return uart->mcr;
	case UART_LSR:
		return read_lsr(uart);
	case UART_MSR:
		return read_msr(uart);
	default:
		return uart->scr;
	}
}

/*
 * The 16550 is an 8-bit device: a wider access is split into byte accesses
 * at consecutive offsets, as the ISA bus does; bytes past the last register
 * read as all ones.
 */
static void uart_io(void *opaque, uint32_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct uart16550 *uart = opaque;
	uint32_t i;

	for (i = 0; i < len; i++) {
		if (offset + i >= UART_NR_PORTS) {
			if (!is_write)
				data[i] = 0xff;
		} else if (is_write) {
			uart_write(uart, offset + i, data[i]);
		} else {
			data[i] = uart_read(uart, offset + i);
		}
	}
	update_irq(uart);
}

/* Power-on state (datasheet Table V, "Master Reset"). */
static void uart_reset(struct uart16550 *uart)
{
	rx_reset(uart);
	uart->ier = 0;
	uart->fcr = 0;
	uart->lcr = 0;
	uart->mcr = 0;
	uart->lsr_errors = 0;
	uart->msr = MSR_HOST_LINES;
	uart->divisor = DIVISOR_9600;
	uart->thre_pending = false;
}

struct uart16550 *uart16550_create(struct io_bus *bus, uint16_t base, struct irq_line irq,
				   struct console *con)
{
	struct uart16550 *uart = calloc(1, sizeof(*uart));
	int err;

	if (!uart)
		return NULL;
	uart->irq = irq;
	uart->con = con;
	uart_reset(uart);
	err = pio_register(bus, base, UART_NR_PORTS, uart_io, uart);
	if (err) {
		free(uart);
		errno = -err;
		return NULL;
	}
	return uart;
}

/* The bus still points at @uart: call this only once the bus is no longer used. */
void uart16550_destroy(struct uart16550 *uart)
{
	free(uart);
}
