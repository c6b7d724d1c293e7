/*
 * test_boot_linux.c - the Linux 32-bit boot protocol loader (monitor/
 * boot_linux.c) on hand-built bzImages: where the kernel, command line and
 * initrd land, what boot_params says, the boot GDT, and every refusal's reason.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "monitor/boot.h"
#include "monitor/x86.h"

#define RAM_SIZE       (16u << 20)
#define MAX_TEMP_FILES 4
#define MiB	       (1u << 20)

/* The default test kernel: 4 setup sectors, then 0x1000 bytes of
 * protected-mode code that decompresses at 4 MiB into 2 MiB. */
#define SETUP_SECTS   4
#define SETUP_BYTES   ((SETUP_SECTS + 1) * 512)
#define PAYLOAD_BYTES 0x1000u
#define PREF_ADDRESS  (4 * MiB)
#define INIT_SIZE     (2 * MiB)
#define KERNEL_END    (PREF_ADDRESS + INIT_SIZE)

/* Offsets in the image and in boot_params (bootparam.h, boot.rst). */
#define H_SETUP_SECTS	   0x1f1
#define H_SYSSIZE	   0x1f4
#define H_VID_MODE	   0x1fa
#define H_BOOT_FLAG	   0x1fe
#define H_JUMP		   0x200
#define H_HEADER	   0x202
#define H_VERSION	   0x206
#define H_KERNEL_VERSION   0x20e
#define H_TYPE_OF_LOADER   0x210
#define H_LOADFLAGS	   0x211
#define H_CODE32_START	   0x214
#define H_RAMDISK_IMAGE	   0x218
#define H_RAMDISK_SIZE	   0x21c
#define H_HEAP_END_PTR	   0x224
#define H_CMD_LINE_PTR	   0x228
#define H_INITRD_ADDR_MAX  0x22c
#define H_KERNEL_ALIGNMENT 0x230
#define H_RELOCATABLE	   0x234
#define H_XLOADFLAGS	   0x236
#define H_CMDLINE_SIZE	   0x238
#define H_PREF_ADDRESS	   0x258
#define H_INIT_SIZE	   0x260
#define H_END_2_15	   0x26c /* end of the header, protocol 2.15 */
#define BP_EXT_MEM_K	   0x002
#define BP_ALT_MEM_K	   0x1e0
#define BP_E820_ENTRIES	   0x1e8
#define BP_E820_TABLE	   0x2d0

struct fixture {
	struct guest_phys phys;
	struct boot_entry entry;
	char err[256];
	char paths[MAX_TEMP_FILES][40];
	int npaths;
};

/* What build_bzimage() lays out; valid_spec() is a loadable kernel. */
struct bz_spec {
	uint8_t setup_sects;
	uint16_t version, boot_flag;
	uint8_t loadflags, header_end_jump;
	uint32_t magic, code32_start, syssize;
	uint32_t initrd_addr_max, cmdline_size, kernel_alignment, init_size;
	uint64_t pref_address;
	bool fixed;	  /* relocatable_kernel = 0 */
	size_t payload;	  /* bytes of protected-mode code */
	size_t file_size; /* bytes written to the file; 0: the whole image */
};

static struct bz_spec valid_spec(void)
{
	return (struct bz_spec){
	    .setup_sects = SETUP_SECTS,
	    .version = 0x020f,
	    .boot_flag = 0xaa55,
	    .loadflags = 0x01, /* LOADED_HIGH */
	    .header_end_jump = H_END_2_15 - 0x202,
	    .magic = 0x53726448, /* "HdrS" */
	    .code32_start = 0x100000,
	    .syssize = PAYLOAD_BYTES / 16,
	    .initrd_addr_max = 0x7fffffff,
	    .cmdline_size = 2047,
	    .kernel_alignment = 2 * MiB,
	    .init_size = INIT_SIZE,
	    .pref_address = PREF_ADDRESS,
	    .payload = PAYLOAD_BYTES,
	};
}

static void put_u16(uint8_t *at, uint16_t value)
{
	memcpy(at, &value, sizeof(value));
}

static void put_u32(uint8_t *at, uint32_t value)
{
	memcpy(at, &value, sizeof(value));
}

static void put_u64(uint8_t *at, uint64_t value)
{
	memcpy(at, &value, sizeof(value));
}

