/*
 * boot_multiboot.c - Multiboot v1 kernel loader (Multiboot Specification
 * 0.6.96): finds the header (3.1), loads an ELF32 image (libelf) or an a.out
 * kludge image at its physical addresses, and the module after it. Longer
 * than the usual file budget because every refusal is spelled out here, once.
 */
#include <errno.h>
#include <fcntl.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "monitor/boot.h"
#include "monitor/log.h"
#include "monitor/x86.h"

/* Header flags (3.1.2). Bits 0-15 are requirements: refuse any we do not know. */
#define MB_HEADER_PAGE_ALIGN	(1u << 0)  /* modules on 4 KiB boundaries */
#define MB_HEADER_MEMORY_INFO	(1u << 1)  /* mem_* and mmap_* wanted */
#define MB_HEADER_VIDEO_MODE	(1u << 2)  /* a graphics mode wanted */
#define MB_HEADER_AOUT_KLUDGE	(1u << 16) /* the address fields are valid */
#define MB_HEADER_REQUIRED_MASK 0x0000ffffu
#define MB_HEADER_UNDERSTOOD	(MB_HEADER_PAGE_ALIGN | MB_HEADER_MEMORY_INFO | MB_HEADER_VIDEO_MODE)
#define MB_HEADER_CORE_BYTES	12 /* magic, flags, checksum */
#define MB_HEADER_AOUT_BYTES	32 /* ... plus header_addr .. entry_addr */

#define MB_MAX_KERNEL_BYTES (64u << 20)

/* The header as the kernel lays it out (3.1.1). */
struct multiboot_header {
	uint32_t magic;
	uint32_t flags;
	uint32_t checksum;
	uint32_t header_addr;	/* physical address of the magic (a.out kludge) */
	uint32_t load_addr;	/* physical address of the first byte to load */
	uint32_t load_end_addr; /* end of the loaded data; 0 = to end of file */
	uint32_t bss_end_addr;	/* end of the zeroed bss; 0 = no bss */
	uint32_t entry_addr;
};

struct mb_loader {
	struct guest_phys *phys;
	const char *path;
	char *err;
	size_t errlen;
	uint8_t *image;
	size_t size;
	size_t header_offset;
	struct multiboot_header header;
	uint64_t kernel_start, kernel_end; /* guest-physical extent of the kernel */
	uint64_t module_start, module_end; /* empty when there is no module */
	uint32_t entry;
};

PRINTF_LIKE(3, 0)
static int vfail(struct mb_loader *ld, const char *file, const char *fmt, va_list ap)
{
	int len = snprintf(ld->err, ld->errlen, "%s: ", file);

	if (len >= 0 && (size_t)len < ld->errlen)
		vsnprintf(ld->err + len, ld->errlen - len, fmt, ap);
	return -1;
}

/* Fill the caller's error buffer with "<kernel path>: <reason>"; returns -1. */
PRINTF_LIKE(2, 3) static int fail(struct mb_loader *ld, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(ld, ld->path, fmt, ap);
	va_end(ap);
	return -1;
}

/* The same, naming another file (the module). */
PRINTF_LIKE(3, 4) static int fail_file(struct mb_loader *ld, const char *file, const char *fmt, ...)
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

