/*
 * monitor_hole_paging.c - paging structures that cover the top 4 MiB of the
 * linear address space, where btvmm keeps its monitor (docs/design.md; SDM
 * Vol. 3A 4.3, 4.7, 4.8). monitor_hole checks 4 KiB mappings there; this
 * guest maps the top with one 4 MiB page (data, code, A/D bits, a changed
 * PDE after INVLPG, a CR3 switch, a not-present PDE), with 4 KiB pages whose
 * faults (not present, read-only, supervisor from CPL 3) report CR2 in the
 * top 4 MiB, and with the classic recursive directory entry in slot 1023,
 * which puts every PTE at 0xffc00000 + 4 * (linear >> 12).
 */
#include "check.h"
#include "cpu.h"
#include "pgtable.h"
#include "user.h"

#define NOFAULT 0xffffffffu

#define HOLE	 0xffc00000u
#define ALIAS	 0x40000000u /* a 4 MiB page on the same frame as the hole's */
#define BIG(n)	 (0x01000000u + LARGE_PAGE_SIZE * (n))
#define MARK(n)	 (0xb0000000u | (n)) /* at BIG(n) + 0x10 */
#define FRAMES	 0x00800000u
#define FRAME(n) (FRAMES + PAGE_SIZE * (n))
#define TOP_PD	 0xfffff000u /* the directory, through the recursive entry */

static uint32_t *pd_a, *pd_b;

static void setup(void)
{
	WR32(BIG(0) + 0x10, MARK(0));
	WR32(BIG(1) + 0x10, MARK(1));
	WR32(FRAME(0), 0xf0);
	pd_a = pgdir_create();
	pgdir_identity(pd_a, 16u << 20, PTE_URW);
	pd_b = pgdir_clone_low(pd_a, 16u << 20);
	pgdir_map_large(pd_a, HOLE, BIG(0), PTE_URW);
	pgdir_map_large(pd_a, ALIAS, BIG(0), PTE_URW);
	pgdir_map_large(pd_b, HOLE, BIG(1), PTE_URW);
	WRITE_CR(4, READ_CR(4) | CR4_PSE);
	paging_start(pd_a, 1);
}

/* mov 4(%esp), %eax; add $imm32, %eax; ret (the immediate is at byte 5). */
static const uint8_t add_fn[] = {0x8b, 0x44, 0x24, 0x04, 0x05, 0x00, 0x01, 0x00, 0x00, 0xc3};

static uint32_t call_at(uint32_t addr, uint32_t arg)
{
	return ((uint32_t(*)(uint32_t))addr)(arg);
}

static void check_big_page(void)
{
	uint32_t *pde = pgdir_pde(pd_a, HOLE);

	CHECK_EQ32("big_hole_read", peek(HOLE + 0x10), MARK(0));
	poke(0xffe12340, 0x600d);
	CHECK_EQ32("big_hole_write_via_alias", peek(ALIAS + 0x212340), 0x600d);
	poke(ALIAS + 0x3ffffc, 0xa1b2c3d4);
	CHECK_EQ32("big_hole_top_dword", peek(0xfffffffc), 0xa1b2c3d4);
	CHECK_EQ32("big_hole_top_byte", RD8(0xffffffff), 0xa1);

	memcpy((void *)0xfffffff0, add_fn, sizeof(add_fn));
	CHECK_EQ32("big_hole_code", call_at(0xfffffff0, 1), 0x101);
	WR8(ALIAS + 0x3ffff0 + 6, 0x02);
	CHECK_EQ32("big_hole_code_patched_via_alias", call_at(0xfffffff0, 1), 0x201);
	WR8(0xfffffff0 + 6, 0x03);
	CHECK_EQ32("big_hole_code_patched_in_hole", call_at(0xfffffff0, 1), 0x301);

	*pde &= ~(PTE_A | PTE_D);
	invlpg(HOLE);
	(void)peek(0xfff00000);
	CHECK_EQ32("big_hole_read_sets_a", *pde & (PTE_A | PTE_D), PTE_A);
	poke(0xffc00100, 1);
	CHECK_EQ32("big_hole_write_sets_d", *pde & (PTE_A | PTE_D), PTE_A | PTE_D);
}