static size_t setup_bytes_of(const struct bz_spec *s)
{
	return ((s->setup_sects ? s->setup_sects : 4) + 1) * 512;
}

/* A bzImage as @s describes, in a new buffer; *size is what to write. */
static uint8_t *build_bzimage(const struct bz_spec *s, size_t *size)
{
	size_t setup = setup_bytes_of(s), total = setup + s->payload, i;
	uint8_t *img = calloc(1, total);

	assert_non_null(img);
	for (i = 0; i < total; i++)
		img[i] = (uint8_t)(i * 13 + 7); /* code and padding: never zero runs */
	memset(img + H_SETUP_SECTS, 0, H_END_2_15 - H_SETUP_SECTS);
	img[H_SETUP_SECTS] = s->setup_sects;
	put_u32(img + H_SYSSIZE, s->syssize);
	put_u16(img + H_VID_MODE, 0xfffd); /* "ask": the loader must override it */
	put_u16(img + H_BOOT_FLAG, s->boot_flag);
	img[H_JUMP] = 0xeb;
	img[H_JUMP + 1] = s->header_end_jump;
	put_u32(img + H_HEADER, s->magic);
	put_u16(img + H_VERSION, s->version);
	put_u16(img + H_KERNEL_VERSION, 0x1234);
	img[H_LOADFLAGS] = s->loadflags;
	put_u32(img + H_CODE32_START, s->code32_start);
	put_u32(img + H_INITRD_ADDR_MAX, s->initrd_addr_max);
	put_u32(img + H_KERNEL_ALIGNMENT, s->kernel_alignment);
	img[H_RELOCATABLE] = !s->fixed;
	put_u16(img + H_XLOADFLAGS, 0x4);
	put_u32(img + H_CMDLINE_SIZE, s->cmdline_size);
	put_u64(img + H_PREF_ADDRESS, s->pref_address);
	put_u32(img + H_INIT_SIZE, s->init_size);
	*size = s->file_size ? s->file_size : total;
	return img;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f || phys_init(&f->phys, RAM_SIZE) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	int i;

	for (i = 0; i < f->npaths; i++)
		unlink(f->paths[i]);
	phys_destroy(&f->phys);
	free(f);
	return 0;
}

