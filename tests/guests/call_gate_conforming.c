/*
 * call_gate_conforming.c - a far CALL from CPL 3 through a DPL-3 call gate
 * whose target is a DPL-0 *conforming* code segment (SDM Vol. 2 CALL,
 * "CALL-GATE": only a non-conforming target with DPL < CPL goes to
 * MORE-PRIVILEGE; otherwise SAME-PRIVILEGE with CS.RPL := CPL). The target
 * runs at CPL 3 on the caller's stack, so a privileged instruction there
 * still raises #GP(0). QEMU 7.2 instead sets CPL to the target's DPL (0), so
 * this guest does not run under QEMU.
 */
#include "check.h"
#include "cpu.h"
#include "gdt.h"
#include "idt.h"
#include "user.h"

enum {
	SLOT_GATE_CONF = GDT_FREE, /* call gate, DPL 3 -> SLOT_CONF:conf_target */
	SLOT_CONF,		   /* conforming execute/read code, DPL 0, flat */
};

uint32_t conf_cs, conf_ss, conf_traps;
struct farptr conf_far;
uint32_t u_call_gate(uint32_t);

__asm__(".text\n"
	"u_call_gate:\n\t"
	"lcall *conf_far\n\t"
	"xorl %eax, %eax\n\t"
	"ret\n"
	/* The conforming target: CS, SS, then a probe of a privileged instruction. */
	"conf_target:\n\t"
	"movw %cs, conf_cs\n\t"
	"movw %ss, conf_ss\n\t"
	"movl $771f, probe_start\n\t"
	"movl $772f, probe_end\n\t"
	"movl $772f, probe_resume\n"
	"771:\tmovl %cr0, %eax\n"
	"772:\tmovl $0, probe_resume\n\t"
	"lret");
extern char conf_target[];

void main(uint32_t magic, uint32_t info)
{
	sys_init();
	gdt_set(SLOT_CONF, desc_seg(0, 0xfffff, SEG_CODE_XR_CONF, 0, DESC_G | DESC_DB));
	gdt_set(SLOT_GATE_CONF,
		desc_gate(SEL(SLOT_CONF, 0), (uint32_t)conf_target, SYS_CALL32, 3, 0));
	conf_far = (struct farptr){.sel = SEL(SLOT_GATE_CONF, 3)};
	probe_arm();
	user_call(u_call_gate, 0, 0);
	CHECK_EQ32("gate_to_conforming_cs_rpl3", conf_cs, SEL(SLOT_CONF, 3));
	CHECK_EQ32("gate_to_conforming_no_stack_switch", conf_ss, SEL_UDATA);
	check_fault("gate_to_conforming_still_cpl3", EXC_GP, 0);
	test_finish("call_gate_conforming");
}
