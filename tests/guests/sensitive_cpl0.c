/*
 * sensitive_cpl0.c - the sensitive, non-trapping instructions at CPL 0
 * (Robin & Irvine's list; SDM Vol. 2 for each): SGDT/SIDT show what
 * LGDT/LIDT loaded, also with a 16-bit operand size (24-bit base), SLDT/STR
 * after LLDT/LTR, SMSW = CR0[15:0], PUSHF/POPF and IF/IOPL, MOV from segment
 * registers, PUSH/POP of segment registers, and LAR/LSL/VERR/VERW over a
 * table of descriptors (desc_access.c). A monitor that runs the guest
 * deprivileged must return the guest's own values for every one of them.
 */
#include "check.h"
#include "cpu.h"
#include "desc_access.h"
#include "gdt.h"
#include "idt.h"
#include "user.h"

#define SLOT_TSS2 GDT_FREE /* a second TSS for LTR */

static struct tss32 tss2;
static uint8_t buf[8];

/* SGDT/SIDT store a 16-bit limit and a 32-bit base (6 bytes). */
static void check_sgdt_sidt(void)
{
	struct dtr g, i;

	sgdt(&g);
	sidt(&i);
	CHECK_EQ32("sgdt_limit", g.limit, sizeof(gdt) - 1);
	CHECK_EQ32("sgdt_base", g.base, (uint32_t)gdt);
	CHECK_EQ32("sidt_limit", i.limit, sizeof(idt) - 1);
	CHECK_EQ32("sidt_base", i.base, (uint32_t)idt);
}

/*
 * LGDT/LIDT with a 16-bit operand size load only a 24-bit base (the high
 * byte of the operand is ignored, GDTR.base[31:24] = 0). SGDT with a 16-bit
 * operand size still stores 6 bytes; its base byte 5 is 0 here under both
 * the current SDM (full base) and the 386-era one (zero).
 */
static void check_16bit_forms(void)
{
	struct dtr d = {.limit = 0x10f, .base = (uint32_t)gdt | 0xff000000u};
	struct dtr got;

	__asm__ volatile("data16 lgdt %0" : : "m"(d) : "memory");
	sgdt(&got);
	CHECK_EQ32("lgdt16_limit", got.limit, 0x10f);
	CHECK_EQ32("lgdt16_base_24bit", got.base, (uint32_t)gdt & 0x00ffffff);

	memset(buf, 0xaa, sizeof(buf));
	__asm__ volatile("data16 sgdt %0" : "=m"(buf));
	CHECK_EQ32("sgdt16_limit", buf[0] | buf[1] << 8, 0x10f);
	CHECK_EQ32("sgdt16_base", buf[2] | buf[3] << 8 | buf[4] << 16 | (uint32_t)buf[5] << 24,
		   (uint32_t)gdt);
	CHECK_EQ32("sgdt16_stores_6_bytes", buf[6], 0xaa);

	d.limit = sizeof(gdt) - 1;
	__asm__ volatile("lgdtl %0" : : "m"(d) : "memory");
	sgdt(&got);
	CHECK_EQ32("lgdt32_base_full", got.base, (uint32_t)gdt | 0xff000000u);
	d.base = (uint32_t)gdt;
	__asm__ volatile("lgdtl %0" : : "m"(d) : "memory");

	d = (struct dtr){.limit = 0x3f, .base = (uint32_t)idt | 0x5a000000u};
	__asm__ volatile("data16 lidt %0" : : "m"(d) : "memory");
	sidt(&got);
	CHECK_EQ32("lidt16_base_24bit", got.base, (uint32_t)idt & 0x00ffffff);
	CHECK_EQ32("lidt16_limit", got.limit, 0x3f);
	d = (struct dtr){.limit = sizeof(idt) - 1, .base = (uint32_t)idt};
	__asm__ volatile("lidtl %0" : : "m"(d) : "memory");
}

