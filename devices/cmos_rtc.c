/*
 * cmos_rtc.c - the PC's real-time clock and battery-backed CMOS RAM at
 * 0x70 (index, bit 7 = NMI disable) / 0x71 (data). Follows the Motorola
 * MC146818A datasheet (registers A-D, time and date formats) and the IBM
 * PC/AT Technical Reference's CMOS RAM map for bytes 0x0e-0x3f.
 *
 * The clock is the host's (CLOCK_REALTIME, UTC) plus an offset the guest
 * changes by writing the time: nothing ticks, every read converts the time
 * of the read. The other 114 bytes are RAM holding what a BIOS would have
 * left there, memory sizes and their checksum.
 *
 * (Near 400 lines of code, most of it register names and per-field
 * conversions; the clock, the registers and the RAM map are one chip.)
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "devices/devices.h"

#define CMOS_BASE     0x70
#define CMOS_NR_PORTS 2
#define CMOS_SIZE     128
#define NMI_DISABLE   0x80 /* bit 7 of the index port */
#define INDEX_MASK    0x7f

/* MC146818A registers (datasheet Figure 3, "Address Map"). */
#define RTC_SECONDS	 0x00
#define RTC_MINUTES	 0x02
#define RTC_HOURS	 0x04
#define RTC_DAY_OF_WEEK	 0x06
#define RTC_DAY_OF_MONTH 0x07
#define RTC_MONTH	 0x08
#define RTC_YEAR	 0x09
#define RTC_REG_A	 0x0a
#define RTC_REG_B	 0x0b
#define RTC_REG_C	 0x0c
#define RTC_REG_D	 0x0d
/* IBM PC/AT CMOS RAM map. */
#define CMOS_FLOPPY	   0x10 /* drive types: 0 = none */
#define CMOS_EQUIPMENT	   0x14
#define CMOS_BASE_MEM	   0x15 /* KiB below 1 MiB, 16-bit little endian */
#define CMOS_EXT_MEM	   0x17 /* KiB above 1 MiB (up to 64 MiB), as found by POST */
#define CMOS_CHECKSUM	   0x2e /* big endian sum of 0x10-0x2d */
#define CMOS_EXT_MEM2	   0x30 /* the same, as configured */
#define RTC_CENTURY	   0x32
#define CMOS_MEM_ABOVE_16M 0x34 /* 64 KiB units between 16 MiB and 4 GiB (BIOS convention) */
#define CMOS_MEM_ABOVE_4G  0x5b /* 64 KiB units above 4 GiB, 24 bits */
#define CHECKSUM_FIRST	   0x10
#define CHECKSUM_LAST	   0x2d

#define REG_A_UIP     0x80 /* update in progress: the time registers are about to change */
#define REG_A_DEFAULT 0x26 /* DV = 010 (32.768 kHz time base), RS = 0110 (1024 Hz) */
#define REG_A_RS_MASK 0x0f /* periodic interrupt rate select */
#define RTC_BASE_HZ   32768ull
#define REG_B_SET     0x80 /* halt updates so the time can be set */
#define REG_B_PIE     0x40
#define REG_B_AIE     0x20
#define REG_B_UIE     0x10
#define REG_B_DM      0x04 /* 1: binary, 0: BCD */
#define REG_B_24H     0x02 /* 1: 24-hour mode */
#define REG_B_DEFAULT REG_B_24H
#define REG_C_IRQF    0x80 /* an enabled flag below is set */
#define REG_C_PF      0x40 /* periodic */
#define REG_C_AF      0x20 /* alarm */
#define REG_C_UF      0x10 /* update ended */
#define REG_D_VRT     0x80 /* valid RAM and time: the battery is good */
#define HOUR_PM	      0x80 /* 12-hour mode: bit 7 of the hours byte */

#define EQUIP_FPU 0x02 /* math coprocessor present; no floppies; display bits 00 */

#define NSEC_PER_SEC 1000000000ull
/*
 * UIP rises 244 us (t_BUC) before each update and falls when the update
 * ends. Updates are instantaneous here, so UIP is set only in the last
 * 244 us of each second: a guest that waits for it to fall never waits long.
 */
#define UIP_WINDOW_NS 244000ull

#define KIB	1024ull
#define MIB	(1024 * KIB)
#define GIB	(1024 * MIB)
#define UNIT64K (64 * KIB)

struct cmos_rtc {
	struct irq_line irq8;
	uint8_t index;
	bool nmi_disabled;
	uint8_t ram[CMOS_SIZE]; /* the time registers are not kept here: they are computed */
	int64_t offset_s;	/* guest time minus host time */
	struct tm frozen;	/* the time registers, as written, while SET halts the clock */
	uint64_t reg_c_read_ns; /* when register C last reported (and so cleared) its flags */
	uint64_t (*now_ns)(void);
};

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

