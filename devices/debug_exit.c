/*
 * debug_exit.c - the test guests' exit port and debug console: QEMU's
 * isa-debug-exit device and the Bochs/QEMU port 0xe9 console ("debugcon").
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices/devices.h"

#define DEBUG_EXIT_PORTS 4
#define DEBUGCON_PORT	 0xe9
/* Bochs convention: reading 0xe9 returns 0xe9, so a guest can tell the port is there. */
#define DEBUGCON_READBACK 0xe9

struct debug_exit {
	exit_request_fn on_exit;
	void *opaque;
	int debugcon_fd;
};

/* Little-endian value of a 1-, 2- or 4-byte access. */
static uint32_t access_value(const uint8_t *data, uint32_t len)
{
	uint32_t value = 0, i;

	for (i = 0; i < len && i < sizeof(value); i++)
		value |= (uint32_t)data[i] << (8 * i);
	return value;
}

/*
 * Any write, of any width, at any of the four ports ends the VM. QEMU's
 * status is (V << 1) | 1, so a guest can never produce 0 (success of the
 * VMM itself) by accident: test guests write 0x10 for "pass" -> status 33.
 */
static void exit_port_io(void *opaque, uint32_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct debug_exit *dev = opaque;
	uint32_t value;

	if (!is_write) {
		memset(data, 0xff, len);
		return;
	}
	value = access_value(data, len);
	dev->on_exit(dev->opaque, (int)((value << 1) | 1));
}

/* Only the low byte of a wider write is a character, as in QEMU's debugcon. */
static void debugcon_io(void *opaque, uint32_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct debug_exit *dev = opaque;
	ssize_t n;

	if (!is_write) {
		memset(data, DEBUGCON_READBACK, len);
		return;
	}
	if (dev->debugcon_fd < 0)
		return;
	do {
		n = write(dev->debugcon_fd, data, 1);
	} while (n < 0 && errno == EINTR);
}

struct debug_exit *debug_exit_create(struct io_bus *bus, uint16_t port, exit_request_fn on_exit,
				     void *opaque, int debugcon_fd)
{
	struct debug_exit *dev;
	int err;

	if (!on_exit) {
		errno = EINVAL;
		return NULL;
	}
	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return NULL;
	dev->on_exit = on_exit;
	dev->opaque = opaque;
	dev->debugcon_fd = debugcon_fd;

	err = pio_register(bus, port, DEBUG_EXIT_PORTS, exit_port_io, dev);
	if (err)
		goto err_free;
	err = pio_register(bus, DEBUGCON_PORT, 1, debugcon_io, dev);
	if (err)
		goto err_exit_port;
	return dev;

err_exit_port:
	pio_unregister(bus, port);
err_free:
	free(dev);
	errno = -err;
	return NULL;
}

/* The bus still points at @dev: call this only once the bus is no longer used. */
void debug_exit_destroy(struct debug_exit *dev)
{
	free(dev);
}
