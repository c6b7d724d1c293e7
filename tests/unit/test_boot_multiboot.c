/*
 * test_boot_multiboot.c - the Multiboot v1 loader (monitor/boot_multiboot.c,
 * boot_multiboot_info.c) on hand-built ELF32 and a.out-kludge images: what
 * lands in guest RAM, the information structure, and every refusal's reason.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "monitor/boot.h"

#define RAM_SIZE       (16u << 20)
#define IMAGE_MAX      0x2000u
#define MAX_TEMP_FILES 4

/* The default test kernel: one PT_LOAD at file offset 0x1000, loaded at 1 MiB,
 * 0x100 bytes of file data and bss up to 0x2000. */
#define SEG_OFFSET		    0x1000u
#define SEG_PADDR		    0x100000u
#define SEG_FILESZ		    0x100u
#define SEG_MEMSZ		    0x2000u
#define MB_FLAGS_PAGE_ALIGN_MEMINFO 0x3u
#define MB_FLAG_AOUT_KLUDGE	    (1u << 16)

/* Offsets in the information structure (Multiboot 0.6.96, 3.3). */
#define INFO_FLAGS	      0
#define INFO_MEM_LOWER	      4
#define INFO_MEM_UPPER	      8
#define INFO_CMDLINE	      16
#define INFO_MODS_COUNT	      20
#define INFO_MODS_ADDR	      24
#define INFO_MMAP_LENGTH      44
#define INFO_MMAP_ADDR	      48
#define INFO_BOOT_LOADER_NAME 64

struct fixture {
	struct guest_phys phys;
	struct boot_entry entry;
	char err[256];
	char paths[MAX_TEMP_FILES][40];
	int npaths;
};

struct elf_spec {
	uint8_t elf_class;
	uint16_t type, machine;
	uint32_t paddr, vaddr, entry;
	uint32_t filesz, memsz;
	uint32_t file_size; /* bytes of the image written to the file */
	bool mb_header;
	uint32_t mb_flags;
	uint32_t mb_checksum_error; /* added to the checksum: nonzero makes it bad */
};

static struct elf_spec valid_elf(void)
{
	return (struct elf_spec){
	    .elf_class = ELFCLASS32,
	    .type = ET_EXEC,
	    .machine = EM_386,
	    .paddr = SEG_PADDR,
	    .vaddr = SEG_PADDR,
	    .entry = SEG_PADDR + 0x10,
	    .filesz = SEG_FILESZ,
	    .memsz = SEG_MEMSZ,
	    .file_size = SEG_OFFSET + SEG_FILESZ,
	    .mb_header = true,
	    .mb_flags = MB_FLAGS_PAGE_ALIGN_MEMINFO,
	};
}

static void put_u32(uint8_t *at, uint32_t value)
{
	memcpy(at, &value, sizeof(value));
}

static void put_mb_header(uint8_t *at, uint32_t flags, uint32_t checksum_error)
{
	put_u32(at, MULTIBOOT_HEADER_MAGIC);
	put_u32(at + 4, flags);
	put_u32(at + 8, -(MULTIBOOT_HEADER_MAGIC + flags) + checksum_error);
}

