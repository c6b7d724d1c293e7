/*
 * task_switch.c - hardware task switching (SDM Vol. 3A 7.3 "Task
 * Switching", Table 7-2 busy/NT/link rules, 7.4 "Task Linking", 6.15
 * interrupt 8): JMP to a TSS loads the new task's registers, segment
 * registers and LDTR, sets its busy bit, clears the old one, sets CR0.TS and
 * saves the old state in the old TSS; CALL through a task gate also sets NT
 * and the back link, and IRET with NT returns to the caller, clearing the
 * callee's busy bit and its saved NT. JMP/CALL to a busy TSS is #GP. Last, a
 * double fault (#GP delivered through a not-present gate, then #NP) goes
 * through a task gate to its own TSS, as Linux i386 handles #DF; that task
 * prints the final checks and exits.
 */
#include "check.h"
#include "cpu.h"
#include "gdt.h"
#include "idt.h"
#include "regs.h"
#include "user.h"

enum {
	SLOT_TSS_B = GDT_FREE, /* entered by JMP */
	SLOT_TSS_C,	       /* entered by CALL through SLOT_TASK_GATE */
	SLOT_TASK_GATE,	       /* task gate -> SLOT_TSS_C */
	SLOT_TSS_DF,	       /* the double-fault task */
};
#define SEL_TSS_B  SEL(SLOT_TSS_B, 0)
#define SEL_TSS_C  SEL(SLOT_TSS_C, 0)
#define SEL_TSS_DF SEL(SLOT_TSS_DF, 0)
#define LINK_MARK  0x5678 /* B's back link: JMP must leave it alone */
#define BAD_SEL	   SEL(GDT_ENTRIES, 0)

static struct tss32 tss_b, tss_c, tss_df;
static uint8_t stack_b[4096], stack_c[4096], stack_df[4096] __attribute__((aligned(16)));

/* What the tasks saw, filled by the assembly entries and the *_main functions. */
uint32_t b_regs[8], b_eflags, b_fs, b_gs, c_eflags, df_error;
static uint32_t b_cs, b_ds, b_str, b_ldtr, b_cr0, b_busy_a, b_busy_b, b_link, b_saved_eip;
static uint32_t c_str, c_link, c_busy_a, c_busy_c;

void task_b_entry(void), task_c_entry(void), df_task_entry(void);
void switch_jmp(const struct farptr *to), switch_call(const struct farptr *to);
extern char task_b_after_jmp[], task_c_after_iret[], switch_jmp_ret[];
void task_b_main(void), task_c_main(void), df_task_main(void);

__asm__(".text\n"
	"switch_jmp:\n\t"
	"movl 4(%esp), %eax\n\t"
	"ljmp *(%eax)\n"
	"switch_jmp_ret:\n\t"
	"ret\n"
	"switch_call:\n\t"
	"movl 4(%esp), %eax\n\t"
	"lcall *(%eax)\n\t"
	"ret\n"
	"task_b_entry:\n\t"
	"movl %eax, b_regs\n\t"
	"movl %ebx, b_regs+4\n\t"
	"movl %ecx, b_regs+8\n\t"
	"movl %edx, b_regs+12\n\t"
	"movl %esi, b_regs+16\n\t"
	"movl %edi, b_regs+20\n\t"
	"movl %ebp, b_regs+24\n\t"
	"movl %esp, b_regs+28\n\t"
	"pushfl\n\t"
	"popl b_eflags\n\t"
	"movw %fs, b_fs\n\t"
	"movw %gs, b_gs\n\t"
	"call task_b_main\n\t"
	"ljmp $0x28, $0\n" /* back to the main task (SEL_TSS) */
	"task_b_after_jmp:\n\t"
	"ud2\n"
	"task_c_entry:\n\t"
	"pushfl\n\t"
	"popl c_eflags\n\t"
	"call task_c_main\n\t"
	"iret\n" /* NT = 1: return to the task in the back link */
	"task_c_after_iret:\n\t"
	"ud2\n"
	"df_task_entry:\n\t"
	"popl df_error\n\t" /* the #DF error code, pushed on this task's stack */
	"call df_task_main\n\t"
	"ud2");

static uint32_t busy(unsigned slot)
{
	return (uint32_t)(gdt[slot] >> 41) & 1;
}

void task_b_main(void)
{
	b_cs = read_cs();
	__asm__ volatile("mov %%ds, %0" : "=r"(b_ds));
	b_str = read_str();
	b_ldtr = read_sldt();
	b_cr0 = READ_CR(0);
	b_busy_a = busy(SEL_TSS >> 3);
	b_busy_b = busy(SLOT_TSS_B);
	b_link = tss_b.link;
	b_saved_eip = tss.t.eip;
}

void task_c_main(void)
{
	c_str = read_str();
	c_link = tss_c.link;
	c_busy_a = busy(SEL_TSS >> 3);
	c_busy_c = busy(SLOT_TSS_C);
}

static void setup(void)
{
	tss_prepare(&tss_b, task_b_entry, stack_b + sizeof(stack_b));
	tss_b.eax = 0xa1a1a1a1;
	tss_b.ebx = 0xb2b2b2b2;
	tss_b.ecx = 0xc3c3c3c3;
	tss_b.edx = 0xd4d4d4d4;
	tss_b.esi = 0x51515151;
	tss_b.edi = 0xd1d1d1d1;
	tss_b.ebp = 0xb9b9b9b9;
	tss_b.fs = SEL_UDATA;
	tss_b.gs = 0;
	tss_b.link = LINK_MARK;
	tss_prepare(&tss_c, task_c_entry, stack_c + sizeof(stack_c));
	tss_prepare(&tss_df, df_task_entry, stack_df + sizeof(stack_df));
	gdt_set(SLOT_TSS_B, desc_sys((uint32_t)&tss_b, sizeof(tss_b) - 1, SYS_TSS32, 0));
	gdt_set(SLOT_TSS_C, desc_sys((uint32_t)&tss_c, sizeof(tss_c) - 1, SYS_TSS32, 0));
	gdt_set(SLOT_TASK_GATE, desc_gate(SEL_TSS_C, 0, SYS_TASK_GATE, 0, 0));
	gdt_set(SLOT_TSS_DF, desc_sys((uint32_t)&tss_df, sizeof(tss_df) - 1, SYS_TSS32, 0));
}

