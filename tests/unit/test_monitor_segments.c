/*
 * test_monitor_segments.c - segment loads with the SDM's protection checks
 * (Vol. 3A 5.5-5.10, MOV/POP Sreg): null selectors, table limits, types,
 * CPL/RPL/DPL, presence, the accessed bit; and the bounds translated code
 * uses for limits, expand-down and read-only segments.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "monitor_fixture.h"

static struct vm *vm;
static struct vcpu *v;

static int setup(void **state)
{
	vm = fixture_vm();
	if (!vm)
		return -1;
	v = vm->vcpu;
	fixture_tables(vm);
	return 0;
}

static int teardown(void **state)
{
	vm_destroy(vm);
	return 0;
}

static int load(int sreg, uint16_t sel)
{
	return FIXTURE_CATCH(v, load_data_segment(v, sreg, sel));
}

static void test_data_load_sets_cache_and_accessed_bit(void **state)
{
	fixture_seg(vm, SLOT_FREE, 0x12345000, 0xfff, 0x2, 0, true, true); /* not accessed */
	assert_int_equal(load(S_DS, SEL(SLOT_FREE, 0)), -1);
	assert_int_equal(v->seg[S_DS].base, 0x12345000);
	assert_int_equal(v->seg[S_DS].limit, 0xfff);
	assert_true(fixture_ram32(vm, FIX_GDT + SLOT_FREE * 8)[1] & (1u << 8));
	assert_int_equal(mode_seg_kind(v->mode, S_DS), SEG_CHECKED);
}

static void test_null_selector_in_ds_loads_unusable_segment(void **state)
{
	assert_int_equal(load(S_DS, 0), -1);
	assert_true(v->seg_fast[S_DS].read_lo > v->seg_fast[S_DS].read_hi);
}

static void test_null_selector_in_ss_is_gp0(void **state)
{
	assert_int_equal(load(S_SS, 0), EXC_GP);
	assert_int_equal(v->exception.error_code, 0);
}

static void test_selector_beyond_gdt_limit_is_gp_selector(void **state)
{
	v->gdtr.limit = 0x2f;
	assert_int_equal(load(S_ES, 0x30), EXC_GP);
	assert_int_equal(v->exception.error_code, 0x30);
}

static void test_data_dpl_below_cpl_is_gp(void **state)
{
	v->cpl = 3;
	assert_int_equal(load(S_DS, SEL(SLOT_DATA0, 3)), EXC_GP);
	assert_int_equal(v->exception.error_code, SEL(SLOT_DATA0, 0));
}

static void test_rpl_above_dpl_is_gp(void **state)
{
	assert_int_equal(load(S_FS, SEL(SLOT_DATA0, 3)), EXC_GP);
}

static void test_not_present_data_is_np(void **state)
{
	fixture_seg(vm, SLOT_FREE, 0, 0xffffffffu, 0x3, 0, false, true);
	assert_int_equal(load(S_GS, SEL(SLOT_FREE, 0)), EXC_NP);
	assert_int_equal(v->exception.error_code, SEL(SLOT_FREE, 0));
}

static void test_execute_only_code_in_ds_is_gp(void **state)
{
	fixture_seg(vm, SLOT_FREE, 0, 0xffffffffu, 0x8, 0, true, true);
	assert_int_equal(load(S_DS, SEL(SLOT_FREE, 0)), EXC_GP);
}

static void test_readable_conforming_code_ignores_privilege(void **state)
{
	fixture_seg(vm, SLOT_FREE, 0, 0xffffffffu, 0xe, 0, true, true);
	v->cpl = 3;
	assert_int_equal(load(S_DS, SEL(SLOT_FREE, 3)), -1);
}