/* Lay out the image @spec describes in @buf (IMAGE_MAX bytes); returns its size. */
static size_t build_elf(uint8_t *buf, const struct elf_spec *spec)
{
	Elf32_Ehdr eh = {.e_type = spec->type, .e_machine = spec->machine};
	Elf32_Phdr ph = {.p_type = PT_LOAD, .p_offset = SEG_OFFSET, .p_flags = PF_R | PF_X};
	uint32_t i;

	memset(buf, 0, IMAGE_MAX);
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = spec->elf_class;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_version = EV_CURRENT;
	eh.e_entry = spec->entry;
	eh.e_phoff = sizeof(eh);
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(ph);
	eh.e_phnum = 1;
	ph.p_vaddr = spec->vaddr;
	ph.p_paddr = spec->paddr;
	ph.p_filesz = spec->filesz;
	ph.p_memsz = spec->memsz;
	ph.p_align = 0x1000;
	memcpy(buf, &eh, sizeof(eh));
	memcpy(buf + sizeof(eh), &ph, sizeof(ph));
	for (i = SEG_OFFSET; i < IMAGE_MAX; i++)
		buf[i] = (uint8_t)(i * 7 + 1);
	if (spec->mb_header)
		put_mb_header(buf + SEG_OFFSET, spec->mb_flags, spec->mb_checksum_error);
	return spec->file_size;
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
	strcpy(path, "/tmp/btvmm-mb-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, size), (ssize_t)size);
	close(fd);
	f->npaths++;
	return path;
}

static int load(struct fixture *f, const char *path, const char *append, const char *module)
{
	return multiboot_load(&f->phys, path, append, module, &f->entry, f->err, sizeof(f->err));
}

/* Loading @image fails with a one-line reason naming the file and containing @needle. */
static void expect_refusal(struct fixture *f, const void *image, size_t size, const char *needle)
{
	const char *path = write_temp(f, image, size);

	assert_int_equal(load(f, path, NULL, NULL), -1);
	if (!strstr(f->err, needle))
		fail_msg("reason \"%s\" lacks \"%s\"", f->err, needle);
	assert_int_equal(strncmp(f->err, path, strlen(path)), 0);
	assert_null(strchr(f->err, '\n'));
}

static void expect_elf_refusal(struct fixture *f, const struct elf_spec *spec, const char *needle)
{
	uint8_t image[IMAGE_MAX];
	size_t size = build_elf(image, spec);

	expect_refusal(f, image, size, needle);
}

static uint32_t guest_u32(struct fixture *f, uint32_t gpa)
{
	uint32_t value;

	memcpy(&value, f->phys.ram + gpa, sizeof(value));
	return value;
}

static uint64_t guest_u64(struct fixture *f, uint32_t gpa)
{
	uint64_t value;

	memcpy(&value, f->phys.ram + gpa, sizeof(value));
	return value;
}

static const char *guest_string(struct fixture *f, uint32_t gpa)
{
	return (const char *)f->phys.ram + gpa;
}

static bool all_bytes_are(const uint8_t *p, size_t len, uint8_t value)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (p[i] != value)
			return false;
	}
	return true;
}

static void assert_mmap_entry(struct fixture *f, uint32_t at, uint64_t base, uint64_t len,
			      uint32_t type)
{
	assert_int_equal(guest_u32(f, at), 20);
	assert_int_equal(guest_u64(f, at + 4), base);
	assert_int_equal(guest_u64(f, at + 12), len);
	assert_int_equal(guest_u32(f, at + 20), type);
}

/* ---- Loading ---- */

static void test_elf_kernel_lands_at_paddr_with_bss_zeroed(void **state)
{
	struct fixture *f = *state;
	struct elf_spec spec = valid_elf();
	uint8_t image[IMAGE_MAX];
	size_t size = build_elf(image, &spec);

	memset(f->phys.ram + SEG_PADDR, 0xaa, SEG_MEMSZ + 0x1000);
	assert_int_equal(load(f, write_temp(f, image, size), NULL, NULL), 0);
	assert_memory_equal(f->phys.ram + SEG_PADDR, image + SEG_OFFSET, SEG_FILESZ);
	assert_true(all_bytes_are(f->phys.ram + SEG_PADDR + SEG_FILESZ, SEG_MEMSZ - SEG_FILESZ, 0));
	assert_int_equal(f->phys.ram[SEG_PADDR + SEG_MEMSZ], 0xaa);
	assert_int_equal(f->entry.protocol, BOOT_MULTIBOOT);
	assert_int_equal(f->entry.eip, SEG_PADDR + 0x10);
	assert_int_equal(f->entry.eax, MULTIBOOT_BOOTLOADER_MAGIC);
}

static void test_info_structure_describes_machine(void **state)
{
	struct fixture *f = *state;
	struct elf_spec spec = valid_elf();
	uint8_t image[IMAGE_MAX];
	const char *path = write_temp(f, image, build_elf(image, &spec));
	char expected_cmdline[64];
	uint32_t info, mmap;

	assert_int_equal(load(f, path, "console=ttyS0 quiet", NULL), 0);
	info = f->entry.ebx;
	assert_true(info >= 0x1000 && info + 88 <= BOOT_LOW_MEMORY_END);
	/* MEM | CMDLINE | MMAP | BOOT_LOADER_NAME, and no modules */
	assert_int_equal(guest_u32(f, info + INFO_FLAGS), 0x245);
	assert_int_equal(guest_u32(f, info + INFO_MEM_LOWER), 640);
	assert_int_equal(guest_u32(f, info + INFO_MEM_UPPER), (RAM_SIZE - 0x100000) / 1024);
	snprintf(expected_cmdline, sizeof(expected_cmdline), "%s console=ttyS0 quiet", path);
	assert_string_equal(guest_string(f, guest_u32(f, info + INFO_CMDLINE)), expected_cmdline);
	assert_string_equal(guest_string(f, guest_u32(f, info + INFO_BOOT_LOADER_NAME)), "btvmm");
	assert_int_equal(guest_u32(f, info + INFO_MMAP_LENGTH), 4 * 24);
	mmap = guest_u32(f, info + INFO_MMAP_ADDR);
	assert_mmap_entry(f, mmap, 0, 0x9fc00, 1);
	assert_mmap_entry(f, mmap + 24, 0x9fc00, 0x400, 2);
	assert_mmap_entry(f, mmap + 48, 0xf0000, 0x10000, 2);
	assert_mmap_entry(f, mmap + 72, 0x100000, RAM_SIZE - 0x100000, 1);
}

