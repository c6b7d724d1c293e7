/*
 * int_iret_privilege.c - INT n and IRET across privilege levels (SDM Vol. 3A
 * 6.12.1 "Exception- or Interrupt-Handler Procedures", Figure 6-4; Vol. 2
 * INT n and IRET): from CPL 3 through a DPL-3 gate the CPU switches to
 * TSS.SS0:ESP0 and pushes SS, ESP, EFLAGS, CS, EIP; an interrupt gate clears
 * IF, a trap gate does not; IRET restores all five. A DPL-0 gate is #GP(vector
 * * 8 + 2) from CPL 3. At CPL 0 there is no switch and a 3-dword frame. IRET
 * to CPL 3 nulls data segment registers with DPL < 3, IRET to an inner level
 * is #GP(CS), and IRET at CPL 3 silently keeps IF and IOPL like POPF.
 */
#include "check.h"
#include "cpu.h"
#include "gdt.h"
#include "idt.h"
#include "regs.h"
#include "user.h"

#define VEC_INT_DPL3  0x40 /* interrupt gate, DPL 3 */
#define VEC_TRAP_DPL3 0x41 /* trap gate, DPL 3 */
#define VEC_INT_DPL0  0x42 /* interrupt gate, DPL 0 */
#define VEC_NULL_FS   0x43 /* interrupt gate, DPL 3; its handler sets the saved FS to 0x10 */

/* What the CPL-3 code saw around its INT (filled by the assembly below). */
uint32_t seen_esp_before, seen_eflags_before, seen_esp_after, seen_eflags_after;
uint32_t seen_cs_after, seen_ss_after, seen_fs_after;

static volatile uint32_t handler_if;
static struct regs r;

/*
 * A user_fn that executes INT vec and records ESP/EFLAGS before, and ESP,
 * EFLAGS, CS, SS, FS after. <fname>_ret labels the instruction after INT.
 */
#define USER_INT(fname, vec)                                                                       \
	uint32_t fname(uint32_t);                                                                  \
	extern char fname##_ret[];                                                                 \
	__asm__(".text\n" #fname ":\n\t"                                                           \
		"movl $0, seen_cs_after\n\t"                                                       \
		"movl $0, seen_ss_after\n\t"                                                       \
		"movl $0, seen_fs_after\n\t"                                                       \
		"pushfl\n\t"                                                                       \
		"popl seen_eflags_before\n\t"                                                      \
		"movl %esp, seen_esp_before\n\t"                                                   \
		"int $" #vec "\n" #fname "_ret:\n\t"                                               \
		"movl %esp, seen_esp_after\n\t"                                                    \
		"pushfl\n\t"                                                                       \
		"popl seen_eflags_after\n\t"                                                       \
		"movw %cs, seen_cs_after\n\t"                                                      \
		"movw %ss, seen_ss_after\n\t"                                                      \
		"movw %fs, seen_fs_after\n\t"                                                      \
		"xorl %eax, %eax\n\t"                                                              \
		"ret")

USER_INT(u_int_gate, 0x40);
USER_INT(u_trap_gate, 0x41);
USER_INT(u_null_fs, 0x43);
USER_PROBE(u_int_dpl0, "int $0x42", r)
/* IRET frames built on the user stack; EDX keeps ESP for the faulting case. */
USER_PROBE2(u_iret_to_cpl0, "movl %%esp, %%edx\n\tpushfl\n\tpushl $0x08\n\tpushl $772f", "iret",
	    "movl %%edx, %%esp", r)
USER_PROBE2(u_iret_same_level, "movl %%esp, %%edx\n\tpushl %%eax\n\tpushl $0x1b\n\tpushl $772f",
	    "iret", "pushfl\n\tpopl %%ebx\n\tmovl %%edx, %%esp", r)

static void record_if(struct trap_frame *f)
{
	handler_if = read_eflags() & EFL_IF;
}

static void set_saved_fs(struct trap_frame *f)
{
	f->fs = SEL_KDATA;
}

static void setup_gates(void)
{
	idt_set(VEC_INT_DPL3, idt_stub_gate(VEC_INT_DPL3, SYS_INT32, 3));
	idt_set(VEC_TRAP_DPL3, idt_stub_gate(VEC_TRAP_DPL3, SYS_TRAP32, 3));
	idt_set(VEC_INT_DPL0, idt_stub_gate(VEC_INT_DPL0, SYS_INT32, 0));
	idt_set(VEC_NULL_FS, idt_stub_gate(VEC_NULL_FS, SYS_INT32, 3));
	trap_set_handler(VEC_INT_DPL3, record_if);
	trap_set_handler(VEC_TRAP_DPL3, record_if);
	trap_set_handler(VEC_INT_DPL0, record_if);
	trap_set_handler(VEC_NULL_FS, set_saved_fs);
}

