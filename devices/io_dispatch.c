/*
 * io_dispatch.c - the port-I/O and MMIO dispatch tables (kvmtool's ioport.c
 * and mmio.c shape) and the unclaimed-port policy of an ISA PC bus.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/devices.h"

#define PIO_PORTS 65536

/* One registered range; ports and MMIO use the same shape. */
struct io_range {
	uint64_t base;
	uint64_t len;
	io_handler_fn fn;
	void *opaque;
};

/*
 * Port lookup happens on every guest IN/OUT, so it is one array index:
 * port_map[port] is 1 + the index of the range claiming @port in pio, or 0
 * when nothing does (128 KB per bus). MMIO ranges are few and MMIO accesses
 * come only after a shadow-MMU miss, so a sorted array searched by bisection
 * is enough there.
 */
struct io_bus {
	uint16_t port_map[PIO_PORTS];
	struct io_range *pio;
	size_t nr_pio;
	struct io_range *mmio; /* sorted by base, never overlapping */
	size_t nr_mmio;
};

struct io_bus *io_bus_create(void)
{
	return calloc(1, sizeof(struct io_bus));
}

void io_bus_destroy(struct io_bus *bus)
{
	if (!bus)
		return;
	free(bus->pio);
	free(bus->mmio);
	free(bus);
}

/* Grow @array of @nr ranges by one slot. Returns the new array or NULL. */
static struct io_range *grow(struct io_range *array, size_t nr)
{
	return realloc(array, (nr + 1) * sizeof(*array));
}

int pio_register(struct io_bus *bus, uint16_t port, uint16_t len, io_handler_fn fn, void *opaque)
{
	struct io_range *pio;
	uint32_t p, end = (uint32_t)port + len;

	if (len == 0 || end > PIO_PORTS || !fn)
		return -EINVAL;
	/* The map holds 16-bit indices; 65535 ranges is more than 65536 ports allow anyway. */
	if (bus->nr_pio >= UINT16_MAX)
		return -ENOSPC;
	for (p = port; p < end; p++)
		if (bus->port_map[p])
			return -EBUSY;

	pio = grow(bus->pio, bus->nr_pio);
	if (!pio)
		return -ENOMEM;
	pio[bus->nr_pio] = (struct io_range){.base = port, .len = len, .fn = fn, .opaque = opaque};
	bus->pio = pio;
	bus->nr_pio++;
	for (p = port; p < end; p++)
		bus->port_map[p] = (uint16_t)bus->nr_pio;
	return 0;
}

/* The slot stays in the array as a hole (fn NULL) so other indices stay valid. */
int pio_unregister(struct io_bus *bus, uint16_t port)
{
	struct io_range *range;
	uint16_t idx = bus->port_map[port];
	uint32_t p;

	if (!idx || bus->pio[idx - 1].base != port)
		return -ENOENT;
	range = &bus->pio[idx - 1];
	for (p = port; p < port + range->len; p++)
		bus->port_map[p] = 0;
	*range = (struct io_range){0};
	return 0;
}

/*
 * The whole access goes to the device claiming its first port, with @len as
 * given: a 16-bit IN from 0x3f8 reaches the UART as one 2-byte access at
 * offset 0, even if the device's range ends before the second byte. Each
 * device decides what a wide access means (the UART splits it into byte
 * accesses as an ISA bus would; debug-exit takes the whole value). Splitting
 * here instead would hide the access width, which debug-exit needs.
 */
bool pio_access(struct io_bus *bus, uint16_t port, uint8_t *data, uint32_t len, bool is_write)
{
	const struct io_range *range;
	uint16_t idx = bus->port_map[port];

	if (!idx) {
		/* Nothing drives the ISA data bus: pull-ups make reads all ones. */
		if (!is_write)
			memset(data, 0xff, len);
		return false;
	}
	range = &bus->pio[idx - 1];
	range->fn(range->opaque, port - (uint32_t)range->base, data, len, is_write);
	return true;
}

/* Index of the first MMIO range whose base is above @addr (0..nr_mmio). */
static size_t mmio_upper_bound(const struct io_bus *bus, uint64_t addr)
{
	size_t lo = 0, hi = bus->nr_mmio;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (bus->mmio[mid].base <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static const struct io_range *mmio_find(const struct io_bus *bus, uint64_t addr)
{
	size_t i = mmio_upper_bound(bus, addr);
	const struct io_range *range;

	if (i == 0)
		return NULL;
	range = &bus->mmio[i - 1];
	return addr - range->base < range->len ? range : NULL;
}

/*
 * Ranges longer than 4 GB are refused (-EINVAL): the handler's offset is 32
 * bits, and no device on a 32-bit PC is that large.
 */
int mmio_register(struct io_bus *bus, uint64_t addr, uint64_t len, io_handler_fn fn, void *opaque)
{
	struct io_range *mmio;
	size_t i;

	if (len == 0 || len - 1 > UINT64_MAX - addr || len - 1 > UINT32_MAX || !fn)
		return -EINVAL;
	/* Ranges are sorted and disjoint: only the neighbours can overlap. */
	i = mmio_upper_bound(bus, addr);
	if (i > 0 && addr - bus->mmio[i - 1].base < bus->mmio[i - 1].len)
		return -EBUSY;
	if (i < bus->nr_mmio && bus->mmio[i].base - addr < len)
		return -EBUSY;

	mmio = grow(bus->mmio, bus->nr_mmio);
	if (!mmio)
		return -ENOMEM;
	memmove(&mmio[i + 1], &mmio[i], (bus->nr_mmio - i) * sizeof(*mmio));
	mmio[i] = (struct io_range){.base = addr, .len = len, .fn = fn, .opaque = opaque};
	bus->mmio = mmio;
	bus->nr_mmio++;
	return 0;
}

bool mmio_access(struct io_bus *bus, uint64_t addr, uint8_t *data, uint32_t len, bool is_write)
{
	const struct io_range *range = mmio_find(bus, addr);

	if (!range)
		return false;
	range->fn(range->opaque, (uint32_t)(addr - range->base), data, len, is_write);
	return true;
}

bool mmio_is_claimed(struct io_bus *bus, uint64_t addr)
{
	return mmio_find(bus, addr) != NULL;
}