static void test_cmdline_without_append_is_the_path(void **state)
{
	struct fixture *f = *state;
	struct elf_spec spec = valid_elf();
	uint8_t image[IMAGE_MAX];
	const char *path = write_temp(f, image, build_elf(image, &spec));

	assert_int_equal(load(f, path, NULL, NULL), 0);
	assert_string_equal(guest_string(f, guest_u32(f, f->entry.ebx + INFO_CMDLINE)), path);
}

static void test_module_loaded_page_aligned_after_kernel(void **state)
{
	struct fixture *f = *state;
	struct elf_spec spec = valid_elf();
	uint8_t image[IMAGE_MAX], module[5000];
	const char *kernel = write_temp(f, image, build_elf(image, &spec));
	const char *mod_path = write_temp(f, memset(module, 0x5c, sizeof(module)), sizeof(module));
	uint32_t info, mod, start;

	assert_int_equal(load(f, kernel, NULL, mod_path), 0);
	info = f->entry.ebx;
	assert_int_equal(guest_u32(f, info + INFO_FLAGS) & 0x8, 0x8);
	assert_int_equal(guest_u32(f, info + INFO_MODS_COUNT), 1);
	mod = guest_u32(f, info + INFO_MODS_ADDR);
	start = guest_u32(f, mod);
	assert_int_equal(start % 4096, 0);
	assert_true(start >= SEG_PADDR + SEG_MEMSZ);
	assert_int_equal(guest_u32(f, mod + 4) - start, sizeof(module));
	assert_memory_equal(f->phys.ram + start, module, sizeof(module));
	assert_string_equal(guest_string(f, guest_u32(f, mod + 8)), mod_path);
}

static void test_higher_half_entry_translated_to_physical(void **state)
{
	struct fixture *f = *state;
	struct elf_spec spec = valid_elf();
	uint8_t image[IMAGE_MAX];

	spec.vaddr = 0xc0100000;
	spec.entry = 0xc0100020;
	assert_int_equal(load(f, write_temp(f, image, build_elf(image, &spec)), NULL, NULL), 0);
	assert_int_equal(f->entry.eip, SEG_PADDR + 0x20);
	assert_memory_equal(f->phys.ram + SEG_PADDR, image + SEG_OFFSET, SEG_FILESZ);
}

static void test_info_avoids_low_kernel(void **state)
{
	struct fixture *f = *state;
	struct elf_spec spec = valid_elf();
	uint8_t image[IMAGE_MAX];

	/* The kernel covers the preferred place for the information, 0x9000. */
	spec.paddr = spec.vaddr = 0x8000;
	spec.entry = 0x8010;
	spec.memsz = 0x4000;
	assert_int_equal(load(f, write_temp(f, image, build_elf(image, &spec)), NULL, NULL), 0);
	assert_true(f->entry.ebx >= 0xc000 || f->entry.ebx + 0x200 <= 0x8000);
	assert_int_equal(guest_u32(f, f->entry.ebx + INFO_MEM_LOWER), 640);
}

static void test_kernel_filling_low_memory_refused(void **state)
{
	struct fixture *f = *state;
	struct elf_spec spec = valid_elf();

	spec.paddr = spec.vaddr = 0;
	spec.entry = 0x10;
	spec.memsz = BOOT_LOW_MEMORY_END;
	expect_elf_refusal(f, &spec, "no room for the Multiboot information");
}

/* An a.out-kludge image: code from offset 0, the header at 0x40, loaded at 2 MiB. */
static size_t build_aout(uint8_t *buf, uint32_t load_end_addr)
{
	uint32_t i;

	for (i = 0; i < 0x180; i++)
		buf[i] = (uint8_t)(i * 3 + 5);
	put_mb_header(buf + 0x40, MB_FLAG_AOUT_KLUDGE | MB_FLAGS_PAGE_ALIGN_MEMINFO, 0);
	put_u32(buf + 0x4c, 0x200040); /* header_addr */
	put_u32(buf + 0x50, 0x200000); /* load_addr */
	put_u32(buf + 0x54, load_end_addr);
	put_u32(buf + 0x58, 0x201000); /* bss_end_addr */
	put_u32(buf + 0x5c, 0x200080); /* entry_addr */
	return 0x180;
}

