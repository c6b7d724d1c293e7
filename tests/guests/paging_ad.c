/*
 * paging_ad.c - accessed and dirty bits (SDM Vol. 3A 4.8): every access sets
 * A in the PDE and the PTE it used, a write also sets D in the PTE (or in
 * the PDE of a 4 MiB page), a read or a fetch never sets D; the bits are in
 * memory as soon as the access is done, and after the guest clears them and
 * invalidates the TLB entry (INVLPG) the next access sets them again. Reads,
 * writes, fetches, read-modify-writes, string instructions, straddling
 * writes, CPL 3 accesses, and the writes an instruction makes implicitly:
 * an exception frame, INS, a CMPXCHG whose comparison fails.
 */
#include "check.h"
#include "cpu.h"
#include "idt.h"
#include "pgtable.h"
#include "user.h"

#define AD (PTE_A | PTE_D)

#define FRAMES	 0x00800000u
#define FRAME(n) (FRAMES + PAGE_SIZE * (n))
#define TEST	 0x40000000u /* pages TEST + n * 4 KiB on FRAME(n) */
#define PAGE(n)	 (TEST + PAGE_SIZE * (n))
#define BIG	 0x42000000u /* a 4 MiB page on BIG_PHYS */
#define BIG_PHYS 0x01000000u

static uint32_t *pd;

static uint32_t *pte_of(uint32_t lin)
{
	return pgdir_pte(pd, lin);
}

/* Clears A and D of the page's PTE and drops its TLB entry. */
static void clean(uint32_t lin)
{
	*pte_of(lin) &= ~AD;
	invlpg(lin);
}

static void check_ad(const char *name, uint32_t entry, uint32_t want)
{
	CHECK_EQ32(name, entry & AD, want);
}

static void setup_paging(void)
{
	pd = pgdir_create();
	pgdir_identity(pd, 16u << 20, PTE_URW);
	for (unsigned n = 0; n < 9; n++)
		pgdir_map(pd, PAGE(n), FRAME(n), PTE_URW);
	pgdir_map_large(pd, BIG, BIG_PHYS, PTE_URW);
	WRITE_CR(4, READ_CR(4) | CR4_PSE);
	paging_start(pd, 1);
}

/* Reads and writes of a 4 KiB page, and the PDE's A bit. */
static void check_read_write(void)
{
	uint32_t *pde = pgdir_pde(pd, TEST);

	*pde &= ~AD;
	*pte_of(PAGE(0)) &= ~AD;
	load_cr3(pd); /* also drops any cached PDE */
	(void)RD32(PAGE(0) + 8);
	check_ad("read_sets_pde_a", *pde, PTE_A);
	check_ad("read_sets_pte_a_only", *pte_of(PAGE(0)), PTE_A);
	(void)RD32(PAGE(0) + 12);
	check_ad("second_read_keeps_d_clear", *pte_of(PAGE(0)), PTE_A);
	WR32(PAGE(0) + 8, 1);
	check_ad("write_after_read_sets_d", *pte_of(PAGE(0)), AD);

	clean(PAGE(0));
	(void)RD32(PAGE(0));
	check_ad("cleared_then_read_sets_a", *pte_of(PAGE(0)), PTE_A);
	WR32(PAGE(0), 2);
	check_ad("cleared_then_write_sets_d", *pte_of(PAGE(0)), AD);

	clean(PAGE(1));
	WR8(PAGE(1) + 0x800, 3);
	check_ad("first_write_sets_a_and_d", *pte_of(PAGE(1)), AD);
	clean(PAGE(1));
	WR8(PAGE(1) + 0x800, 4);
	check_ad("write_again_after_clean_sets_a_and_d", *pte_of(PAGE(1)), AD);
}

/* ret: fetched from PAGE(2) by a call. */
static void check_fetch(void)
{
	WR8(FRAME(2) + 0x100, 0xc3);
	clean(PAGE(2));
	((void (*)(void))(PAGE(2) + 0x100))();
	check_ad("fetch_sets_a_only", *pte_of(PAGE(2)), PTE_A);
	clean(PAGE(2)); /* the code is translated now: running it again must still walk */
	((void (*)(void))(PAGE(2) + 0x100))();
	check_ad("fetch_again_after_clean_sets_a", *pte_of(PAGE(2)), PTE_A);
}

