/*
 * test_monitor_exceptions.c - delivering exceptions and interrupts through
 * the guest's IDT (SDM Vol. 3A 6.12-6.15): frames at the same level and
 * across levels (stack switch through the TSS), error codes, interrupt
 * versus trap gates, faults during delivery (with EXT), #DF, triple fault.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "monitor_fixture.h"

#define HANDLER 0x5000u
#define EIP 0x6000u

static struct vm *vm;
static struct vcpu *v;

static int setup(void **state)
{
	vm = fixture_vm();
	if (!vm)
		return -1;
	v = vm->vcpu;
	fixture_tables(vm);
	for (int vec = 0; vec < 32; vec++)
		fixture_gate(vm, vec, SEL(SLOT_CODE0, 0), HANDLER + (uint32_t)vec, SYS_TYPE_INTR_GATE32,
			     0, true);
	vcpu_set_segment(v, S_CS, SEL(SLOT_CODE0, 0), 0, 0xffffffffu,
			 0xb | SEG_ATTR_S | SEG_ATTR_P | SEG_ATTR_DB | SEG_ATTR_G);
	v->eip = EIP;
	v->eflags = EFLAGS_FIXED1 | EFLAGS_IF;
	return 0;
}

static int teardown(void **state)
{
	vm_destroy(vm);
	return 0;
}

static void raise_pending(int vector, bool has_error, uint32_t error)
{
	v->exception = (struct pending_exception){ .valid = true, .vector = (uint8_t)vector,
						   .has_error_code = has_error,
						   .error_code = error };
}

static uint32_t stack_word(uint32_t esp, int i)
{
	return fixture_ram32(vm, esp + 4u * (uint32_t)i)[0];
}

static void test_same_level_fault_pushes_eflags_cs_eip_error(void **state)
{
	raise_pending(EXC_GP, true, 0x1234);
	assert_true(deliver_pending_exception(v));
	assert_int_equal(v->eip, HANDLER + EXC_GP);
	assert_int_equal(v->regs[R_ESP], FIX_STACK - 16);
	assert_int_equal(stack_word(v->regs[R_ESP], 0), 0x1234);
	assert_int_equal(stack_word(v->regs[R_ESP], 1), EIP);
	assert_int_equal(stack_word(v->regs[R_ESP], 2), SEL(SLOT_CODE0, 0));
	assert_true(stack_word(v->regs[R_ESP], 3) & EFLAGS_IF);
	assert_false(v->eflags & EFLAGS_IF); /* interrupt gate */
}

static void test_trap_gate_keeps_if(void **state)
{
	fixture_gate(vm, EXC_BP, SEL(SLOT_CODE0, 0), HANDLER, SYS_TYPE_TRAP_GATE32, 0, true);
	raise_pending(EXC_BP, false, 0);
	assert_true(deliver_pending_exception(v));
	assert_true(v->eflags & EFLAGS_IF);
	assert_int_equal(v->regs[R_ESP], FIX_STACK - 12);
}

static void test_from_cpl3_switches_to_tss_stack(void **state)
{
	v->cpl = 3;
	vcpu_set_segment(v, S_CS, SEL(SLOT_CODE3, 3), 0, 0xffffffffu,
			 0xb | SEG_ATTR_S | SEG_ATTR_P | SEG_ATTR_DB | SEG_ATTR_G | (3 << 5));
	vcpu_set_segment(v, S_SS, SEL(SLOT_DATA3, 3), 0, 0xffffffffu,
			 0x3 | SEG_ATTR_S | SEG_ATTR_P | SEG_ATTR_DB | SEG_ATTR_G | (3 << 5));
	raise_pending(EXC_PF, true, 0x7);
	assert_true(deliver_pending_exception(v));
	assert_int_equal(v->cpl, 0);
	assert_int_equal(v->seg[S_SS].selector, SEL(SLOT_DATA0, 0));
	assert_int_equal(v->regs[R_ESP], FIX_STACK0 - 24);
	assert_int_equal(stack_word(v->regs[R_ESP], 0), 0x7);
	assert_int_equal(stack_word(v->regs[R_ESP], 2), SEL(SLOT_CODE3, 3));
	assert_int_equal(stack_word(v->regs[R_ESP], 4), FIX_STACK);
	assert_int_equal(stack_word(v->regs[R_ESP], 5), SEL(SLOT_DATA3, 3));
}

