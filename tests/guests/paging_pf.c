/*
 * paging_pf.c - page faults as the guest sees them (SDM Vol. 3A 4.6 access
 * rights, 4.7 page-fault exceptions, 6.15 interrupt 14): the error code
 * (P, W/R, U/S; I/D stays 0 on a P6 without PAE), CR2 and the faulting EIP
 * for not-present PDEs and PTEs, read-only pages with CR0.WP = 1 and 0,
 * supervisor pages from CPL 3 and read-only user pages, rights that come
 * from the PDE, all with 4 KiB pages and with 4 MiB pages (CR4.PSE); a
 * fetch from a not-present page, an instruction and a data access that
 * straddle into a not-present page (CR2 = the second page, nothing
 * written), a REP STOS that faults part way, and the state at a fault in
 * the middle of a block.
 */
#include "check.h"
#include "cpu.h"
#include "idt.h"
#include "pgtable.h"
#include "regs.h"
#include "user.h"

#define NOFAULT 0xffffffffu

#define FRAMES	 0x00800000u /* test frames (identity mapped too, to check contents) */
#define FRAME(n) (FRAMES + PAGE_SIZE * (n))
#define BIG_PHYS 0x01000000u /* frame of the 4 MiB pages (outside the identity map) */

/* 4 KiB pages: one page table at TEST. */
#define TEST	0x40000000u
#define PG_NP	(TEST + 0x0000) /* PTE not present */
#define PG_KRO	(TEST + 0x1000) /* supervisor, read-only: FRAME(1) */
#define PG_URO	(TEST + 0x3000) /* user, read-only: FRAME(3) */
#define PG_URW	(TEST + 0x4000) /* user, read/write: FRAME(4) */
#define PG_EDGE (TEST + 0x5000) /* user read/write FRAME(5), followed by a not-present page */
#define PG_CODE (TEST + 0x7000) /* user read/write FRAME(7), followed by a not-present page */
#define PDE_NP	0x40400000u	/* PDE not present */
#define PDE_RO	0x40800000u	/* PDE user read-only, PTE user read/write: FRAME(8) */
#define PDE_SUP 0x40c00000u	/* PDE supervisor read/write, PTE user read/write: FRAME(9) */
/* 4 MiB pages, all on BIG_PHYS. */
#define BIG_NP	0x42000000u /* PS set, P clear */
#define BIG_KRO 0x42400000u /* supervisor read-only */
#define BIG_URO 0x42800000u /* user read-only */
#define BIG_URW 0x42c00000u /* user read/write: the view used to check contents */

struct pf_case {
	const char *name;
	uint32_t addr;
	int write; /* else a read */
	int cpl3;
	int wp;	       /* CR0.WP during the access */
	uint32_t err;  /* #PF error code, or NOFAULT */
	uint32_t seen; /* where the accessed dword also shows (0: nowhere mapped) */
};