/* SLDT/STR: a 32-bit register destination is zero-extended (P6 and later). */
static void check_sldt_str(void)
{
	uint32_t r = 0xdeadbeef;

	__asm__ volatile("lldt %w0" : : "r"(0) : "memory");
	CHECK_EQ32("sldt_after_lldt_null", read_sldt(), 0);
	__asm__ volatile("lldt %w0" : : "r"(SEL_LDT) : "memory");
	__asm__ volatile("sldt %0" : "+r"(r));
	CHECK_EQ32("sldt_r32_zero_extended", r, SEL_LDT);
	memset(buf, 0xaa, sizeof(buf));
	__asm__ volatile("sldt %0" : "=m"(*(uint16_t *)buf));
	CHECK_EQ32("sldt_m16_2_bytes", buf[0] | buf[1] << 8 | buf[2] << 16, 0xaa0000 | SEL_LDT);

	r = 0xdeadbeef;
	__asm__ volatile("str %0" : "+r"(r));
	CHECK_EQ32("str_r32_zero_extended", r, SEL_TSS);

	tss_prepare(&tss2, 0, 0);
	gdt_set(SLOT_TSS2, desc_sys((uint32_t)&tss2, sizeof(tss2) - 1, SYS_TSS32, 0));
	__asm__ volatile("ltr %w0" : : "r"(SEL(SLOT_TSS2, 0)) : "memory");
	CHECK_EQ32("str_after_ltr", read_str(), SEL(SLOT_TSS2, 0));
	CHECK_EQ32("ltr_sets_busy", (uint32_t)(gdt[SLOT_TSS2] >> 40) & 0xf, SYS_TSS32_BUSY);
	tss_reload(TSS_LIMIT);
	CHECK_EQ32("str_after_ltr_back", read_str(), SEL_TSS);
}

/* SMSW: CR0[15:0]; upper half of a 32-bit register undefined; m16 writes 2 bytes. */
static void check_smsw(void)
{
	uint32_t cr0 = READ_CR(0), r = 0;

	__asm__ volatile("smsw %0" : "=r"(r));
	CHECK_EQ32("smsw_r32_low16", r & 0xffff, cr0 & 0xffff);
	memset(buf, 0xaa, sizeof(buf));
	__asm__ volatile("smsw %0" : "=m"(*(uint16_t *)buf));
	CHECK_EQ32("smsw_m16", buf[0] | buf[1] << 8 | buf[2] << 16, 0xaa0000 | (cr0 & 0xffff));

	WRITE_CR(0, cr0 | CR0_TS);
	__asm__ volatile("smsw %0" : "=r"(r));
	CHECK_EQ32("smsw_sees_ts", r & CR0_TS, CR0_TS);
	__asm__ volatile("clts");
	__asm__ volatile("smsw %0" : "=r"(r));
	CHECK_EQ32("clts_clears_ts", r & CR0_TS, 0);
	CHECK_EQ32("smsw_pe", r & CR0_PE, CR0_PE);
}

/* At CPL 0, PUSHF shows IF as CLI/STI left it and POPF changes IF, IOPL and AC. */
static void check_pushf_popf(void)
{
	uint32_t saved = read_eflags();

	cli();
	CHECK_EQ32("pushf_after_cli", read_eflags() & EFL_IF, 0);
	sti();
	CHECK_EQ32("pushf_after_sti", read_eflags() & EFL_IF, EFL_IF);
	write_eflags(saved & ~EFL_IF);
	CHECK_EQ32("popf_clears_if", read_eflags() & EFL_IF, 0);
	write_eflags(saved | EFL_IF);
	CHECK_EQ32("popf_sets_if", read_eflags() & EFL_IF, EFL_IF);
	write_eflags((saved & ~EFL_IF) | EFL_IOPL(3) | EFL_AC | FL_CF);
	CHECK_EQ32("popf_sets_iopl_ac_cf", read_eflags() & (EFL_IOPL_MASK | EFL_AC | FL_CF),
		   EFL_IOPL(3) | EFL_AC | FL_CF);
	write_eflags(saved & ~EFL_IF);
	CHECK_EQ32("popf_clears_iopl_ac", read_eflags() & (EFL_IOPL_MASK | EFL_AC), 0);
	CHECK_EQ32("pushf_reserved_bit1", read_eflags() & EFL_RESERVED1, EFL_RESERVED1);
}

