/*
 * exceptions_ext.c - the EXT bit of error codes (SDM Vol. 3A 6.13): a fault
 * raised while the CPU delivers an event external to the program (a hardware
 * exception or an interrupt) has bit 0 set; one raised while delivering
 * INT n / INT3 / INTO has it clear. Here the faults are #NP on a gate or a
 * handler code segment that is not present. QEMU 7.2 never sets EXT, so this
 * guest does not run under QEMU; the INT3 rows (EXT = 0) agree with it.
 */
#include "check.h"
#include "cpu.h"
#include "gdt.h"
#include "idt.h"
#include "pic.h"
#include "regs.h"
#include "user.h"

#define SLOT_NP_CODE GDT_FREE /* flat code, not present */
#define IRQ0_VECTOR  PIC_MASTER_BASE

static struct regs r;

/* A fault (#UD) and a software trap (INT3) whose IDT gates are not present. */
static void check_gate_not_present(void)
{
	uint64_t ud = idt[EXC_UD], bp = idt[EXC_BP];

	idt_set(EXC_UD, ud & ~DESC_P);
	PROBE("ud2", r);
	check_fault("np_ud_gate_not_present_ext1", EXC_NP, ERR_IDT_EXT(EXC_UD));
	idt_set(EXC_UD, ud);

	idt_set(EXC_BP, bp & ~DESC_P);
	PROBE("int3", r);
	check_fault("np_int3_gate_not_present_ext0", EXC_NP, ERR_IDT(EXC_BP));
	idt_set(EXC_BP, bp);
}

/* Gates to a code segment that is not present: #NP(selector | EXT). */
static void check_handler_cs_not_present(void)
{
	uint64_t ud = idt[EXC_UD], bp = idt[EXC_BP];

	gdt_set(SLOT_NP_CODE, DESC_FLAT_CODE(0) & ~DESC_P);
	idt_set(EXC_UD, desc_gate(SEL(SLOT_NP_CODE, 0), (uint32_t)idt_stubs, SYS_INT32, 0, 0));
	PROBE("ud2", r);
	check_fault("np_ud_handler_cs_not_present_ext1", EXC_NP, SEL(SLOT_NP_CODE, 0) | 1);
	idt_set(EXC_UD, ud);

	idt_set(EXC_BP, desc_gate(SEL(SLOT_NP_CODE, 0), (uint32_t)idt_stubs, SYS_INT32, 0, 0));
	PROBE("int3", r);
	check_fault("np_int3_handler_cs_not_present_ext0", EXC_NP, SEL(SLOT_NP_CODE, 0));
	idt_set(EXC_BP, bp);
}

/*
 * An external interrupt (IRQ 0) whose gate is not present: #NP with EXT,
 * reported at the instruction boundary where the interrupt was taken.
 */
static void check_irq_gate_not_present(void)
{
	uint64_t gate = idt[IRQ0_VECTOR];

	idt_set(IRQ0_VECTOR, gate & ~DESC_P);
	pit_start(1193); /* 1 kHz */
	pic_unmask(0);
	probe_arm();
	__asm__ volatile("movl $1f, probe_start\n\t"
			 "movl $1f, probe_resume\n\t"
			 "sti\n\t"
			 "hlt\n"
			 "1:\tcli\n\t"
			 "movl $0, probe_resume"
			 :
			 :
			 : "memory");
	pic_mask(0);
	pic_eoi(0);
	check_fault("np_irq0_gate_not_present_ext1", EXC_NP, ERR_IDT_EXT(IRQ0_VECTOR));
	idt_set(IRQ0_VECTOR, gate);
}

void main(uint32_t magic, uint32_t info)
{
	sys_init();
	check_gate_not_present();
	check_handler_cs_not_present();
	check_irq_gate_not_present();
	test_finish("exceptions_ext");
}
