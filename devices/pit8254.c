/*
 * pit8254.c - the 8254 programmable interval timer: channels 0-2 at
 * 0x40-0x42, control word at 0x43. Follows the Intel 82C54 datasheet
 * (231244): control word, counter latch and read-back commands, modes 0-5.
 *
 * Nothing ticks. Each channel remembers when its count was loaded, and its
 * counter and OUT are computed from the clock (CLOCK_MONOTONIC) at 1.193182
 * MHz whenever they are read, so reads are exact at any polling rate. The
 * only thing that must happen "by itself", channel 0's IRQ0 edges, is
 * delivered by pit8254_update() at the times pit8254_next_deadline() names.
 *
 * (About 400 lines of code, the budget's upper end: six modes' counter, OUT
 * and edge rules plus latch/read-back all act on one struct pit_channel, and
 * read best side by side.)
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "devices/devices.h"

#define PIT_BASE     0x40
#define PIT_NR_PORTS 4
#define PIT_CONTROL  3 /* offset of the control word register */
#define PIT_CHANNELS 3

#define PIT_HZ	      1193182ull /* the PC's 14.31818 MHz crystal / 12 */
#define NSEC_PER_SEC  1000000000ull
#define BINARY_MODULO 65536u /* a count of 0 means 2^16 ... */
#define BCD_MODULO    10000u /* ... or 10^4 in BCD */

/* Control word (datasheet Figure 7). */
#define CW_SC_SHIFT   6 /* SC1-SC0: counter select, 3 = read-back */
#define CW_RW_SHIFT   4 /* RW1-RW0: 0 = counter latch command */
#define CW_MODE_SHIFT 1
#define CW_BCD	      0x01
#define CW_MODE_BITS  0x3f /* RW, M and BCD: what the status byte reports */
#define SC_READ_BACK  3

enum access { ACCESS_LATCH, ACCESS_LSB, ACCESS_MSB, ACCESS_WORD };

/* Read-back command (datasheet Figure 9): bits set to 0 select. */
#define RB_NOT_COUNT  0x20
#define RB_NOT_STATUS 0x10
#define RB_CNT(n)     (0x02u << (n))
/* Status byte (datasheet Figure 10). */
#define STATUS_OUT	  0x80
#define STATUS_NULL_COUNT 0x40

struct pit_channel {
	uint8_t mode;	 /* 0-5; 6 and 7 are aliases of 2 and 3 */
	uint8_t control; /* the RW, M and BCD bits last written */
	enum access access;
	uint32_t count; /* the initial count, 1..65536 (1..10000 in BCD) */
	bool loaded;	/* a count has been written since the control word */
	bool running;	/* the counting element is counting */
	bool gate;
	bool null_count;
	uint64_t start_ns;   /* when the running stretch began */
	uint64_t base_ticks; /* ticks counted before @start_ns (gate pauses) */
	uint64_t edges_sent; /* rising OUT edges already delivered (channel 0) */
	/* Write and read flip-flops for ACCESS_WORD (one read flip-flop, latched or not). */
	bool write_msb_next, read_msb_next;
	uint8_t lsb_written;
	/* Latches: count (counter latch or read-back) and status (read-back). */
	bool count_latched, status_latched;
	uint16_t latched_count;
	uint8_t latched_status;
};

struct pit8254 {
	struct pit_channel ch[PIT_CHANNELS];
	struct irq_line irq0;
	bool irq0_level;
	uint64_t (*now_ns)(void);
};

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

uint64_t pit8254_now(struct pit8254 *pit)
{
	return pit->now_ns();
}

void pit8254_set_clock(struct pit8254 *pit, uint64_t (*now_ns)(void))
{
	pit->now_ns = now_ns ? now_ns : monotonic_ns;
}

/* Whole input-clock ticks in [from, to). 128-bit product: no overflow for centuries. */
static uint64_t ns_to_ticks(uint64_t from, uint64_t to)
{
	if (to <= from)
		return 0;
	return (uint64_t)((unsigned __int128)(to - from) * PIT_HZ / NSEC_PER_SEC);
}

/* The first time at which ns_to_ticks(from, t) reaches @ticks. */
static uint64_t ticks_to_ns(uint64_t from, uint64_t ticks)
{
	return from + (uint64_t)(((unsigned __int128)ticks * NSEC_PER_SEC + PIT_HZ - 1) / PIT_HZ);
}

static uint64_t ticks_counted(const struct pit_channel *ch, uint64_t now)
{
	return ch->base_ticks + (ch->running ? ns_to_ticks(ch->start_ns, now) : 0);
}

static uint32_t modulo(const struct pit_channel *ch)
{
	return (ch->control & CW_BCD) ? BCD_MODULO : BINARY_MODULO;
}

