/*
 * i8042.c - the PC/AT keyboard controller (Intel 8042 running the IBM
 * keyboard-controller firmware) at 0x60 (data) and 0x64 (status/command),
 * with a PS/2 keyboard that answers commands but never types, and an
 * auxiliary (mouse) port with nothing plugged in. Follows the IBM PC/AT and
 * PS/2 Technical References (8042 commands, status and command byte, output
 * port) and the OSDev "8042 PS/2 Controller" and "PS/2 Keyboard" pages.
 *
 * The controller matters to a Linux guest for three things: its probe must
 * succeed quickly, 0xfe on 0x64 is one of the ways it reboots, and output
 * port bit 1 is the A20 gate.
 *
 * (Near 400 lines of code, a third of it command and reply names: the
 * controller and the keyboard behind it share one output buffer.)
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/devices.h"

#define I8042_DATA    0x60
#define I8042_COMMAND 0x64

/* Status register (read 0x64). */
#define STAT_OBF     0x01 /* output buffer full: a byte waits at 0x60 */
#define STAT_IBF     0x02 /* input buffer full: never, commands complete at once */
#define STAT_SYS     0x04 /* system flag: self-test passed (command byte bit 2) */
#define STAT_CMD     0x08 /* A2: the last write went to 0x64 (command), not 0x60 */
#define STAT_UNLOCK  0x10 /* keyboard not inhibited by the key lock */
#define STAT_AUXB    0x20 /* the byte in the output buffer is from the aux port */
#define STAT_TIMEOUT 0x40 /* transmit timeout: nothing answered on the port */

/* Controller command byte (RAM byte 0). */
#define CCB_KBD_INT    0x01 /* IRQ 1 when keyboard data is in the output buffer */
#define CCB_AUX_INT    0x02 /* IRQ 12 when aux data is in the output buffer */
#define CCB_SYS	       0x04
#define CCB_KBD_DIS    0x10
#define CCB_AUX_DIS    0x20
#define CCB_XLAT       0x40 /* translate keyboard scan code set 2 to set 1 */
#define CCB_DEFAULT    (CCB_XLAT | CCB_SYS | CCB_KBD_INT) /* what PC BIOSes leave */
#define CONTROLLER_RAM 32

/* Output port (0xd0/0xd1). */
#define OUT_RESET_N 0x01 /* 0 holds the CPU in reset */
#define OUT_A20	    0x02
#define OUT_KBD_OBF 0x10 /* IRQ 1 pin */
#define OUT_AUX_OBF 0x20 /* IRQ 12 pin */
#define OUT_DEFAULT (OUT_RESET_N | OUT_A20)

/* Controller commands (write 0x64). */
#define CMD_READ_RAM	 0x20 /* 0x20-0x3f: read RAM byte; 0x20 is the command byte */
#define CMD_WRITE_RAM	 0x60 /* 0x60-0x7f: write RAM byte (data follows) */
#define CMD_AUX_DISABLE	 0xa7
#define CMD_AUX_ENABLE	 0xa8
#define CMD_AUX_TEST	 0xa9
#define CMD_SELF_TEST	 0xaa
#define CMD_KBD_TEST	 0xab
#define CMD_KBD_DISABLE	 0xad
#define CMD_KBD_ENABLE	 0xae
#define CMD_READ_OUTP	 0xd0
#define CMD_WRITE_OUTP	 0xd1
#define CMD_WRITE_KBD_OB 0xd2 /* the next data byte appears as if from the keyboard */
#define CMD_WRITE_AUX_OB 0xd3 /* ... or from the aux port (Linux's AUX loopback test) */
#define CMD_WRITE_AUX	 0xd4 /* the next data byte goes to the aux device */
#define CMD_READ_TEST	 0xe0
#define CMD_PULSE_FIRST	 0xf0 /* 0xf0-0xff: pulse output port bits 0-3 where the bit is 0 */

#define SELF_TEST_OK 0x55
#define PORT_TEST_OK 0x00

/* Keyboard commands and replies. */
#define KBD_SET_LEDS   0xed
#define KBD_ECHO       0xee
#define KBD_SCANCODE   0xf0
#define KBD_IDENTIFY   0xf2
#define KBD_TYPEMATIC  0xf3
#define KBD_RESEND     0xfe
#define KBD_RESET      0xff
#define KBD_FIRST_CMD  KBD_SET_LEDS
#define KBD_ACK	       0xfa
#define KBD_BAT_OK     0xaa
#define KBD_ID_1       0xab
#define KBD_ID_2       0x83 /* MF2 keyboard ... */
#define KBD_ID_2_XLAT  0x41 /* ... as the translating controller passes it on */
#define KBD_RESEND_REQ 0xfe
#define AUX_NO_DEVICE  0xfe /* what the controller returns when the aux device never clocks */