/* Instructions that read and write, string instructions, a straddling store. */
static void check_instructions(void)
{
	uint32_t src = PAGE(3), dst = PAGE(4), n = 16;

	clean(PAGE(5));
	__asm__ volatile("incl (%0)" : : "r"(PAGE(5) + 0x40) : "memory", "cc");
	check_ad("rmw_sets_a_and_d", *pte_of(PAGE(5)), AD);

	clean(src);
	clean(dst);
	__asm__ volatile("rep movsb" : "+S"(src), "+D"(dst), "+c"(n) : : "memory");
	check_ad("movs_source_a_only", *pte_of(PAGE(3)), PTE_A);
	check_ad("movs_destination_a_and_d", *pte_of(PAGE(4)), AD);

	clean(PAGE(3));
	clean(PAGE(4));
	WR32(PAGE(4) - 2, 0x12345678); /* the last 2 bytes of PAGE(3), the first 2 of PAGE(4) */
	check_ad("straddle_write_first_page", *pte_of(PAGE(3)), AD);
	check_ad("straddle_write_second_page", *pte_of(PAGE(4)), AD);
}

static void ignore_trap(struct trap_frame *f)
{
}

/* Writes the CPU or the monitor makes for an instruction: an exception frame, INS, CMPXCHG. */
static void check_implicit_writes(void)
{
	uint32_t n = 4, dst = PAGE(6), old = 0;

	clean(PAGE(7));
	trap_set_handler(EXC_BP, ignore_trap);
	__asm__ volatile("movl %%esp, %%ebx\n\t"
			 "movl %0, %%esp\n\t"
			 "int3\n\t"
			 "movl %%ebx, %%esp"
			 :
			 : "r"(PAGE(8))
			 : "ebx", "memory");
	trap_set_handler(EXC_BP, 0);
	check_ad("exception_frame_sets_d", *pte_of(PAGE(7)), AD);

	clean(PAGE(6));
	__asm__ volatile("rep insb" : "+D"(dst), "+c"(n) : "d"(0x3ff) : "memory");
	check_ad("ins_sets_a_and_d", *pte_of(PAGE(6)), AD);

	/* The destination gets a write cycle even when the comparison fails (SDM CMPXCHG). */
	WR32(PAGE(5) + 0x80, 1);
	clean(PAGE(5));
	__asm__ volatile("lock cmpxchgl %2, (%1)"
			 : "+a"(old)
			 : "r"(PAGE(5) + 0x80), "r"(2)
			 : "memory", "cc");
	CHECK_EQ32("cmpxchg_failed", old, 1);
	check_ad("failed_cmpxchg_sets_d", *pte_of(PAGE(5)), AD);
}

static uint32_t u_read(uint32_t addr)
{
	return RD32(addr);
}

static uint32_t u_write(uint32_t addr)
{
	WR32(addr, addr);
	return 0;
}

static void check_cpl3(void)
{
	clean(PAGE(6));
	user_call(u_read, PAGE(6), 0);
	check_ad("cpl3_read_sets_a_only", *pte_of(PAGE(6)), PTE_A);
	user_call(u_write, PAGE(6), 0);
	check_ad("cpl3_write_sets_d", *pte_of(PAGE(6)), AD);
}

/* A 4 MiB page keeps both bits in its PDE; INVLPG anywhere inside it drops it. */
static void check_large(void)
{
	uint32_t *pde = pgdir_pde(pd, BIG);

	*pde &= ~AD;
	invlpg(BIG);
	(void)RD32(BIG + 0x123450);
	check_ad("big_read_sets_a_only", *pde, PTE_A);
	WR32(BIG + 0x3ffff0, 5);
	check_ad("big_write_sets_d", *pde, AD);
	*pde &= ~AD;
	invlpg(BIG + 0x3ffff0);
	WR32(BIG + 0x200000, 6);
	check_ad("big_cleared_then_write_sets_a_and_d", *pde, AD);
}

void main(uint32_t magic, uint32_t info)
{
	sys_init();
	setup_paging();
	check_read_write();
	check_fetch();
	check_instructions();
	check_cpl3();
	check_implicit_writes();
	check_large();
	test_finish("paging_ad");
}