/* Modes 1 and 5 start on a rising GATE edge; the others as soon as the count is written. */
static bool gate_triggered(const struct pit_channel *ch)
{
	return ch->mode == 1 || ch->mode == 5;
}

/* (Re)start from the initial count: a load, or a GATE trigger in modes 1, 2, 3 and 5. */
static void start_counting(struct pit_channel *ch, uint64_t now)
{
	ch->running = true;
	ch->null_count = false;
	ch->base_ticks = 0;
	ch->start_ns = now;
	ch->edges_sent = 0;
}

/*
 * The counting element after @k ticks. Modes 2 and 3 reload at the end of
 * each period; mode 3 counts down by two (datasheet "Mode 3"; for odd counts
 * the exact half-period sequence is approximated by the even value below).
 * The other modes wrap around after terminal count and keep counting.
 */
static uint32_t counter_value(const struct pit_channel *ch, uint64_t k)
{
	uint32_t n = ch->count, mod = modulo(ch);

	if (!ch->loaded)
		return 0;
	switch (ch->mode) {
	case 2:
		return (uint32_t)(n - k % n) % mod;
	case 3:
		return (uint32_t)((n - (2 * k) % n) % mod) & ~1u;
	default:
		return (uint32_t)((n + mod - k % mod) % mod);
	}
}

/*
 * OUT after @k ticks (datasheet "Mode Definitions"). Before a count is
 * loaded OUT is low in mode 0 and high in the others. Modes 1 and 5 hold OUT
 * high until a GATE trigger starts them; modes 2 and 3 hold it high while a
 * low GATE stops them; modes 0 and 4 keep the level they had when paused.
 */
static bool out_level(const struct pit_channel *ch, uint64_t k)
{
	uint32_t n = ch->count;

	if (!ch->loaded)
		return ch->mode != 0;
	switch (ch->mode) {
	case 0: /* low until terminal count, then high */
		return k >= n;
	case 1: /* one-shot: low from the trigger until terminal count */
		return !ch->running || k >= n;
	case 2: /* low for the one tick in which the count is 1 */
		return !ch->running || k % n != n - 1;
	case 3: /* high for the first (n + 1) / 2 ticks of each period */
		return !ch->running || k % n < (n + 1) / 2;
	case 4: /* strobe: low for the one tick at terminal count */
		return k != n;
	default: /* 5: the same, once triggered */
		return !ch->running || k != n;
	}
}

/* How many rising OUT edges @k ticks contain, for the IRQ0 line. */
static uint64_t rising_edges(const struct pit_channel *ch, uint64_t k)
{
	uint32_t n = ch->count;

	if (!ch->loaded || !ch->running)
		return 0;
	switch (ch->mode) {
	case 0:
	case 1:
		return k >= n;
	case 2:
	case 3:
		return k / n;
	default:
		return k >= (uint64_t)n + 1;
	}
}

/* The tick at which edge number @e (1-based) rises, or UINT64_MAX if it never does. */
static uint64_t edge_tick(const struct pit_channel *ch, uint64_t e)
{
	if (!ch->loaded || !ch->running)
		return UINT64_MAX;
	switch (ch->mode) {
	case 0:
	case 1:
		return e == 1 ? ch->count : UINT64_MAX;
	case 2:
	case 3:
		return e * ch->count;
	default:
		return e == 1 ? (uint64_t)ch->count + 1 : UINT64_MAX;
	}
}

static void set_irq0(struct pit8254 *pit, bool level)
{
	if (level != pit->irq0_level) {
		pit->irq0_level = level;
		irq_set_level(&pit->irq0, level);
	}
}

/*
 * OUT0 is wired to IRQ0. The PIC is edge-triggered there and only rising
 * edges matter, so each due edge is delivered as low-then-high, and the line
 * is left high (as OUT is for nearly all of a mode 2 period). Edges that came
 * due while nobody called are coalesced into one, as an IRR bit that is
 * already set absorbs further edges on real hardware.
 */
void pit8254_update(struct pit8254 *pit, uint64_t now_ns)
{
	struct pit_channel *ch = &pit->ch[0];
	uint64_t edges = rising_edges(ch, ticks_counted(ch, now_ns));

	if (edges > ch->edges_sent) {
		ch->edges_sent = edges;
		set_irq0(pit, false);
		set_irq0(pit, true);
	}
}

uint64_t pit8254_next_deadline(struct pit8254 *pit)
{
	const struct pit_channel *ch = &pit->ch[0];
	uint64_t tick = edge_tick(ch, ch->edges_sent + 1);

	if (tick == UINT64_MAX)
		return UINT64_MAX;
	if (tick < ch->base_ticks) /* came due before a gate pause: due now */
		tick = ch->base_ticks;
	return ticks_to_ns(ch->start_ns, tick - ch->base_ticks);
}

