/*
 * paging.c - page directory and page tables for 32-bit paging with 4 KiB
 * pages (SDM Vol. 3A 4.3, Figure 4-4), built in a static pool.
 */
#include "cpu.h"
#include "paging.h"
#include "runtime.h"

#define PT_POOL 8 /* page tables: enough for 16 MiB identity plus a few extras */

static uint32_t page_dir[1024] __attribute__((aligned(4096)));
static uint32_t page_tables[PT_POOL][1024] __attribute__((aligned(4096)));
static unsigned pt_used;

void paging_reset(void)
{
	memset(page_dir, 0, sizeof(page_dir));
	memset(page_tables, 0, sizeof(page_tables));
	pt_used = 0;
}

/* The page table covering addr, allocated from the pool on first use (NULL: pool empty). */
static uint32_t *table_for(uint32_t addr)
{
	uint32_t *pde = &page_dir[addr >> 22];

	if (!(*pde & PTE_P)) {
		if (pt_used == PT_POOL)
			return 0;
		*pde = (uint32_t)page_tables[pt_used++] | PTE_P | PTE_RW | PTE_US;
	}
	return (uint32_t *)(*pde & ~0xfffu);
}

void paging_map(uint32_t addr, uint32_t phys, uint32_t flags)
{
	uint32_t *pt = table_for(addr);

	if (pt)
		pt[(addr >> 12) & 0x3ff] = (phys & ~0xfffu) | flags;
}

void paging_identity(uint32_t bytes, uint32_t flags)
{
	for (uint32_t a = 0; a < bytes; a += PAGE_SIZE)
		paging_map(a, a, flags);
}

void paging_enable(void)
{
	WRITE_CR(3, (uint32_t)page_dir);
	WRITE_CR(0, READ_CR(0) | CR0_PG);
}

void paging_disable(void)
{
	WRITE_CR(0, READ_CR(0) & ~CR0_PG);
}
