/*
 * sensitive_cpl3.c - the sensitive, non-trapping instructions at CPL 3 with
 * IOPL 0 (SDM Vol. 2 for each, Vol. 3A 2.8 and 5.10): SGDT, SIDT, SLDT, STR
 * and SMSW do not fault (no UMIP on a P6) and show the guest kernel's
 * values; MOV/PUSH from CS show RPL 3; POPF silently keeps IF and IOPL but
 * changes CF and AC; LAR/LSL/VERR/VERW apply DPL >= CPL; MOV DS of a DPL-0
 * data selector raises #GP(selector). Each instruction runs as a probe at
 * CPL 3 (user_call) and is checked back at CPL 0.
 */
#include "check.h"
#include "cpu.h"
#include "desc_access.h"
#include "gdt.h"
#include "idt.h"
#include "regs.h"
#include "user.h"

#define SLOT_CONF_CODE GDT_FREE /* conforming readable code, DPL 0 */

static struct regs r; /* registers in and out of the CPL-3 probe */
static uint8_t buf[8];

USER_PROBE(u_sgdt, "sgdtl (%%ebx)", r)
USER_PROBE(u_sidt, "sidtl (%%ebx)", r)
USER_PROBE(u_sldt, "sldt %%eax", r)
USER_PROBE(u_str, "str %%eax", r)
USER_PROBE(u_smsw, "smsw %%eax", r)
USER_PROBE(u_mov_cs, "mov %%cs, %%eax", r)
USER_PROBE(u_mov_ss, "mov %%ss, %%eax", r)
USER_PROBE(u_mov_ds, "mov %%ds, %%eax", r)
USER_PROBE(u_push_cs, "pushl %%cs\n\tpopl %%eax", r)
USER_PROBE(u_pushf, "pushfl\n\tpopl %%eax", r)
/* POPF of EAX, then EBX = EFLAGS; the original flags are restored after. */
USER_PROBE(u_popf, "pushfl\n\tpushl %%eax\n\tpopfl\n\tpushfl\n\tpopl %%ebx\n\tpopfl", r)
USER_PROBE(u_load_ds, "mov %%eax, %%ds\n\tmov %%ss, %%ecx\n\tmov %%ecx, %%ds", r)

/* Runs a probe at CPL 3 with the given EFLAGS and checks it did not fault. */
static void run_user(const char *name, user_fn fn, uint32_t eflags)
{
	user_call(fn, 0, eflags);
	check_no_fault(check_name(name, "no_fault"));
}

static void check_tables(void)
{
	struct dtr g, i;

	sgdt(&g);
	sidt(&i);
	r.ebx = (uint32_t)buf;
	run_user("sgdt_cpl3", u_sgdt, 0);
	CHECK_MEM("sgdt_cpl3_value", buf, &g, 6);
	run_user("sidt_cpl3", u_sidt, 0);
	CHECK_MEM("sidt_cpl3_value", buf, &i, 6);

	r.eax = 0xdeadbeef;
	run_user("sldt_cpl3", u_sldt, 0);
	CHECK_EQ32("sldt_cpl3_value", r.eax, SEL_LDT);
	r.eax = 0xdeadbeef;
	run_user("str_cpl3", u_str, 0);
	CHECK_EQ32("str_cpl3_value", r.eax, SEL_TSS);
	run_user("smsw_cpl3", u_smsw, 0);
	CHECK_EQ32("smsw_cpl3_value", r.eax & 0xffff, READ_CR(0) & 0xffff);
}

static void check_selectors(void)
{
	r.eax = 0xdeadbeef;
	run_user("mov_from_cs_cpl3", u_mov_cs, 0);
	CHECK_EQ32("mov_from_cs_cpl3_rpl3", r.eax, SEL_UCODE);
	r.eax = 0xdeadbeef;
	run_user("mov_from_ss_cpl3", u_mov_ss, 0);
	CHECK_EQ32("mov_from_ss_cpl3_value", r.eax, SEL_UDATA);
	r.eax = 0xdeadbeef;
	run_user("mov_from_ds_cpl3", u_mov_ds, 0);
	CHECK_EQ32("mov_from_ds_cpl3_value", r.eax, SEL_UDATA);
	run_user("push_cs_cpl3", u_push_cs, 0);
	CHECK_EQ32("push_cs_cpl3_value", r.eax & 0xffff, SEL_UCODE);
}

