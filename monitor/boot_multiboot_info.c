/*
 * boot_multiboot_info.c - the Multiboot v1 information structure (Multiboot
 * Specification 0.6.96, section 3.3): what the boot loader tells the kernel
 * about memory, its command line and its modules, placed in low memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/boot.h"

/* Information structure flags: which fields are valid. */
#define MB_INFO_MEMORY		 (1u << 0) /* mem_lower, mem_upper */
#define MB_INFO_CMDLINE		 (1u << 2) /* cmdline */
#define MB_INFO_MODS		 (1u << 3) /* mods_count, mods_addr */
#define MB_INFO_MMAP		 (1u << 6) /* mmap_length, mmap_addr */
#define MB_INFO_BOOT_LOADER_NAME (1u << 9) /* boot_loader_name */

/* Memory map entry types. */
#define MB_MEMORY_AVAILABLE 1
#define MB_MEMORY_RESERVED  2
#define MB_MMAP_ENTRIES	    4 /* see fill_memory_map() */

/* Where the information may go: below every usual kernel, else anywhere in
 * conventional memory above the real-mode IVT and BDA. */
#define INFO_PREFERRED_BASE 0x00009000u
#define INFO_FALLBACK_BASE  0x00001000u
#define INFO_ALIGN	    16

#define BOOT_LOADER_NAME "btvmm"

/*
 * The structure as far as 0.6.96 defines it (GRUB 2's framebuffer fields
 * came later). The guest is little-endian like the host, so these structs
 * are copied into guest RAM as they are.
 */
struct multiboot_info {
	uint32_t flags;
	uint32_t mem_lower; /* KiB of conventional memory */
	uint32_t mem_upper; /* KiB from 1 MiB to the first hole */
	uint32_t boot_device;
	uint32_t cmdline; /* physical address of a NUL-terminated string */
	uint32_t mods_count;
	uint32_t mods_addr; /* physical address of the first struct multiboot_module */
	uint32_t syms[4];
	uint32_t mmap_length; /* bytes of memory map */
	uint32_t mmap_addr;
	uint32_t drives_length;
	uint32_t drives_addr;
	uint32_t config_table;
	uint32_t boot_loader_name;
	uint32_t apm_table;
	uint32_t vbe_control_info;
	uint32_t vbe_mode_info;
	uint16_t vbe_mode;
	uint16_t vbe_interface_seg;
	uint16_t vbe_interface_off;
	uint16_t vbe_interface_len;
};
_Static_assert(sizeof(struct multiboot_info) == 88, "multiboot_info layout");
_Static_assert(offsetof(struct multiboot_info, mmap_length) == 44, "multiboot_info layout");
_Static_assert(offsetof(struct multiboot_info, boot_loader_name) == 64, "multiboot_info layout");

/* size counts the bytes after itself, so it is 20, and the next entry is at +24. */
struct multiboot_mmap_entry {
	uint32_t size;
	uint64_t base_addr;
	uint64_t length;
	uint32_t type;
} __attribute__((packed));
_Static_assert(sizeof(struct multiboot_mmap_entry) == 24, "multiboot_mmap_entry layout");

struct multiboot_module {
	uint32_t mod_start;
	uint32_t mod_end;
	uint32_t string; /* physical address of the module's name */
	uint32_t reserved;
};

/* Where each part of the information area goes, as offsets from its base. */
struct info_layout {
	size_t mmap, module, cmdline, loader_name, module_name, total;
};

static uint64_t align_up(uint64_t value, uint64_t align)
{
	return (value + align - 1) & ~(align - 1);
}

static bool ranges_overlap(uint64_t a_start, uint64_t a_end, uint64_t b_start, uint64_t b_end)
{
	return a_start < b_end && b_start < a_end;
}

static struct info_layout plan_info(const char *cmdline, const char *module_path)
{
	struct info_layout l;

	l.mmap = sizeof(struct multiboot_info);
	l.module = l.mmap + MB_MMAP_ENTRIES * sizeof(struct multiboot_mmap_entry);
	l.cmdline = l.module + (module_path ? sizeof(struct multiboot_module) : 0);
	l.loader_name = l.cmdline + strlen(cmdline) + 1;
	l.module_name = l.loader_name + sizeof(BOOT_LOADER_NAME);
	l.total = l.module_name + (module_path ? strlen(module_path) + 1 : 0);
	return l;
}

/* End of the kernel or module range that [start, end) overlaps, or 0. */
static uint64_t occupied_end(const struct multiboot_info_request *req, uint64_t start, uint64_t end)
{
	if (ranges_overlap(start, end, req->kernel_start, req->kernel_end))
		return req->kernel_end;
	if (ranges_overlap(start, end, req->module_start, req->module_end))
		return req->module_end;
	return 0;
}

/* Room for @size bytes in conventional memory clear of kernel and module:
 * returns its address, or 0 if there is none. */