/*
 * GATE input. Channels 0 and 1 have GATE tied high on the PC; channel 2's is
 * port 0x61 bit 0. A rising edge triggers modes 1 and 5 and restarts modes 2
 * and 3 from the initial count; a low GATE stops modes 2 and 3 and only
 * pauses modes 0 and 4, which resume where they were.
 */
void pit8254_set_gate(struct pit8254 *pit, int channel, bool level)
{
	struct pit_channel *ch;
	uint64_t now;

	if (channel < 0 || channel >= PIT_CHANNELS || level == pit->ch[channel].gate)
		return;
	ch = &pit->ch[channel];
	now = pit->now_ns();
	if (channel == 0)
		pit8254_update(pit, now);
	ch->gate = level;
	if (!ch->loaded)
		return;
	if (level && ch->mode != 0 && ch->mode != 4) {
		start_counting(ch, now);
	} else if (!gate_triggered(ch)) {
		ch->base_ticks = ticks_counted(ch, now);
		ch->start_ns = now;
		ch->running = level;
	}
}

bool pit8254_get_out(struct pit8254 *pit, int channel)
{
	const struct pit_channel *ch;

	if (channel < 0 || channel >= PIT_CHANNELS)
		return false;
	ch = &pit->ch[channel];
	return out_level(ch, ticks_counted(ch, pit->now_ns()));
}

static uint16_t to_bcd(uint32_t value)
{
	return (uint16_t)(value % 10 | (value / 10 % 10) << 4 | (value / 100 % 10) << 8 |
			  (value / 1000 % 10) << 12);
}

static uint32_t from_bcd(uint16_t value)
{
	return (value & 0xf) + (value >> 4 & 0xf) * 10 + (value >> 8 & 0xf) * 100 +
	       (value >> 12 & 0xf) * 1000;
}

/* The counter as the read logic sees it: binary, or four BCD digits. */
static uint16_t visible_count(const struct pit_channel *ch, uint64_t now)
{
	uint32_t value = counter_value(ch, ticks_counted(ch, now));

	return (ch->control & CW_BCD) ? to_bcd(value) : (uint16_t)value;
}

static uint8_t status_byte(const struct pit_channel *ch, uint64_t now)
{
	uint8_t status = ch->control;

	if (out_level(ch, ticks_counted(ch, now)))
		status |= STATUS_OUT;
	if (ch->null_count)
		status |= STATUS_NULL_COUNT;
	return status;
}

/* A second latch before the first is read is ignored (datasheet "Counter Latch Command"). */
static void latch_count(struct pit_channel *ch, uint64_t now)
{
	if (ch->count_latched)
		return;
	ch->count_latched = true;
	ch->latched_count = visible_count(ch, now);
}

static void latch_status(struct pit_channel *ch, uint64_t now)
{
	if (ch->status_latched)
		return;
	ch->status_latched = true;
	ch->latched_status = status_byte(ch, now);
}

static void read_back(struct pit8254 *pit, uint8_t value, uint64_t now)
{
	int i;

	for (i = 0; i < PIT_CHANNELS; i++) {
		if (!(value & RB_CNT(i)))
			continue;
		if (!(value & RB_NOT_STATUS))
			latch_status(&pit->ch[i], now);
		if (!(value & RB_NOT_COUNT))
			latch_count(&pit->ch[i], now);
	}
}

/*
 * A control word stops the channel until a new count arrives, resets both
 * flip-flops, and sets OUT to its initial level for the mode (low in mode 0,
 * high otherwise).
 */
static void write_control(struct pit8254 *pit, uint8_t value, uint64_t now)
{
	int sc = value >> CW_SC_SHIFT;
	enum access access = (enum access)((value >> CW_RW_SHIFT) & 3);
	struct pit_channel *ch;

	if (sc == SC_READ_BACK) {
		read_back(pit, value, now);
		return;
	}
	ch = &pit->ch[sc];
	if (access == ACCESS_LATCH) {
		latch_count(ch, now);
		return;
	}
	ch->control = value & CW_MODE_BITS;
	ch->mode = (value >> CW_MODE_SHIFT) & 7;
	if (ch->mode >= 6)
		ch->mode -= 4;
	ch->access = access;
	ch->loaded = false;
	ch->running = false;
	ch->null_count = true;
	ch->write_msb_next = false;
	ch->read_msb_next = false;
	ch->count_latched = false;
	ch->status_latched = false;
	if (sc == 0)
		set_irq0(pit, ch->mode != 0);
}