void cmos_rtc_set_clock(struct cmos_rtc *rtc, uint64_t (*now_ns)(void))
{
	rtc->now_ns = now_ns ? now_ns : realtime_ns;
	rtc->reg_c_read_ns = rtc->now_ns();
}

bool cmos_rtc_nmi_disabled(struct cmos_rtc *rtc)
{
	return rtc->nmi_disabled;
}

static bool is_time_register(uint8_t index)
{
	switch (index) {
	case RTC_SECONDS:
	case RTC_MINUTES:
	case RTC_HOURS:
	case RTC_DAY_OF_WEEK:
	case RTC_DAY_OF_MONTH:
	case RTC_MONTH:
	case RTC_YEAR:
	case RTC_CENTURY:
		return true;
	default:
		return false;
	}
}

static bool clock_halted(const struct cmos_rtc *rtc)
{
	return rtc->ram[RTC_REG_B] & REG_B_SET;
}

static int64_t host_seconds(const struct cmos_rtc *rtc)
{
	return (int64_t)(rtc->now_ns() / NSEC_PER_SEC);
}

/*
 * The guest's time, broken down. While SET halts the clock the registers
 * hold exactly what was written, even a date that does not exist yet (Linux
 * writes the day before the month): it is converted only when SET clears.
 */
static void guest_tm(const struct cmos_rtc *rtc, struct tm *tm)
{
	time_t t;

	if (clock_halted(rtc)) {
		*tm = rtc->frozen;
		return;
	}
	t = (time_t)(host_seconds(rtc) + rtc->offset_s);
	gmtime_r(&t, tm);
}

/* Run the clock from @tm (normalized by timegm: 31 February is 3 March). */
static void run_clock_from(struct cmos_rtc *rtc, const struct tm *tm)
{
	struct tm copy = *tm;

	rtc->offset_s = (int64_t)timegm(&copy) - host_seconds(rtc);
}

static bool update_in_progress(const struct cmos_rtc *rtc)
{
	return !clock_halted(rtc) && rtc->now_ns() % NSEC_PER_SEC >= NSEC_PER_SEC - UIP_WINDOW_NS;
}

static uint8_t to_bcd(int value)
{
	return (uint8_t)((value / 10 % 10) << 4 | value % 10);
}

static int from_bcd(uint8_t value)
{
	return (value >> 4) * 10 + (value & 0x0f);
}

/* A time or date field in the format register B selects (DM: binary or BCD). */
static uint8_t encode(const struct cmos_rtc *rtc, int value)
{
	return (rtc->ram[RTC_REG_B] & REG_B_DM) ? (uint8_t)value : to_bcd(value);
}

static int decode(const struct cmos_rtc *rtc, uint8_t value)
{
	return (rtc->ram[RTC_REG_B] & REG_B_DM) ? value : from_bcd(value);
}

/* Hours 0-23; in 12-hour mode 1-12 with bit 7 set for PM (datasheet Table 3). */
static uint8_t encode_hours(const struct cmos_rtc *rtc, int hour)
{
	if (rtc->ram[RTC_REG_B] & REG_B_24H)
		return encode(rtc, hour);
	return (uint8_t)(encode(rtc, hour % 12 ? hour % 12 : 12) | (hour >= 12 ? HOUR_PM : 0));
}

static int decode_hours(const struct cmos_rtc *rtc, uint8_t value)
{
	if (rtc->ram[RTC_REG_B] & REG_B_24H)
		return decode(rtc, value);
	return decode(rtc, value & ~HOUR_PM) % 12 + ((value & HOUR_PM) ? 12 : 0);
}

/* The day of the week runs 1 (Sunday) to 7; the year register holds the year within the century. */
static uint8_t read_time(const struct cmos_rtc *rtc, uint8_t index)
{
	struct tm tm;
	int year;

	guest_tm(rtc, &tm);
	year = tm.tm_year + 1900;
	switch (index) {
	case RTC_SECONDS:
		return encode(rtc, tm.tm_sec);
	case RTC_MINUTES:
		return encode(rtc, tm.tm_min);
	case RTC_HOURS:
		return encode_hours(rtc, tm.tm_hour);
	case RTC_DAY_OF_WEEK:
		return encode(rtc, tm.tm_wday + 1);
	case RTC_DAY_OF_MONTH:
		return encode(rtc, tm.tm_mday);
	case RTC_MONTH:
		return encode(rtc, tm.tm_mon + 1);
	case RTC_YEAR:
		return encode(rtc, year % 100);
	default: /* RTC_CENTURY */
		return encode(rtc, year / 100);
	}
}

