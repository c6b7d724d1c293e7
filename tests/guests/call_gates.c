/*
 * call_gates.c - call gates and conforming code (SDM Vol. 3A 5.8.3-5.8.6,
 * Figure 5-13; Vol. 2 CALL, JMP, RET): a far CALL from CPL 3 through a DPL-3
 * 32-bit call gate with a parameter count of 2 to DPL-0 code switches to
 * TSS.SS0:ESP0 and builds SS, ESP, the two parameters, CS, EIP; RET 8 pops
 * the parameters from both stacks and returns to CPL 3. A DPL-0 gate is
 * #GP(gate) from CPL 3; JMP through a gate may not change privilege
 * (#GP(code segment)) but may reach same-privilege code; conforming code runs
 * at the caller's CPL; at CPL 0 a gate call neither switches stacks nor
 * copies parameters. A call gate to conforming code is in call_gate_conforming
 * (QEMU gets it wrong).
 */
#include "check.h"
#include "cpu.h"
#include "gdt.h"
#include "idt.h"
#include "regs.h"
#include "user.h"

enum {
	SLOT_GATE_KERNEL = GDT_FREE, /* DPL 3, 2 params -> 0x08:gate_kernel_target */
	SLOT_GATE_DPL0,		     /* DPL 0, 2 params -> 0x08:gate_kernel_target */
	SLOT_GATE_USER,		     /* DPL 3 -> 0x1b:gate_user_target (for JMP) */
	SLOT_CONF,		     /* conforming execute/read code, DPL 0, flat */
};

#define P1 0x11111111u /* pushed last: lowest address */
#define P2 0x22222222u

/* Written by the assembly below. */
uint32_t gate_esp, gate_frame[6], gate_cs, gate_ss;
uint32_t cg_esp_before, cg_esp_after, cg_cs_after, cg_ss_after, jmp_cs, conf_cs, conf_ss;
struct farptr cg_far;
extern char cg_ret[], cg0_ret[];
uint32_t u_call_far(uint32_t);
uint32_t u_jmp_far(uint32_t);
void call_gate_cpl0(void);

__asm__(".text\n"
	/* Kernel side of the gate: record ESP, the frame, CS, SS; pop 2 params. */
	"gate_kernel_target:\n\t"
	"movl %esp, gate_esp\n\t"
	"pushl %esi\n\tpushl %edi\n\tpushl %ecx\n\t"
	"leal 12(%esp), %esi\n\t"
	"movl $gate_frame, %edi\n\t"
	"movl $6, %ecx\n\t"
	"rep movsl\n\t"
	"popl %ecx\n\tpopl %edi\n\tpopl %esi\n\t"
	"movw %cs, gate_cs\n\t"
	"movw %ss, gate_ss\n\t"
	"lret $8\n"
	/* CPL 3: push P2, P1 and far-call through cg_far. */
	"u_call_far:\n\t"
	"movl $0, cg_cs_after\n\t"
	"movl $0, cg_ss_after\n\t"
	"movl %esp, cg_esp_before\n\t"
	"pushl $0x22222222\n\t"
	"pushl $0x11111111\n\t"
	"lcall *cg_far\n"
	"cg_ret:\n\t"
	"movl %esp, cg_esp_after\n\t"
	"movw %cs, cg_cs_after\n\t"
	"movw %ss, cg_ss_after\n\t"
	"xorl %eax, %eax\n\t"
	"ret\n"
	/* CPL 3: far-jump through cg_far; the target jumps back to jmp_back. */
	"u_jmp_far:\n\t"
	"movl $0, jmp_cs\n\t"
	"ljmp *cg_far\n"
	"jmp_back:\n\t"
	"xorl %eax, %eax\n\t"
	"ret\n"
	"gate_user_target:\n\t"
	"movw %cs, jmp_cs\n\t"
	"jmp jmp_back\n"
	/* Conforming code: record CS and SS, return past u_call_far's 2 params. */
	"conf_target:\n\t"
	"movw %cs, conf_cs\n\t"
	"movw %ss, conf_ss\n\t"
	"lret $8\n"
	/* CPL 0: the same gate call, no privilege change. */
	"call_gate_cpl0:\n\t"
	"movl %esp, cg_esp_before\n\t"
	"pushl $0x22222222\n\t"
	"pushl $0x11111111\n\t"
	"lcall *cg_far\n"
	"cg0_ret:\n\t"
	"movl %esp, cg_esp_after\n\t"
	"ret");

extern char gate_kernel_target[], gate_user_target[], conf_target[];
static struct regs r;

USER_PROBE(u_call_probe, "lcall *(%%ebx)", r)
USER_PROBE(u_jmp_probe, "ljmp *(%%ebx)", r)

