/*
 * paging_invlpg.c - INVLPG (SDM Vol. 2 INVLPG, Vol. 3A 4.10.4.1): after a
 * PTE change and INVLPG of any address in the page, the next access uses
 * the new entry: another frame (for data and for code), not present, R/W
 * and U/S in both directions. INVLPG anywhere inside a 4 MiB page drops the
 * whole page, INVLPG drops cached PDEs too, and INVLPG of an unmapped
 * address does not fault. That INVLPG of one page leaves others cached is
 * allowed, not required, so it is not tested.
 */
#include "check.h"
#include "cpu.h"
#include "idt.h"
#include "pgtable.h"
#include "regs.h"
#include "user.h"

#define NOFAULT 0xffffffffu

#define FRAMES	    0x00800000u
#define FRAME(n)    (FRAMES + PAGE_SIZE * (n))
#define MARK(n)	    (0xa0000000u | (n)) /* the first dword of FRAME(n) */
#define PG_DATA	    0x40000000u		/* FRAME(0) or FRAME(1) */
#define PG_PROT	    0x40001000u		/* FRAME(2), rights change */
#define PG_CODE	    0x40002000u		/* FRAME(7) or FRAME(8), code */
#define PG_PDE	    0x40400000u		/* through page table X (FRAME(4)) or Y (FRAME(5)) */
#define BIG	    0x42000000u /* 4 MiB page on BIG_PHYS(0) or BIG_PHYS(1), or 4 KiB pages */
#define BIG_PHYS(n) (0x01000000u + LARGE_PAGE_SIZE * (n))
#define BIG_MARK(n) (0xb0000000u | (n)) /* at BIG_PHYS(n) + 0x1000 and + 0x3ff000 */
#define UNMAPPED    0x7ff00000u

static uint32_t *pd;
static uint32_t *pt_y; /* the other page table for PG_PDE's PDE */

static void retarget(uint32_t lin, uint32_t phys)
{
	uint32_t *pte = pgdir_pte(pd, lin);

	*pte = phys | (*pte & 0xfffu);
}

static void set_pte_flags(uint32_t lin, uint32_t set, uint32_t clear)
{
	uint32_t *pte = pgdir_pte(pd, lin);

	*pte = (*pte | set) & ~clear;
}

/* movl $n, %eax; ret at the start of FRAME(frame). */
static void put_code(unsigned frame, uint32_t n)
{
	uint8_t *p = (uint8_t *)FRAME(frame);

	p[0] = 0xb8;
	memcpy(p + 1, &n, 4);
	p[5] = 0xc3;
}

static uint32_t call_at(uint32_t addr)
{
	return ((uint32_t(*)(void))addr)();
}

static uint32_t u_jump(uint32_t addr)
{
	probe_jump(addr);
	return 0;
}

static void setup(void)
{
	for (unsigned n = 0; n < 7; n++)
		WR32(FRAME(n), MARK(n));
	put_code(7, 7);
	put_code(8, 8);
	for (unsigned n = 0; n < 2; n++) {
		WR32(BIG_PHYS(n) + 0x1000, BIG_MARK(n));
		WR32(BIG_PHYS(n) + 0x3ff000, BIG_MARK(n));
	}
	pd = pgdir_create();
	pgdir_identity(pd, 16u << 20, PTE_URW);
	pgdir_map(pd, PG_DATA, FRAME(0), PTE_KRW);
	pgdir_map(pd, PG_PROT, FRAME(2), PTE_URW);
	pgdir_map(pd, PG_CODE, FRAME(7), PTE_KRW);
	pgdir_map(pd, PG_PDE, FRAME(4), PTE_KRW);
	pt_y = pt_alloc();
	pt_y[0] = FRAME(5) | PTE_KRW;
	pgdir_map_large(pd, BIG, BIG_PHYS(0), PTE_KRW);
	WRITE_CR(4, READ_CR(4) | CR4_PSE);
	paging_start(pd, 1);
}

static void check_remap(void)
{
	CHECK_EQ32("data_before", peek(PG_DATA), MARK(0));
	retarget(PG_DATA, FRAME(1));
	invlpg(PG_DATA + 0x800);
	CHECK_EQ32("remap_read", peek(PG_DATA), MARK(1));
	poke(PG_DATA + 4, 0x1111);
	retarget(PG_DATA, FRAME(0));
	invlpg(PG_DATA);
	poke(PG_DATA + 4, 0x2222);
	CHECK_EQ32("remap_write_old_frame", RD32(FRAME(1) + 4), 0x1111);
	CHECK_EQ32("remap_write_new_frame", RD32(FRAME(0) + 4), 0x2222);

	CHECK_EQ32("code_before", call_at(PG_CODE), 7);
	retarget(PG_CODE, FRAME(8));
	invlpg(PG_CODE);
	CHECK_EQ32("code_remap", call_at(PG_CODE), 8);

	/* The code is translated: its page going away must still fault on the fetch. */
	set_pte_flags(PG_CODE, 0, PTE_P);
	invlpg(PG_CODE);
	probe_jump(PG_CODE);
	check_pf_at("code_unmapped_fetch_faults", 0, PG_CODE, PG_CODE);
	set_pte_flags(PG_CODE, PTE_P | PTE_US, 0);
	invlpg(PG_CODE);
	CHECK_EQ32("code_user_at_cpl3", user_call(call_at, PG_CODE, 0), 8);
	set_pte_flags(PG_CODE, 0, PTE_US);
	invlpg(PG_CODE);
	user_call(u_jump, PG_CODE, 0);
	check_pf_at("code_made_supervisor_cpl3_fetch_faults", PF_P | PF_U, PG_CODE, PG_CODE);
}

