/*
 * hello.c - the smallest guest: the monitor boots a Multiboot kernel, hands
 * over the Multiboot state, zeroes .bss, and carries COM1 output and the
 * exit port. Every other guest relies on what this one checks.
 */
#include "check.h"
#include "multiboot.h"

/* .bss: the ELF segment's memsz beyond filesz, which the loader must zero. */
static volatile uint32_t bss_probe[256]; /* volatile: else gcc folds reads to 0 */

/* .data: must arrive with its initial value. */
static volatile uint32_t data_probe = 0x12345678;

static void check_image(void)
{
	uint32_t any = 0;

	for (unsigned i = 0; i < sizeof(bss_probe) / sizeof(bss_probe[0]); i++)
		any |= bss_probe[i];
	CHECK_EQ32("bss_zeroed", any, 0);
	CHECK_EQ32("data_initialised", data_probe, 0x12345678);
}

void main(uint32_t magic, uint32_t info)
{
	kprintf("hello from a btvmm test guest\n");
	check_multiboot(magic, info);
	check_image();
	test_finish("hello");
}