static void test_stack_segment_must_be_writable_at_cpl(void **state)
{
	fixture_seg(vm, SLOT_FREE, 0, 0xffffffffu, 0x1, 0, true, true); /* read-only */
	assert_int_equal(load(S_SS, SEL(SLOT_FREE, 0)), EXC_GP);
	assert_int_equal(load(S_SS, SEL(SLOT_DATA3, 3)), EXC_GP); /* RPL != CPL 0 */
	fixture_seg(vm, SLOT_FREE, 0, 0xffffffffu, 0x3, 0, false, true);
	assert_int_equal(load(S_SS, SEL(SLOT_FREE, 0)), EXC_SS);
}

static void test_ldt_selector_without_ldt_is_gp(void **state)
{
	assert_int_equal(load(S_DS, 0x0c), EXC_GP); /* TI = 1, no LDT loaded */
}

static void test_expand_down_bounds(void **state)
{
	/* Expand-down, limit 0xfff, B = 1: valid offsets 0x1000-0xffffffff. */
	fixture_seg(vm, SLOT_FREE, 0, 0xfff, 0x7, 0, true, true);
	assert_int_equal(load(S_ES, SEL(SLOT_FREE, 0)), -1);
	assert_int_equal(v->seg_fast[S_ES].read_lo, 0x1000);
	assert_int_equal(v->seg_fast[S_ES].read_hi, 0xffffffffu);
	/* B = 0: up to 0xffff only. */
	fixture_seg(vm, SLOT_FREE, 0, 0xfff, 0x7, 0, true, false);
	assert_int_equal(load(S_ES, SEL(SLOT_FREE, 0)), -1);
	assert_int_equal(v->seg_fast[S_ES].read_hi, 0xffff);
}

static void test_read_only_segment_has_no_write_bounds(void **state)
{
	fixture_seg(vm, SLOT_FREE, 0, 0xffffffffu, 0x1, 0, true, true);
	assert_int_equal(load(S_DS, SEL(SLOT_FREE, 0)), -1);
	assert_int_equal(v->seg_fast[S_DS].read_hi, 0xffffffffu);
	assert_true(v->seg_fast[S_DS].write_lo > v->seg_fast[S_DS].write_hi);
	assert_int_equal(mode_seg_kind(v->mode, S_DS), SEG_CHECKED);
}

static void test_flat_and_based_segment_kinds(void **state)
{
	assert_int_equal(load(S_DS, SEL(SLOT_DATA0, 0)), -1);
	assert_int_equal(mode_seg_kind(v->mode, S_DS), SEG_FLAT);
	fixture_seg(vm, SLOT_FREE, 0x1000, 0xffffffffu, 0x3, 0, true, true);
	assert_int_equal(load(S_FS, SEL(SLOT_FREE, 0)), -1);
	assert_int_equal(mode_seg_kind(v->mode, S_FS), SEG_BASED);
}

static void test_seg_linear_limit_violation_through_ss_is_ss(void **state)
{
	fixture_seg(vm, SLOT_FREE, 0, 0xfff, 0x3, 0, true, true);
	assert_int_equal(load(S_SS, SEL(SLOT_FREE, 0)), -1);
	assert_int_equal(FIXTURE_CATCH(v, seg_linear(v, S_SS, 0xffe, 4, false)), EXC_SS);
	assert_int_equal(FIXTURE_CATCH(v, seg_linear(v, S_SS, 0xffc, 4, false)), -1);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_data_load_sets_cache_and_accessed_bit),
		T(test_null_selector_in_ds_loads_unusable_segment),
		T(test_null_selector_in_ss_is_gp0),
		T(test_selector_beyond_gdt_limit_is_gp_selector),
		T(test_data_dpl_below_cpl_is_gp),
		T(test_rpl_above_dpl_is_gp),
		T(test_not_present_data_is_np),
		T(test_execute_only_code_in_ds_is_gp),
		T(test_readable_conforming_code_ignores_privilege),
		T(test_stack_segment_must_be_writable_at_cpl),
		T(test_ldt_selector_without_ldt_is_gp),
		T(test_expand_down_bounds),
		T(test_read_only_segment_has_no_write_bounds),
		T(test_flat_and_based_segment_kinds),
		T(test_seg_linear_limit_violation_through_ss_is_ss),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
