/*
 * paging_pge.c - global pages (SDM Vol. 3A 4.10.2.4, 4.10.4.1): with
 * CR4.PGE a MOV to CR3 may keep translations of pages whose PTE has G set,
 * so a stale global translation MAY survive a CR3 load. That direction is
 * not required and not tested. What is required and tested: a changed
 * non-global PTE is seen after a CR3 load; a changed global PTE (or 4 MiB
 * PDE) is seen after INVLPG, after any MOV to CR4 that changes PGE (either
 * way), and after a CR3 load while PGE is clear (G is then ignored).
 */
#include "check.h"
#include "cpu.h"
#include "pgtable.h"
#include "user.h"

#define FRAMES	    0x00800000u
#define FRAME(n)    (FRAMES + PAGE_SIZE * (n))
#define MARK(n)	    (0xa0000000u | (n)) /* the first dword of FRAME(n) */
#define PG_LOCAL    0x40000000u		/* non-global, on FRAME(0) or FRAME(1) */
#define PG_GLOB	    0x40001000u		/* global, on FRAME(2) or FRAME(3) */
#define BIG_GLOB    0x42000000u		/* global 4 MiB page on BIG(0) or BIG(1) */
#define BIG(n)	    (0x01000000u + LARGE_PAGE_SIZE * (n))
#define BIG_MARK(n) (0xb0000000u | (n)) /* at BIG(n) + BIG_OFF */
#define BIG_OFF	    0x123450u

static uint32_t *pd;

/* Points a PTE at another frame, keeping its flags, without any TLB maintenance. */
static void retarget(uint32_t lin, uint32_t phys)
{
	uint32_t *pte = pgdir_pte(pd, lin);

	*pte = phys | (*pte & 0xfffu);
}

static void retarget_big(uint32_t lin, uint32_t phys)
{
	uint32_t *pde = pgdir_pde(pd, lin);

	*pde = phys | (*pde & 0x3fffffu);
}

static void set_cr4(uint32_t set, uint32_t clear)
{
	WRITE_CR(4, (READ_CR(4) | set) & ~clear);
}

static void setup(void)
{
	for (unsigned n = 0; n < 4; n++)
		WR32(FRAME(n), MARK(n));
	WR32(BIG(0) + BIG_OFF, BIG_MARK(0));
	WR32(BIG(1) + BIG_OFF, BIG_MARK(1));
	pd = pgdir_create();
	pgdir_identity(pd, 16u << 20, PTE_KRW);
	pgdir_map(pd, PG_LOCAL, FRAME(0), PTE_KRW);
	pgdir_map(pd, PG_GLOB, FRAME(2), PTE_KRW | PTE_G);
	pgdir_map_large(pd, BIG_GLOB, BIG(0), PTE_KRW | PTE_G);
	set_cr4(CR4_PSE | CR4_PGE, 0);
	paging_start(pd, 1);
}

static void check_cr3_reload(void)
{
	CHECK_EQ32("local_before", peek(PG_LOCAL), MARK(0));
	retarget(PG_LOCAL, FRAME(1));
	load_cr3(pd);
	CHECK_EQ32("local_change_seen_after_cr3_load", peek(PG_LOCAL), MARK(1));
	CHECK_EQ32("global_unchanged_after_cr3_load", peek(PG_GLOB), MARK(2));
}

static void check_invlpg(void)
{
	CHECK_EQ32("global_before", peek(PG_GLOB), MARK(2));
	retarget(PG_GLOB, FRAME(3));
	invlpg(PG_GLOB + 0x567);
	CHECK_EQ32("global_change_seen_after_invlpg", peek(PG_GLOB), MARK(3));

	CHECK_EQ32("big_global_before", peek(BIG_GLOB + BIG_OFF), BIG_MARK(0));
	retarget_big(BIG_GLOB, BIG(1));
	invlpg(BIG_GLOB + 0x3ff000);
	CHECK_EQ32("big_global_change_seen_after_invlpg", peek(BIG_GLOB + BIG_OFF), BIG_MARK(1));
}

static void check_pge_toggle(void)
{
	(void)peek(PG_GLOB);
	retarget(PG_GLOB, FRAME(2));
	set_cr4(0, CR4_PGE);
	CHECK_EQ32("global_change_seen_after_clearing_pge", peek(PG_GLOB), MARK(2));
	retarget(PG_GLOB, FRAME(3));
	set_cr4(CR4_PGE, 0);
	CHECK_EQ32("global_change_seen_after_setting_pge", peek(PG_GLOB), MARK(3));

	(void)peek(BIG_GLOB + BIG_OFF);
	retarget_big(BIG_GLOB, BIG(0));
	set_cr4(0, CR4_PGE);
	set_cr4(CR4_PGE, 0);
	CHECK_EQ32("big_global_change_seen_after_pge_toggle", peek(BIG_GLOB + BIG_OFF),
		   BIG_MARK(0));
}

static void check_pge_clear(void)
{
	set_cr4(0, CR4_PGE);
	(void)peek(PG_GLOB);
	retarget(PG_GLOB, FRAME(2));
	load_cr3(pd);
	CHECK_EQ32("g_bit_ignored_without_pge", peek(PG_GLOB), MARK(2));
	(void)peek(BIG_GLOB + BIG_OFF);
	retarget_big(BIG_GLOB, BIG(1));
	load_cr3(pd);
	CHECK_EQ32("big_g_bit_ignored_without_pge", peek(BIG_GLOB + BIG_OFF), BIG_MARK(1));
	set_cr4(CR4_PGE, 0);
}

/* Another directory with the same global mappings: they work there too. */
static void check_other_space(void)
{
	uint32_t *pd2 = pgdir_clone_low(pd, 16u << 20);

	pgdir_map(pd2, PG_LOCAL, FRAME(0), PTE_KRW);
	pgdir_map(pd2, PG_GLOB, FRAME(2), PTE_KRW | PTE_G);
	retarget(PG_GLOB, FRAME(2));
	invlpg(PG_GLOB);
	(void)peek(PG_GLOB);
	load_cr3(pd2);
	CHECK_EQ32("other_space_local", peek(PG_LOCAL), MARK(0));
	CHECK_EQ32("other_space_global", peek(PG_GLOB), MARK(2));
	load_cr3(pd);
	CHECK_EQ32("back_local", peek(PG_LOCAL), MARK(1));
}

void main(uint32_t magic, uint32_t info)
{
	sys_init();
	setup();
	check_cr3_reload();
	check_invlpg();
	check_pge_toggle();
	check_pge_clear();
	check_other_space();
	test_finish("paging_pge");
}
