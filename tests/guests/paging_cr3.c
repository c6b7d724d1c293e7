/*
 * paging_cr3.c - address spaces (SDM Vol. 3A 4.3 CR3, 4.10.4.1 MOV to CR3):
 * two page directories map the same linear pages, data and code, to
 * different frames, and each sees its own across switches. Page-table and
 * page-directory writes made while a space is not current are seen when it
 * becomes current again (btvmm keeps shadow tables per CR3 and must notice
 * them), as are a shared page table, a page table written through a
 * recursive mapping of the directory, B's tables written while A runs by
 * REP MOVS, by REP INSB (a device write) and through an alias, code written
 * for another space, frames that change between code and page table, and a
 * directory page reused for a new address space (as after exit and exec).
 */
#include "check.h"
#include "cpu.h"
#include "pgtable.h"
#include "user.h"

#define FRAMES	  0x00800000u
#define FRAME(n)  (FRAMES + PAGE_SIZE * (n))
#define MARK(n)	  (0xa0000000u | (n)) /* the first dword of FRAME(n) */
#define LIN	  0x40000000u	      /* A: FRAME(0), B: FRAME(1) */
#define LIN_PD	  0x40400000u	      /* B: through a PDE rewritten while A runs */
#define LIN_CODE  0x40800000u	      /* A: FRAME(9), B: FRAME(10); code */
#define SHARED_A  0x41000000u	      /* the shared page table as seen in A */
#define SHARED_B  0x41400000u	      /* ... and in B */
#define INS_FRAME 0x03030000u	      /* the frame of PTE 0x03030303 */
#define ALIAS_PT  0x44000000u	      /* in A: B's page table for LIN */
#define SELF	  0xc0000000u	      /* A's recursive map: page table i at SELF + 4 KiB * i */
#define NFRAMES	  12

static uint32_t *pd_a, *pd_b, *pt_shared;