static uint32_t find_info_base(const struct multiboot_info_request *req, size_t size)
{
	static const uint32_t first_tries[] = {INFO_PREFERRED_BASE, INFO_FALLBACK_BASE};
	size_t i;

	for (i = 0; i < sizeof(first_tries) / sizeof(first_tries[0]); i++) {
		uint64_t try = first_tries[i];

		while (try + size <= BOOT_LOW_MEMORY_END) {
			uint64_t busy_end = occupied_end(req, try, try + size);

			if (!busy_end)
				return try;
			try = align_up(busy_end, INFO_ALIGN);
		}
	}
	return 0;
}

/*
 * The map a PC BIOS would report through INT 15h E820 on a machine with
 * @ram_size bytes: conventional memory less the EBDA, the BIOS ROM, and
 * everything from 1 MiB. The VGA window and option ROMs are a hole.
 */
static void fill_memory_map(struct multiboot_mmap_entry map[MB_MMAP_ENTRIES], uint64_t ram_size)
{
	const uint32_t size = sizeof(map[0]) - sizeof(map[0].size);

	map[0] = (struct multiboot_mmap_entry){size, 0, BOOT_LOW_MEMORY_END, MB_MEMORY_AVAILABLE};
	map[1] = (struct multiboot_mmap_entry){size, BOOT_LOW_MEMORY_END,
					       PHYS_LEGACY_HOLE_START - BOOT_LOW_MEMORY_END,
					       MB_MEMORY_RESERVED};
	map[2] = (struct multiboot_mmap_entry){size, BOOT_BIOS_AREA_START,
					       BOOT_HIGH_MEMORY_START - BOOT_BIOS_AREA_START,
					       MB_MEMORY_RESERVED};
	map[3] = (struct multiboot_mmap_entry){
	    size, BOOT_HIGH_MEMORY_START, ram_size - BOOT_HIGH_MEMORY_START, MB_MEMORY_AVAILABLE};
}

static void write_module(uint8_t *area, uint32_t base, const struct info_layout *l,
			 const struct multiboot_info_request *req)
{
	struct multiboot_module mod = {
	    .mod_start = req->module_start,
	    .mod_end = req->module_end,
	    .string = base + l->module_name,
	};

	memcpy(area + l->module, &mod, sizeof(mod));
	strcpy((char *)area + l->module_name, req->module_path);
}

/* Fill the (zeroed) area at guest-physical @base, laid out as @l says. */
static void write_info(uint8_t *area, uint32_t base, const struct info_layout *l, uint64_t ram_size,
		       const struct multiboot_info_request *req, const char *cmdline)
{
	struct multiboot_mmap_entry map[MB_MMAP_ENTRIES];
	struct multiboot_info info = {0};

	fill_memory_map(map, ram_size);
	info.flags = MB_INFO_MEMORY | MB_INFO_CMDLINE | MB_INFO_MMAP | MB_INFO_BOOT_LOADER_NAME;
	/* 640, as QEMU reports it; the memory map, which kernels prefer,
	 * still keeps the top 1 KiB of conventional memory reserved. */
	info.mem_lower = 640;
	info.mem_upper = (ram_size - BOOT_HIGH_MEMORY_START) / 1024;
	info.cmdline = base + l->cmdline;
	info.mmap_length = sizeof(map);
	info.mmap_addr = base + l->mmap;
	info.boot_loader_name = base + l->loader_name;
	if (req->module_path) {
		info.flags |= MB_INFO_MODS;
		info.mods_count = 1;
		info.mods_addr = base + l->module;
		write_module(area, base, l, req);
	}
	memcpy(area, &info, sizeof(info));
	memcpy(area + l->mmap, map, sizeof(map));
	strcpy((char *)area + l->cmdline, cmdline);
	strcpy((char *)area + l->loader_name, BOOT_LOADER_NAME);
}

/* QEMU passes the kernel's file name, then -append's text, as one string. */
static char *make_cmdline(const char *path, const char *append)
{
	size_t len = strlen(path) + (append ? strlen(append) + 1 : 0) + 1;
	char *text = malloc(len);

	if (text)
		snprintf(text, len, "%s%s%s", path, append ? " " : "", append ? append : "");
	return text;
}

int multiboot_write_info(struct guest_phys *phys, const struct multiboot_info_request *req,
			 uint32_t *info_addr, char *err, size_t errlen)
{
	char *cmdline = make_cmdline(req->kernel_path, req->append);
	struct info_layout layout;
	uint8_t *area = NULL;
	uint32_t base;

	if (!cmdline) {
		snprintf(err, errlen, "%s: out of memory", req->kernel_path);
		return -1;
	}
	layout = plan_info(cmdline, req->module_path);
	base = find_info_base(req, layout.total);
	/* Conventional memory is always RAM; checked all the same. */
	if (base)
		area = phys_ram_ptr(phys, base, layout.total);
	if (!area) {
		snprintf(err, errlen, "%s: no room for the Multiboot information below 0x%x",
			 req->kernel_path, BOOT_LOW_MEMORY_END);
		free(cmdline);
		return -1;
	}
	memset(area, 0, layout.total);
	write_info(area, base, &layout, phys->ram_size, req, cmdline);
	free(cmdline);
	*info_addr = base;
	return 0;
}
