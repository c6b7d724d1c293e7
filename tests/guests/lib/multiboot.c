/*
 * multiboot.c - checking the machine state a Multiboot v1 loader hands over
 * (Multiboot Specification 0.6.96, section 3.2).
 */
#include "check.h"
#include "multiboot.h"

void check_multiboot(uint32_t magic, uint32_t info)
{
	const struct multiboot_info *mbi = (const struct multiboot_info *)info;

	CHECK_EQ32("multiboot_magic", magic, MULTIBOOT_BOOTLOADER_MAGIC);
	if (magic != MULTIBOOT_BOOTLOADER_MAGIC || !info) {
		check_fail("multiboot_info", "no info structure (EBX = 0x%08x)", info);
		return;
	}
	CHECK_EQ32("multiboot_mem_flag", mbi->flags & MULTIBOOT_INFO_MEMORY, MULTIBOOT_INFO_MEMORY);
	CHECK_TRUE("multiboot_mem_upper", mbi->mem_upper > 0);
}