static uint32_t u_read(uint32_t addr)
{
	return probe_read32(addr, NOFAULT);
}

static void check_rights(void)
{
	CHECK_EQ32("prot_before", peek(PG_PROT), MARK(2));
	set_pte_flags(PG_PROT, 0, PTE_P);
	invlpg(PG_PROT);
	probe_read32(PG_PROT, NOFAULT);
	check_pf("present_to_not_present", 0, PG_PROT);
	set_pte_flags(PG_PROT, PTE_P, 0);
	invlpg(PG_PROT);
	CHECK_EQ32("not_present_to_present", probe_read32(PG_PROT, NOFAULT), MARK(2));

	poke(PG_PROT + 8, 1);
	set_pte_flags(PG_PROT, 0, PTE_RW);
	invlpg(PG_PROT);
	probe_write32(PG_PROT + 8, 2);
	check_pf("rw_to_ro", PF_P | PF_W, PG_PROT + 8);
	set_pte_flags(PG_PROT, PTE_RW, 0);
	invlpg(PG_PROT);
	probe_write32(PG_PROT + 8, 3);
	check_no_fault("ro_to_rw");
	CHECK_EQ32("ro_to_rw_value", RD32(FRAME(2) + 8), 3);

	CHECK_EQ32("user_before", user_call(u_read, PG_PROT, 0), MARK(2));
	set_pte_flags(PG_PROT, 0, PTE_US);
	invlpg(PG_PROT);
	user_call(u_read, PG_PROT, 0);
	check_pf("user_to_supervisor", PF_P | PF_U, PG_PROT);
	set_pte_flags(PG_PROT, PTE_US, 0);
	invlpg(PG_PROT);
	CHECK_EQ32("supervisor_to_user", user_call(u_read, PG_PROT, 0), MARK(2));
}

/* A new page table in the PDE: INVLPG also drops the cached PDE. */
static void check_pde(void)
{
	uint32_t *pde = pgdir_pde(pd, PG_PDE);
	uint32_t old = *pde;

	CHECK_EQ32("pde_before", peek(PG_PDE), MARK(4));
	*pde = (uint32_t)pt_y | PTE_URW;
	invlpg(PG_PDE);
	CHECK_EQ32("pde_new_table", peek(PG_PDE), MARK(5));
	*pde = old;
	invlpg(PG_PDE);
	CHECK_EQ32("pde_old_table", peek(PG_PDE), MARK(4));
}

static void check_large(void)
{
	uint32_t *pde = pgdir_pde(pd, BIG), *pt = pt_alloc();

	CHECK_EQ32("big_before_low", peek(BIG + 0x1000), BIG_MARK(0));
	CHECK_EQ32("big_before_high", peek(BIG + 0x3ff000), BIG_MARK(0));
	*pde = BIG_PHYS(1) | PDE_PS | PTE_KRW;
	invlpg(BIG + 0x123456);
	CHECK_EQ32("big_remap_low", peek(BIG + 0x1000), BIG_MARK(1));
	CHECK_EQ32("big_remap_high", peek(BIG + 0x3ff000), BIG_MARK(1));

	pt[1] = FRAME(3) | PTE_KRW;
	*pde = (uint32_t)pt | PTE_KRW;
	invlpg(BIG + 0x1000);
	CHECK_EQ32("big_to_small", peek(BIG + 0x1000), MARK(3));
	*pde = BIG_PHYS(0) | PDE_PS | PTE_KRW;
	invlpg(BIG + 0x1000);
	CHECK_EQ32("small_to_big", peek(BIG + 0x1000), BIG_MARK(0));
}

static void check_unmapped(void)
{
	struct regs r = {.ebx = UNMAPPED};

	PROBE("invlpg (%%ebx)", r);
	check_no_fault("invlpg_unmapped_no_fault");
}

void main(uint32_t magic, uint32_t info)
{
	sys_init();
	pf_probe_init();
	setup();
	check_remap();
	check_rights();
	check_pde();
	check_large();
	check_unmapped();
	test_finish("paging_invlpg");
}
