/*
 * privileged_cpl3.c - every privileged instruction at CPL 3 with IOPL 0
 * raises #GP(0) with EIP at the instruction and changes nothing (SDM Vol.
 * 3A 5.9 "Privileged Instructions", 2.8, 20.5; Vol. 2 for each). CLI/STI,
 * IN/OUT/INS/OUTS are IOPL-sensitive (no I/O bitmap permission is given),
 * RDTSC faults only with CR4.TSD = 1 and RDPMC only with CR4.PCE = 0.
 */
#include "check.h"
#include "cpu.h"
#include "gdt.h"
#include "idt.h"
#include "regs.h"
#include "user.h"

#define PORT		0x80 /* POST port: harmless if an OUT got through */
#define MSR_TSC		0x10
#define MSR_SYSENTER_CS 0x174

static struct regs r;
static struct dtr bogus_dtr = {.limit = 0x17, .base = 0x12345678};
static uint8_t buf[4];

USER_PROBE(u_lgdt, "lgdtl (%%ebx)", r)
USER_PROBE(u_lidt, "lidtl (%%ebx)", r)
USER_PROBE(u_lldt, "lldt %%ax", r)
USER_PROBE(u_ltr, "ltr %%ax", r)
USER_PROBE(u_mov_to_cr0, "movl %%eax, %%cr0", r)
USER_PROBE(u_mov_from_cr0, "movl %%cr0, %%eax", r)
USER_PROBE(u_mov_to_cr2, "movl %%eax, %%cr2", r)
USER_PROBE(u_mov_from_cr2, "movl %%cr2, %%eax", r)
USER_PROBE(u_mov_to_cr3, "movl %%eax, %%cr3", r)
USER_PROBE(u_mov_from_cr3, "movl %%cr3, %%eax", r)
USER_PROBE(u_mov_to_cr4, "movl %%eax, %%cr4", r)
USER_PROBE(u_mov_from_cr4, "movl %%cr4, %%eax", r)
USER_PROBE(u_mov_to_dr0, "movl %%eax, %%dr0", r)
USER_PROBE(u_mov_from_dr7, "movl %%dr7, %%eax", r)
USER_PROBE(u_mov_to_dr7, "movl %%eax, %%dr7", r)
USER_PROBE(u_lmsw, "lmsw %%ax", r)
USER_PROBE(u_clts, "clts", r)
USER_PROBE(u_invd, "invd", r)
USER_PROBE(u_wbinvd, "wbinvd", r)
USER_PROBE(u_invlpg, "invlpg (%%ebx)", r)
USER_PROBE(u_hlt, "hlt", r)
USER_PROBE(u_rdmsr, "rdmsr", r)
USER_PROBE(u_wrmsr, "wrmsr", r)
USER_PROBE(u_rdpmc, "rdpmc", r)
USER_PROBE(u_rdtsc, "rdtsc", r)
USER_PROBE2(u_cli, "", "cli", "pushfl\n\tpopl %%eax", r)
USER_PROBE2(u_sti, "", "sti", "pushfl\n\tpopl %%eax", r)
USER_PROBE(u_in_dx, "inb %%dx, %%al", r)
USER_PROBE(u_in_imm, "inl $0x80, %%eax", r)
USER_PROBE(u_out_dx, "outw %%ax, %%dx", r)
USER_PROBE(u_out_imm, "outb %%al, $0x80", r)
/* INS/OUTS: EBX carries EDI/ESI in and out, since the probe must keep them. */
USER_PROBE2(u_insb, "pushl %%edi\n\tmovl %%ebx, %%edi", "insb", "movl %%edi, %%ebx\n\tpopl %%edi",
	    r)
USER_PROBE2(u_outsb, "pushl %%esi\n\tmovl %%ebx, %%esi", "outsb", "movl %%esi, %%ebx\n\tpopl %%esi",
	    r)

/* Runs fn at CPL 3 (IOPL 0, IF as given) on regs and checks it raised #GP(0) at its start. */
static void expect_gp(const char *name, user_fn fn, struct regs in, uint32_t eflags)
{
	r = in;
	user_call(fn, 0, eflags);
	check_fault(name, EXC_GP, 0);
}

/* Descriptor-table and task registers: LGDT/LIDT/LLDT/LTR. */
static void check_tables(void)
{
	struct dtr g0, i0, g1, i1;

	sgdt(&g0);
	sidt(&i0);
	expect_gp("lgdt", u_lgdt, (struct regs){.ebx = (uint32_t)&bogus_dtr}, 0);
	expect_gp("lidt", u_lidt, (struct regs){.ebx = (uint32_t)&bogus_dtr}, 0);
	sgdt(&g1);
	sidt(&i1);
	CHECK_MEM("lgdt_gdtr_unchanged", &g1, &g0, sizeof(g0));
	CHECK_MEM("lidt_idtr_unchanged", &i1, &i0, sizeof(i0));
	expect_gp("lldt", u_lldt, (struct regs){.eax = 0}, 0);
	CHECK_EQ32("lldt_ldtr_unchanged", read_sldt(), SEL_LDT);
	gdt_set(GDT_FREE, desc_sys((uint32_t)&tss, 0x67, SYS_TSS32, 3));
	expect_gp("ltr", u_ltr, (struct regs){.eax = SEL(GDT_FREE, 3)}, 0);
	CHECK_EQ32("ltr_tr_unchanged", read_str(), SEL_TSS);
	CHECK_EQ32("ltr_tss_not_busy", (uint32_t)(gdt[GDT_FREE] >> 40) & 0xf, SYS_TSS32);
}