/* At CPL 3 > IOPL, POPF leaves IF and IOPL alone without faulting (Vol. 2 POPF). */
static void check_flags_cpl3(void)
{
	run_user("pushf_cpl3_if0", u_pushf, EFL_IOPL(0));
	CHECK_EQ32("pushf_cpl3_if0_value", r.eax & (EFL_IF | EFL_IOPL_MASK), 0);
	run_user("pushf_cpl3_if1", u_pushf, EFL_IF);
	CHECK_EQ32("pushf_cpl3_if1_value", r.eax & (EFL_IF | EFL_IOPL_MASK), EFL_IF);

	r.eax = EFL_RESERVED1; /* IF = 0 */
	run_user("popf_cpl3_clear_if", u_popf, EFL_IF);
	CHECK_EQ32("popf_cpl3_if_stays_1", r.ebx & EFL_IF, EFL_IF);
	r.eax = EFL_RESERVED1 | EFL_IF;
	run_user("popf_cpl3_set_if", u_popf, 0);
	CHECK_EQ32("popf_cpl3_if_stays_0", r.ebx & EFL_IF, 0);
	r.eax = EFL_RESERVED1 | EFL_IOPL(3);
	run_user("popf_cpl3_set_iopl", u_popf, 0);
	CHECK_EQ32("popf_cpl3_iopl_stays_0", r.ebx & EFL_IOPL_MASK, 0);
	r.eax = EFL_RESERVED1 | EFL_AC | FL_CF | FL_ZF;
	run_user("popf_cpl3_set_ac_cf", u_popf, 0);
	CHECK_EQ32("popf_cpl3_ac_cf_zf_set", r.ebx & (EFL_AC | FL_CF | FL_ZF),
		   EFL_AC | FL_CF | FL_ZF);

	/* With IOPL = 3, CPL 3 may change IF (but still not IOPL: only CPL 0 can). */
	r.eax = EFL_RESERVED1;
	run_user("popf_iopl3_clear_if", u_popf, EFL_IF | EFL_IOPL(3));
	CHECK_EQ32("popf_iopl3_if_cleared", r.ebx & (EFL_IF | EFL_IOPL_MASK), EFL_IOPL(3));
}

/* MOV DS checks DPL >= max(CPL, RPL) except for conforming readable code. */
static void check_load_ds(void)
{
	gdt_set(SLOT_CONF_CODE, desc_seg(0, 0xfffff, SEG_CODE_XR_CONF, 0, DESC_G | DESC_DB));

	r.eax = SEL_KDATA;
	user_call(u_load_ds, 0, 0);
	check_fault("mov_ds_dpl0_data_cpl3", EXC_GP, SEL_KDATA);
	r.eax = SEL_KDATA | 3;
	user_call(u_load_ds, 0, 0);
	check_fault("mov_ds_dpl0_data_rpl3_cpl3", EXC_GP, SEL_KDATA);
	r.eax = SEL_UDATA & ~3; /* RPL 0 of a DPL-3 segment: max(CPL, RPL) = 3 */
	run_user("mov_ds_dpl3_data_rpl0_cpl3", u_load_ds, 0);
	r.eax = SEL(SLOT_CONF_CODE, 0);
	run_user("mov_ds_dpl0_conforming_code_cpl3", u_load_ds, 0);
}

static struct desc_access results[64];

static uint32_t u_desc_access(uint32_t arg)
{
	desc_access_run(results);
	return 0;
}

void main(uint32_t magic, uint32_t info)
{
	sys_init();
	check_tables();
	check_selectors();
	check_flags_cpl3();
	check_load_ds();
	desc_access_install();
	user_call(u_desc_access, 0, 0);
	desc_access_check(results, 3);
	test_finish("sensitive_cpl3");
}