static void retarget(uint32_t *pd, uint32_t lin, uint32_t phys)
{
	uint32_t *pte = pgdir_pte(pd, lin);

	*pte = phys | (*pte & 0xfffu);
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

static void setup(void)
{
	for (unsigned n = 0; n < NFRAMES; n++)
		WR32(FRAME(n), MARK(n));
	put_code(9, 9);
	put_code(10, 10);
	WR32(INS_FRAME, 0x03030303);
	pd_a = pgdir_create();
	pgdir_identity(pd_a, 16u << 20, PTE_URW);
	pd_b = pgdir_clone_low(pd_a, 16u << 20);
	pgdir_map(pd_a, LIN, FRAME(0), PTE_KRW);
	pgdir_map(pd_b, LIN, FRAME(1), PTE_KRW);
	pgdir_map(pd_b, LIN_PD, FRAME(4), PTE_KRW);
	pgdir_map(pd_a, LIN_CODE, FRAME(9), PTE_KRW);
	pgdir_map(pd_b, LIN_CODE, FRAME(10), PTE_KRW);
	pt_shared = pt_alloc();
	pt_shared[0] = FRAME(6) | PTE_KRW;
	*pgdir_pde(pd_a, SHARED_A) = (uint32_t)pt_shared | PTE_KRW;
	*pgdir_pde(pd_b, SHARED_B) = (uint32_t)pt_shared | PTE_KRW;
	*pgdir_pde(pd_a, SELF) = (uint32_t)pd_a | PTE_KRW;
	paging_start(pd_a, 1);
}

static void check_switches(void)
{
	unsigned bad = 0;

	for (uint32_t i = 0; i < 8; i++) {
		load_cr3(pd_a);
		bad += peek(LIN) != (i ? 0xa000 + i - 1 : MARK(0));
		poke(LIN, 0xa000 + i);
		load_cr3(pd_b);
		bad += peek(LIN) != (i ? 0xb000 + i - 1 : MARK(1));
		poke(LIN, 0xb000 + i);
	}
	CHECK_EQ32("switches_each_space_sees_its_own", bad, 0);
	CHECK_EQ32("cr3_reads_back", READ_CR(3), (uint32_t)pd_b);
	CHECK_EQ32("space_a_frame", RD32(FRAME(0)), 0xa007);
	CHECK_EQ32("space_b_frame", RD32(FRAME(1)), 0xb007);
	WR32(FRAME(0), MARK(0));
	WR32(FRAME(1), MARK(1));

	load_cr3(pd_a);
	CHECK_EQ32("code_space_a", call_at(LIN_CODE), 9);
	load_cr3(pd_b);
	CHECK_EQ32("code_space_b", call_at(LIN_CODE), 10);
	load_cr3(pd_a);
	CHECK_EQ32("code_space_a_again", call_at(LIN_CODE), 9);
}

/* Writes to B's tables while A is current. */
static void check_writes_elsewhere(void)
{
	uint32_t *pt_c = pt_alloc();

	load_cr3(pd_b);
	CHECK_EQ32("b_before", peek(LIN), MARK(1));
	CHECK_EQ32("b_pd_before", peek(LIN_PD), MARK(4));
	load_cr3(pd_a);
	retarget(pd_b, LIN, FRAME(2));
	pt_c[0] = FRAME(3) | PTE_KRW;
	*pgdir_pde(pd_b, LIN_PD) = (uint32_t)pt_c | PTE_KRW;
	CHECK_EQ32("a_unaffected", peek(LIN), MARK(0));
	load_cr3(pd_b);
	CHECK_EQ32("pte_written_while_not_current", peek(LIN), MARK(2));
	CHECK_EQ32("pde_written_while_not_current", peek(LIN_PD), MARK(3));

	load_cr3(pd_a);
	retarget(pd_a, LIN, FRAME(5)); /* no INVLPG: the CR3 loads below flush */
	load_cr3(pd_b);
	load_cr3(pd_a);
	CHECK_EQ32("own_pte_seen_after_switching_back", peek(LIN), MARK(5));
}

static void check_shared_table(void)
{
	load_cr3(pd_a);
	CHECK_EQ32("shared_in_a", peek(SHARED_A), MARK(6));
	load_cr3(pd_b);
	CHECK_EQ32("shared_in_b", peek(SHARED_B), MARK(6));
	load_cr3(pd_a);
	pt_shared[0] = FRAME(7) | PTE_KRW;
	invlpg(SHARED_A);
	CHECK_EQ32("shared_written_in_a", peek(SHARED_A), MARK(7));
	load_cr3(pd_b);
	CHECK_EQ32("shared_written_seen_in_b", peek(SHARED_B), MARK(7));
}

/* A's directory is also its page table for SELF: every PTE has a linear address. */
static void check_recursive(void)
{
	uint32_t lin_pte = SELF + (LIN >> 22) * PAGE_SIZE + ((LIN >> 12) & 0x3ff) * 4;
	uint32_t lin_pde = SELF + (SELF >> 22) * PAGE_SIZE + (LIN >> 22) * 4;

	load_cr3(pd_a);
	CHECK_EQ32("recursive_pte", peek(lin_pte), *pgdir_pte(pd_a, LIN));
	CHECK_EQ32("recursive_pde", peek(lin_pde), *pgdir_pde(pd_a, LIN));
	poke(lin_pte, FRAME(8) | PTE_KRW);
	invlpg(LIN);
	CHECK_EQ32("pte_written_through_recursive_map", peek(LIN), MARK(8));
}

/*
 * B's PTE for LIN rewritten while A runs, by writes the monitor emulates:
 * REP MOVSD, REP INSB from the UART scratch register (PTE 0x03030303: frame
 * 0x03030000, present, writable), and a store through an alias of B's page
 * table in A.
 */
static void check_other_writers(void)
{
	uint32_t *pte_b = pgdir_pte(pd_b, LIN), value = FRAME(2) | PTE_KRW, n = 1, dst;

	load_cr3(pd_b);
	(void)peek(LIN);
	load_cr3(pd_a);
	dst = (uint32_t)pte_b;
	__asm__ volatile("rep movsl"
			 : "+D"(dst), "+S"((uint32_t){(uint32_t)&value}), "+c"(n)
			 :
			 : "memory");
	load_cr3(pd_b);
	CHECK_EQ32("pte_written_by_rep_movs_while_not_current", peek(LIN), MARK(2));
	load_cr3(pd_a);
	outb(0x3ff, 0x03);
	n = 4;
	dst = (uint32_t)pte_b;
	__asm__ volatile("rep insb" : "+D"(dst), "+c"(n) : "d"(0x3ff) : "memory");
	load_cr3(pd_b);
	CHECK_EQ32("pte_written_by_ins_while_not_current", peek(LIN), 0x03030303);
	load_cr3(pd_a);
	pgdir_map(pd_a, ALIAS_PT, PTE_FRAME((uint32_t)pte_b), PTE_KRW);
	invlpg(ALIAS_PT);
	poke(ALIAS_PT + ((uint32_t)pte_b & 0xfff), FRAME(3) | PTE_KRW);
	load_cr3(pd_b);
	CHECK_EQ32("pte_written_through_alias_while_not_current", peek(LIN), MARK(3));
}

/*
 * Frames change roles, as after exit and exec: B's code frame is rewritten
 * while A runs; a frame that held translated code becomes a page table; a
 * page table becomes code.
 */
static void check_reuse(void)
{
	uint32_t *pt = (uint32_t *)FRAME(9), *pde = pgdir_pde(pd_b, LIN_PD);

	load_cr3(pd_a);
	put_code(10, 100);
	load_cr3(pd_b);
	CHECK_EQ32("code_written_while_other_space_current", call_at(LIN_CODE), 100);

	load_cr3(pd_a);
	CHECK_EQ32("code_before_reuse", call_at(LIN_CODE), 9);
	memset(pt, 0, PAGE_SIZE);
	pt[0] = FRAME(4) | PTE_KRW;
	*pde = (uint32_t)pt | PTE_KRW;
	load_cr3(pd_b);
	CHECK_EQ32("code_frame_reused_as_page_table", peek(LIN_PD), MARK(4));

	load_cr3(pd_a);
	*pde = 0;
	put_code(9, 99);
	CHECK_EQ32("page_table_frame_reused_as_code", call_at(FRAME(9)), 99);
	load_cr3(pd_b);
	probe_read32(LIN_PD, 0);
	check_pf("reused_page_table_unmapped", 0, LIN_PD);
	load_cr3(pd_a);
}

/* B's directory page is cleared and rebuilt as a new space while A runs. */
static void check_reused_directory(void)
{
	uint32_t *pt = pt_alloc();

	load_cr3(pd_a);
	memset(pd_b, 0, PAGE_SIZE);
	for (uint32_t i = 0; i < 4; i++)
		pd_b[i] = pd_a[i];
	pt[0] = FRAME(11) | PTE_KRW;
	*pgdir_pde(pd_b, LIN) = (uint32_t)pt | PTE_KRW;
	load_cr3(pd_b);
	CHECK_EQ32("reused_directory_new_mapping", peek(LIN), MARK(11));
	probe_read32(SHARED_B, 0);
	check_pf("reused_directory_old_mapping_gone", 0, SHARED_B);
	load_cr3(pd_a);
}

void main(uint32_t magic, uint32_t info)
{
	sys_init();
	pf_probe_init();
	setup();
	check_switches();
	check_writes_elsewhere();
	check_shared_table();
	check_recursive();
	check_other_writers();
	check_reuse();
	check_reused_directory();
	test_finish("paging_cr3");
}
