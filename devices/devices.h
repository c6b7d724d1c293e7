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
/* Has the input reached its end (EOF on a pipe or file; -1 fd)? */
bool console_input_ended(const struct console *con);
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

/* ---- Machine reset requests (i8042 output port, port 0x92) ---- */
/* Called from inside a port access: the machine should reset once the access returns. */
typedef void (*reset_request_fn)(void *opaque);

/* ---- 8259A interrupt controller pair (pic8259.c) ---- */
struct pic8259;

/*
 * Create the AT's master (0x20/0x21) and slave (0xa0/0xa1) 8259A, the slave
 * on master IR2, plus the PIIX ELCR at 0x4d0/0x4d1. @intr is the CPU's INTR
 * line: level 1 while an unmasked request of higher priority than any in
 * service exists. Power-on state is what a BIOS leaves (vectors 0x08 and
 * 0x70, cascaded, 8086 mode, all inputs edge-triggered) but with every IRQ
 * masked. Returns NULL on failure (errno set).
 */
struct pic8259 *pic8259_create(struct io_bus *bus, struct irq_line intr);
void pic8259_destroy(struct pic8259 *pic);
/*
 * Drive input @irq (0-7 master, 8-15 slave) to @level; a set_irq_fn with
 * @opaque = the pic. IRQ 2 is the cascade: as on the AT's ISA bus, a device
 * on "IRQ 2" drives IRQ 9. Out-of-range numbers are ignored.
 */
void pic8259_set_irq(void *opaque, int irq, int level);
/*
 * The INTA cycle: returns the vector of the highest-priority pending
 * request and moves it from IRR to ISR (unless auto-EOI), running the
 * slave's INTA for a request on the cascade input. If the request vanished
 * since INTR rose, returns the spurious vector (IR7 of the master, or IR7 of
 * the slave when the slave's request vanished) without touching ISR.
 */
int pic8259_ack(struct pic8259 *pic);
/* The INTR line's current level. */
bool pic8259_intr_pending(struct pic8259 *pic);

/* ---- 8254 interval timer (pit8254.c) ---- */
struct pit8254;

/*
 * Create the 8254 at 0x40-0x43, channel 0's OUT on @irq0. Counters and OUT
 * are computed from the clock when read, at 1.193182 MHz. Returns NULL on
 * failure (errno set).
 */
struct pit8254 *pit8254_create(struct io_bus *bus, struct irq_line irq0);
void pit8254_destroy(struct pit8254 *pit);
/*
 * Replace the clock (CLOCK_MONOTONIC in ns by default; NULL restores it), so
 * tests can drive time. Everything that reads the time uses it, including
 * port61.c's refresh bit.
 */
void pit8254_set_clock(struct pit8254 *pit, uint64_t (*now_ns)(void));
/* The PIT's clock now, in ns. */
uint64_t pit8254_now(struct pit8254 *pit);
/*
 * The clock time (ns) of the next rising edge of channel 0's OUT that
 * pit8254_update() has not delivered yet, or UINT64_MAX if none will come
 * (channel stopped, or mode 0/4 past terminal count).
 */
uint64_t pit8254_next_deadline(struct pit8254 *pit);
/*
 * Deliver channel 0's rising edges due by @now_ns to IRQ0: at most one
 * low-then-high pulse per call, however many periods passed (missed periods
 * are coalesced, as an already-set IRR bit absorbs them on hardware). The
 * line is left high in between. Port accesses to the PIT call this first.
 */
void pit8254_update(struct pit8254 *pit, uint64_t now_ns);
/* GATE input of @channel (0-2); only channel 2's is not tied high on a PC (port 0x61). */
void pit8254_set_gate(struct pit8254 *pit, int channel, bool level);
/* OUT of @channel (0-2) now. */
bool pit8254_get_out(struct pit8254 *pit, int channel);

/* ---- System control port B, 0x61 (port61.c) ---- */
struct port61;

/*
 * Port 0x61: bit 0 drives PIT channel 2's GATE, bit 1 the speaker enable,
 * bits 2-3 are stored; reads add bit 4 (refresh toggle, every 15.085 us of
 * @pit's clock) and bit 5 (channel 2's OUT). Returns NULL on failure.
 */