#define QUEUE_SIZE 16

struct out_byte {
	uint8_t data;
	uint8_t status; /* STAT_AUXB, STAT_TIMEOUT */
};

/* Bytes waiting for the output buffer; the head is the output buffer itself. */
struct out_queue {
	struct out_byte bytes[QUEUE_SIZE];
	unsigned int head, count;
};

struct i8042 {
	struct irq_line irq1, irq12;
	reset_request_fn reset;
	void *opaque;
	struct out_queue out;
	uint8_t last_read; /* what 0x60 reads with the output buffer empty */
	uint8_t ram[CONTROLLER_RAM];
	uint8_t outport;
	uint8_t status_cmd;   /* STAT_CMD */
	uint8_t pending_cmd;  /* controller command waiting for its data byte, or 0 */
	uint8_t kbd_arg_cmd;  /* keyboard command waiting for its argument, or 0 */
	uint8_t kbd_last;     /* the keyboard's last byte, for KBD_RESEND */
	uint8_t scancode_set; /* 1-3 */
	int irq1_level, irq12_level;
};

static void queue_byte(struct i8042 *kbc, uint8_t data, uint8_t status)
{
	struct out_queue *q = &kbc->out;

	if (q->count == QUEUE_SIZE)
		return; /* the keyboard's own buffer overflowed: the byte is lost */
	q->bytes[(q->head + q->count) % QUEUE_SIZE] = (struct out_byte){data, status};
	q->count++;
}

/* A reply from the controller itself arrives as keyboard data, as on the 8042. */
static void reply(struct i8042 *kbc, uint8_t data)
{
	queue_byte(kbc, data, 0);
}

static void kbd_send(struct i8042 *kbc, uint8_t data)
{
	kbc->kbd_last = data;
	queue_byte(kbc, data, 0);
}

static const struct out_byte *output_buffer(const struct i8042 *kbc)
{
	return kbc->out.count ? &kbc->out.bytes[kbc->out.head] : NULL;
}

static void set_line(struct irq_line *line, int *cur, int level)
{
	if (level != *cur) {
		*cur = level;
		irq_set_level(line, level);
	}
}

/* The IRQ pins are "output buffer full" for that port, gated by the command byte. */
static void update_irqs(struct i8042 *kbc)
{
	const struct out_byte *ob = output_buffer(kbc);
	bool aux = ob && (ob->status & STAT_AUXB);

	set_line(&kbc->irq1, &kbc->irq1_level, ob && !aux && (kbc->ram[0] & CCB_KBD_INT));
	set_line(&kbc->irq12, &kbc->irq12_level, aux && (kbc->ram[0] & CCB_AUX_INT));
}

/*
 * Reading 0x60 empties the output buffer; the next queued byte moves in
 * after it. Dropping the IRQ lines in between gives the edge-triggered PIC
 * a new rising edge for that next byte, as the real controller does.
 */
static uint8_t read_data(struct i8042 *kbc)
{
	const struct out_byte *ob = output_buffer(kbc);

	if (ob) {
		kbc->last_read = ob->data;
		kbc->out.head = (kbc->out.head + 1) % QUEUE_SIZE;
		kbc->out.count--;
	}
	set_line(&kbc->irq1, &kbc->irq1_level, 0);
	set_line(&kbc->irq12, &kbc->irq12_level, 0);
	return kbc->last_read;
}

static uint8_t read_status(const struct i8042 *kbc)
{
	const struct out_byte *ob = output_buffer(kbc);
	uint8_t status = STAT_UNLOCK | kbc->status_cmd;

	if (kbc->ram[0] & CCB_SYS)
		status |= STAT_SYS;
	if (ob)
		status |= STAT_OBF | ob->status;
	return status;
}

/* Bits 4 and 5 of the output port are the two IRQ pins. */
static uint8_t read_outport(const struct i8042 *kbc)
{
	uint8_t value = kbc->outport & ~(OUT_KBD_OBF | OUT_AUX_OBF);

	if (kbc->irq1_level)
		value |= OUT_KBD_OBF;
	if (kbc->irq12_level)
		value |= OUT_AUX_OBF;
	return value;
}