static void check_remap_and_switch(void)
{
	uint32_t *pde = pgdir_pde(pd_a, HOLE);

	*pde = BIG(1) | PDE_PS | PTE_URW;
	invlpg(0xffe00000);
	CHECK_EQ32("big_hole_remapped_after_invlpg", peek(HOLE + 0x10), MARK(1));
	*pde = BIG(0) | PDE_PS | PTE_URW;
	invlpg(HOLE);
	CHECK_EQ32("big_hole_mapped_back", peek(HOLE + 0x10), MARK(0));
	load_cr3(pd_b);
	CHECK_EQ32("big_hole_other_space", peek(HOLE + 0x10), MARK(1));
	load_cr3(pd_a);
	CHECK_EQ32("big_hole_first_space", peek(HOLE + 0x10), MARK(0));
	*pde = 0;
	invlpg(HOLE);
	probe_read32(0xfff00010, NOFAULT);
	check_pf("hole_pde_not_present", 0, 0xfff00010);
	*pde = BIG(0) | PDE_PS | PTE_URW;
	invlpg(HOLE);
}

static uint32_t u_read(uint32_t addr)
{
	return probe_read32(addr, NOFAULT);
}

/* 4 KiB pages in the hole: faults report CR2 there. */
static void check_small_pages(void)
{
	uint32_t *pde = pgdir_pde(pd_a, HOLE), old = *pde;

	*pde = 0;
	pgdir_map(pd_a, 0xffffe000, FRAME(0), PTE_P);
	pgdir_map(pd_a, 0xffffd000, FRAME(0), PTE_KRW);
	pgdir_map(pd_a, 0xffffc000, FRAME(0), PTE_URW);
	invlpg(HOLE);
	CHECK_EQ32("hole_small_read", peek(0xffffe000), 0xf0);
	probe_read32(0xfffff800, NOFAULT);
	check_pf("hole_pte_not_present", 0, 0xfffff800);
	probe_write32(0xffffe004, 1);
	check_pf("hole_write_read_only", PF_P | PF_W, 0xffffe004);
	user_call(u_read, 0xffffd008, 0);
	check_pf("hole_cpl3_read_supervisor", PF_P | PF_U, 0xffffd008);
	CHECK_EQ32("hole_cpl3_read_user", user_call(u_read, 0xffffc000, 0), 0xf0);
	*pde = old;
	invlpg(HOLE);
}

/* PDE 1023 points at the directory itself. */
static void check_recursive(void)
{
	uint32_t *pde = pgdir_pde(pd_a, HOLE), old = *pde;
	uint32_t lin = 0x40400000u, pte_lin = HOLE + 4 * (lin >> 12);

	*pde = (uint32_t)pd_a | PTE_KRW;
	invlpg(HOLE);
	CHECK_EQ32("recursive_self_entry", peek(TOP_PD + 4 * 1023),
		   (uint32_t)pd_a | PTE_KRW | PTE_A);
	CHECK_EQ32("recursive_identity_pte", peek(HOLE + 4 * (0x123000 >> 12)) & ~(PTE_A | PTE_D),
		   0x123000 | PTE_URW);
	/* A new page table through the directory's own mapping, then a PTE in it. */
	poke(TOP_PD + 4 * (lin >> 22), (uint32_t)pt_alloc() | PTE_KRW);
	invlpg(pte_lin);
	poke(pte_lin, FRAME(0) | PTE_KRW);
	invlpg(lin);
	CHECK_EQ32("recursive_new_mapping", peek(lin), 0xf0);
	*pde = old;
	invlpg(HOLE);
	CHECK_EQ32("recursive_undone", peek(HOLE + 0x10), MARK(0));
}

void main(uint32_t magic, uint32_t info)
{
	sys_init();
	pf_probe_init();
	setup();
	check_big_page();
	check_remap_and_switch();
	check_small_pages();
	check_recursive();
	test_finish("monitor_hole_paging");
}
