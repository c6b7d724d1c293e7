/*
 * port61.c - system control port B at 0x61 (the AT's 8255 port B, later the
 * chipset's "NMI Status and Control Register" in the Intel 82371AB PIIX4
 * datasheet): PIT channel 2's GATE and OUT, the speaker enable, and the
 * refresh toggle that BIOS-era delay loops watch.
 *
 * Its own device because it is its own register on the PC, and because
 * keeping it out of pit8254.c keeps the PIT one port range with one handler.
 * It reaches the PIT only through pit8254_set_gate()/pit8254_get_out(), and
 * takes the time for the refresh toggle from the PIT's clock, so a test that
 * drives the PIT's clock drives this port too.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/devices.h"

#define PORT61 0x61

#define P61_GATE2     0x01 /* rw: PIT channel 2 GATE */
#define P61_SPKR_DATA 0x02 /* rw: speaker data enable (OUT2 AND this drives the speaker) */
#define P61_PCK_DIS   0x04 /* rw: parity/SERR# check disable */
#define P61_IOCHK_DIS 0x08 /* rw: IOCHK# check disable */
#define P61_WRITABLE  0x0f
#define P61_REFRESH   0x10 /* ro: toggles on every DRAM refresh request */
#define P61_OUT2      0x20 /* ro: PIT channel 2 OUT */
/* Bits 6 (IOCHK# NMI) and 7 (SERR# NMI) read 0: nothing here raises those errors. */

/*
 * On the AT the refresh request comes from PIT channel 1 in mode 2 with
 * count 18, one every 18 / 1.193182 MHz = 15.085 us. Channel 1 is left
 * unprogrammed here (there is no BIOS), so the toggle runs from the clock.
 */
#define REFRESH_PERIOD_NS 15085ull

struct port61 {
	struct pit8254 *pit;
	uint8_t value; /* the writable bits */
};

static uint8_t port61_read(struct port61 *dev)
{
	uint8_t value = dev->value;

	if ((pit8254_now(dev->pit) / REFRESH_PERIOD_NS) & 1)
		value |= P61_REFRESH;
	if (pit8254_get_out(dev->pit, 2))
		value |= P61_OUT2;
	return value;
}

static void port61_write(struct port61 *dev, uint8_t value)
{
	dev->value = value & P61_WRITABLE;
	pit8254_set_gate(dev->pit, 2, value & P61_GATE2);
}

/* One 8-bit register: only the first byte of a wider access reaches it. */
static void port61_io(void *opaque, uint32_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct port61 *dev = opaque;

	if (is_write) {
		port61_write(dev, data[0]);
		return;
	}
	memset(data, 0xff, len);
	data[0] = port61_read(dev);
}

struct port61 *port61_create(struct io_bus *bus, struct pit8254 *pit)
{
	struct port61 *dev;
	int err;

	if (!pit) {
		errno = EINVAL;
		return NULL;
	}
	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return NULL;
	dev->pit = pit;
	err = pio_register(bus, PORT61, 1, port61_io, dev);
	if (err) {
		free(dev);
		errno = -err;
		return NULL;
	}
	return dev;
}

/* The bus still points at @dev: call this only once the bus is no longer used. */
void port61_destroy(struct port61 *dev)
{
	free(dev);
}