/* Output port bit 0 low holds the CPU in reset: the machine resets. */
static void write_outport(struct i8042 *kbc, uint8_t value)
{
	kbc->outport = value;
	if (!(value & OUT_RESET_N))
		kbc->reset(kbc->opaque);
}

/* 0xf0-0xff pulse for about 6 us each output port bit 0-3 whose command bit is 0. */
static void pulse_outport(struct i8042 *kbc, uint8_t cmd)
{
	if (!(cmd & OUT_RESET_N))
		kbc->reset(kbc->opaque);
}

/* Keyboard answers to its identify and get-scan-code-set queries, through translation. */
static void kbd_reply_id(struct i8042 *kbc)
{
	kbd_send(kbc, KBD_ACK);
	kbd_send(kbc, KBD_ID_1);
	kbd_send(kbc, (kbc->ram[0] & CCB_XLAT) ? KBD_ID_2_XLAT : KBD_ID_2);
}

static void kbd_reply_scancode_set(struct i8042 *kbc)
{
	static const uint8_t translated[4] = {0, 0x43, 0x41, 0x3f}; /* set-1 codes of 1, 2, 3 */

	kbd_send(kbc, (kbc->ram[0] & CCB_XLAT) ? translated[kbc->scancode_set] : kbc->scancode_set);
}

/* The argument byte of 0xed (LEDs), 0xf0 (scan code set; 0 queries it) or 0xf3 (typematic). */
static void kbd_argument(struct i8042 *kbc, uint8_t cmd, uint8_t arg)
{
	kbd_send(kbc, KBD_ACK);
	if (cmd != KBD_SCANCODE)
		return;
	if (arg == 0)
		kbd_reply_scancode_set(kbc);
	else if (arg <= 3)
		kbc->scancode_set = arg;
}

/*
 * A byte for the keyboard. It has no keys to report, so the only state is
 * the command awaiting an argument and the scan code set. Unknown commands
 * are answered with "resend", as a real keyboard does.
 */
static void kbd_write(struct i8042 *kbc, uint8_t value)
{
	uint8_t cmd = kbc->kbd_arg_cmd;

	kbc->kbd_arg_cmd = 0;
	if (cmd && value < KBD_FIRST_CMD) {
		kbd_argument(kbc, cmd, value);
		return;
	}
	switch (value) {
	case KBD_SET_LEDS:
	case KBD_SCANCODE:
	case KBD_TYPEMATIC:
		kbc->kbd_arg_cmd = value;
		kbd_send(kbc, KBD_ACK);
		break;
	case KBD_ECHO:
		kbd_send(kbc, KBD_ECHO);
		break;
	case KBD_IDENTIFY:
		kbd_reply_id(kbc);
		break;
	case KBD_RESEND:
		queue_byte(kbc, kbc->kbd_last, 0);
		break;
	case KBD_RESET: /* ACK, then the basic assurance test passed */
		kbc->scancode_set = 2;
		kbd_send(kbc, KBD_ACK);
		kbd_send(kbc, KBD_BAT_OK);
		break;
	default:
		kbd_send(kbc, value >= KBD_FIRST_CMD ? KBD_ACK : KBD_RESEND_REQ);
		break;
	}
}

/* The data byte that completes a controller command written earlier to 0x64. */
static void command_data(struct i8042 *kbc, uint8_t cmd, uint8_t value)
{
	if (cmd >= CMD_WRITE_RAM && cmd < CMD_WRITE_RAM + CONTROLLER_RAM) {
		kbc->ram[cmd - CMD_WRITE_RAM] = value;
		return;
	}
	switch (cmd) {
	case CMD_WRITE_OUTP:
		write_outport(kbc, value);
		break;
	case CMD_WRITE_KBD_OB:
		queue_byte(kbc, value, 0);
		break;
	case CMD_WRITE_AUX_OB:
		queue_byte(kbc, value, STAT_AUXB);
		break;
	default: /* CMD_WRITE_AUX: nothing is plugged in, the transmission times out */
		queue_byte(kbc, AUX_NO_DEVICE, STAT_AUXB | STAT_TIMEOUT);
		break;
	}
}

static void write_data(struct i8042 *kbc, uint8_t value)
{
	uint8_t cmd = kbc->pending_cmd;

	kbc->status_cmd = 0;
	kbc->pending_cmd = 0;
	if (cmd)
		command_data(kbc, cmd, value);
	else
		kbd_write(kbc, value);
}