static const char *write_temp(struct fixture *f, const void *data, size_t size)
{
	char *path = f->paths[f->npaths];
	int fd;

	assert_true(f->npaths < MAX_TEMP_FILES);
	strcpy(path, "/tmp/btvmm-linux-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, size), (ssize_t)size);
	close(fd);
	f->npaths++;
	return path;
}

static const char *write_bzimage(struct fixture *f, const struct bz_spec *s)
{
	size_t size;
	uint8_t *img = build_bzimage(s, &size);
	const char *path = write_temp(f, img, size);

	free(img);
	return path;
}

static int load(struct fixture *f, const char *path, const char *cmdline, const char *initrd)
{
	return linux_load(&f->phys, path, cmdline, initrd, &f->entry, f->err, sizeof(f->err));
}

/* Loading fails with a one-line reason that starts with @blamed and contains @needle. */
static void expect_failure(struct fixture *f, const char *kernel, const char *cmdline,
			   const char *initrd, const char *blamed, const char *needle)
{
	assert_int_equal(load(f, kernel, cmdline, initrd), -1);
	if (!strstr(f->err, needle))
		fail_msg("reason \"%s\" lacks \"%s\"", f->err, needle);
	assert_int_equal(strncmp(f->err, blamed, strlen(blamed)), 0);
	assert_null(strchr(f->err, '\n'));
}

/* The kernel built from @s is refused, blaming it, with @needle in the reason. */
static void expect_refusal(struct fixture *f, const struct bz_spec *s, const char *needle)
{
	const char *path = write_bzimage(f, s);

	expect_failure(f, path, NULL, NULL, path, needle);
}

static uint8_t bp_u8(struct fixture *f, uint32_t off)
{
	return f->phys.ram[LINUX_BOOT_PARAMS_ADDR + off];
}

static uint16_t bp_u16(struct fixture *f, uint32_t off)
{
	uint16_t value;

	memcpy(&value, f->phys.ram + LINUX_BOOT_PARAMS_ADDR + off, sizeof(value));
	return value;
}

static uint32_t bp_u32(struct fixture *f, uint32_t off)
{
	uint32_t value;

	memcpy(&value, f->phys.ram + LINUX_BOOT_PARAMS_ADDR + off, sizeof(value));
	return value;
}

static uint64_t bp_u64(struct fixture *f, uint32_t off)
{
	uint64_t value;

	memcpy(&value, f->phys.ram + LINUX_BOOT_PARAMS_ADDR + off, sizeof(value));
	return value;
}

static void assert_e820(struct fixture *f, int index, uint64_t addr, uint64_t size, uint32_t type)
{
	uint32_t at = BP_E820_TABLE + 20 * index;

	assert_int_equal(bp_u64(f, at), addr);
	assert_int_equal(bp_u64(f, at + 8), size);
	assert_int_equal(bp_u32(f, at + 16), type);
}

/* ---- Loading ---- */

static void test_kernel_lands_at_1mib_and_entry_is_code32_start(void **state)
{
	struct fixture *f = *state;
	struct bz_spec s = valid_spec();
	size_t size;
	uint8_t *img = build_bzimage(&s, &size);

	assert_int_equal(load(f, write_temp(f, img, size), NULL, NULL), 0);
	assert_memory_equal(f->phys.ram + 0x100000, img + SETUP_BYTES, PAYLOAD_BYTES);
	assert_int_equal(f->entry.protocol, BOOT_LINUX);
	assert_int_equal(f->entry.eip, 0x100000);
	assert_int_equal(f->entry.esi, LINUX_BOOT_PARAMS_ADDR);
	assert_int_equal(f->entry.eax, 0);
	assert_int_equal(f->entry.ebx, 0);
	free(img);
}

static void test_setup_header_copied_to_boot_params(void **state)
{
	struct fixture *f = *state;
	struct bz_spec s = valid_spec();
	size_t size;
	uint8_t *img = build_bzimage(&s, &size);

	assert_int_equal(load(f, write_temp(f, img, size), NULL, NULL), 0);
	/* Fields the loader leaves alone are the file's. */
	assert_memory_equal(f->phys.ram + LINUX_BOOT_PARAMS_ADDR + H_SETUP_SECTS,
			    img + H_SETUP_SECTS, H_VID_MODE - H_SETUP_SECTS);
	assert_memory_equal(f->phys.ram + LINUX_BOOT_PARAMS_ADDR + H_BOOT_FLAG, img + H_BOOT_FLAG,
			    H_TYPE_OF_LOADER - H_BOOT_FLAG);
	assert_memory_equal(f->phys.ram + LINUX_BOOT_PARAMS_ADDR + H_INITRD_ADDR_MAX,
			    img + H_INITRD_ADDR_MAX, H_END_2_15 - H_INITRD_ADDR_MAX);
	assert_int_equal(bp_u32(f, H_HEADER), 0x53726448);
	assert_int_equal(bp_u16(f, H_VERSION), 0x020f);
	assert_int_equal(bp_u32(f, H_CODE32_START), 0x100000);
	/* Past the header: zero, not the file's setup code. */
	assert_int_equal(bp_u32(f, H_END_2_15), 0);
	free(img);
}

static void test_header_copied_only_as_far_as_the_jump_says(void **state)
{
	struct fixture *f = *state;
	struct bz_spec s = valid_spec();

	s.version = 0x0202;
	s.header_end_jump = H_INITRD_ADDR_MAX - 0x202; /* a 2.02 header ends at 0x22c */
	assert_int_equal(load(f, write_bzimage(f, &s), NULL, NULL), 0);
	assert_int_equal(bp_u32(f, H_INITRD_ADDR_MAX), 0);
	assert_int_equal(bp_u32(f, H_CMDLINE_SIZE), 0);
	assert_int_equal(bp_u16(f, H_VERSION), 0x0202);
}

static void test_loader_fields_set(void **state)
{
	struct fixture *f = *state;
	struct bz_spec s = valid_spec();

	assert_int_equal(load(f, write_bzimage(f, &s), NULL, NULL), 0);
	assert_int_equal(bp_u8(f, H_TYPE_OF_LOADER), 0xff);
	assert_int_equal(bp_u8(f, H_LOADFLAGS), 0x81); /* LOADED_HIGH | CAN_USE_HEAP */
	assert_int_equal(bp_u16(f, H_HEAP_END_PTR), 0xfe00);
	assert_int_equal(bp_u16(f, H_VID_MODE), 0xffff);
	assert_int_equal(bp_u32(f, H_RAMDISK_IMAGE), 0);
	assert_int_equal(bp_u32(f, H_RAMDISK_SIZE), 0);
}

static void test_cmdline_copied_and_pointed_to(void **state)
{
	struct fixture *f = *state;
	struct bz_spec s = valid_spec();
	const char *path = write_bzimage(f, &s);

	memset(f->phys.ram + LINUX_CMDLINE_ADDR, 'x', 64);
	assert_int_equal(load(f, path, "console=ttyS0 noapic", NULL), 0);
	assert_int_equal(bp_u32(f, H_CMD_LINE_PTR), LINUX_CMDLINE_ADDR);
	assert_string_equal((char *)f->phys.ram + LINUX_CMDLINE_ADDR, "console=ttyS0 noapic");
	assert_int_equal(load(f, path, NULL, NULL), 0);
	assert_string_equal((char *)f->phys.ram + LINUX_CMDLINE_ADDR, "");
}

static void test_cmdline_of_exactly_cmdline_size_accepted(void **state)
{
	struct fixture *f = *state;
	struct bz_spec s = valid_spec();
	char cmdline[33];

	s.cmdline_size = 32;
	memset(cmdline, 'a', 32);
	cmdline[32] = '\0';
	assert_int_equal(load(f, write_bzimage(f, &s), cmdline, NULL), 0);
	assert_string_equal((char *)f->phys.ram + LINUX_CMDLINE_ADDR, cmdline);
}

static void test_e820_map_and_memory_sizes(void **state)
{
	struct fixture *f = *state;
	struct bz_spec s = valid_spec();

	memset(f->phys.ram + LINUX_BOOT_PARAMS_ADDR, 0x55, 4096);
	assert_int_equal(load(f, write_bzimage(f, &s), NULL, NULL), 0);
	assert_int_equal(bp_u8(f, BP_E820_ENTRIES), 4);
	assert_e820(f, 0, 0, 0x9fc00, 1);
	assert_e820(f, 1, 0x9fc00, 0x400, 2);
	assert_e820(f, 2, 0xf0000, 0x10000, 2);
	assert_e820(f, 3, 0x100000, RAM_SIZE - 0x100000, 1);
	assert_int_equal(bp_u32(f, BP_E820_TABLE + 4 * 20), 0); /* zeroed after the map */
	assert_int_equal(bp_u16(f, BP_EXT_MEM_K), (RAM_SIZE - MiB) / 1024);
	assert_int_equal(bp_u32(f, BP_ALT_MEM_K), (RAM_SIZE - MiB) / 1024);
	assert_int_equal(bp_u8(f, 0x1ef), 0); /* sentinel: the loader zeroed the page */
}

static void test_ext_mem_k_capped_at_63_mib(void **state)
{
	struct fixture *f = *state;
	struct bz_spec s = valid_spec();
	struct guest_phys big;
	const char *path = write_bzimage(f, &s);

	assert_int_equal(phys_init(&big, 128 * MiB), 0);
	assert_int_equal(linux_load(&big, path, NULL, NULL, &f->entry, f->err, sizeof(f->err)), 0);
	assert_int_equal(*(uint16_t *)(big.ram + LINUX_BOOT_PARAMS_ADDR + BP_EXT_MEM_K), 63 * 1024);
	assert_int_equal(*(uint32_t *)(big.ram + LINUX_BOOT_PARAMS_ADDR + BP_ALT_MEM_K),
			 127 * 1024);
	phys_destroy(&big);
}

/* ---- The initrd ---- */

static void test_initrd_placed_page_aligned_at_top_of_ram(void **state)
{
	struct fixture *f = *state;
	struct bz_spec s = valid_spec();
	const char *kernel = write_bzimage(f, &s);
	uint8_t initrd[0x3000 + 123];
	const char *initrd_path =
	    write_temp(f, memset(initrd, 0x5c, sizeof(initrd)), sizeof(initrd));
	uint32_t start;

	assert_int_equal(load(f, kernel, NULL, initrd_path), 0);
	start = bp_u32(f, H_RAMDISK_IMAGE);
	assert_int_equal(start, (RAM_SIZE - sizeof(initrd)) & ~0xfffu);
	assert_int_equal(bp_u32(f, H_RAMDISK_SIZE), sizeof(initrd));
	assert_memory_equal(f->phys.ram + start, initrd, sizeof(initrd));
}

static void test_initrd_stays_below_initrd_addr_max(void **state)
{
	struct fixture *f = *state;
	struct bz_spec s = valid_spec();
	uint8_t initrd[5000];
	const char *initrd_path;

	s.initrd_addr_max = 12 * MiB - 1; /* the last byte it may occupy */
	initrd_path = write_temp(f, memset(initrd, 0xa7, sizeof(initrd)), sizeof(initrd));
	assert_int_equal(load(f, write_bzimage(f, &s), NULL, initrd_path), 0);
	assert_int_equal(bp_u32(f, H_RAMDISK_IMAGE), (12 * MiB - sizeof(initrd)) & ~0xfffu);
	assert_memory_equal(f->phys.ram + bp_u32(f, H_RAMDISK_IMAGE), initrd, sizeof(initrd));
}

static void test_initrd_that_exactly_fits_accepted(void **state)
{
	struct fixture *f = *state;
	struct bz_spec s = valid_spec();
	uint8_t initrd[4096];

	s.initrd_addr_max = KERNEL_END + sizeof(initrd) - 1;
	assert_int_equal(load(f, write_bzimage(f, &s), NULL,
			      write_temp(f, memset(initrd, 1, sizeof(initrd)), sizeof(initrd))),
			 0);
	assert_int_equal(bp_u32(f, H_RAMDISK_IMAGE), KERNEL_END);
}

/* A relocatable kernel decompresses at its load address rounded up to
 * kernel_alignment when that is above pref_address; a fixed one at
 * pref_address. The initrd must stay clear of either. */
static void test_initrd_clear_of_where_kernel_decompresses(void **state)
{
	struct fixture *f = *state;
	struct bz_spec s = valid_spec();
	uint8_t initrd[4096];
	const char *initrd_path = write_temp(f, memset(initrd, 3, sizeof(initrd)), sizeof(initrd));

	s.pref_address = 1 * MiB;
	s.kernel_alignment = 8 * MiB;
	s.init_size = 2 * MiB;
	s.initrd_addr_max = 9 * MiB - 1;
	expect_failure(f, write_bzimage(f, &s), NULL, initrd_path, initrd_path,
		       "the kernel's end 0xa00000");
	s.fixed = true;
	assert_int_equal(load(f, write_bzimage(f, &s), NULL, initrd_path), 0);
	assert_int_equal(bp_u32(f, H_RAMDISK_IMAGE), 9 * MiB - sizeof(initrd));
}

/* ---- Refusals ---- */

static void test_missing_files_refused(void **state)
{
	struct fixture *f = *state;
	struct bz_spec s = valid_spec();
	const char *kernel = write_bzimage(f, &s);

	expect_failure(f, "/nonexistent/bzImage", NULL, NULL, "/nonexistent/bzImage",
		       "cannot open");
	expect_failure(f, kernel, NULL, "/nonexistent/initrd", "/nonexistent/initrd",
		       "cannot open");
}

static void test_empty_initrd_refused(void **state)
{
	struct fixture *f = *state;
	struct bz_spec s = valid_spec();
	const char *kernel = write_bzimage(f, &s);
	const char *initrd = write_temp(f, "", 0);

	expect_failure(f, kernel, NULL, initrd, initrd, "empty file");
}

static void test_no_hdrs_signature_refused(void **state)
{
	struct bz_spec s = valid_spec();

	s.magic = 0x464c457f; /* an ELF file's first word, say */
	expect_refusal(*state, &s, "not a Linux bzImage: no \"HdrS\"");
}

static void test_short_file_refused_as_not_bzimage(void **state)
{
	struct fixture *f = *state;
	uint8_t tiny[0x100] = {0};
	const char *path = write_temp(f, tiny, sizeof(tiny));

	expect_failure(f, path, NULL, NULL, path, "not a Linux bzImage");
}

static void test_old_protocol_refused(void **state)
{
	struct bz_spec s = valid_spec();

	s.version = 0x0201;
	expect_refusal(*state, &s, "boot protocol 2.01 is too old");
}

static void test_bad_boot_flag_refused(void **state)
{
	struct bz_spec s = valid_spec();

	s.boot_flag = 0x1234;
	expect_refusal(*state, &s, "boot_flag is 0x1234");
}

static void test_zimage_refused(void **state)
{
	struct bz_spec s = valid_spec();

	s.loadflags = 0;
	expect_refusal(*state, &s, "a zImage (loadflags LOADED_HIGH clear)");
}

static void test_other_code32_start_refused(void **state)
{
	struct bz_spec s = valid_spec();

	s.code32_start = 0x200000;
	expect_refusal(*state, &s, "code32_start is 0x200000");
}

static void test_file_shorter_than_setup_refused(void **state)
{
	struct bz_spec s = valid_spec();

	s.file_size = SETUP_BYTES - 512;
	expect_refusal(*state, &s, "truncated: 4 setup sectors need 0xa00 bytes");
}

static void test_setup_sects_zero_means_four(void **state)
{
	struct bz_spec s = valid_spec();

	s.setup_sects = 0;
	s.file_size = 4 * 512; /* room for three sectors after the boot sector */
	expect_refusal(*state, &s, "truncated: 4 setup sectors need 0xa00 bytes");
}

static void test_file_shorter_than_syssize_refused(void **state)
{
	struct bz_spec s = valid_spec();

	s.file_size = SETUP_BYTES + PAYLOAD_BYTES - 16;
	expect_refusal(*state, &s,
		       "truncated: setup and syssize need 0x1a00 bytes, the file "
		       "has 0x19f0");
}

static void test_kernel_larger_than_ram_refused(void **state)
{
	struct fixture *f = *state;
	struct bz_spec s = valid_spec();
	struct guest_phys small;
	const char *path;

	s.payload = 1536 * 1024; /* 1.5 MiB from 1 MiB: past the end of 2 MiB */
	s.syssize = s.payload / 16;
	path = write_bzimage(f, &s);
	assert_int_equal(phys_init(&small, PHYS_RAM_MIN), 0);
	assert_int_equal(linux_load(&small, path, NULL, NULL, &f->entry, f->err, sizeof(f->err)),
			 -1);
	phys_destroy(&small);
	if (!strstr(f->err, "does not fit in guest RAM at 0x100000"))
		fail_msg("reason \"%s\"", f->err);
}

static void test_decompression_beyond_ram_refused(void **state)
{
	struct bz_spec s = valid_spec();

	s.pref_address = 16 * MiB;
	s.kernel_alignment = 16 * MiB;
	s.init_size = 0x100c000;
	expect_refusal(*state, &s, "needs guest RAM up to 0x200c000 to decompress itself");
}

static void test_initrd_overlapping_kernel_refused(void **state)
{
	struct fixture *f = *state;
	struct bz_spec s = valid_spec();
	uint8_t initrd[4097];
	const char *kernel, *initrd_path;

	s.initrd_addr_max = KERNEL_END + 4096 - 1; /* one page of room, two needed */
	kernel = write_bzimage(f, &s);
	initrd_path = write_temp(f, memset(initrd, 2, sizeof(initrd)), sizeof(initrd));
	expect_failure(f, kernel, NULL, initrd_path, initrd_path,
		       "initrd of 4097 bytes does not fit in guest RAM between the kernel's end "
		       "0x600000 and 0x601000");
}

static void test_cmdline_longer_than_cmdline_size_refused(void **state)
{
	struct fixture *f = *state;
	struct bz_spec s = valid_spec();
	const char *path;
	char cmdline[34];

	s.cmdline_size = 32;
	path = write_bzimage(f, &s);
	memset(cmdline, 'a', 33);
	cmdline[33] = '\0';
	expect_failure(f, path, cmdline, NULL, path,
		       "command line too long: 33 bytes, this kernel takes at most 32");
}

static void test_old_protocol_cmdline_limit_is_255(void **state)
{
	struct fixture *f = *state;
	struct bz_spec s = valid_spec();
	const char *path;
	char cmdline[257];

	s.version = 0x0205;
	s.cmdline_size = 100000; /* not a field before 2.06: ignored */
	path = write_bzimage(f, &s);
	memset(cmdline, 'b', 256);
	cmdline[256] = '\0';
	expect_failure(f, path, cmdline, NULL, path, "at most 255");
}

/* ---- Probe and GDT ---- */

static void test_probe_wants_hdrs_and_protocol_2_02(void **state)
{
	struct bz_spec s = valid_spec();
	size_t size;
	uint8_t *img = build_bzimage(&s, &size);

	(void)state;
	assert_true(linux_probe(img, size));
	assert_false(linux_probe(img, 0x207)); /* version cut off */
	put_u16(img + H_VERSION, 0x0201);
	assert_false(linux_probe(img, size));
	put_u16(img + H_VERSION, 0x0202);
	assert_true(linux_probe(img, size));
	img[H_HEADER] = 'h';
	assert_false(linux_probe(img, size));
	free(img);
}

static void assert_flat(const uint8_t *desc, uint16_t attr)
{
	uint32_t lo, hi;

	memcpy(&lo, desc, 4);
	memcpy(&hi, desc + 4, 4);
	assert_int_equal(desc_base(lo, hi), 0);
	assert_int_equal(desc_limit_bytes(lo, hi), 0xffffffffu);
	assert_int_equal(desc_attr(hi), attr);
}

static void test_gdt_has_flat_boot_cs_and_ds(void **state)
{
	struct fixture *f = *state;
	const uint16_t flat = SEG_ATTR_S | SEG_ATTR_P | SEG_ATTR_DB | SEG_ATTR_G;
	uint32_t base = 0;
	uint16_t limit = 0;
	const uint8_t *gdt;

	assert_int_equal(linux_setup_gdt(&f->phys, &base, &limit), 0);
	assert_int_equal(base, LINUX_GDT_ADDR);
	assert_int_equal(limit, 4 * 8 - 1);
	gdt = f->phys.ram + base;
	assert_int_equal(((const uint64_t *)gdt)[0], 0);
	assert_flat(gdt + LINUX_BOOT_CS,
		    flat | SEG_TYPE_CODE | SEG_TYPE_CODE_READABLE | SEG_TYPE_ACCESSED);
	assert_flat(gdt + LINUX_BOOT_DS, flat | SEG_TYPE_DATA_WRITABLE | SEG_TYPE_ACCESSED);
	/* The encoding Linux itself uses (GDT_ENTRY(0xc09b, 0, 0xfffff)). */
	assert_int_equal(((const uint64_t *)gdt)[2], 0x00cf9b000000ffffull);
	assert_int_equal(((const uint64_t *)gdt)[3], 0x00cf93000000ffffull);
}

static void test_gdt_clear_of_boot_params_and_cmdline(void **state)
{
	(void)state;
	assert_true(LINUX_GDT_ADDR >= 0x500); /* above the IVT and BIOS data area */
	assert_true(LINUX_GDT_ADDR + 32 <= LINUX_BOOT_PARAMS_ADDR);
	assert_true(LINUX_BOOT_PARAMS_ADDR + 4096 <= LINUX_CMDLINE_ADDR);
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    TEST(test_kernel_lands_at_1mib_and_entry_is_code32_start),
	    TEST(test_setup_header_copied_to_boot_params),
	    TEST(test_header_copied_only_as_far_as_the_jump_says),
	    TEST(test_loader_fields_set),
	    TEST(test_cmdline_copied_and_pointed_to),
	    TEST(test_cmdline_of_exactly_cmdline_size_accepted),
	    TEST(test_e820_map_and_memory_sizes),
	    TEST(test_ext_mem_k_capped_at_63_mib),
	    TEST(test_initrd_placed_page_aligned_at_top_of_ram),
	    TEST(test_initrd_stays_below_initrd_addr_max),
	    TEST(test_initrd_that_exactly_fits_accepted),
	    TEST(test_initrd_clear_of_where_kernel_decompresses),
	    TEST(test_missing_files_refused),
	    TEST(test_empty_initrd_refused),
	    TEST(test_no_hdrs_signature_refused),
	    TEST(test_short_file_refused_as_not_bzimage),
	    TEST(test_old_protocol_refused),
	    TEST(test_bad_boot_flag_refused),
	    TEST(test_zimage_refused),
	    TEST(test_other_code32_start_refused),
	    TEST(test_file_shorter_than_setup_refused),
	    TEST(test_setup_sects_zero_means_four),
	    TEST(test_file_shorter_than_syssize_refused),
	    TEST(test_kernel_larger_than_ram_refused),
	    TEST(test_decompression_beyond_ram_refused),
	    TEST(test_initrd_overlapping_kernel_refused),
	    TEST(test_cmdline_longer_than_cmdline_size_refused),
	    TEST(test_old_protocol_cmdline_limit_is_255),
	    TEST(test_probe_wants_hdrs_and_protocol_2_02),
	    TEST(test_gdt_has_flat_boot_cs_and_ds),
	    cmocka_unit_test(test_gdt_clear_of_boot_params_and_cmdline),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