/* Read all of @file (1 to @max bytes) into a new buffer the caller frees. */
static int read_file(struct mb_loader *ld, const char *file, size_t max, uint8_t **data,
		     size_t *size)
{
	struct stat st;
	int fd, error;

	fd = open(file, O_RDONLY);
	if (fd < 0)
		return fail_file(ld, file, "cannot open: %s", strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return fail_file(ld, file, "not a regular file");
	}
	*size = st.st_size;
	*data = NULL;
	if (*size == 0 || *size > max) {
		close(fd);
		if (*size == 0)
			return fail_file(ld, file, "empty file");
		return fail_file(ld, file, "too large: %zu bytes (the limit is %zu)", *size, max);
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

/* ---- The Multiboot header (3.1) ---- */

static uint32_t load_le32(const uint8_t *p)
{
	uint32_t value;

	memcpy(&value, p, sizeof(value));
	return value;
}

/* Offset of the first 4-byte aligned magic in the first 8 KiB (with a valid
 * checksum if @need_checksum), or -1. */
static int find_magic(const uint8_t *image, size_t size, bool need_checksum)
{
	size_t limit = size < MULTIBOOT_SEARCH_BYTES ? size : MULTIBOOT_SEARCH_BYTES;
	size_t off;

	for (off = 0; off + MB_HEADER_CORE_BYTES <= limit; off += 4) {
		const uint8_t *h = image + off;

		if (load_le32(h) != MULTIBOOT_HEADER_MAGIC)
			continue;
		/* magic + flags + checksum == 0, modulo 2^32 */
		if (!need_checksum || load_le32(h) + load_le32(h + 4) + load_le32(h + 8) == 0)
			return off;
	}
	return -1;
}

int multiboot_probe(const uint8_t *image, size_t size)
{
	return find_magic(image, size, true);
}

static int check_header_flags(struct mb_loader *ld)
{
	uint32_t unknown = ld->header.flags & MB_HEADER_REQUIRED_MASK & ~MB_HEADER_UNDERSTOOD;

	/*
	 * Bit 0 (page-aligned modules) is always honoured and bit 1 (memory
	 * information) always provided. Bit 2 asks for a graphics mode: there
	 * is no display to set one on, so, as QEMU does, boot the kernel
	 * anyway and leave the VBE fields out of the information structure.
	 */
	if (unknown)
		return fail(
		    ld, "Multiboot header requires feature bit %d, which btvmm does not support",
		    __builtin_ctz(unknown));
	return 0;
}

static int parse_header(struct mb_loader *ld)
{
	int offset = multiboot_probe(ld->image, ld->size);
	size_t avail;

	if (offset < 0) {
		offset = find_magic(ld->image, ld->size, false);
		if (offset < 0)
			return fail(ld, "no Multiboot header (magic 0x%08x) in the first %d bytes",
				    MULTIBOOT_HEADER_MAGIC, MULTIBOOT_SEARCH_BYTES);
		return fail(ld,
			    "bad Multiboot header checksum at offset 0x%x (magic + flags + "
			    "checksum must be 0)",
			    offset);
	}
	ld->header_offset = offset;
	avail = ld->size - offset;
	memcpy(&ld->header, ld->image + offset,
	       avail < sizeof(ld->header) ? avail : sizeof(ld->header));
	return check_header_flags(ld);
}

/* ---- Guest RAM ---- */

/* Host pointer to guest [start, start + len), or NULL with the reason why not. */
static uint8_t *guest_range(struct mb_loader *ld, uint64_t start, uint64_t len, const char *what)
{
	uint64_t end = start + len;
	uint8_t *ptr = phys_ram_ptr(ld->phys, start, len);

	if (ptr)
		return ptr;
	if (end > ld->phys->ram_size)
		fail(ld, "%s [0x%llx, 0x%llx) lies beyond the end of guest RAM (0x%llx)", what,
		     (unsigned long long)start, (unsigned long long)end,
		     (unsigned long long)ld->phys->ram_size);
	else
		fail(ld,
		     "%s [0x%llx, 0x%llx) overlaps the VGA window [0x%x, 0x%x), which is not RAM",
		     what, (unsigned long long)start, (unsigned long long)end, PHYS_VGA_START,
		     PHYS_VGA_END);
	return NULL;
}

/* Copy @filesz bytes into guest RAM at @start and zero the rest up to @memsz. */
static int place_bytes(struct mb_loader *ld, uint64_t start, const uint8_t *data, uint64_t filesz,
		       uint64_t memsz, const char *what)
{
	uint8_t *dst = guest_range(ld, start, memsz, what);

	if (!dst)
		return -1;
	memcpy(dst, data, filesz);
	memset(dst + filesz, 0, memsz - filesz);
	if (start < ld->kernel_start)
		ld->kernel_start = start;
	if (start + memsz > ld->kernel_end)
		ld->kernel_end = start + memsz;
	return 0;
}

/* ---- a.out kludge: the header's own address fields (3.1.3) ---- */

/* Checks the address fields; sets the file offset and sizes to load. */
static int aout_layout(struct mb_loader *ld, uint64_t *file_start, uint64_t *load_size,
		       uint64_t *mem_size)
{
	const struct multiboot_header *h = &ld->header;

	if (ld->header_offset + MB_HEADER_AOUT_BYTES > ld->size)
		return fail(ld,
			    "truncated: Multiboot header address fields extend past end of file");
	if (h->load_addr > h->header_addr)
		return fail(ld, "a.out kludge: load_addr 0x%x is above header_addr 0x%x",
			    h->load_addr, h->header_addr);
	if (h->header_addr - h->load_addr > ld->header_offset)
		return fail(ld,
			    "a.out kludge: header_addr - load_addr = 0x%x reaches before the start "
			    "of the file (header at offset 0x%zx)",
			    h->header_addr - h->load_addr, ld->header_offset);
	*file_start = ld->header_offset - (h->header_addr - h->load_addr);
	if (h->load_end_addr && h->load_end_addr <= h->header_addr)
		return fail(ld, "a.out kludge: load_end_addr 0x%x is not above header_addr 0x%x",
			    h->load_end_addr, h->header_addr);
	*load_size = h->load_end_addr ? h->load_end_addr - h->load_addr : ld->size - *file_start;
	if (*file_start + *load_size > ld->size)
		return fail(ld,
			    "truncated: a.out kludge image needs file bytes up to 0x%llx, the file "
			    "has 0x%zx",
			    (unsigned long long)(*file_start + *load_size), ld->size);
	if (h->bss_end_addr && h->bss_end_addr < h->load_addr + *load_size)
		return fail(
		    ld,
		    "a.out kludge: bss_end_addr 0x%x is below the end of the loaded data 0x%llx",
		    h->bss_end_addr, (unsigned long long)(h->load_addr + *load_size));
	*mem_size = h->bss_end_addr ? h->bss_end_addr - h->load_addr : *load_size;
	return 0;
}

static int load_aout(struct mb_loader *ld)
{
	const struct multiboot_header *h = &ld->header;
	uint64_t file_start = 0, load_size = 0, mem_size = 0;

	if (aout_layout(ld, &file_start, &load_size, &mem_size) < 0)
		return -1;
	if (place_bytes(ld, h->load_addr, ld->image + file_start, load_size, mem_size,
			"a.out kludge image") < 0)
		return -1;
	if (h->entry_addr < h->load_addr || h->entry_addr >= h->load_addr + mem_size)
		return fail(
		    ld, "a.out kludge: entry_addr 0x%x is outside the loaded image [0x%x, 0x%llx)",
		    h->entry_addr, h->load_addr, (unsigned long long)(h->load_addr + mem_size));
	ld->entry = h->entry_addr;
	return 0;
}

/* ---- ELF32 images (System V ABI, i386 supplement) ---- */

/* What libelf would only report as "invalid": say which rule the file breaks. */
static int check_elf_ident(struct mb_loader *ld)
{
	const uint8_t *ident = ld->image;

	if (ld->size < EI_NIDENT || memcmp(ident, ELFMAG, SELFMAG) != 0)
		return fail(
		    ld, "not an ELF image, and the Multiboot header has no a.out kludge (flag 16)");
	if (ident[EI_CLASS] == ELFCLASS64)
		return fail(ld, "ELFCLASS64 image: btvmm boots 32-bit (ELFCLASS32) kernels only");
	if (ident[EI_CLASS] != ELFCLASS32)
		return fail(ld, "unknown ELF class %u", ident[EI_CLASS]);
	if (ident[EI_DATA] != ELFDATA2LSB)
		return fail(ld, "ELF image is not little-endian (ELFDATA2LSB)");
	if (ld->size < sizeof(Elf32_Ehdr))
		return fail(ld, "truncated: ELF header needs %zu bytes, the file has %zu",
			    sizeof(Elf32_Ehdr), ld->size);
	return 0;
}

static int check_elf_header(struct mb_loader *ld, const Elf32_Ehdr *ehdr, size_t phnum)
{
	uint64_t ph_end = ehdr->e_phoff + (uint64_t)phnum * ehdr->e_phentsize;

	if (ehdr->e_machine != EM_386)
		return fail(ld, "ELF machine %u is not EM_386 (Intel 80386)", ehdr->e_machine);
	if (ehdr->e_type != ET_EXEC)
		return fail(ld, "ELF type %u is not ET_EXEC (an executable)", ehdr->e_type);
	if (phnum == 0)
		return fail(ld, "no PT_LOAD segment (no program headers)");
	if (phnum == PN_XNUM)
		return fail(ld, "extended program header numbering (PN_XNUM) is not supported");
	if (ehdr->e_phentsize != sizeof(Elf32_Phdr))
		return fail(ld, "ELF program header size %u is not %zu", ehdr->e_phentsize,
			    sizeof(Elf32_Phdr));
	if (ph_end > ld->size)
		return fail(ld,
			    "truncated: program headers end at 0x%llx, past end of file (0x%zx)",
			    (unsigned long long)ph_end, ld->size);
	return 0;
}

/* Multiboot loads ELF segments at their physical addresses (p_paddr). */
static int load_segment(struct mb_loader *ld, size_t index, const Elf32_Phdr *ph)
{
	char what[48];

	if (ph->p_filesz > ph->p_memsz)
		return fail(ld, "program header %zu: p_filesz 0x%x is larger than p_memsz 0x%x",
			    index, ph->p_filesz, ph->p_memsz);
	if ((uint64_t)ph->p_offset + ph->p_filesz > ld->size)
		return fail(ld,
			    "truncated: program header %zu data extends past end of file (offset "
			    "0x%x + 0x%x > 0x%zx)",
			    index, ph->p_offset, ph->p_filesz, ld->size);
	if (ph->p_memsz == 0)
		return 0;
	snprintf(what, sizeof(what), "program header %zu", index);
	return place_bytes(ld, ph->p_paddr, ld->image + ph->p_offset, ph->p_filesz, ph->p_memsz,
			   what);
}

/*
 * e_entry is a virtual address. Translate it through the executable segment
 * holding it to a physical one, as GRUB does, so kernels linked with
 * p_vaddr != p_paddr start at the right place with paging off.
 */
static int find_entry(struct mb_loader *ld, const Elf32_Ehdr *ehdr, const Elf32_Phdr *phdr,
		      size_t phnum)
{
	size_t i;

	for (i = 0; i < phnum; i++) {
		const Elf32_Phdr *ph = &phdr[i];

		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
			continue;
		if (ehdr->e_entry >= ph->p_vaddr && ehdr->e_entry - ph->p_vaddr < ph->p_memsz) {
			ld->entry = ehdr->e_entry - ph->p_vaddr + ph->p_paddr;
			return 0;
		}
	}
	return fail(ld, "entry point 0x%x is not inside a loaded executable segment",
		    ehdr->e_entry);
}

static int load_segments(struct mb_loader *ld, const Elf32_Ehdr *ehdr, const Elf32_Phdr *phdr,
			 size_t phnum)
{
	size_t i, loads = 0;

	for (i = 0; i < phnum; i++) {
		if (phdr[i].p_type != PT_LOAD)
			continue;
		if (load_segment(ld, i, &phdr[i]) < 0)
			return -1;
		loads++;
	}
	if (loads == 0)
		return fail(ld, "no PT_LOAD segment");
	return find_entry(ld, ehdr, phdr, phnum);
}

static int load_elf(struct mb_loader *ld)
{
	Elf32_Ehdr *ehdr;
	Elf32_Phdr *phdr;
	size_t phnum;
	Elf *elf;
	int ret = -1;

	if (check_elf_ident(ld) < 0)
		return -1;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return fail(ld, "libelf: %s", elf_errmsg(-1));
	elf = elf_memory((char *)ld->image, ld->size);
	if (!elf)
		return fail(ld, "libelf: %s", elf_errmsg(-1));
	ehdr = elf32_getehdr(elf);
	if (!ehdr) {
		fail(ld, "libelf: %s", elf_errmsg(-1));
		goto out;
	}
	/* Not elf_getphdrnum(): it quietly drops headers past the end of the
	 * file, and a truncated image must be refused, not half loaded. */
	phnum = ehdr->e_phnum;
	if (check_elf_header(ld, ehdr, phnum) < 0)
		goto out;
	phdr = elf32_getphdr(elf);
	if (!phdr) {
		fail(ld, "libelf: %s", elf_errmsg(-1));
		goto out;
	}
	ret = load_segments(ld, ehdr, phdr, phnum);
out:
	elf_end(elf);
	return ret;
}

/* ---- The module (-initrd) ---- */

/* Page-aligned after the kernel's highest byte (header flag 0 asks for 4 KiB
 * alignment; we always give it). */
static int load_module(struct mb_loader *ld, const char *module_path)
{
	uint64_t start = align_up(ld->kernel_end, PAGE_SIZE);
	uint8_t *data, *dst;
	size_t size;

	if (read_file(ld, module_path, ld->phys->ram_size, &data, &size) < 0)
		return -1;
	/* A kernel in low memory leaves no room below the legacy hole: use 1 MiB. */
	if (start < BOOT_HIGH_MEMORY_START && start + size > BOOT_LOW_MEMORY_END)
		start = BOOT_HIGH_MEMORY_START;
	dst = phys_ram_ptr(ld->phys, start, size);
	if (!dst) {
		free(data);
		return fail_file(
		    ld, module_path,
		    "module of %zu bytes does not fit in guest RAM after the kernel (at 0x%llx)",
		    size, (unsigned long long)start);
	}
	memcpy(dst, data, size);
	free(data);
	ld->module_start = start;
	ld->module_end = start + size;
	return 0;
}

/* ---- Entry point ---- */

static int write_info(struct mb_loader *ld, const char *append, const char *module_path,
		      uint32_t *info_base)
{
	struct multiboot_info_request req = {
	    .kernel_path = ld->path,
	    .append = append,
	    .module_path = module_path,
	    .module_start = ld->module_start,
	    .module_end = ld->module_end,
	    .kernel_start = ld->kernel_start,
	    .kernel_end = ld->kernel_end,
	};

	return multiboot_write_info(ld->phys, &req, info_base, ld->err, ld->errlen);
}

static int load_kernel(struct mb_loader *ld)
{
	if (parse_header(ld) < 0)
		return -1;
	if (ld->header.flags & MB_HEADER_AOUT_KLUDGE)
		return load_aout(ld);
	return load_elf(ld);
}

int multiboot_load(struct guest_phys *phys, const char *path, const char *cmdline,
		   const char *module_path, struct boot_entry *entry, char *err, size_t errlen)
{
	struct mb_loader ld = {
	    .phys = phys,
	    .path = path,
	    .err = err,
	    .errlen = errlen,
	    .kernel_start = UINT64_MAX,
	    .kernel_end = 0,
	};
	uint32_t info_base = 0;
	int ret;

	ret = read_file(&ld, path, MB_MAX_KERNEL_BYTES, &ld.image, &ld.size);
	if (ret == 0)
		ret = load_kernel(&ld);
	if (ret == 0 && module_path)
		ret = load_module(&ld, module_path);
	if (ret == 0)
		ret = write_info(&ld, cmdline, module_path, &info_base);
	free(ld.image);
	if (ret < 0)
		return -1;
	*entry = (struct boot_entry){
	    .protocol = BOOT_MULTIBOOT,
	    .eip = ld.entry,
	    .eax = MULTIBOOT_BOOTLOADER_MAGIC,
	    .ebx = info_base,
	};
	return 0;
}