static void setup_gates(void)
{
	gdt_set(SLOT_GATE_KERNEL,
		desc_gate(SEL_KCODE, (uint32_t)gate_kernel_target, SYS_CALL32, 3, 2));
	gdt_set(SLOT_GATE_DPL0,
		desc_gate(SEL_KCODE, (uint32_t)gate_kernel_target, SYS_CALL32, 0, 2));
	gdt_set(SLOT_GATE_USER, desc_gate(SEL_UCODE, (uint32_t)gate_user_target, SYS_CALL32, 3, 0));
	gdt_set(SLOT_CONF, desc_seg(0, 0xfffff, SEG_CODE_XR_CONF, 0, DESC_G | DESC_DB));
}

/* CPL 3 -> CPL 0 through the DPL-3 gate, and back with RET 8. */
static void check_call_to_cpl0(void)
{
	cg_far = (struct farptr){.offset = 0xdeadbeef, .sel = SEL(SLOT_GATE_KERNEL, 3)};
	user_call(u_call_far, 0, 0);
	CHECK_EQ32("call_gate_stack_switched", gate_esp, tss.t.esp0 - 24);
	CHECK_EQ32("call_gate_cs", gate_cs, SEL_KCODE);
	CHECK_EQ32("call_gate_ss_is_ss0", gate_ss, tss.t.ss0);
	CHECK_EQ32("call_gate_frame_eip", gate_frame[0], (uint32_t)cg_ret);
	CHECK_EQ32("call_gate_frame_cs", gate_frame[1] & 0xffff, SEL_UCODE);
	CHECK_EQ32("call_gate_frame_param1", gate_frame[2], P1);
	CHECK_EQ32("call_gate_frame_param2", gate_frame[3], P2);
	CHECK_EQ32("call_gate_frame_esp", gate_frame[4], cg_esp_before - 8);
	CHECK_EQ32("call_gate_frame_ss", gate_frame[5] & 0xffff, SEL_UDATA);
	CHECK_EQ32("ret8_esp_params_popped", cg_esp_after, cg_esp_before);
	CHECK_EQ32("ret8_cs", cg_cs_after, SEL_UCODE);
	CHECK_EQ32("ret8_ss", cg_ss_after, SEL_UDATA);
}

/* Gate and conforming-code privilege rules from CPL 3. */
static void check_rules_from_cpl3(void)
{
	static struct farptr far;

	r.ebx = (uint32_t)&far;
	far = (struct farptr){.sel = SEL(SLOT_GATE_DPL0, 3)};
	user_call(u_call_probe, 0, 0);
	check_fault("call_gate_dpl0_from_cpl3", EXC_GP, SEL(SLOT_GATE_DPL0, 0));
	far = (struct farptr){.sel = SEL(SLOT_GATE_KERNEL, 3)};
	user_call(u_jmp_probe, 0, 0);
	check_fault("jmp_gate_to_cpl0_code", EXC_GP, SEL_KCODE & ~3);

	cg_far = (struct farptr){.sel = SEL(SLOT_GATE_USER, 3)};
	user_call(u_jmp_far, 0, 0);
	CHECK_EQ32("jmp_gate_same_privilege_cs", jmp_cs, SEL_UCODE);

	cg_far = (struct farptr){.offset = (uint32_t)conf_target, .sel = SEL(SLOT_CONF, 0)};
	user_call(u_call_far, 0, 0);
	CHECK_EQ32("conforming_call_cs_rpl3", conf_cs, SEL(SLOT_CONF, 3));
	CHECK_EQ32("conforming_call_no_stack_switch", conf_ss, SEL_UDATA);
}

/* At CPL 0 the gate call pushes only CS and EIP; RET 8 pops the caller's parameters. */
static void check_call_at_cpl0(void)
{
	cg_far = (struct farptr){.sel = SEL(SLOT_GATE_KERNEL, 0)};
	call_gate_cpl0();
	CHECK_EQ32("call_gate_cpl0_no_stack_switch", gate_esp, cg_esp_before - 16);
	CHECK_EQ32("call_gate_cpl0_frame_eip", gate_frame[0], (uint32_t)cg0_ret);
	CHECK_EQ32("call_gate_cpl0_frame_cs", gate_frame[1] & 0xffff, SEL_KCODE);
	CHECK_EQ32("call_gate_cpl0_frame_param1", gate_frame[2], P1);
	CHECK_EQ32("call_gate_cpl0_ret8_esp", cg_esp_after, cg_esp_before);
}

void main(uint32_t magic, uint32_t info)
{
	sys_init();
	setup_gates();
	check_call_to_cpl0();
	check_rules_from_cpl3();
	check_call_at_cpl0();
	test_finish("call_gates");
}