static const struct pf_case cases[] = {
    {"pde_not_present_read", PDE_NP + 0x123, 0, 0, 1, 0, 0},
    {"pde_not_present_write", PDE_NP + 0x2468, 1, 0, 1, PF_W, 0},
    {"pde_not_present_read_cpl3", PDE_NP + 0x10, 0, 1, 1, PF_U, 0},
    {"pte_not_present_read", PG_NP + 0x10, 0, 0, 1, 0, 0},
    {"pte_not_present_write", PG_NP + 0xffc, 1, 0, 1, PF_W, 0},
    {"pte_not_present_write_cpl3", PG_NP + 0x800, 1, 1, 1, PF_U | PF_W, 0},
    {"kro_read", PG_KRO + 0x20, 0, 0, 1, NOFAULT, FRAME(1) + 0x20},
    {"kro_write_wp1", PG_KRO + 0x24, 1, 0, 1, PF_P | PF_W, FRAME(1) + 0x24},
    {"kro_write_wp0", PG_KRO + 0x28, 1, 0, 0, NOFAULT, FRAME(1) + 0x28},
    {"uro_write_cpl0_wp1", PG_URO + 0x30, 1, 0, 1, PF_P | PF_W, FRAME(3) + 0x30},
    {"uro_write_cpl0_wp0", PG_URO + 0x34, 1, 0, 0, NOFAULT, FRAME(3) + 0x34},
    {"kro_read_cpl3", PG_KRO + 0x40, 0, 1, 1, PF_P | PF_U, 0},
    {"kro_write_cpl3", PG_KRO + 0x44, 1, 1, 1, PF_P | PF_W | PF_U, FRAME(1) + 0x44},
    {"uro_read_cpl3", PG_URO + 0x50, 0, 1, 1, NOFAULT, FRAME(3) + 0x50},
    {"uro_write_cpl3_wp1", PG_URO + 0x54, 1, 1, 1, PF_P | PF_W | PF_U, FRAME(3) + 0x54},
    {"uro_write_cpl3_wp0", PG_URO + 0x58, 1, 1, 0, PF_P | PF_W | PF_U, FRAME(3) + 0x58},
    {"urw_write_cpl3", PG_URW + 0x60, 1, 1, 1, NOFAULT, FRAME(4) + 0x60},
    {"pde_ro_write_wp1", PDE_RO + 0x70, 1, 0, 1, PF_P | PF_W, FRAME(8) + 0x70},
    {"pde_ro_write_wp0", PDE_RO + 0x74, 1, 0, 0, NOFAULT, FRAME(8) + 0x74},
    {"pde_ro_write_cpl3", PDE_RO + 0x78, 1, 1, 1, PF_P | PF_W | PF_U, FRAME(8) + 0x78},
    {"pde_ro_read_cpl3", PDE_RO + 0x7c, 0, 1, 1, NOFAULT, FRAME(8) + 0x7c},
    {"pde_sup_read_cpl3", PDE_SUP + 0x80, 0, 1, 1, PF_P | PF_U, 0},
    {"pde_sup_write_cpl0", PDE_SUP + 0x84, 1, 0, 1, NOFAULT, FRAME(9) + 0x84},
    {"big_not_present_read", BIG_NP + 0x123456, 0, 0, 1, 0, 0},
    {"big_not_present_write_cpl3", BIG_NP + 0x3ffffc, 1, 1, 1, PF_W | PF_U, 0},
    {"big_kro_read", BIG_KRO + 0x200000, 0, 0, 1, NOFAULT, BIG_URW + 0x200000},
    {"big_kro_write_wp1", BIG_KRO + 0x200004, 1, 0, 1, PF_P | PF_W, BIG_URW + 0x200004},
    {"big_kro_write_wp0", BIG_KRO + 0x200008, 1, 0, 0, NOFAULT, BIG_URW + 0x200008},
    {"big_kro_read_cpl3", BIG_KRO + 0x1000, 0, 1, 1, PF_P | PF_U, 0},
    {"big_uro_read_cpl3", BIG_URO + 0x3ff000, 0, 1, 1, NOFAULT, BIG_URW + 0x3ff000},
    {"big_uro_write_cpl3", BIG_URO + 0x3ff004, 1, 1, 1, PF_P | PF_W | PF_U, BIG_URW + 0x3ff004},
    {"big_urw_write_cpl3", BIG_URW + 0x10, 1, 1, 1, NOFAULT, BIG_URO + 0x10},
};

static void setup_paging(void)
{
	uint32_t *pd = pgdir_create();

	pgdir_identity(pd, 16u << 20, PTE_URW);
	pgdir_map(pd, PG_KRO, FRAME(1), PTE_P);
	pgdir_map(pd, PG_URO, FRAME(3), PTE_P | PTE_US);
	pgdir_map(pd, PG_URW, FRAME(4), PTE_URW);
	pgdir_map(pd, PG_EDGE, FRAME(5), PTE_URW);
	pgdir_map(pd, PG_CODE, FRAME(7), PTE_URW);
	pgdir_map(pd, PDE_RO, FRAME(8), PTE_URW);
	*pgdir_pde(pd, PDE_RO) &= ~PTE_RW;
	pgdir_map(pd, PDE_SUP, FRAME(9), PTE_URW);
	*pgdir_pde(pd, PDE_SUP) &= ~PTE_US;
	pgdir_map_large(pd, BIG_NP, BIG_PHYS, 0);
	pgdir_map_large(pd, BIG_KRO, BIG_PHYS, PTE_P);
	pgdir_map_large(pd, BIG_URO, BIG_PHYS, PTE_P | PTE_US);
	pgdir_map_large(pd, BIG_URW, BIG_PHYS, PTE_URW);
	WRITE_CR(4, READ_CR(4) | CR4_PSE);
	paging_start(pd, 1);
}

static uint32_t u_read(uint32_t addr)
{
	return probe_read32(addr, NOFAULT);
}

static uint32_t u_write(uint32_t addr)
{
	probe_write32(addr, ~addr);
	return 0;
}