static bool takes_data_byte(uint8_t cmd)
{
	return (cmd >= CMD_WRITE_RAM && cmd < CMD_WRITE_RAM + CONTROLLER_RAM) ||
	       (cmd >= CMD_WRITE_OUTP && cmd <= CMD_WRITE_AUX);
}

/* Commands that only set or clear a bit of the command byte. */
static bool command_byte_bits(struct i8042 *kbc, uint8_t cmd)
{
	switch (cmd) {
	case CMD_AUX_DISABLE:
		kbc->ram[0] |= CCB_AUX_DIS;
		return true;
	case CMD_AUX_ENABLE:
		kbc->ram[0] &= ~CCB_AUX_DIS;
		return true;
	case CMD_KBD_DISABLE:
		kbc->ram[0] |= CCB_KBD_DIS;
		return true;
	case CMD_KBD_ENABLE:
		kbc->ram[0] &= ~CCB_KBD_DIS;
		return true;
	default:
		return false;
	}
}

/* Unknown commands are ignored. */
static void write_command(struct i8042 *kbc, uint8_t cmd)
{
	kbc->status_cmd = STAT_CMD;
	kbc->pending_cmd = takes_data_byte(cmd) ? cmd : 0;
	if (kbc->pending_cmd || command_byte_bits(kbc, cmd))
		return;
	if (cmd >= CMD_READ_RAM && cmd < CMD_READ_RAM + CONTROLLER_RAM) {
		reply(kbc, kbc->ram[cmd - CMD_READ_RAM]);
		return;
	}
	switch (cmd) {
	case CMD_SELF_TEST:
		kbc->ram[0] |= CCB_SYS;
		reply(kbc, SELF_TEST_OK);
		break;
	case CMD_AUX_TEST:
	case CMD_KBD_TEST:
		reply(kbc, PORT_TEST_OK);
		break;
	case CMD_READ_OUTP:
		reply(kbc, read_outport(kbc));
		break;
	case CMD_READ_TEST:
		reply(kbc, 0);
		break;
	default:
		if (cmd >= CMD_PULSE_FIRST)
			pulse_outport(kbc, cmd);
		break;
	}
}

/* Each port is one 8-bit register: only the first byte of a wider access reaches it. */
static void data_io(void *opaque, uint32_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct i8042 *kbc = opaque;

	if (is_write) {
		write_data(kbc, data[0]);
	} else {
		memset(data, 0xff, len);
		data[0] = read_data(kbc);
	}
	update_irqs(kbc);
}

static void command_io(void *opaque, uint32_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct i8042 *kbc = opaque;

	if (is_write) {
		write_command(kbc, data[0]);
	} else {
		memset(data, 0xff, len);
		data[0] = read_status(kbc);
	}
	update_irqs(kbc);
}

void i8042_set_aux_irq(struct i8042 *kbc, struct irq_line irq12)
{
	kbc->irq12 = irq12;
	kbc->irq12_level = 0;
	update_irqs(kbc);
}

bool i8042_a20_enabled(struct i8042 *kbc)
{
	return kbc->outport & OUT_A20;
}

/* Two decode ranges: 0x61-0x63 between them belong to other devices. */
static int register_ports(struct io_bus *bus, struct i8042 *kbc)
{
	int err;

	err = pio_register(bus, I8042_DATA, 1, data_io, kbc);
	if (err)
		return err;
	err = pio_register(bus, I8042_COMMAND, 1, command_io, kbc);
	if (err)
		pio_unregister(bus, I8042_DATA);
	return err;
}

struct i8042 *i8042_create(struct io_bus *bus, struct irq_line irq1, reset_request_fn reset,
			   void *opaque)
{
	struct i8042 *kbc;
	int err;

	if (!reset) {
		errno = EINVAL;
		return NULL;
	}
	kbc = calloc(1, sizeof(*kbc));
	if (!kbc)
		return NULL;
	kbc->irq1 = irq1;
	kbc->reset = reset;
	kbc->opaque = opaque;
	kbc->ram[0] = CCB_DEFAULT;
	kbc->outport = OUT_DEFAULT;
	kbc->scancode_set = 2;
	err = register_ports(bus, kbc);
	if (err) {
		free(kbc);
		errno = -err;
		return NULL;
	}
	return kbc;
}

/* The bus still points at @kbc: call this only once the bus is no longer used. */
void i8042_destroy(struct i8042 *kbc)
{
	free(kbc);
}