static void test_aout_kludge_loads_by_header_addresses(void **state)
{
	struct fixture *f = *state;
	uint8_t image[0x180];
	size_t size = build_aout(image, 0x200100);

	memset(f->phys.ram + 0x200000, 0xaa, 0x2000);
	assert_int_equal(load(f, write_temp(f, image, size), NULL, NULL), 0);
	assert_memory_equal(f->phys.ram + 0x200000, image, 0x100);
	assert_true(all_bytes_are(f->phys.ram + 0x200100, 0xf00, 0));
	assert_int_equal(f->phys.ram[0x201000], 0xaa);
	assert_int_equal(f->entry.eip, 0x200080);
	assert_int_equal(f->entry.eax, MULTIBOOT_BOOTLOADER_MAGIC);
}

static void test_aout_kludge_load_end_zero_loads_whole_file(void **state)
{
	struct fixture *f = *state;
	uint8_t image[0x180];
	size_t size = build_aout(image, 0);

	assert_int_equal(load(f, write_temp(f, image, size), NULL, NULL), 0);
	assert_memory_equal(f->phys.ram + 0x200000, image, size);
}

static void test_probe_finds_only_aligned_headers_in_first_8k(void **state)
{
	static uint8_t image[3 * 4096];

	memset(image, 0, sizeof(image));
	put_mb_header(image + 0x102, 0, 0); /* misaligned */
	assert_int_equal(multiboot_probe(image, sizeof(image)), -1);
	put_mb_header(image + 8192 - 8, 0, 0); /* straddles the 8 KiB limit */
	assert_int_equal(multiboot_probe(image, sizeof(image)), -1);
	put_mb_header(image + 0x200, 0, 0);
	assert_int_equal(multiboot_probe(image, sizeof(image)), 0x200);
	assert_int_equal(multiboot_probe(image, 0x208), -1);
}

/* ---- Refusals ---- */

static void test_empty_file_refused(void **state)
{
	expect_refusal(*state, "", 0, "empty file");
}

static void test_missing_files_refused(void **state)
{
	struct fixture *f = *state;
	struct elf_spec spec = valid_elf();
	uint8_t image[IMAGE_MAX];
	const char *kernel = write_temp(f, image, build_elf(image, &spec));

	assert_int_equal(load(f, "/nonexistent/kernel", NULL, NULL), -1);
	assert_string_equal(f->err, "/nonexistent/kernel: cannot open: No such file or directory");
	assert_int_equal(load(f, kernel, NULL, "/nonexistent/module"), -1);
	assert_string_equal(f->err, "/nonexistent/module: cannot open: No such file or directory");
}

static void test_truncated_elf_header_refused(void **state)
{
	uint8_t image[EI_NIDENT + 12] = {0};

	memcpy(image, ELFMAG, SELFMAG);
	image[EI_CLASS] = ELFCLASS32;
	image[EI_DATA] = ELFDATA2LSB;
	put_mb_header(image + EI_NIDENT, 0, 0);
	expect_refusal(*state, image, sizeof(image), "truncated: ELF header needs 52 bytes");
}

static void test_truncated_segment_refused(void **state)
{
	struct elf_spec spec = valid_elf();

	spec.filesz = 0x200;
	expect_elf_refusal(*state, &spec,
			   "truncated: program header 0 data extends past end of file "
			   "(offset 0x1000 + 0x200 > 0x1100)");
}

static void test_truncated_program_headers_refused(void **state)
{
	struct elf_spec spec = valid_elf();
	uint8_t image[IMAGE_MAX];
	size_t size = build_elf(image, &spec);

	put_u32(image + offsetof(Elf32_Ehdr, e_phoff), size - 8);
	expect_refusal(*state, image, size, "truncated: program headers end at 0x1118");
}

static void test_missing_header_refused(void **state)
{
	struct elf_spec spec = valid_elf();

	spec.mb_header = false;
	expect_elf_refusal(*state, &spec, "no Multiboot header");
}

static void test_bad_checksum_refused(void **state)
{
	struct elf_spec spec = valid_elf();

	spec.mb_checksum_error = 1;
	expect_elf_refusal(*state, &spec, "bad Multiboot header checksum at offset 0x1000");
}