/*
 * Writing a field moves the guest's clock; the other fields keep their
 * values. The day of the week follows from the date once the clock runs
 * (on the chip it is an independent counter nobody relies on).
 */
static void write_time(struct cmos_rtc *rtc, uint8_t index, uint8_t value)
{
	struct tm tm;
	int year;

	guest_tm(rtc, &tm);
	year = tm.tm_year + 1900;
	switch (index) {
	case RTC_SECONDS:
		tm.tm_sec = decode(rtc, value);
		break;
	case RTC_MINUTES:
		tm.tm_min = decode(rtc, value);
		break;
	case RTC_HOURS:
		tm.tm_hour = decode_hours(rtc, value);
		break;
	case RTC_DAY_OF_MONTH:
		tm.tm_mday = decode(rtc, value);
		break;
	case RTC_MONTH:
		tm.tm_mon = decode(rtc, value) - 1;
		break;
	case RTC_YEAR:
		tm.tm_year = year / 100 * 100 + decode(rtc, value) - 1900;
		break;
	case RTC_CENTURY:
		tm.tm_year = decode(rtc, value) * 100 + year % 100 - 1900;
		break;
	default: /* RTC_DAY_OF_WEEK */
		tm.tm_wday = decode(rtc, value) - 1;
		break;
	}
	if (clock_halted(rtc))
		rtc->frozen = tm;
	else
		run_clock_from(rtc, &tm);
}

/*
 * Setting SET freezes the clock where it is (and, per the datasheet, clears
 * UIE); clearing it lets the clock run on from the value the guest set.
 */
static void write_reg_b(struct cmos_rtc *rtc, uint8_t value)
{
	bool was_halted = clock_halted(rtc), halt = value & REG_B_SET;

	if (halt && !was_halted)
		guest_tm(rtc, &rtc->frozen);
	else if (!halt && was_halted)
		run_clock_from(rtc, &rtc->frozen);
	if (halt)
		value &= ~REG_B_UIE;
	rtc->ram[RTC_REG_B] = value;
}

/* The periodic rate from register A's RS bits: none, or 2^(RS-1) / 32768 s (RS 1, 2 as 8, 9). */
static uint64_t periodic_ns(uint8_t reg_a)
{
	unsigned int rs = reg_a & REG_A_RS_MASK;

	if (rs == 0)
		return 0;
	if (rs < 3)
		rs += 7;
	return (NSEC_PER_SEC << (rs - 1)) / RTC_BASE_HZ;
}

/*
 * Register C. UF (an update ended: a second boundary passed) and PF (a
 * periodic tick passed) are set whatever the enables say, so they are
 * computed from the time since register C was last read; reading clears
 * them. IRQF is set when a flag is set whose enable bit in B is set.
 * TODO(#3): the periodic (PIE), alarm (AIE) and update-ended (UIE)
 * interrupts are not raised on IRQ 8, and AF is never set.
 */
static uint8_t read_reg_c(struct cmos_rtc *rtc)
{
	uint64_t now = rtc->now_ns(), last = rtc->reg_c_read_ns;
	uint64_t period = periodic_ns(rtc->ram[RTC_REG_A]);
	uint8_t flags = 0;

	if (!clock_halted(rtc) && now / NSEC_PER_SEC != last / NSEC_PER_SEC)
		flags |= REG_C_UF;
	if (period && now / period != last / period)
		flags |= REG_C_PF;
	if (flags & rtc->ram[RTC_REG_B] & (REG_B_PIE | REG_B_AIE | REG_B_UIE))
		flags |= REG_C_IRQF;
	rtc->reg_c_read_ns = now;
	return flags;
}

static void cmos_write(struct cmos_rtc *rtc, uint8_t index, uint8_t value)
{
	if (is_time_register(index)) {
		write_time(rtc, index, value);
		return;
	}
	switch (index) {
	case RTC_REG_A:
		rtc->ram[RTC_REG_A] = value & ~REG_A_UIP; /* UIP is read-only */
		break;
	case RTC_REG_B:
		write_reg_b(rtc, value);
		break;
	case RTC_REG_C: /* read-only */
	case RTC_REG_D:
		break;
	default: /* alarms and battery-backed RAM */
		rtc->ram[index] = value;
		break;
	}
}

static uint8_t cmos_read(struct cmos_rtc *rtc, uint8_t index)
{
	if (is_time_register(index))
		return read_time(rtc, index);
	switch (index) {
	case RTC_REG_A:
		return (uint8_t)(rtc->ram[RTC_REG_A] | (update_in_progress(rtc) ? REG_A_UIP : 0));
	case RTC_REG_C:
		return read_reg_c(rtc);
	case RTC_REG_D:
		return REG_D_VRT;
	default:
		return rtc->ram[index];
	}
}

