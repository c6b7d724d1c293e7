/*
 * boot_linux.c - the Linux/x86 32-bit boot protocol (Documentation/x86/boot.rst,
 * zero-page.rst; struct boot_params in arch/x86/include/uapi/asm/bootparam.h):
 * a bzImage's protected-mode kernel at 1 MiB, the initrd as high as it may go,
 * and boot_params with the command line and an e820 map, as QEMU's -kernel.
 * Longer than the usual file budget because every refusal is spelled out here.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "monitor/boot.h"
#include "monitor/log.h"
#include "monitor/x86.h"

/* The setup header's place in the image (boot.rst, "The real-mode kernel header"). */
#define SETUP_HEADER_OFFSET 0x1f1 /* and in boot_params: the same offset */
#define SETUP_JUMP_OFFSET   0x200 /* a short jump over the header: EB <length> */
#define SETUP_HEADER_END    0x290 /* boot_params' room for the header */
#define SETUP_SECTOR_BYTES  512
#define SETUP_SECTS_DEFAULT 4  /* setup_sects 0 means 4 */
#define SYSSIZE_UNIT	    16 /* syssize counts 16-byte paragraphs */

#define HDR_MAGIC	 0x53726448u /* "HdrS", read little-endian */
#define HDR_BOOT_FLAG	 0xaa55u
#define HDR_VIDEO_NORMAL 0xffffu /* vid_mode: "normal" 80x25, ask nothing */
/* No boot loader ID is assigned to btvmm: boot.rst's "undefined". */
#define HDR_LOADER_UNDEFINED 0xff

/* Protocol versions that added the fields this loader reads. */
#define PROTO_MIN	    0x0202	/* cmd_line_ptr: the 32-bit entry's floor */
#define PROTO_INITRD_MAX    0x0203	/* initrd_addr_max */
#define PROTO_SYSSIZE_32    0x0204	/* syssize is 32 bits wide, so trustworthy */
#define PROTO_CMDLINE_SIZE  0x0206	/* cmdline_size */
#define PROTO_INIT_SIZE	    0x020a	/* pref_address, init_size */
#define INITRD_ADDR_MAX_OLD 0x37ffffffu /* before initrd_addr_max existed */
#define CMDLINE_SIZE_OLD    255		/* before cmdline_size existed */

/* loadflags */
#define LOADED_HIGH  (1u << 0) /* the protected-mode code goes at 1 MiB: a bzImage */
#define CAN_USE_HEAP (1u << 7) /* heap_end_ptr is valid */

/* boot_params fields outside the setup header (zero-page.rst). */
#define BP_EXT_MEM_K	0x002 /* screen_info.ext_mem_k: KiB above 1 MiB, 16 bits */
#define BP_ALT_MEM_K	0x1e0 /* KiB above 1 MiB, 32 bits */
#define BP_E820_ENTRIES 0x1e8
#define BP_E820_TABLE	0x2d0
#define BP_SIZE		4096
#define EXT_MEM_K_MAX	(63u << 10) /* INT 15h AH=88h reports at most 63 MiB */

#define E820_RAM      1
#define E820_RESERVED 2
#define E820_ENTRIES  4 /* see fill_e820() */

#define LINUX_GDT_ENTRIES 4 /* null, unused, __BOOT_CS, __BOOT_DS */

