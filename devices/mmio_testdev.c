/*
 * mmio_testdev.c - btvmm's MMIO test device (no real hardware; devices.h
 * has its register map): a page of scratch registers and an access counter,
 * so a test guest can prove each of its accesses reached the device through
 * the monitor's slow path rather than a RAM copy on the fast path.
 */
#include <errno.h>
#include <stdlib.h>

#include "devices/devices.h"

struct mmio_testdev {
	uint8_t scratch[MMIO_TESTDEV_SIZE];
	uint32_t accesses; /* handler calls so far */
};

static bool is_counter(uint32_t offset)
{
	return offset - MMIO_TESTDEV_COUNTER < sizeof(uint32_t);
}

/* One byte of an access: a scratch register, a counter byte, or beyond the page. */
static void access_byte(struct mmio_testdev *dev, uint32_t offset, uint8_t *byte, bool is_write)
{
	if (offset >= MMIO_TESTDEV_SIZE) {
		if (!is_write)
			*byte = 0xff; /* nothing there: open bus */
		return;
	}
	if (is_counter(offset)) {
		if (!is_write)
			*byte = (uint8_t)(dev->accesses >> (8 * (offset - MMIO_TESTDEV_COUNTER)));
		return;
	}
	if (is_write)
		dev->scratch[offset] = *byte;
	else
		*byte = dev->scratch[offset];
}

/*
 * The dispatcher calls this once per access, so the counter moves by one for
 * each, whatever its width; it moves before the bytes are read, so a read of
 * the counter includes itself.
 */
static void testdev_io(void *opaque, uint32_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct mmio_testdev *dev = opaque;

	dev->accesses++;
	for (uint32_t i = 0; i < len; i++)
		access_byte(dev, offset + i, &data[i], is_write);
}

struct mmio_testdev *mmio_testdev_create(struct io_bus *bus, uint64_t base)
{
	struct mmio_testdev *dev = calloc(1, sizeof(*dev));
	int err;

	if (!dev)
		return NULL;
	err = mmio_register(bus, base, MMIO_TESTDEV_SIZE, testdev_io, dev);
	if (err) {
		free(dev);
		errno = -err;
		return NULL;
	}
	return dev;
}

void mmio_testdev_destroy(struct mmio_testdev *dev)
{
	free(dev);
}