/*
 * Port 0x70 is write-only: reads see the undriven ISA bus (0xff), as on
 * QEMU's PC. Wider accesses are split into byte accesses.
 */
static void cmos_io(void *opaque, uint32_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct cmos_rtc *rtc = opaque;
	uint32_t i, port;

	for (i = 0; i < len; i++) {
		port = offset + i;
		if (port == 0 && is_write) {
			rtc->index = data[i] & INDEX_MASK;
			rtc->nmi_disabled = data[i] & NMI_DISABLE;
		} else if (port == 1 && is_write) {
			cmos_write(rtc, rtc->index, data[i]);
		} else if (port == 1) {
			data[i] = cmos_read(rtc, rtc->index);
		} else if (!is_write) {
			data[i] = 0xff;
		}
	}
}

static void put_le16(uint8_t *ram, int index, uint64_t value)
{
	ram[index] = (uint8_t)value;
	ram[index + 1] = (uint8_t)(value >> 8);
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/*
 * Memory sizes as SeaBIOS and QEMU's PC leave them: base memory (at most
 * 640 KiB), extended memory from 1 MiB in KiB (capped at 0xffff), memory
 * from 16 MiB to 4 GiB in 64 KiB units, and above 4 GiB in 64 KiB units.
 */
static void set_memory_sizes(uint8_t *ram, uint64_t ram_bytes)
{
	uint64_t ext_kib = ram_bytes > MIB ? (ram_bytes - MIB) / KIB : 0;
	uint64_t below_4g = min_u64(ram_bytes, 4 * GIB);
	uint64_t above_16m = below_4g > 16 * MIB ? (below_4g - 16 * MIB) / UNIT64K : 0;
	uint64_t above_4g = ram_bytes > 4 * GIB ? (ram_bytes - 4 * GIB) / UNIT64K : 0;

	put_le16(ram, CMOS_BASE_MEM, min_u64(ram_bytes / KIB, 640));
	put_le16(ram, CMOS_EXT_MEM, min_u64(ext_kib, 0xffff));
	put_le16(ram, CMOS_EXT_MEM2, min_u64(ext_kib, 0xffff));
	put_le16(ram, CMOS_MEM_ABOVE_16M, min_u64(above_16m, 0xffff));
	above_4g = min_u64(above_4g, 0xffffff);
	put_le16(ram, CMOS_MEM_ABOVE_4G, above_4g);
	ram[CMOS_MEM_ABOVE_4G + 2] = (uint8_t)(above_4g >> 16);
}

/* The AT BIOS checksum: the 16-bit sum of 0x10-0x2d, stored high byte first. */
static void set_checksum(uint8_t *ram)
{
	unsigned int sum = 0;
	int i;

	for (i = CHECKSUM_FIRST; i <= CHECKSUM_LAST; i++)
		sum += ram[i];
	ram[CMOS_CHECKSUM] = (uint8_t)(sum >> 8);
	ram[CMOS_CHECKSUM + 1] = (uint8_t)sum;
}

static void cmos_power_on(struct cmos_rtc *rtc, uint64_t ram_bytes)
{
	memset(rtc->ram, 0, sizeof(rtc->ram));
	rtc->ram[RTC_REG_A] = REG_A_DEFAULT;
	rtc->ram[RTC_REG_B] = REG_B_DEFAULT;
	rtc->ram[CMOS_FLOPPY] = 0;
	rtc->ram[CMOS_EQUIPMENT] = EQUIP_FPU;
	set_memory_sizes(rtc->ram, ram_bytes);
	set_checksum(rtc->ram);
	rtc->index = RTC_REG_D;
}

struct cmos_rtc *cmos_rtc_create(struct io_bus *bus, struct irq_line irq8, uint64_t ram_bytes)
{
	struct cmos_rtc *rtc = calloc(1, sizeof(*rtc));
	int err;

	if (!rtc)
		return NULL;
	rtc->irq8 = irq8;
	rtc->now_ns = realtime_ns;
	cmos_power_on(rtc, ram_bytes);
	rtc->reg_c_read_ns = rtc->now_ns();
	err = pio_register(bus, CMOS_BASE, CMOS_NR_PORTS, cmos_io, rtc);
	if (err) {
		free(rtc);
		errno = -err;
		return NULL;
	}
	return rtc;
}

/* The bus still points at @rtc: call this only once the bus is no longer used. */
void cmos_rtc_destroy(struct cmos_rtc *rtc)
{
	free(rtc);
}