/* The setup header as bootparam.h lays it out, at 0x1f1 in image and zero page. */
struct setup_header {
	uint8_t setup_sects; /* real-mode sectors after the boot sector */
	uint16_t root_flags;
	uint32_t syssize; /* protected-mode code, in 16-byte paragraphs */
	uint16_t ram_size;
	uint16_t vid_mode;
	uint16_t root_dev;
	uint16_t boot_flag; /* 0xaa55 */
	uint16_t jump;	    /* EB <header length - 2> */
	uint32_t header;    /* "HdrS" */
	uint16_t version;   /* boot protocol, major.minor as 0xMMmm */
	uint32_t realmode_swtch;
	uint16_t start_sys_seg;
	uint16_t kernel_version;
	uint8_t type_of_loader;
	uint8_t loadflags;
	uint16_t setup_move_size;
	uint32_t code32_start; /* the 32-bit entry, 0x100000 in a bzImage */
	uint32_t ramdisk_image;
	uint32_t ramdisk_size;
	uint32_t bootsect_kludge;
	uint16_t heap_end_ptr;
	uint8_t ext_loader_ver;
	uint8_t ext_loader_type;
	uint32_t cmd_line_ptr;
	uint32_t initrd_addr_max; /* highest byte the initrd may occupy */
	uint32_t kernel_alignment;
	uint8_t relocatable_kernel;
	uint8_t min_alignment;
	uint16_t xloadflags;
	uint32_t cmdline_size; /* longest command line, without the NUL */
	uint32_t hardware_subarch;
	uint64_t hardware_subarch_data;
	uint32_t payload_offset;
	uint32_t payload_length;
	uint64_t setup_data;
	uint64_t pref_address; /* where the kernel decompresses itself */
	uint32_t init_size;    /* bytes it needs there */
	uint32_t handover_offset;
	uint32_t kernel_info_offset;
} __attribute__((packed));
#define HDR_AT(field) (SETUP_HEADER_OFFSET + offsetof(struct setup_header, field))
_Static_assert(HDR_AT(boot_flag) == 0x1fe, "setup_header layout");
_Static_assert(HDR_AT(header) == 0x202, "setup_header layout");
_Static_assert(HDR_AT(code32_start) == 0x214, "setup_header layout");
_Static_assert(HDR_AT(cmd_line_ptr) == 0x228, "setup_header layout");
_Static_assert(HDR_AT(cmdline_size) == 0x238, "setup_header layout");
_Static_assert(HDR_AT(init_size) == 0x260, "setup_header layout");
_Static_assert(HDR_AT(kernel_info_offset) + 4 <= SETUP_HEADER_END, "setup_header layout");

struct boot_e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
} __attribute__((packed));
_Static_assert(sizeof(struct boot_e820_entry) == 20, "boot_e820_entry layout");

struct linux_loader {
	struct guest_phys *phys;
	const char *path;
	char *err;
	size_t errlen;
	uint8_t *image;
	size_t size;
	struct setup_header hdr; /* as the file has it; zero past its end */
	size_t hdr_bytes;	 /* bytes of header to copy to boot_params */
	size_t setup_bytes;	 /* boot sector plus real-mode setup */
	uint64_t kernel_end;	 /* end of what the kernel occupies while it starts */
	uint32_t initrd_start, initrd_size;
};

PRINTF_LIKE(3, 0)
static int vfail(struct linux_loader *ld, const char *file, const char *fmt, va_list ap)
{
	int len = snprintf(ld->err, ld->errlen, "%s: ", file);

	if (len >= 0 && (size_t)len < ld->errlen)
		vsnprintf(ld->err + len, ld->errlen - len, fmt, ap);
	return -1;
}

/* Fill the caller's error buffer with "<kernel path>: <reason>"; returns -1. */
PRINTF_LIKE(2, 3) static int fail(struct linux_loader *ld, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(ld, ld->path, fmt, ap);
	va_end(ap);
	return -1;
}

/* The same, naming another file (the initrd). */
PRINTF_LIKE(3, 4)
static int fail_file(struct linux_loader *ld, const char *file, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(ld, file, fmt, ap);
	va_end(ap);
	return -1;
}

