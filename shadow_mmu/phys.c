/*
 * phys.c - guest physical memory: one anonymous mapping for RAM, and the PC
 * memory map rules for what is RAM (kvmtool's guest_flat_to_host).
 */
#include <errno.h>
#include <sys/mman.h>

#include "shadow_mmu/shadow_mmu.h"
#include "monitor/x86.h"

int phys_init(struct guest_phys *phys, uint64_t ram_size)
{
	void *ram;

	if (ram_size < PHYS_RAM_MIN || ram_size > PHYS_RAM_MAX || (ram_size & (PAGE_SIZE - 1)))
		return -EINVAL;
	/* MAP_NORESERVE: pages the guest never touches cost the host nothing. */
	ram = mmap(NULL, ram_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		   -1, 0);
	if (ram == MAP_FAILED)
		return -errno;
	phys->ram = ram;
	phys->ram_size = ram_size;
	return 0;
}

void phys_destroy(struct guest_phys *phys)
{
	if (phys->ram)
		munmap(phys->ram, phys->ram_size);
	phys->ram = NULL;
	phys->ram_size = 0;
}

bool phys_is_ram(const struct guest_phys *phys, uint64_t gpa)
{
	if (gpa >= phys->ram_size)
		return false;
	/* The VGA window is device memory on a PC, never RAM. */
	return !(gpa >= PHYS_VGA_START && gpa < PHYS_VGA_END);
}

void *phys_ram_ptr(const struct guest_phys *phys, uint64_t gpa, uint64_t len)
{
	if (len == 0 || gpa >= phys->ram_size || len > phys->ram_size - gpa)
		return NULL;
	/* The range must not overlap the VGA window. */
	if (gpa < PHYS_VGA_END && gpa + len > PHYS_VGA_START)
		return NULL;
	return phys->ram + gpa;
}
