/*
 * alignment_check.c - #AC, interrupt 17 (SDM Vol. 3A 6.15, table 6-7): with
 * CR0.AM and EFLAGS.AC set, a misaligned data access at CPL 3 raises #AC(0);
 * at CPL 0, or with either bit clear, it does not. Words must be 2-aligned,
 * dwords 4-aligned; bytes never fault.
 */
#include "check.h"
#include "cpu.h"
#include "gdt.h"
#include "idt.h"
#include "regs.h"
#include "user.h"

#define EXC_AC 17
#define CR0_AM_BIT (1u << 18)

static struct regs r;
static uint32_t buf[4] __attribute__((aligned(16)));

USER_PROBE(u_load32, "movl (%%ebx), %%eax", r)
USER_PROBE(u_store32, "movl %%eax, (%%ebx)", r)
USER_PROBE(u_load16, "movw (%%ebx), %%ax", r)
USER_PROBE(u_load8, "movb (%%ebx), %%al", r)
USER_PROBE(u_add_mem, "addl %%eax, (%%ebx)", r)

static void at_cpl3(user_fn fn, uint32_t addr, uint32_t eflags)
{
	r = (struct regs){ .ebx = addr };
	user_call(fn, 0, eflags);
}

static void check_user_accesses(void)
{
	uint32_t base = (uint32_t)buf;

	at_cpl3(u_load32, base + 1, EFL_AC);
	check_fault("ac_load32_misaligned", EXC_AC, 0);
	at_cpl3(u_store32, base + 2, EFL_AC);
	check_fault("ac_store32_misaligned", EXC_AC, 0);
	at_cpl3(u_add_mem, base + 3, EFL_AC);
	check_fault("ac_rmw32_misaligned", EXC_AC, 0);
	at_cpl3(u_load32, base + 4, EFL_AC);
	check_no_fault("ac_load32_aligned");
	at_cpl3(u_load16, base + 1, EFL_AC);
	check_fault("ac_load16_misaligned", EXC_AC, 0);
	at_cpl3(u_load16, base + 2, EFL_AC);
	check_no_fault("ac_load16_aligned");
	at_cpl3(u_load8, base + 3, EFL_AC);
	check_no_fault("ac_load8_never");
	at_cpl3(u_load32, base + 1, 0);
	check_no_fault("no_ac_flag_no_check");
}

static void check_other_conditions(void)
{
	uint32_t base = (uint32_t)buf;

	/* CPL 0 with AC set: no check. */
	write_eflags(read_eflags() | EFL_AC);
	r = (struct regs){ .ebx = base + 1 };
	PROBE("movl (%%ebx), %%eax", r);
	write_eflags(read_eflags() & ~EFL_AC);
	check_no_fault("cpl0_no_check");
	/* CR0.AM clear: no check at CPL 3 either. */
	WRITE_CR(0, READ_CR(0) & ~CR0_AM_BIT);
	at_cpl3(u_load32, base + 1, EFL_AC);
	check_no_fault("am_clear_no_check");
	WRITE_CR(0, READ_CR(0) | CR0_AM_BIT);
}

void main(uint32_t magic, uint32_t info)
{
	sys_init();
	WRITE_CR(0, READ_CR(0) | CR0_AM_BIT);
	check_user_accesses();
	check_other_conditions();
	test_finish("alignment_check");
}