/* INT from CPL 3 to a CPL-0 handler and IRET back: frame, stack switch, IF. */
static void check_int_from_cpl3(const char *gate, user_fn fn, const char *ret, uint32_t want_if)
{
	probe_arm();
	user_call(fn, 0, EFL_IF | FL_CF);
	CHECK_EQ32(check_name(gate, "count"), trap_last.count, 1);
	CHECK_EQ32(check_name(gate, "frame_eip"), trap_last.eip, (uint32_t)ret);
	CHECK_EQ32(check_name(gate, "frame_cs"), trap_last.cs, SEL_UCODE);
	CHECK_EQ32(check_name(gate, "frame_eflags"), trap_last.eflags, seen_eflags_before);
	CHECK_EQ32(check_name(gate, "frame_esp"), trap_last.esp, seen_esp_before);
	CHECK_EQ32(check_name(gate, "frame_ss"), trap_last.ss, SEL_UDATA);
	CHECK_EQ32(check_name(gate, "frame_at_esp0"), trap_last.frame + 20, tss.t.esp0);
	CHECK_EQ32(check_name(gate, "handler_ss_is_ss0"), trap_last.handler_ss, tss.t.ss0);
	CHECK_EQ32(check_name(gate, "handler_if"), handler_if, want_if);
	CHECK_EQ32(check_name(gate, "iret_esp"), seen_esp_after, seen_esp_before);
	CHECK_EQ32(check_name(gate, "iret_eflags"), seen_eflags_after, seen_eflags_before);
	CHECK_EQ32(check_name(gate, "iret_cs"), seen_cs_after, SEL_UCODE);
	CHECK_EQ32(check_name(gate, "iret_ss"), seen_ss_after, SEL_UDATA);
}

/* INT at CPL 0: no stack switch, EFLAGS/CS/EIP only, IRET to the same level. */
extern char int_cpl0_ret[];
static void check_int_at_cpl0(void)
{
	uint32_t before, after;

	probe_arm();
	__asm__ volatile("movl %%esp, %0\n\t"
			 "int $0x42\n"
			 "int_cpl0_ret:\n\t"
			 "movl %%esp, %1"
			 : "=&r"(before), "=r"(after)
			 :
			 : "memory");
	CHECK_EQ32("int_cpl0_frame_eip", trap_last.eip, (uint32_t)int_cpl0_ret);
	CHECK_EQ32("int_cpl0_frame_cs", trap_last.cs, SEL_KCODE);
	CHECK_EQ32("int_cpl0_three_dword_frame", trap_last.frame, before - 12);
	CHECK_EQ32("int_cpl0_iret_esp", after, before);
}

/* IRET's privilege rules. */
static void check_iret_rules(void)
{
	uint32_t fl;

	user_call(u_int_dpl0, 0, 0);
	check_fault("int_dpl0_gate_from_cpl3", EXC_GP, ERR_IDT(VEC_INT_DPL0));

	user_call(u_null_fs, 0, 0);
	CHECK_EQ32("iret_to_cpl3_nulls_dpl0_fs", seen_fs_after, 0);
	CHECK_EQ32("iret_to_cpl3_cs", seen_cs_after, SEL_UCODE);

	user_call(u_iret_to_cpl0, 0, 0);
	check_fault("iret_cpl3_to_cpl0", EXC_GP, SEL_KCODE);

	r.eax = EFL_RESERVED1 | EFL_IOPL(3) | FL_CF; /* IF = 0 */
	user_call(u_iret_same_level, 0, EFL_IF);
	check_no_fault("iret_cpl3_same_level");
	CHECK_EQ32("iret_cpl3_keeps_if_and_iopl", r.ebx & (EFL_IF | EFL_IOPL_MASK | FL_CF),
		   EFL_IF | FL_CF);

	__asm__ volatile("pushfl\n\t"
			 "pushl %1\n\t"
			 "pushl %%cs\n\t"
			 "pushl $1f\n\t"
			 "iret\n"
			 "1:\tpushfl\n\t"
			 "popl %0\n\t"
			 "popfl"
			 : "=r"(fl)
			 : "r"(EFL_RESERVED1 | EFL_IOPL(3))
			 : "memory", "cc");
	CHECK_EQ32("iret_cpl0_sets_iopl", fl & EFL_IOPL_MASK, EFL_IOPL(3));
}

void main(uint32_t magic, uint32_t info)
{
	sys_init();
	setup_gates();
	check_int_from_cpl3("int_gate_cpl3", u_int_gate, u_int_gate_ret, 0);
	check_int_from_cpl3("trap_gate_cpl3", u_trap_gate, u_trap_gate_ret, EFL_IF);
	check_int_at_cpl0();
	check_iret_rules();
	test_finish("int_iret_privilege");
}
