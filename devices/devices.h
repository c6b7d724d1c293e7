/*
 * devices.h - the interface of btvmm's PC hardware models.
 *
 * Devices are plain C models behind a port-I/O and MMIO dispatch table
 * (struct io_bus), kvmtool style: each device registers its ports with one
 * pio_register() call and handles accesses in one io_handler_fn. Devices
 * raise interrupts through a struct irq_line, so a device never includes
 * or calls the interrupt controller it is wired to. Nothing here knows about
 * the translator or the virtual CPU.
 */
#ifndef BTVMM_DEVICES_H
#define BTVMM_DEVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define __must_check __attribute__((warn_unused_result))

/*
 * One handler signature for port I/O and MMIO. @offset is the offset of the
 * access from the base the handler was registered at; @data holds @len bytes
 * (little endian) to write, or receives the bytes read.
 */
typedef void (*io_handler_fn)(void *opaque, uint32_t offset, uint8_t *data, uint32_t len,
			      bool is_write);

struct io_bus;

/* Returns a new, empty bus, or NULL when out of memory. */
struct io_bus *io_bus_create(void);
/* Frees the bus (not the devices registered on it). */
void io_bus_destroy(struct io_bus *bus);

/*
 * Claim ports [port, port + len) for @fn. Returns 0, -EINVAL for an empty
 * or wrapping range, or -EBUSY if any port in the range is already claimed.
 */
int pio_register(struct io_bus *bus, uint16_t port, uint16_t len, io_handler_fn fn,
		 void *opaque) __must_check;

/*
 * Release the range registered by pio_register() at @port (its first port),
 * so a device whose creation fails halfway can unwind. Returns 0, or -ENOENT
 * if no range starts at @port.
 */
int pio_unregister(struct io_bus *bus, uint16_t port);

/* Claim guest-physical [addr, addr + len) for @fn. Same errors as above. */
int mmio_register(struct io_bus *bus, uint64_t addr, uint64_t len, io_handler_fn fn,
		  void *opaque) __must_check;

/*
 * Perform a port access of 1, 2 or 4 bytes. An unclaimed port reads as all
 * ones and ignores writes, as on an ISA bus with nothing behind the port.
 * Returns true if a device claimed the port.
 */
bool pio_access(struct io_bus *bus, uint16_t port, uint8_t *data, uint32_t len, bool is_write);

/*
 * Perform an MMIO access. Returns false (and leaves @data alone) when no
 * device claims @addr, so the caller can apply its own open-bus policy.
 */
bool mmio_access(struct io_bus *bus, uint64_t addr, uint8_t *data, uint32_t len, bool is_write);

/* Is any device registered at guest-physical @addr? */
bool mmio_is_claimed(struct io_bus *bus, uint64_t addr);

/* ---- Interrupt lines (TinyEMU's IRQSignal) ---- */
typedef void (*set_irq_fn)(void *opaque, int num, int level);

struct irq_line {
	set_irq_fn set_irq; /* NULL: the line is not wired anywhere */
	void *opaque;
	int num;
};

static inline void irq_set_level(const struct irq_line *line, int level)
{
	if (line && line->set_irq)
		line->set_irq(line->opaque, line->num, level);
}

/* ---- Console back end: the host terminal behind the UART ---- */
struct console;

/*
 * Open the console on @in_fd/@out_fd. When @in_fd is a terminal it is put in
 * raw mode; the original mode is restored by console_close() and on every
 * exit path (atexit and fatal signals). Ctrl-A x asks to quit: *quit_request
 * is set when the user types it. @in_fd < 0: no input ever arrives; @out_fd
 * < 0: output is discarded. Returns NULL on failure (errno set).
 */
struct console *console_open(int in_fd, int out_fd, volatile int *quit_request);
void console_close(struct console *con);
/* Write one byte to the host terminal. */
void console_putc(struct console *con, uint8_t byte);
/* Read one byte if one is ready, without blocking. Returns true if it did. */
bool console_getc(struct console *con, uint8_t *byte);
/*
 * Read whatever host input is ready into the console's own buffer, acting on
 * Ctrl-A escapes at once, so Ctrl-A x works even while the guest is not
 * reading. Never blocks. uart16550_poll() calls it.
 */
void console_poll(struct console *con);
/*
 * Put every terminal an open console changed back as it was. Async-signal-
 * safe: a fatal-signal handler installed before console_open() (which then
 * leaves that signal alone) must call it before the process dies.
 */
void console_restore_terminals(void);

/* ---- 16550A UART (uart16550.c) ---- */
struct uart16550;

/*
 * Create a 16550A at ports [base, base+8) raising @irq, connected to @con
 * (which may be NULL: output is discarded, input never arrives).
 * Returns NULL on failure.
 */
struct uart16550 *uart16550_create(struct io_bus *bus, uint16_t base, struct irq_line irq,
				   struct console *con);
void uart16550_destroy(struct uart16550 *uart);
/* Pull pending console input into the receive FIFO; raise the IRQ if due. */
void uart16550_poll(struct uart16550 *uart);

/* ---- Test exit port and debug console (debug_exit.c) ---- */
typedef void (*exit_request_fn)(void *opaque, int status);

struct debug_exit;

/*
 * QEMU's isa-debug-exit at ports [port, port+4): writing V asks the VMM to
 * exit with status (V << 1) | 1 through @on_exit. Also claims port 0xe9, the
 * Bochs/QEMU debug console, whose bytes go to @debugcon_fd (-1: discard).
 */
struct debug_exit *debug_exit_create(struct io_bus *bus, uint16_t port, exit_request_fn on_exit,
				     void *opaque, int debugcon_fd);
void debug_exit_destroy(struct debug_exit *dev);

/* ---- Ports that exist on a PC but need no model (legacy_ports.c) ---- */
/* Claim the table of do-nothing ports (POST code 0x80, ...). Returns 0 or -errno. */
int legacy_ports_register(struct io_bus *bus) __must_check;

#endif /* BTVMM_DEVICES_H */
