/*
 * paging_user.c - user/supervisor protection from CPL 3 (SDM Vol. 3A 4.6.1,
 * 4.7): user code reads and writes user pages and executes from read-only
 * user pages; a read, write, push or instruction fetch that reaches a
 * supervisor page (by its PTE or its PDE) raises #PF with U = 1 and CR2 at
 * the address, a fetch with EIP = CR2 = the target; an instruction whose
 * tail lies on a supervisor page faults at its start with CR2 = that page.
 * CPL 0 (no SMAP on a P6) reads, writes and executes user pages.
 */
#include "check.h"
#include "cpu.h"
#include "idt.h"
#include "pgtable.h"
#include "regs.h"
#include "user.h"

#define NOFAULT 0xffffffffu

#define FRAMES	 0x00800000u
#define FRAME(n) (FRAMES + PAGE_SIZE * (n))
#define TEST	 0x40000000u
#define U_RW	 (TEST + 0x0000) /* user read/write, FRAME(0) */
#define U_RO	 (TEST + 0x1000) /* user read-only, FRAME(1) */
#define K_RW	 (TEST + 0x2000) /* supervisor read/write, FRAME(2) */
#define K_CODE	 (TEST + 0x3000) /* supervisor, code: FRAME(3) */
#define U_CODE	 (TEST + 0x4000) /* user read-only, code: FRAME(4) */
#define NP	 (TEST + 0x5000) /* not present */
#define U_TAIL	 (TEST + 0x7000) /* user FRAME(7), code at its end ... */
#define K_AFTER	 (TEST + 0x8000) /* ... running on into supervisor FRAME(8) */
#define KPDE	 0x40400000u	 /* PDE supervisor, PTE user: code, FRAME(5) */

/* movl $n, %eax; ret at addr (a frame's identity address). */
static void put_code(uint32_t addr, uint32_t n)
{
	uint8_t *p = (uint8_t *)addr;

	p[0] = 0xb8;
	memcpy(p + 1, &n, 4);
	p[5] = 0xc3;
}

static void setup(void)
{
	uint32_t *pd = pgdir_create();

	pgdir_identity(pd, 16u << 20, PTE_URW);
	pgdir_map(pd, U_RW, FRAME(0), PTE_URW);
	pgdir_map(pd, U_RO, FRAME(1), PTE_P | PTE_US);
	pgdir_map(pd, K_RW, FRAME(2), PTE_KRW);
	pgdir_map(pd, K_CODE, FRAME(3), PTE_KRW);
	pgdir_map(pd, U_CODE, FRAME(4), PTE_P | PTE_US);
	pgdir_map(pd, U_TAIL, FRAME(7), PTE_URW);
	pgdir_map(pd, K_AFTER, FRAME(8), PTE_KRW);
	pgdir_map(pd, KPDE, FRAME(5), PTE_URW);
	*pgdir_pde(pd, KPDE) &= ~PTE_US;
	WR32(FRAME(0), 0x1000);
	WR32(FRAME(1), 0x1001);
	WR32(FRAME(2), 0x1002);
	put_code(FRAME(3), 3);
	put_code(FRAME(4), 4);
	put_code(FRAME(5), 5);
	WR8(FRAME(7) + 0xffe, 0xb8); /* movl $imm32, %eax: 2 bytes here, 3 on K_AFTER */
	WR8(FRAME(7) + 0xfff, 0x11);
	paging_start(pd, 1);
}

static uint32_t u_read(uint32_t addr)
{
	return probe_read32(addr, NOFAULT);
}

static uint32_t u_write(uint32_t addr)
{
	probe_write32(addr, 0x5a5a0000u | (addr & 0xffff));
	return 0;
}

static uint32_t u_call(uint32_t addr)
{
	return ((uint32_t(*)(void))addr)();
}

static uint32_t u_jump(uint32_t addr)
{
	probe_jump(addr);
	return 0;
}

/* PUSH with ESP = addr: ESP is put back after the probe. */
static uint32_t u_push(uint32_t addr)
{
	struct regs r = {.ebx = addr};

	PROBE2("movl %%esp, %%edx\n\tmovl %%ebx, %%esp", "pushl $0x1234", "movl %%edx, %%esp", r);
	return 0;
}

static void check_data(void)
{
	CHECK_EQ32("read_user_rw", user_call(u_read, U_RW, 0), 0x1000);
	user_call(u_write, U_RW + 4, 0);
	check_no_fault("write_user_rw");
	CHECK_EQ32("write_user_rw_value", RD32(FRAME(0) + 4), 0x5a5a0004);
	CHECK_EQ32("read_user_ro", user_call(u_read, U_RO, 0), 0x1001);
	user_call(u_write, U_RO + 8, 0);
	check_pf("write_user_ro", PF_P | PF_W | PF_U, U_RO + 8);
	CHECK_EQ32("write_user_ro_unchanged", RD32(FRAME(1) + 8), 0);
	CHECK_EQ32("read_supervisor_value", user_call(u_read, K_RW + 0xc, 0), NOFAULT);
	check_pf("read_supervisor", PF_P | PF_U, K_RW + 0xc);
	user_call(u_write, K_RW + 0x10, 0);
	check_pf("write_supervisor", PF_P | PF_W | PF_U, K_RW + 0x10);
	CHECK_EQ32("write_supervisor_unchanged", RD32(FRAME(2) + 0x10), 0);
	user_call(u_read, KPDE + 0x20, 0);
	check_pf("read_supervisor_pde", PF_P | PF_U, KPDE + 0x20);
	user_call(u_push, U_RO + 0x800, 0);
	check_pf("push_to_user_ro", PF_P | PF_W | PF_U, U_RO + 0x7fc);
	user_call(u_push, K_RW + 0x800, 0);
	check_pf("push_to_supervisor", PF_P | PF_W | PF_U, K_RW + 0x7fc);
}

static void check_fetch(void)
{
	CHECK_EQ32("fetch_user_ro", user_call(u_call, U_CODE, 0), 4);
	user_call(u_jump, K_CODE, 0);
	check_pf_at("fetch_supervisor", PF_P | PF_U, K_CODE, K_CODE);
	user_call(u_jump, NP + 0x10, 0);
	check_pf_at("fetch_not_present", PF_U, NP + 0x10, NP + 0x10);
	user_call(u_jump, KPDE, 0);
	check_pf_at("fetch_supervisor_pde", PF_P | PF_U, KPDE, KPDE);
	user_call(u_jump, U_TAIL + 0xffe, 0);
	check_pf_at("fetch_straddle_into_supervisor", PF_P | PF_U, K_AFTER, U_TAIL + 0xffe);
}

/* CPL 0 uses user pages freely. */
static void check_supervisor(void)
{
	CHECK_EQ32("cpl0_read_user_ro", RD32(U_RO), 0x1001);
	WR32(U_RW + 0x40, 7);
	CHECK_EQ32("cpl0_write_user_rw", RD32(FRAME(0) + 0x40), 7);
	CHECK_EQ32("cpl0_fetch_user", u_call(U_CODE), 4);
	CHECK_EQ32("cpl0_fetch_supervisor", u_call(K_CODE), 3);
}

void main(uint32_t magic, uint32_t info)
{
	sys_init();
	pf_probe_init();
	setup();
	check_data();
	check_fetch();
	check_supervisor();
	test_finish("paging_user");
}