struct port61 *port61_create(struct io_bus *bus, struct pit8254 *pit);
void port61_destroy(struct port61 *dev);

/* ---- MC146818 RTC and CMOS RAM (cmos_rtc.c) ---- */
struct cmos_rtc;

/*
 * Create the RTC/CMOS at 0x70 (index; bit 7 disables NMI) and 0x71 (data).
 * The time is the host's UTC time plus whatever the guest sets. The RAM is
 * filled as a BIOS would for a machine with @ram_bytes of memory (base,
 * extended and above-16 MiB sizes, checksum). @irq8 is stored for the
 * periodic/alarm/update interrupts, which are not generated yet.
 * Returns NULL on failure (errno set).
 */
struct cmos_rtc *cmos_rtc_create(struct io_bus *bus, struct irq_line irq8, uint64_t ram_bytes);
void cmos_rtc_destroy(struct cmos_rtc *rtc);
/* Replace the wall clock (CLOCK_REALTIME in ns by default; NULL restores it), for tests. */
void cmos_rtc_set_clock(struct cmos_rtc *rtc, uint64_t (*now_ns)(void));
/* Is NMI masked by the last write to port 0x70 (bit 7)? */
bool cmos_rtc_nmi_disabled(struct cmos_rtc *rtc);

/* ---- 8042 keyboard controller (i8042.c) ---- */
struct i8042;

/*
 * Create the keyboard controller at 0x60 (data) and 0x64 (status/command),
 * with a keyboard that answers commands (no key input) and nothing on the
 * aux port. @irq1 rises while keyboard data waits and the command byte
 * enables it. @reset is called when the guest pulses the reset line (0xfe,
 * or output port bit 0 written as 0). Returns NULL on failure (errno set).
 */
struct i8042 *i8042_create(struct io_bus *bus, struct irq_line irq1, reset_request_fn reset,
			   void *opaque);
void i8042_destroy(struct i8042 *kbc);
/*
 * Wire the aux port's IRQ 12 (unwired by default). Linux's AUX probe waits
 * 250 ms for an IRQ 12 after its loopback test and gives up on the port
 * without it; wired, the probe passes at once and the mouse probe that
 * follows fails at once (0xd4 writes time out: nothing is plugged in).
 */
void i8042_set_aux_irq(struct i8042 *kbc, struct irq_line irq12);
/*
 * A20 as output port bit 1 says. TODO(#3): guest memory does not mask A20
 * (neither this nor port 0x92 has any effect on addressing).
 */
bool i8042_a20_enabled(struct i8042 *kbc);

/* ---- System control port A, 0x92 (port92.c) ---- */
struct port92;

/*
 * Port 0x92: a 0 -> 1 write to bit 0 calls @reset; bit 1 is the fast A20
 * gate (stored, read back; 1 at power-on). Returns NULL on failure.
 */
struct port92 *port92_create(struct io_bus *bus, reset_request_fn reset, void *opaque);
void port92_destroy(struct port92 *dev);
bool port92_a20_enabled(struct port92 *dev);

/* ---- MMIO test device (mmio_testdev.c) ---- */
/*
 * Not PC hardware: one page of guest-physical address space that test
 * guests (tests/guests/mmio.c) use to check that MMIO reaches the device on
 * every access, at every width. Offsets 0-0xfff are byte-addressable
 * scratch registers (0 at creation; reads return what was written), except
 * the dword at MMIO_TESTDEV_COUNTER, which counts handler calls, the read
 * that returns it included, and ignores writes.
 */
#define MMIO_TESTDEV_BASE    0xfeb00000u /* guest-physical, in the PCI hole below 4 GiB */
#define MMIO_TESTDEV_SIZE    0x1000u
#define MMIO_TESTDEV_COUNTER 0xff0u

struct mmio_testdev;

/* Create the device at guest-physical @base. Returns NULL on failure (errno set). */
struct mmio_testdev *mmio_testdev_create(struct io_bus *bus, uint64_t base);
/* The bus still points at @dev: call this only once the bus is no longer used. */
void mmio_testdev_destroy(struct mmio_testdev *dev);

#endif /* BTVMM_DEVICES_H */