/* Control and debug registers, LMSW and CLTS. */
static void check_control_regs(void)
{
	uint32_t cr0 = READ_CR(0);

	expect_gp("mov_to_cr0", u_mov_to_cr0, (struct regs){.eax = cr0 | CR0_TS}, 0);
	CHECK_EQ32("mov_to_cr0_unchanged", READ_CR(0), cr0);
	expect_gp("mov_from_cr0", u_mov_from_cr0, (struct regs){.eax = 0xdeadbeef}, 0);
	CHECK_EQ32("mov_from_cr0_eax_unchanged", r.eax, 0xdeadbeef);
	expect_gp("mov_to_cr2", u_mov_to_cr2, (struct regs){.eax = 0x1000}, 0);
	expect_gp("mov_from_cr2", u_mov_from_cr2, (struct regs){}, 0);
	expect_gp("mov_to_cr3", u_mov_to_cr3, (struct regs){.eax = 0x1000}, 0);
	expect_gp("mov_from_cr3", u_mov_from_cr3, (struct regs){}, 0);
	expect_gp("mov_to_cr4", u_mov_to_cr4, (struct regs){.eax = CR4_TSD}, 0);
	CHECK_EQ32("mov_to_cr4_unchanged", READ_CR(4) & CR4_TSD, 0);
	expect_gp("mov_from_cr4", u_mov_from_cr4, (struct regs){}, 0);
	expect_gp("mov_to_dr0", u_mov_to_dr0, (struct regs){.eax = 0x1000}, 0);
	expect_gp("mov_from_dr7", u_mov_from_dr7, (struct regs){}, 0);
	expect_gp("mov_to_dr7", u_mov_to_dr7, (struct regs){.eax = 0x3}, 0);
	expect_gp("lmsw", u_lmsw, (struct regs){.eax = CR0_PE | CR0_TS}, 0);
	CHECK_EQ32("lmsw_cr0_unchanged", READ_CR(0), cr0);
	WRITE_CR(0, cr0 | CR0_TS);
	expect_gp("clts", u_clts, (struct regs){}, 0);
	CHECK_EQ32("clts_ts_still_set", READ_CR(0) & CR0_TS, CR0_TS);
	__asm__ volatile("clts");
}

/* Cache and TLB control, HLT, MSRs and counters. */
static void check_system_insns(void)
{
	uint32_t lo, hi, before;

	expect_gp("invd", u_invd, (struct regs){}, 0);
	expect_gp("wbinvd", u_wbinvd, (struct regs){}, 0);
	expect_gp("invlpg", u_invlpg, (struct regs){.ebx = (uint32_t)buf}, 0);
	expect_gp("hlt", u_hlt, (struct regs){}, 0);
	expect_gp("rdmsr", u_rdmsr, (struct regs){.eax = 0x1111, .ecx = MSR_TSC, .edx = 0x2222}, 0);
	CHECK_EQ32("rdmsr_edx_eax_unchanged", r.eax ^ r.edx, 0x1111 ^ 0x2222);
	__asm__ volatile("rdmsr" : "=a"(before), "=d"(hi) : "c"(MSR_SYSENTER_CS));
	expect_gp("wrmsr", u_wrmsr,
		  (struct regs){.eax = before ^ 0x18, .ecx = MSR_SYSENTER_CS, .edx = 0}, 0);
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(MSR_SYSENTER_CS));
	CHECK_EQ32("wrmsr_msr_unchanged", lo, before);
	expect_gp("rdpmc_pce0", u_rdpmc, (struct regs){.ecx = 0}, 0);

	WRITE_CR(4, READ_CR(4) | CR4_TSD);
	expect_gp("rdtsc_tsd1", u_rdtsc, (struct regs){.eax = 0x1111, .edx = 0x2222}, 0);
	WRITE_CR(4, READ_CR(4) & ~CR4_TSD);
	CHECK_EQ32("rdtsc_tsd1_edx_eax_unchanged", r.eax ^ r.edx, 0x1111 ^ 0x2222);
}

/* IOPL-sensitive instructions with IOPL 0 and every port denied in the bitmap. */
static void check_iopl_insns(void)
{
	expect_gp("cli", u_cli, (struct regs){}, EFL_IF);
	CHECK_EQ32("cli_if_still_1", r.eax & EFL_IF, EFL_IF);
	expect_gp("sti", u_sti, (struct regs){}, 0);
	CHECK_EQ32("sti_if_still_0", r.eax & EFL_IF, 0);
	expect_gp("in_dx", u_in_dx, (struct regs){.eax = 0xdeadbeef, .edx = PORT}, 0);
	CHECK_EQ32("in_dx_eax_unchanged", r.eax, 0xdeadbeef);
	expect_gp("in_imm", u_in_imm, (struct regs){.eax = 0xdeadbeef}, 0);
	CHECK_EQ32("in_imm_eax_unchanged", r.eax, 0xdeadbeef);
	expect_gp("out_dx", u_out_dx, (struct regs){.edx = PORT}, 0);
	expect_gp("out_imm", u_out_imm, (struct regs){}, 0);
	buf[0] = 0x5a;
	expect_gp("insb", u_insb, (struct regs){.ebx = (uint32_t)buf, .edx = PORT}, 0);
	CHECK_EQ32("insb_edi_unchanged", r.ebx, (uint32_t)buf);
	CHECK_EQ32("insb_memory_unchanged", buf[0], 0x5a);
	expect_gp("outsb", u_outsb, (struct regs){.ebx = (uint32_t)buf, .edx = PORT}, 0);
	CHECK_EQ32("outsb_esi_unchanged", r.ebx, (uint32_t)buf);
}

void main(uint32_t magic, uint32_t info)
{
	sys_init();
	check_tables();
	check_control_regs();
	check_system_insns();
	check_iopl_insns();
	test_finish("privileged_cpl3");
}