static void test_unsupported_flag_bit_3_refused(void **state)
{
	struct elf_spec spec = valid_elf();

	spec.mb_flags |= 1u << 3;
	expect_elf_refusal(*state, &spec, "requires feature bit 3");
}

static void test_video_mode_flag_ignored(void **state)
{
	struct fixture *f = *state;
	struct elf_spec spec = valid_elf();
	uint8_t image[IMAGE_MAX];

	spec.mb_flags |= 1u << 2;
	assert_int_equal(load(f, write_temp(f, image, build_elf(image, &spec)), NULL, NULL), 0);
}

static void test_elfclass64_refused(void **state)
{
	struct elf_spec spec = valid_elf();

	spec.elf_class = ELFCLASS64;
	expect_elf_refusal(*state, &spec, "ELFCLASS64");
}

static void test_wrong_machine_refused(void **state)
{
	struct elf_spec spec = valid_elf();

	spec.machine = EM_X86_64;
	expect_elf_refusal(*state, &spec, "ELF machine 62 is not EM_386");
}

static void test_not_executable_type_refused(void **state)
{
	struct elf_spec spec = valid_elf();

	spec.type = ET_DYN;
	expect_elf_refusal(*state, &spec, "is not ET_EXEC");
}

static void test_not_elf_without_kludge_refused(void **state)
{
	uint8_t image[64] = {0};

	put_mb_header(image + 8, 0, 0);
	expect_refusal(*state, image, sizeof(image), "not an ELF image");
}

static void test_segment_beyond_ram_refused(void **state)
{
	struct elf_spec spec = valid_elf();

	spec.paddr = spec.vaddr = RAM_SIZE - 0x1000;
	spec.entry = spec.paddr;
	expect_elf_refusal(*state, &spec, "lies beyond the end of guest RAM");
}

static void test_segment_in_vga_window_refused(void **state)
{
	struct elf_spec spec = valid_elf();

	spec.paddr = spec.vaddr = 0xb8000;
	spec.entry = spec.paddr;
	expect_elf_refusal(*state, &spec, "overlaps the VGA window");
}

static void test_filesz_above_memsz_refused(void **state)
{
	struct elf_spec spec = valid_elf();

	spec.memsz = 0x80;
	expect_elf_refusal(*state, &spec, "p_filesz 0x100 is larger than p_memsz 0x80");
}

static void test_entry_outside_segments_refused(void **state)
{
	struct elf_spec spec = valid_elf();

	spec.entry = 0x400000;
	expect_elf_refusal(*state, &spec, "entry point 0x400000 is not inside");
}

static void test_aout_load_addr_above_header_refused(void **state)
{
	uint8_t image[0x180];
	size_t size = build_aout(image, 0x200100);

	put_u32(image + 0x50, 0x200044); /* load_addr > header_addr */
	expect_refusal(*state, image, size, "load_addr 0x200044 is above header_addr 0x200040");
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    TEST(test_elf_kernel_lands_at_paddr_with_bss_zeroed),
	    TEST(test_info_structure_describes_machine),
	    TEST(test_cmdline_without_append_is_the_path),
	    TEST(test_module_loaded_page_aligned_after_kernel),
	    TEST(test_higher_half_entry_translated_to_physical),
	    TEST(test_info_avoids_low_kernel),
	    TEST(test_kernel_filling_low_memory_refused),
	    TEST(test_aout_kludge_loads_by_header_addresses),
	    TEST(test_aout_kludge_load_end_zero_loads_whole_file),
	    cmocka_unit_test(test_probe_finds_only_aligned_headers_in_first_8k),
	    TEST(test_empty_file_refused),
	    TEST(test_missing_files_refused),
	    TEST(test_truncated_elf_header_refused),
	    TEST(test_truncated_segment_refused),
	    TEST(test_truncated_program_headers_refused),
	    TEST(test_missing_header_refused),
	    TEST(test_bad_checksum_refused),
	    TEST(test_unsupported_flag_bit_3_refused),
	    TEST(test_video_mode_flag_ignored),
	    TEST(test_elfclass64_refused),
	    TEST(test_wrong_machine_refused),
	    TEST(test_not_executable_type_refused),
	    TEST(test_not_elf_without_kludge_refused),
	    TEST(test_segment_beyond_ram_refused),
	    TEST(test_segment_in_vga_window_refused),
	    TEST(test_filesz_above_memsz_refused),
	    TEST(test_entry_outside_segments_refused),
	    TEST(test_aout_load_addr_above_header_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