/*
 * A new initial count. Modes 0, 2, 3 and 4 (re)start at once if GATE allows
 * and modes 1 and 5 wait for a GATE edge. Writing the count of a running
 * mode 2 or 3 channel restarts it at once; the datasheet defers that to the
 * end of the current period (an approximation: Linux always writes a control
 * word first). In mode 0 OUT goes low again.
 */
static void load_count(struct pit8254 *pit, struct pit_channel *ch, uint16_t raw, uint64_t now)
{
	uint32_t n = (ch->control & CW_BCD) ? from_bcd(raw) : raw;

	ch->count = n ? n : modulo(ch);
	ch->loaded = true;
	ch->running = false;
	ch->null_count = gate_triggered(ch); /* else loaded into the counting element at once */
	ch->base_ticks = 0;
	ch->start_ns = now;
	ch->edges_sent = 0;
	if (!gate_triggered(ch) && ch->gate)
		start_counting(ch, now);
	if (ch == &pit->ch[0] && ch->mode == 0)
		set_irq0(pit, false);
}

/* In mode 0 the first byte of a two-byte count stops counting (datasheet "Mode 0"). */
static void write_counter(struct pit8254 *pit, struct pit_channel *ch, uint8_t value, uint64_t now)
{
	switch (ch->access) {
	case ACCESS_LSB:
		load_count(pit, ch, value, now);
		break;
	case ACCESS_MSB:
		load_count(pit, ch, (uint16_t)(value << 8), now);
		break;
	default:
		if (!ch->write_msb_next) {
			ch->lsb_written = value;
			ch->write_msb_next = true;
			if (ch->mode == 0 && ch->running) {
				ch->base_ticks = ticks_counted(ch, now);
				ch->running = false;
			}
			return;
		}
		ch->write_msb_next = false;
		load_count(pit, ch, (uint16_t)(ch->lsb_written | value << 8), now);
		break;
	}
}

/* One byte of a 16-bit value, following the access mode and its flip-flop. */
static uint8_t byte_of(const struct pit_channel *ch, uint16_t value, bool *msb_next)
{
	bool msb;

	switch (ch->access) {
	case ACCESS_MSB:
		return (uint8_t)(value >> 8);
	case ACCESS_WORD:
		msb = *msb_next;
		*msb_next = !msb;
		return (uint8_t)(msb ? value >> 8 : value);
	default:
		return (uint8_t)value;
	}
}

/* Read order: a latched status first, then a latched count, else the live counter. */
static uint8_t read_counter(struct pit_channel *ch, uint64_t now)
{
	uint8_t byte;

	if (ch->status_latched) {
		ch->status_latched = false;
		return ch->latched_status;
	}
	if (ch->count_latched) {
		byte = byte_of(ch, ch->latched_count, &ch->read_msb_next);
		if (ch->access != ACCESS_WORD || !ch->read_msb_next)
			ch->count_latched = false;
		return byte;
	}
	return byte_of(ch, visible_count(ch, now), &ch->read_msb_next);
}

/*
 * Byte accesses only, as on the ISA bus; a wider access is split. Channel 0
 * is brought up to date first, so an edge that came due before a
 * reprogramming is not lost.
 */
static void pit_io(void *opaque, uint32_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct pit8254 *pit = opaque;
	uint64_t now = pit->now_ns();
	uint32_t i, port;

	pit8254_update(pit, now);
	for (i = 0; i < len; i++) {
		port = offset + i;
		if (port >= PIT_NR_PORTS) {
			if (!is_write)
				data[i] = 0xff;
		} else if (port == PIT_CONTROL) {
			if (is_write)
				write_control(pit, data[i], now);
			else
				data[i] = 0xff; /* the control word register is write-only */
		} else if (is_write) {
			write_counter(pit, &pit->ch[port], data[i], now);
		} else {
			data[i] = read_counter(&pit->ch[port], now);
		}
	}
}

/*
 * Power-on: the 8254's state is undefined until programmed. Here every
 * channel waits in mode 0 with no count (OUT low, nothing counting), and
 * GATE is high on channels 0 and 1, low on channel 2 until port 0x61 says.
 */
struct pit8254 *pit8254_create(struct io_bus *bus, struct irq_line irq0)
{
	struct pit8254 *pit = calloc(1, sizeof(*pit));
	int err;

	if (!pit)
		return NULL;
	pit->irq0 = irq0;
	pit->now_ns = monotonic_ns;
	pit->ch[0].gate = true;
	pit->ch[1].gate = true;
	err = pio_register(bus, PIT_BASE, PIT_NR_PORTS, pit_io, pit);
	if (err) {
		free(pit);
		errno = -err;
		return NULL;
	}
	return pit;
}

/* The bus still points at @pit: call this only once the bus is no longer used. */
void pit8254_destroy(struct pit8254 *pit)
{
	free(pit);
}
