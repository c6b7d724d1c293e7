/*
 * boot.h - loading a guest kernel into guest RAM without a BIOS, and the
 * machine state it expects at its entry point. Internal to monitor/.
 */
#ifndef BTVMM_MONITOR_BOOT_H
#define BTVMM_MONITOR_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include "shadow_mmu/shadow_mmu.h"

#define MULTIBOOT_HEADER_MAGIC	   0x1badb002u /* in the kernel image */
#define MULTIBOOT_BOOTLOADER_MAGIC 0x2badb002u /* in EAX at entry */
#define MULTIBOOT_SEARCH_BYTES	   8192	       /* the header lies in the first 8 KB */

/* The PC memory map both boot protocols describe to the guest. */
#define BOOT_LOW_MEMORY_END    0x0009fc00u /* conventional memory; the EBDA's 1 KiB above */
#define BOOT_BIOS_AREA_START   0x000f0000u /* system BIOS ROM, reserved */
#define BOOT_HIGH_MEMORY_START 0x00100000u /* 1 MiB: extended memory starts */

enum boot_protocol {
	BOOT_MULTIBOOT,
	BOOT_LINUX,
};

/* Where the guest starts and what its registers hold there. */
struct boot_entry {
	enum boot_protocol protocol;
	uint32_t eip;
	uint32_t eax; /* Multiboot: MULTIBOOT_BOOTLOADER_MAGIC */
	uint32_t ebx; /* Multiboot: physical address of the information structure */
	uint32_t esi; /* Linux: physical address of boot_params */
};

/*
 * Find a valid Multiboot v1 header (magic, 4-byte aligned, in the first 8 KB,
 * checksum correct) in @image of @size bytes. Returns its offset, or -1.
 */
int multiboot_probe(const uint8_t *image, size_t size);

/*
 * Load the Multiboot v1 kernel in @path into @phys: ELF32 program headers
 * (with libelf), or the a.out-kludge addresses when header flag 16 is set.
 * Builds the Multiboot information structure (memory sizes, the memory map,
 * the command line @cmdline, and @module_path, if not NULL, as the one
 * module) in low memory. Returns 0 and fills *entry, or -1 with a one-line
 * reason naming what is wrong with the image in @err.
 */
int multiboot_load(struct guest_phys *phys, const char *path, const char *cmdline,
		   const char *module_path, struct boot_entry *entry, char *err, size_t errlen);

/* What the Multiboot information structure describes, and must keep clear of. */
struct multiboot_info_request {
	const char *kernel_path;	   /* the command line is this file name, */
	const char *append;		   /* then a space and this (may be NULL) */
	const char *module_path;	   /* NULL: no module */
	uint64_t module_start, module_end; /* guest-physical; empty without a module */
	uint64_t kernel_start, kernel_end; /* guest-physical extent of the kernel */
};

/*
 * Write the Multiboot information structure (flags, memory sizes, memory
 * map, command line, boot loader name, module list) into conventional memory
 * clear of the kernel and the module. Used by multiboot_load(). Returns 0
 * with its physical address in *info_addr, or -1 with a one-line reason
 * naming the kernel in @err.
 */
int multiboot_write_info(struct guest_phys *phys, const struct multiboot_info_request *req,
			 uint32_t *info_addr, char *err, size_t errlen);

#endif /* BTVMM_MONITOR_BOOT_H */
