/*
 * port92.c - system control port A at 0x92 ("fast A20 and init", IBM PS/2
 * Technical Reference; Intel 82371AB PIIX4 datasheet, register PORT92):
 * bit 0 pulses the CPU reset, bit 1 is the A20 gate.
 *
 * Its own small device rather than a legacy_ports.c entry, because writing
 * bit 0 must reset the machine and the register must read back.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/devices.h"

#define PORT92 0x92

#define P92_FAST_RESET 0x01 /* a 0 -> 1 transition resets the CPU */
#define P92_A20	       0x02 /* 1: A20 is not masked */

struct port92 {
	reset_request_fn reset;
	void *opaque;
	uint8_t value;
};

static void port92_write(struct port92 *dev, uint8_t value)
{
	uint8_t old = dev->value;

	dev->value = value;
	if ((value & P92_FAST_RESET) && !(old & P92_FAST_RESET))
		dev->reset(dev->opaque);
}

/* One 8-bit register: only the first byte of a wider access reaches it. */
static void port92_io(void *opaque, uint32_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct port92 *dev = opaque;

	if (is_write) {
		port92_write(dev, data[0]);
		return;
	}
	memset(data, 0xff, len);
	data[0] = dev->value;
}

bool port92_a20_enabled(struct port92 *dev)
{
	return dev->value & P92_A20;
}

/*
 * Power-on value: A20 enabled, as the loaders leave it (btvmm does not mask
 * A20 in guest memory at all; see devices.h).
 */
struct port92 *port92_create(struct io_bus *bus, reset_request_fn reset, void *opaque)
{
	struct port92 *dev;
	int err;

	if (!reset) {
		errno = EINVAL;
		return NULL;
	}
	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return NULL;
	dev->reset = reset;
	dev->opaque = opaque;
	dev->value = P92_A20;
	err = pio_register(bus, PORT92, 1, port92_io, dev);
	if (err) {
		free(dev);
		errno = -err;
		return NULL;
	}
	return dev;
}

/* The bus still points at @dev: call this only once the bus is no longer used. */
void port92_destroy(struct port92 *dev)
{
	free(dev);
}