/* Runs one case and checks the fault (or its absence) and the memory, in one line. */
static void run_case(const struct pf_case *c)
{
	uint32_t before = 0x5eed0000u + (c->addr & 0xffff), got = 0, want_mem = before;

	set_wp(0); /* seen may be a read-only view */
	if (c->seen)
		WR32(c->seen, before);
	set_wp(c->wp);
	if (c->write && c->cpl3)
		user_call(u_write, c->addr, 0);
	else if (c->write)
		u_write(c->addr);
	else
		got = c->cpl3 ? user_call(u_read, c->addr, 0) : u_read(c->addr);
	set_wp(1);
	if (c->err == NOFAULT && c->write)
		want_mem = ~c->addr;
	if (c->err != NOFAULT)
		check_pf(c->name, c->err, c->addr);
	else if (trap_last.count)
		check_fail(c->name, "vector %u error 0x%x cr2 0x%08x, want no fault",
			   trap_last.vector, trap_last.error, pf_cr2);
	else if (!c->write && c->seen && got != before)
		check_fail(c->name, "read 0x%08x, want 0x%08x", got, before);
	else
		check_ok(c->name);
	if (c->seen && RD32(c->seen) != want_mem)
		check_fail(check_name(c->name, "memory"), "0x%08x, want 0x%08x", RD32(c->seen),
			   want_mem);
}

/* Fetches: from a not-present page, and an instruction whose tail is on one. */
static void check_fetch(void)
{
	probe_jump(PG_NP + 0x400);
	check_pf_at("fetch_not_present", 0, PG_NP + 0x400, PG_NP + 0x400);
	WR8(FRAME(7) + 0xffe, 0xb8); /* movl $imm32, %eax: opcode and 1 byte of the imm */
	WR8(FRAME(7) + 0xfff, 0x11);
	probe_jump(PG_CODE + 0xffe);
	check_pf_at("fetch_straddle", 0, PG_CODE + 0x1000, PG_CODE + 0xffe);
}

/* Data accesses that straddle into the not-present page after PG_EDGE. */
static void check_straddle(void)
{
	static const uint32_t pattern[2] = {0x11111111, 0x22222222};
	struct regs r;

	WR32(FRAME(5) + 0xff8, pattern[0]);
	WR32(FRAME(5) + 0xffc, pattern[1]);
	probe_write32(PG_EDGE + 0xffe, 0xaabbccdd);
	check_pf("write_straddle", PF_W, PG_EDGE + 0x1000);
	CHECK_MEM("write_straddle_first_page_unchanged", (void *)(FRAME(5) + 0xff8), pattern, 8);
	CHECK_EQ32("read_straddle_value", probe_read32(PG_EDGE + 0xffd, NOFAULT), NOFAULT);
	check_pf("read_straddle", 0, PG_EDGE + 0x1000);

	/* REP STOSL from 8 bytes below the edge: two stores, then #PF in the third. */
	r = (struct regs){.eax = 0x33333333, .ebx = PG_EDGE + 0xff8, .ecx = 4};
	PROBE2("pushl %%edi\n\tmovl %%ebx, %%edi", "rep stosl", "movl %%edi, %%ebx\n\tpopl %%edi",
	       r);
	check_pf("rep_stos_fault", PF_W, PG_EDGE + 0x1000);
	CHECK_EQ32("rep_stos_fault_ecx", r.ecx, 2);
	CHECK_EQ32("rep_stos_fault_edi", r.ebx, PG_EDGE + 0x1000);
	CHECK_EQ32("rep_stos_fault_done", RD32(FRAME(5) + 0xffc), 0x33333333);

	/* A read-modify-write of a read-only page: the write faults, W = 1. */
	WR32(FRAME(1) + 0x100, 41);
	r = (struct regs){.ebx = PG_KRO + 0x100};
	PROBE("incl (%%ebx)", r);
	check_pf("rmw_read_only", PF_P | PF_W, PG_KRO + 0x100);
	CHECK_EQ32("rmw_read_only_unchanged", RD32(FRAME(1) + 0x100), 41);
}

/*
 * A fault in the middle of a block: the instructions before it are done
 * (registers and flags, which the handler's IRET restores), none after it.
 */
static void check_precise(void)
{
	struct regs r = {.ebx = PG_NP + 0x44, .ecx = 0, .edx = 0};

	PROBE2("incl %%edx\n\tcmpl $1, %%ecx\n\tleal 5(%%ecx), %%ecx", "movl (%%ebx), %%eax",
	       "setc %%dl\n\tadcl $0, %%ecx", r);
	check_pf("fault_mid_block", 0, PG_NP + 0x44);
	CHECK_EQ32("fault_mid_block_ecx", r.ecx, 6);
	CHECK_EQ32("fault_mid_block_carry", r.edx, 1);
}

void main(uint32_t magic, uint32_t info)
{
	sys_init();
	pf_probe_init();
	setup_paging();
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
	check_fetch();
	check_straddle();
	check_precise();
	test_finish("paging_pf");
}