static uint64_t align_up(uint64_t value, uint64_t align)
{
	return (value + align - 1) & ~(align - 1);
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* ---- Reading files ---- */

static int read_all(int fd, uint8_t *buf, size_t size)
{
	size_t done = 0;

	while (done < size) {
		ssize_t n = read(fd, buf + done, size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO; /* the file shrank while we read it */
		done += n;
	}
	return 0;
}

/* Read all of @file (1 byte up to guest RAM's size) into a new buffer the caller frees. */
static int read_file(struct linux_loader *ld, const char *file, uint8_t **data, size_t *size)
{
	struct stat st;
	int fd, error;

	*data = NULL;
	fd = open(file, O_RDONLY);
	if (fd < 0)
		return fail_file(ld, file, "cannot open: %s", strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return fail_file(ld, file, "not a regular file");
	}
	*size = st.st_size;
	if (*size == 0 || *size > ld->phys->ram_size) {
		close(fd);
		if (*size == 0)
			return fail_file(ld, file, "empty file");
		return fail_file(ld, file, "too large: %zu bytes, more than guest RAM (%llu)",
				 *size, (unsigned long long)ld->phys->ram_size);
	}
	*data = malloc(*size);
	error = *data ? read_all(fd, *data, *size) : -ENOMEM;
	close(fd);
	if (error) {
		free(*data);
		*data = NULL;
		return fail_file(ld, file, "cannot read: %s", strerror(-error));
	}
	return 0;
}

/* ---- The setup header ---- */

static uint32_t load_le32(const uint8_t *p)
{
	uint32_t value;

	memcpy(&value, p, sizeof(value));
	return value;
}

static uint16_t load_le16(const uint8_t *p)
{
	uint16_t value;

	memcpy(&value, p, sizeof(value));
	return value;
}

bool linux_probe(const uint8_t *image, size_t size)
{
	return size >= HDR_AT(version) + 2 && load_le32(image + HDR_AT(header)) == HDR_MAGIC &&
	       load_le16(image + HDR_AT(version)) >= PROTO_MIN;
}

/* The signature and version: is this a bzImage we can boot at all? */
static int check_signature(struct linux_loader *ld)
{
	uint16_t version;

	if (ld->size < HDR_AT(version) + 2 || load_le32(ld->image + HDR_AT(header)) != HDR_MAGIC)
		return fail(ld, "not a Linux bzImage: no \"HdrS\" setup header signature at "
				"offset 0x202");
	version = load_le16(ld->image + HDR_AT(version));
	if (version < PROTO_MIN)
		return fail(ld,
			    "Linux boot protocol %u.%02u is too old: btvmm needs 2.02 or later "
			    "(the 32-bit entry with cmd_line_ptr)",
			    version >> 8, version & 0xff);
	if (load_le16(ld->image + HDR_AT(boot_flag)) != HDR_BOOT_FLAG)
		return fail(ld, "setup header boot_flag is 0x%04x, not 0xaa55",
			    load_le16(ld->image + HDR_AT(boot_flag)));
	return 0;
}

/* Copy the header as far as the file's jump says it goes (boot.rst, "32-bit
 * boot protocol": 0x202 + the byte at 0x201), at most what boot_params holds. */
static int read_header(struct linux_loader *ld)
{
	size_t end = SETUP_JUMP_OFFSET + 2 + ld->image[SETUP_JUMP_OFFSET + 1];

	if (end > SETUP_HEADER_END)
		end = SETUP_HEADER_END;
	if (end > ld->size)
		return fail(ld, "truncated: the setup header ends at 0x%zx, the file at 0x%zx", end,
			    ld->size);
	ld->hdr_bytes = end - SETUP_HEADER_OFFSET;
	memset(&ld->hdr, 0, sizeof(ld->hdr));
	memcpy(&ld->hdr, ld->image + SETUP_HEADER_OFFSET,
	       ld->hdr_bytes < sizeof(ld->hdr) ? ld->hdr_bytes : sizeof(ld->hdr));
	return 0;
}

/* The file is the boot sector, setup_sects of real-mode code, then the
 * protected-mode kernel; syssize says how long the last is (from 2.04 on). */
static int check_layout(struct linux_loader *ld)
{
	const struct setup_header *h = &ld->hdr;
	unsigned sects = h->setup_sects ? h->setup_sects : SETUP_SECTS_DEFAULT;
	uint64_t need;

	if (!(h->loadflags & LOADED_HIGH))
		return fail(ld, "a zImage (loadflags LOADED_HIGH clear): btvmm boots only "
				"bzImages, loaded at 1 MiB");
	if (h->code32_start != LINUX_KERNEL_ADDR)
		return fail(ld, "code32_start is 0x%x: a bzImage's 32-bit entry is at 0x%x",
			    h->code32_start, LINUX_KERNEL_ADDR);
	ld->setup_bytes = (size_t)(sects + 1) * SETUP_SECTOR_BYTES;
	if (ld->size <= ld->setup_bytes)
		return fail(ld,
			    "truncated: %u setup sectors need 0x%zx bytes before the "
			    "protected-mode kernel, the file has 0x%zx",
			    sects, ld->setup_bytes, ld->size);
	need = ld->setup_bytes + (uint64_t)h->syssize * SYSSIZE_UNIT;
	if (h->version >= PROTO_SYSSIZE_32 && need > ld->size)
		return fail(ld,
			    "truncated: setup and syssize need 0x%llx bytes, the file has 0x%zx",
			    (unsigned long long)need, ld->size);
	return 0;
}

static int parse_header(struct linux_loader *ld)
{
	if (check_signature(ld) < 0 || read_header(ld) < 0)
		return -1;
	return check_layout(ld);
}

/* ---- The protected-mode kernel ---- */

/*
 * The end of the memory the kernel uses while it starts, which the initrd
 * must lie above: the decompressor (arch/x86/boot/compressed/head_32.S) works
 * at its load address rounded up to kernel_alignment, or at pref_address if
 * that is higher (always, if the kernel is not relocatable), and needs
 * init_size bytes there. Before protocol 2.10 only the loaded image is known.
 */
static uint64_t kernel_footprint_end(const struct linux_loader *ld, uint64_t loaded_end)
{
	const struct setup_header *h = &ld->hdr;
	uint64_t out = h->pref_address;

	if (h->version < PROTO_INIT_SIZE)
		return loaded_end;
	if (h->relocatable_kernel && h->kernel_alignment)
		out = max_u64(align_up(LINUX_KERNEL_ADDR, h->kernel_alignment), h->pref_address);
	return max_u64(loaded_end, out + h->init_size);
}

static int load_protected_mode(struct linux_loader *ld)
{
	uint64_t bytes = ld->size - ld->setup_bytes;
	uint64_t ram = ld->phys->ram_size;
	uint8_t *dst = phys_ram_ptr(ld->phys, LINUX_KERNEL_ADDR, bytes);

	if (!dst)
		return fail(ld,
			    "the protected-mode kernel (%llu bytes) does not fit in guest RAM at "
			    "0x%x (RAM ends at 0x%llx)",
			    (unsigned long long)bytes, LINUX_KERNEL_ADDR, (unsigned long long)ram);
	memcpy(dst, ld->image + ld->setup_bytes, bytes);
	ld->kernel_end = kernel_footprint_end(ld, LINUX_KERNEL_ADDR + bytes);
	if (ld->kernel_end > ram)
		return fail(ld,
			    "the kernel needs guest RAM up to 0x%llx to decompress itself "
			    "(init_size 0x%x at 0x%llx), but RAM ends at 0x%llx: give the guest "
			    "at least %llu MiB",
			    (unsigned long long)ld->kernel_end, ld->hdr.init_size,
			    (unsigned long long)(ld->kernel_end - ld->hdr.init_size),
			    (unsigned long long)ram,
			    (unsigned long long)(align_up(ld->kernel_end, 1u << 20) >> 20));
	return 0;
}

/* ---- The initrd ---- */

/* One past the highest byte the initrd may occupy. */
static uint64_t initrd_limit(const struct linux_loader *ld)
{
	uint64_t max =
	    ld->hdr.version >= PROTO_INITRD_MAX ? ld->hdr.initrd_addr_max : INITRD_ADDR_MAX_OLD;
	uint64_t ram = ld->phys->ram_size;

	return max + 1 < ram ? max + 1 : ram;
}

/* As high as it may go, page-aligned, as QEMU does: far from the kernel,
 * which decompresses and allocates upwards from low addresses. */
static int load_initrd(struct linux_loader *ld, const char *initrd_path)
{
	uint64_t limit = initrd_limit(ld), start = 0;
	uint8_t *data, *dst = NULL;
	size_t size;

	if (read_file(ld, initrd_path, &data, &size) < 0)
		return -1;
	if (size <= limit)
		start = (limit - size) & ~(uint64_t)(PAGE_SIZE - 1);
	if (size <= limit && start >= ld->kernel_end)
		dst = phys_ram_ptr(ld->phys, start, size);
	if (!dst) {
		free(data);
		return fail_file(ld, initrd_path,
				 "initrd of %zu bytes does not fit in guest RAM between the "
				 "kernel's end 0x%llx and 0x%llx",
				 size, (unsigned long long)ld->kernel_end,
				 (unsigned long long)limit);
	}
	memcpy(dst, data, size);
	free(data);
	ld->initrd_start = start;
	ld->initrd_size = size;
	return 0;
}

/* ---- Command line and boot_params ---- */

static int write_cmdline(struct linux_loader *ld, const char *cmdline)
{
	size_t len = strlen(cmdline);
	size_t max =
	    ld->hdr.version >= PROTO_CMDLINE_SIZE ? ld->hdr.cmdline_size : CMDLINE_SIZE_OLD;
	size_t room = BOOT_LOW_MEMORY_END - LINUX_CMDLINE_ADDR - 1;
	char *dst;

	/* Refused, not truncated: a cut command line boots something else. */
	if (len > max)
		return fail(ld,
			    "command line too long: %zu bytes, this kernel takes at most %zu "
			    "(cmdline_size)",
			    len, max);
	if (len > room)
		return fail(ld, "command line too long: %zu bytes, btvmm has room for %zu", len,
			    room);
	dst = phys_ram_ptr(ld->phys, LINUX_CMDLINE_ADDR, len + 1);
	if (!dst) /* conventional memory is always RAM; checked all the same */
		return fail(ld, "no guest RAM at 0x%x for the command line", LINUX_CMDLINE_ADDR);
	memcpy(dst, cmdline, len + 1);
	return 0;
}

/* What a PC BIOS reports through INT 15h E820 (as Multiboot's memory map):
 * conventional memory less the EBDA, the BIOS ROM, and RAM from 1 MiB. */
static void fill_e820(uint8_t *bp, uint64_t ram_size)
{
	const struct boot_e820_entry map[E820_ENTRIES] = {
	    {0, BOOT_LOW_MEMORY_END, E820_RAM},
	    {BOOT_LOW_MEMORY_END, PHYS_LEGACY_HOLE_START - BOOT_LOW_MEMORY_END, E820_RESERVED},
	    {BOOT_BIOS_AREA_START, BOOT_HIGH_MEMORY_START - BOOT_BIOS_AREA_START, E820_RESERVED},
	    {BOOT_HIGH_MEMORY_START, ram_size - BOOT_HIGH_MEMORY_START, E820_RAM},
	};

	bp[BP_E820_ENTRIES] = E820_ENTRIES;
	memcpy(bp + BP_E820_TABLE, map, sizeof(map));
}

/* The legacy memory sizes that the 16-bit setup code would have asked the
 * BIOS for; the kernel prefers the e820 map, but reads these without one. */
static void fill_memory_sizes(uint8_t *bp, uint64_t ram_size)
{
	uint32_t above_1m_k = (ram_size - BOOT_HIGH_MEMORY_START) >> 10;
	uint16_t ext_mem_k = above_1m_k < EXT_MEM_K_MAX ? above_1m_k : EXT_MEM_K_MAX;

	memcpy(bp + BP_EXT_MEM_K, &ext_mem_k, sizeof(ext_mem_k));
	memcpy(bp + BP_ALT_MEM_K, &above_1m_k, sizeof(above_1m_k));
}

/* The header as the file has it, then the fields a boot loader writes. */
static void fill_setup_header(const struct linux_loader *ld, uint8_t *bp)
{
	struct setup_header h = ld->hdr;

	h.type_of_loader = HDR_LOADER_UNDEFINED;
	h.vid_mode = HDR_VIDEO_NORMAL;
	h.cmd_line_ptr = LINUX_CMDLINE_ADDR;
	h.ramdisk_image = ld->initrd_start;
	h.ramdisk_size = ld->initrd_size;
	/* Only the 16-bit setup code uses the heap, and it does not run; QEMU
	 * sets it all the same, ending below the command line as here. */
	h.loadflags |= CAN_USE_HEAP;
	h.heap_end_ptr = LINUX_CMDLINE_ADDR - LINUX_BOOT_PARAMS_ADDR - SETUP_SECTOR_BYTES;
	/* Newer kernels' header fields, past struct setup_header, go as they are. */
	memcpy(bp + SETUP_HEADER_OFFSET, ld->image + SETUP_HEADER_OFFSET, ld->hdr_bytes);
	memcpy(bp + SETUP_HEADER_OFFSET, &h, ld->hdr_bytes < sizeof(h) ? ld->hdr_bytes : sizeof(h));
}

static int write_boot_params(struct linux_loader *ld)
{
	uint8_t *bp = phys_ram_ptr(ld->phys, LINUX_BOOT_PARAMS_ADDR, BP_SIZE);

	if (!bp) /* conventional memory is always RAM; checked all the same */
		return fail(ld, "no guest RAM at 0x%x for boot_params", LINUX_BOOT_PARAMS_ADDR);
	memset(bp, 0, BP_SIZE);
	fill_memory_sizes(bp, ld->phys->ram_size);
	fill_e820(bp, ld->phys->ram_size);
	fill_setup_header(ld, bp);
	return 0;
}

/* ---- Entry ---- */

/* A flat descriptor: base 0, limit 0xfffff pages, @attr in x86.h's layout. */
static uint64_t flat_descriptor(uint16_t attr)
{
	uint32_t lo = 0x0000ffffu;			/* limit 15:0, base 15:0 */
	uint32_t hi = 0x000f0000u			/* limit 19:16, base 31:24 and 23:16 = 0 */
		      | (uint32_t)(attr & 0x00ff) << 8	/* type, S, DPL, P */
		      | (uint32_t)(attr & 0xf000) << 8; /* AVL, L, D/B, G */

	return (uint64_t)hi << 32 | lo;
}

int linux_setup_gdt(struct guest_phys *phys, uint32_t *gdt_base, uint16_t *gdt_limit)
{
	const uint16_t flat = SEG_ATTR_S | SEG_ATTR_P | SEG_ATTR_DB | SEG_ATTR_G;
	uint64_t gdt[LINUX_GDT_ENTRIES] = {0};
	uint8_t *dst = phys_ram_ptr(phys, LINUX_GDT_ADDR, sizeof(gdt));

	if (!dst)
		return -EFAULT;
	gdt[LINUX_BOOT_CS >> 3] =
	    flat_descriptor(flat | SEG_TYPE_CODE | SEG_TYPE_CODE_READABLE | SEG_TYPE_ACCESSED);
	gdt[LINUX_BOOT_DS >> 3] =
	    flat_descriptor(flat | SEG_TYPE_DATA_WRITABLE | SEG_TYPE_ACCESSED);
	memcpy(dst, gdt, sizeof(gdt));
	*gdt_base = LINUX_GDT_ADDR;
	*gdt_limit = sizeof(gdt) - 1;
	return 0;
}

static int load_all(struct linux_loader *ld, const char *cmdline, const char *initrd_path)
{
	if (parse_header(ld) < 0 || write_cmdline(ld, cmdline ? cmdline : "") < 0)
		return -1;
	if (load_protected_mode(ld) < 0)
		return -1;
	if (initrd_path && load_initrd(ld, initrd_path) < 0)
		return -1;
	return write_boot_params(ld);
}

int linux_load(struct guest_phys *phys, const char *path, const char *cmdline,
	       const char *initrd_path, struct boot_entry *entry, char *err, size_t errlen)
{
	struct linux_loader ld = {
	    .phys = phys,
	    .path = path,
	    .err = err,
	    .errlen = errlen,
	};
	int ret;

	ret = read_file(&ld, path, &ld.image, &ld.size);
	if (ret == 0)
		ret = load_all(&ld, cmdline, initrd_path);
	free(ld.image);
	if (ret < 0)
		return -1;
	*entry = (struct boot_entry){
	    .protocol = BOOT_LINUX,
	    .eip = ld.hdr.code32_start,
	    .esi = LINUX_BOOT_PARAMS_ADDR,
	};
	return 0;
}
