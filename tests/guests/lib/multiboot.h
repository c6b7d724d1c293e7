/*
 * multiboot.h - the part of the Multiboot v1 information structure the
 * guests read (Multiboot Specification 0.6.96, section 3.3).
 */
#ifndef GUEST_MULTIBOOT_H
#define GUEST_MULTIBOOT_H

#include <stdint.h>

#define MULTIBOOT_BOOTLOADER_MAGIC 0x2BADB002 /* in EAX at entry */
#define MULTIBOOT_INFO_MEMORY	   (1u << 0)  /* mem_lower and mem_upper are valid */

struct multiboot_info {
	uint32_t flags;	    /* which of the fields below are valid */
	uint32_t mem_lower; /* KiB of memory from 0 */
	uint32_t mem_upper; /* KiB of memory from 1 MiB */
	/* boot_device, cmdline, modules, ... follow; no guest reads them yet. */
};

/*
 * Checks what every Multiboot loader must provide to this kernel: the magic
 * in EAX, and memory information since the header asks for it (flags bit 1).
 * Prints one ok/FAIL line per fact; never the sizes, which depend on -m.
 */
void check_multiboot(uint32_t magic, uint32_t info);

#endif