/* MOV r32, Sreg zero-extends (P6 and later); MOV m16, Sreg writes 2 bytes. */
static void check_mov_from_seg(void)
{
	uint32_t cs = 0xdeadbeef, ss = 0xdeadbeef, ds = 0xdeadbeef, fs = 0xdeadbeef;

	__asm__ volatile("mov %%cs, %0\n\tmov %%ss, %1\n\tmov %%ds, %2\n\tmov %%fs, %3"
			 : "+r"(cs), "+r"(ss), "+r"(ds), "+r"(fs));
	CHECK_EQ32("mov_from_cs", cs, SEL_KCODE);
	CHECK_EQ32("mov_from_ss", ss, SEL_KDATA);
	CHECK_EQ32("mov_from_ds", ds, SEL_KDATA);
	CHECK_EQ32("mov_from_fs", fs, SEL_KDATA);
	memset(buf, 0xaa, sizeof(buf));
	__asm__ volatile("mov %%cs, %0" : "=m"(*(uint16_t *)buf));
	CHECK_EQ32("mov_cs_to_m16", buf[0] | buf[1] << 8 | buf[2] << 16, 0xaa0000 | SEL_KCODE);
}

/*
 * PUSH Sreg with a 32-bit operand size moves ESP by 4 and stores the
 * selector in the low word (the high word is zero or unchanged: not
 * checked); with 0x66 by 2. POP Sreg moves ESP back and loads the selector.
 */
static void check_push_pop_seg(void)
{
	uint32_t before, after_push, after_pop, slot, es_after;

	__asm__ volatile("movl %%esp, %0\n\t"
			 "pushl %%cs\n\t"
			 "movl %%esp, %1\n\t"
			 "movl (%%esp), %2\n\t"
			 "movl $0x23, (%%esp)\n\t" /* POP ES loads it */
			 "popl %%es\n\t"
			 "movl %%esp, %3\n\t"
			 "mov %%es, %4\n\t"
			 "pushl %%ds\n\t"
			 "popl %%es"
			 : "=&r"(before), "=&r"(after_push), "=&r"(slot), "=&r"(after_pop),
			   "=&r"(es_after)
			 :
			 : "memory");
	CHECK_EQ32("push_cs_esp", before - after_push, 4);
	CHECK_EQ32("push_cs_value", slot & 0xffff, SEL_KCODE);
	CHECK_EQ32("pop_es_esp", after_pop, before);
	CHECK_EQ32("pop_es_value", es_after, SEL_UDATA);

	__asm__ volatile("movl %%esp, %0\n\t"
			 "pushw %%ss\n\t"
			 "movl %%esp, %1\n\t"
			 "movzwl (%%esp), %2\n\t"
			 "popw %%fs\n\t"
			 "movl %%esp, %3"
			 : "=&r"(before), "=&r"(after_push), "=&r"(slot), "=&r"(after_pop)
			 :
			 : "memory");
	CHECK_EQ32("push16_ss_esp", before - after_push, 2);
	CHECK_EQ32("push16_ss_value", slot, SEL_KDATA);
	CHECK_EQ32("pop16_fs_esp", after_pop, before);
}

static struct desc_access results[64];

void main(uint32_t magic, uint32_t info)
{
	sys_init();
	check_sgdt_sidt();
	check_16bit_forms();
	check_sldt_str();
	check_smsw();
	check_pushf_popf();
	check_mov_from_seg();
	check_push_pop_seg();
	desc_access_install();
	desc_access_run(results);
	desc_access_check(results, 0);
	test_finish("sensitive_cpl0");
}
