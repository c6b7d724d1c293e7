/*
 * legacy_ports.c - the table of PC ports that exist but need no model
 * (kvmtool's ioport__setup_arch). Port assignments: the IBM PC/AT Technical
 * Reference and Ralf Brown's PORTS.LST.
 *
 * Claiming a port here changes nothing the guest sees (it reads all ones and
 * writes vanish, as with an unclaimed port); it records that the port is
 * known and deliberately ignored, so the monitor's I/O log does not report it
 * as unexpected, and a later device cannot claim it by accident (-EBUSY).
 */
#include <errno.h>
#include <string.h>

#include "devices/devices.h"

struct legacy_port {
	uint16_t port;
	uint16_t len;
	const char *name;
};

/*
 * Not here, because they are real devices: 0x20-0x21/0xa0-0xa1 and the ELCR
 * at 0x4d0-0x4d1 (pic8259.c), 0x40-0x43 (pit8254.c), 0x60/0x64 (i8042.c),
 * 0x61 (port61.c), 0x70-0x71 (cmos_rtc.c), 0x92 (port92.c), 0x3f8 (COM1),
 * 0xe9 and the exit port (debug_exit.c).
 */
static const struct legacy_port legacy_ports[] = {
    /* 8237 DMA controller 1. No ISA DMA device is modelled. */
    {0x00, 0x10, "dma1"},
    /* POST code: BIOSes write progress here, Linux writes it as an I/O delay (outb_p). */
    {0x80, 0x01, "post"},
    /* 8237 DMA page registers (0x80 itself is the POST port above). */
    {0x81, 0x0f, "dma-page"},
    /* 8237 DMA controller 2 (16-bit channels). */
    {0xc0, 0x20, "dma2"},
    /* Alternative I/O delay port (Linux io_delay=0xed). */
    {0xed, 0x01, "delay"},
};

#define NR_LEGACY_PORTS (sizeof(legacy_ports) / sizeof(legacy_ports[0]))

/* Writes vanish; reads see an empty ISA bus. */
static void legacy_port_io(void *opaque, uint32_t offset, uint8_t *data, uint32_t len,
			   bool is_write)
{
	if (!is_write)
		memset(data, 0xff, len);
}

int legacy_ports_register(struct io_bus *bus)
{
	size_t i;
	int err;

	for (i = 0; i < NR_LEGACY_PORTS; i++) {
		err = pio_register(bus, legacy_ports[i].port, legacy_ports[i].len, legacy_port_io,
				   (void *)legacy_ports[i].name);
		if (err)
			goto unwind;
	}
	return 0;

unwind:
	while (i-- > 0)
		pio_unregister(bus, legacy_ports[i].port);
	return err;
}
