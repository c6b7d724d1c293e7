/*
 * boot.h - loading a guest kernel into guest RAM without a BIOS, and the
 * machine state it expects at its entry point. Internal to monitor/.
 */
#ifndef BTVMM_MONITOR_BOOT_H
#define BTVMM_MONITOR_BOOT_H

#include <stdbool.h>
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

/* ---- Linux/x86 32-bit boot protocol (boot_linux.c) ---- */

/*
 * Where linux_load() and linux_setup_gdt() put things in conventional memory:
 * QEMU's -kernel addresses for boot_params and the command line, and the GDT
 * below them, all clear of the IVT and BIOS data area (0-0x4ff, which Linux
 * reads) and of the EBDA.
 */
#define LINUX_GDT_ADDR	       0x00001000u /* the boot GDT, 4 descriptors */
#define LINUX_BOOT_PARAMS_ADDR 0x00010000u /* struct boot_params, the "zero page" (4 KiB) */
#define LINUX_CMDLINE_ADDR     0x00020000u /* the command line, NUL-terminated */
#define LINUX_KERNEL_ADDR      BOOT_HIGH_MEMORY_START /* the protected-mode kernel */

/* The selectors the 32-bit boot protocol requires in the GDT. */
#define LINUX_BOOT_CS 0x10 /* __BOOT_CS: flat 4 GiB code, execute/read */
#define LINUX_BOOT_DS 0x18 /* __BOOT_DS: flat 4 GiB data, read/write */

/* Does @image look like a Linux bzImage (setup header "HdrS", boot protocol >= 2.02)? */
bool linux_probe(const uint8_t *image, size_t size);

/*
 * Load bzImage @path into @phys with command line @cmdline (may be NULL) and
 * initrd @initrd_path (may be NULL), build boot_params ("zero page") with an
 * e820 map, and fill *entry for the 32-bit protected-mode entry
 * (entry->protocol = BOOT_LINUX, eip = code32_start, esi = boot_params).
 * Returns 0, or -1 with a one-line reason in @err, naming the file at fault.
 *
 * The machine state the protocol requires at entry (Documentation/x86/
 * boot.rst, "32-bit boot protocol"), which the vCPU reset must set up:
 *  - protected mode (CR0.PE), paging off;
 *  - GDTR holding a GDT with flat 4 GiB descriptors for LINUX_BOOT_CS
 *    (execute/read) and LINUX_BOOT_DS (read/write): see linux_setup_gdt();
 *  - CS = LINUX_BOOT_CS; DS = ES = SS = LINUX_BOOT_DS (FS and GS unused:
 *    LINUX_BOOT_DS serves);
 *  - EFLAGS.IF = 0 (no IDT is needed: the kernel loads its own);
 *  - EIP = entry->eip, ESI = entry->esi, EBP = EDI = EBX = 0. ESP is free:
 *    the kernel's first instructions point it into boot_params.
 */
int linux_load(struct guest_phys *phys, const char *path, const char *cmdline,
	       const char *initrd_path, struct boot_entry *entry, char *err, size_t errlen);

/*
 * Write the GDT the 32-bit boot protocol requires at LINUX_GDT_ADDR: null,
 * unused, then flat LINUX_BOOT_CS and LINUX_BOOT_DS (accessed bits set, so
 * loading them writes nothing). Sets the GDTR's base and limit. Returns 0, or
 * -EFAULT if guest RAM does not cover the table (it always does).
 */
int linux_setup_gdt(struct guest_phys *phys, uint32_t *gdt_base, uint16_t *gdt_limit);

#endif /* BTVMM_MONITOR_BOOT_H */
