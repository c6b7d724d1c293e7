/*
 * interrupts.c - external interrupts from the 8259A/8254 pair (SDM Vol. 3A
 * 6.3.2, 6.8.1 "Masking Maskable Hardware Interrupts", 6.8.3 "Masking
 * Exceptions and Interrupts When Switching Stacks", Vol. 2 STI, HLT): IRQ 0
 * on vector 0x20 is taken only with IF = 1; after STI one more instruction
 * runs first; STI; HLT wakes on the timer; the frame's EIP is the next
 * instruction; a missing EOI holds the next IRQ 0 off; from CPL 3 an external
 * interrupt ignores the gate's DPL. Only events are counted, never time.
 */
#include "check.h"
#include "cpu.h"
#include "gdt.h"
#include "idt.h"
#include "pic.h"
#include "user.h"

#define IRQ0_VECTOR PIC_MASTER_BASE
#define PIT_1KHZ    1193
#define SPIN_LIMIT  20000000u /* polls before giving up: seconds, not milliseconds */

/* What the IRQ 0 handler saw. */
static volatile uint32_t irq_count, irq_eip, irq_cs, irq_shadow_seen;
static volatile uint32_t irq_one_shot, irq_no_eoi; /* handler modes */
volatile uint32_t shadow_counter;

static void irq0_handler(struct trap_frame *f)
{
	if (irq_count == 0) {
		irq_eip = f->eip;
		irq_cs = f->cs & 0xffff;
		irq_shadow_seen = shadow_counter;
	}
	irq_count++;
	if (irq_one_shot)
		pic_mask(0);
	if (!irq_no_eoi)
		pic_eoi(0);
}

static void reset(uint32_t one_shot, uint32_t no_eoi)
{
	irq_count = irq_eip = irq_cs = irq_shadow_seen = 0;
	irq_one_shot = one_shot;
	irq_no_eoi = no_eoi;
}

/* Polls until IRQ 0 is requested at the PIC (IRR bit 0). Returns false on timeout. */
static bool wait_irr0(void)
{
	for (uint32_t i = 0; i < SPIN_LIMIT; i++)
		if (pic_read_irr() & 1)
			return true;
	return false;
}

/* Spins with interrupts as they are until irq_count reaches n. */
static bool wait_count(uint32_t n)
{
	for (uint32_t i = 0; i < SPIN_LIMIT; i++)
		if (irq_count >= n)
			return true;
	return false;
}

/* IF = 0 holds a requested IRQ 0; STI lets it in after one more instruction. */
extern char sti_shadow_next[];
static void check_if_and_sti_shadow(void)
{
	reset(1, 0);
	cli();
	pic_unmask(0);
	CHECK_TRUE("irq0_requested", wait_irr0());
	CHECK_EQ32("if0_holds_irq0", irq_count, 0);
	__asm__ volatile("movl $0, shadow_counter\n\t"
			 "sti\n\t"
			 "incl shadow_counter\n" /* runs before the interrupt */
			 "sti_shadow_next:\n\t"
			 "nop\n\t"
			 "cli"
			 :
			 :
			 : "memory");
	CHECK_EQ32("sti_irq0_taken_once", irq_count, 1);
	CHECK_EQ32("sti_shadow_insn_ran_first", irq_shadow_seen, 1);
	CHECK_EQ32("sti_irq_frame_eip_next_insn", irq_eip, (uint32_t)sti_shadow_next);
	CHECK_EQ32("irq_frame_cs", irq_cs, SEL_KCODE);
}

/* STI; HLT halts until IRQ 0, then resumes after the HLT. */
extern char hlt_next[];
static void check_sti_hlt(void)
{
	reset(1, 0);
	pic_unmask(0);
	__asm__ volatile("sti\n\t"
			 "hlt\n"
			 "hlt_next:\n\t"
			 "cli"
			 :
			 :
			 : "memory");
	CHECK_EQ32("hlt_woken_by_irq0", irq_count, 1);
	CHECK_EQ32("hlt_irq_frame_eip_after_hlt", irq_eip, (uint32_t)hlt_next);
}

/* Without EOI the PIC's in-service bit blocks the next IRQ 0; EOI releases it. */
static void check_eoi(void)
{
	reset(0, 1);
	pic_unmask(0);
	sti();
	CHECK_TRUE("no_eoi_first_irq0", wait_count(1));
	CHECK_TRUE("no_eoi_next_irq0_requested", wait_irr0());
	cli();
	CHECK_EQ32("no_eoi_blocks_next_irq0", irq_count, 1);
	CHECK_EQ32("no_eoi_isr_bit_set", pic_read_isr() & 1, 1);
	irq_one_shot = 1;
	irq_no_eoi = 0;
	pic_eoi(0);
	sti();
	CHECK_TRUE("eoi_releases_irq0", wait_count(2));
	cli();
	CHECK_EQ32("eoi_isr_clear", pic_read_isr() & 1, 0);
}

/* At CPL 3 an external interrupt goes through the DPL-0 gate without #GP. */
static uint32_t u_spin(uint32_t arg)
{
	for (uint32_t i = 0; i < SPIN_LIMIT && irq_count == 0; i++)
		;
	return irq_count;
}

static void check_cpl3_irq(void)
{
	reset(1, 0);
	pic_unmask(0);
	CHECK_EQ32("cpl3_irq0_taken", user_call(u_spin, 0, EFL_IF) >= 1, 1);
	CHECK_EQ32("cpl3_irq0_frame_cs", irq_cs, SEL_UCODE);
	CHECK_EQ32("cpl3_irq0_vector", trap_last.vector, IRQ0_VECTOR);
}

void main(uint32_t magic, uint32_t info)
{
	sys_init();
	trap_set_handler(IRQ0_VECTOR, irq0_handler);
	pit_start(PIT_1KHZ);
	check_if_and_sti_shadow();
	check_sti_hlt();
	check_eoi();
	check_cpl3_irq();
	pic_mask(0);
	test_finish("interrupts");
}