static void test_software_int_checks_gate_dpl(void **state)
{
	v->cpl = 3;
	vcpu_set_segment(v, S_SS, SEL(SLOT_DATA3, 3), 0, 0xffffffffu,
			 0x3 | SEG_ATTR_S | SEG_ATTR_P | SEG_ATTR_DB | SEG_ATTR_G | (3 << 5));
	fixture_gate(vm, 0x40, SEL(SLOT_CODE0, 0), HANDLER, SYS_TYPE_INTR_GATE32, 0, true);
	v->exception = (struct pending_exception){ .valid = true, .vector = 0x40, .software = true,
						   .has_insn_eip = true, .insn_eip = EIP - 2 };
	assert_true(deliver_pending_exception(v));
	/* #GP(0x40 * 8 + 2) delivered instead, at the INT instruction. */
	assert_int_equal(v->eip, HANDLER + EXC_GP);
	assert_int_equal(stack_word(v->regs[R_ESP], 0), 0x40 * 8 + 2);
	assert_int_equal(stack_word(v->regs[R_ESP], 1), EIP - 2);
}

static void test_not_present_gate_is_np_with_ext(void **state)
{
	fixture_gate(vm, EXC_UD, SEL(SLOT_CODE0, 0), HANDLER, SYS_TYPE_INTR_GATE32, 0, false);
	raise_pending(EXC_UD, false, 0);
	assert_true(deliver_pending_exception(v));
	assert_int_equal(v->eip, HANDLER + EXC_NP);
	assert_int_equal(stack_word(v->regs[R_ESP], 0), EXC_UD * 8 + 2 + 1);
	assert_int_equal(stack_word(v->regs[R_ESP], 1), EIP);
}

static void test_contributory_during_contributory_is_double_fault(void **state)
{
	fixture_gate(vm, EXC_GP, SEL(SLOT_FREE, 0), HANDLER, SYS_TYPE_INTR_GATE32, 0, true);
	fixture_seg(vm, SLOT_FREE, 0, 0xffffffffu, 0xb, 0, false, true); /* not present */
	raise_pending(EXC_GP, true, 0);
	assert_true(deliver_pending_exception(v));
	assert_int_equal(v->eip, HANDLER + EXC_DF);
	assert_int_equal(stack_word(v->regs[R_ESP], 0), 0); /* #DF's error code */
}

static void test_fault_during_double_fault_is_triple_fault(void **state)
{
	fixture_gate(vm, EXC_DF, SEL(SLOT_CODE0, 0), HANDLER, SYS_TYPE_INTR_GATE32, 0, false);
	fixture_gate(vm, EXC_GP, SEL(SLOT_FREE, 0), HANDLER, SYS_TYPE_INTR_GATE32, 0, true);
	fixture_seg(vm, SLOT_FREE, 0, 0xffffffffu, 0xb, 0, false, true);
	raise_pending(EXC_GP, true, 0);
	assert_false(deliver_pending_exception(v));
	assert_true(vm->stop);
	assert_int_equal(vm->exit_status, EXIT_GUEST_FATAL);
}

static void test_vector_beyond_idt_limit_is_gp(void **state)
{
	v->idtr.limit = 8 * 14 - 1; /* vectors 0-13 */
	raise_pending(EXC_MF, false, 0); /* benign: the #GP is delivered as such */
	assert_true(deliver_pending_exception(v));
	assert_int_equal(v->eip, HANDLER + EXC_GP);
	assert_int_equal(stack_word(v->regs[R_ESP], 0), EXC_MF * 8 + 2 + 1);
}

static void test_page_fault_then_contributory_is_double_fault(void **state)
{
	v->idtr.limit = 8 * 14 - 1; /* #PF's gate is beyond the limit: #GP */
	raise_pending(EXC_PF, true, 0);
	assert_true(deliver_pending_exception(v));
	assert_int_equal(v->eip, HANDLER + EXC_DF);
}

static void test_external_interrupt_has_no_error_code(void **state)
{
	fixture_gate(vm, 0x20, SEL(SLOT_CODE0, 0), HANDLER, SYS_TYPE_INTR_GATE32, 0, true);
	assert_true(deliver_interrupt(v, 0x20));
	assert_int_equal(v->eip, HANDLER);
	assert_int_equal(v->regs[R_ESP], FIX_STACK - 12);
	assert_int_equal(stack_word(v->regs[R_ESP], 0), EIP);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_same_level_fault_pushes_eflags_cs_eip_error),
		T(test_trap_gate_keeps_if),
		T(test_from_cpl3_switches_to_tss_stack),
		T(test_software_int_checks_gate_dpl),
		T(test_not_present_gate_is_np_with_ext),
		T(test_contributory_during_contributory_is_double_fault),
		T(test_fault_during_double_fault_is_triple_fault),
		T(test_vector_beyond_idt_limit_is_gp),
		T(test_page_fault_then_contributory_is_double_fault),
		T(test_external_interrupt_has_no_error_code),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