static void check_jmp(void)
{
	static const struct farptr to_b = {.sel = SEL_TSS_B};
	const uint32_t want_regs[8] = {
	    0xa1a1a1a1, 0xb2b2b2b2, 0xc3c3c3c3, 0xd4d4d4d4,
	    0x51515151, 0xd1d1d1d1, 0xb9b9b9b9, (uint32_t)stack_b + sizeof(stack_b)};

	switch_jmp(&to_b);
	CHECK_MEM("jmp_new_task_registers", b_regs, want_regs, sizeof(want_regs));
	CHECK_EQ32("jmp_new_task_eflags", b_eflags, EFL_RESERVED1);
	CHECK_EQ32("jmp_new_task_cs", b_cs, SEL_KCODE);
	CHECK_EQ32("jmp_new_task_ds", b_ds, SEL_KDATA);
	CHECK_EQ32("jmp_new_task_fs", b_fs & 0xffff, SEL_UDATA);
	CHECK_EQ32("jmp_new_task_gs_null", b_gs & 0xffff, 0);
	CHECK_EQ32("jmp_new_task_tr", b_str, SEL_TSS_B);
	CHECK_EQ32("jmp_new_task_ldtr", b_ldtr, 0);
	CHECK_EQ32("jmp_sets_cr0_ts", b_cr0 & CR0_TS, CR0_TS);
	CHECK_EQ32("jmp_clears_old_busy", b_busy_a, 0);
	CHECK_EQ32("jmp_sets_new_busy", b_busy_b, 1);
	CHECK_EQ32("jmp_leaves_back_link", b_link, LINK_MARK);
	CHECK_EQ32("jmp_saves_old_eip", b_saved_eip, (uint32_t)switch_jmp_ret);
	CHECK_EQ32("jmp_back_tr", read_str(), SEL_TSS);
	CHECK_EQ32("jmp_back_ldtr", read_sldt(), SEL_LDT);
	CHECK_EQ32("jmp_back_busy", busy(SEL_TSS >> 3) << 1 | busy(SLOT_TSS_B), 2);
	CHECK_EQ32("jmp_back_saved_eip", tss_b.eip, (uint32_t)task_b_after_jmp);
	CHECK_EQ32("jmp_back_saved_esp", tss_b.esp, (uint32_t)stack_b + sizeof(stack_b));
	__asm__ volatile("clts");
}

static void check_call_iret(void)
{
	static const struct farptr to_c = {.sel = SEL(SLOT_TASK_GATE, 0)};
	static struct farptr to_busy = {.sel = SEL_TSS};
	static struct regs r;

	switch_call(&to_c);
	CHECK_EQ32("call_sets_nt", c_eflags & EFL_NT, EFL_NT);
	CHECK_EQ32("call_sets_back_link", c_link, SEL_TSS);
	CHECK_EQ32("call_new_task_tr", c_str, SEL_TSS_C);
	CHECK_EQ32("call_keeps_old_busy", c_busy_a, 1);
	CHECK_EQ32("call_sets_new_busy", c_busy_c, 1);
	CHECK_EQ32("iret_back_tr", read_str(), SEL_TSS);
	CHECK_EQ32("iret_clears_callee_busy", busy(SLOT_TSS_C), 0);
	CHECK_EQ32("iret_caller_still_busy", busy(SEL_TSS >> 3), 1);
	CHECK_EQ32("iret_caller_nt_clear", read_eflags() & EFL_NT, 0);
	CHECK_EQ32("iret_clears_saved_nt", tss_c.eflags & EFL_NT, 0);
	CHECK_EQ32("iret_saves_callee_eip", tss_c.eip, (uint32_t)task_c_after_iret);
	__asm__ volatile("clts");

	r.ebx = (uint32_t)&to_busy;
	PROBE("lcall *(%%ebx)", r);
	check_fault("call_busy_tss", EXC_GP, SEL_TSS);
}

/* The last check: it never returns. */
static void check_double_fault(void)
{
	idt_set(EXC_DF, desc_gate(SEL_TSS_DF, 0, SYS_TASK_GATE, 0, 0));
	idt_set(EXC_GP, idt[EXC_GP] & ~DESC_P); /* delivering #GP raises #NP: #DF */
	__asm__ volatile("mov %0, %%ds" : : "a"(BAD_SEL));
	check_fail("double_fault", "the #GP did not reach the #DF task");
	test_finish("task_switch");
}

void df_task_main(void)
{
	CHECK_EQ32("df_task_gate_error_code", df_error, 0);
	CHECK_EQ32("df_task_tr", read_str(), SEL_TSS_DF);
	CHECK_EQ32("df_task_nt", read_eflags() & EFL_NT, EFL_NT);
	CHECK_EQ32("df_task_back_link", tss_df.link, SEL_TSS);
	CHECK_EQ32("df_saved_faulting_eax", tss.t.eax, BAD_SEL);
	CHECK_EQ32("df_old_task_busy", busy(SEL_TSS >> 3), 1);
	test_finish("task_switch");
}

void main(uint32_t magic, uint32_t info)
{
	sys_init();
	setup();
	check_jmp();
	check_call_iret();
	check_double_fault();
}
