/*
 * test_translator_flags.c - flags_liveness() over hand-built blocks: which
 * arithmetic flags are still needed after each instruction, so that code
 * the translator inserts knows when it must preserve the guest's flags.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "translator/internal.h"

static struct xlat *x;
static struct block *b;

static int setup(void **state)
{
	x = calloc(1, sizeof(*x));
	if (!x || cs_open(CS_ARCH_X86, CS_MODE_32, &x->cs32) != CS_ERR_OK ||
	    cs_open(CS_ARCH_X86, CS_MODE_16, &x->cs16) != CS_ERR_OK)
		return -1;
	cs_option(x->cs32, CS_OPT_DETAIL, CS_OPT_ON);
	cs_option(x->cs16, CS_OPT_DETAIL, CS_OPT_ON);
	for (unsigned i = 0; i < MAX_BLOCK_INSNS; i++)
		if (!(x->cs_insn[i] = cs_malloc(x->cs32)))
			return -1;
	b = &x->block;
	return 0;
}

static int teardown(void **state)
{
	for (unsigned i = 0; i < MAX_BLOCK_INSNS; i++)
		cs_free(x->cs_insn[i], 1);
	cs_close(&x->cs32);
	cs_close(&x->cs16);
	free(x);
	return 0;
}

/*
 * Decode @n bytes of 32-bit code into the block, one instruction after the
 * other, as the translator loop does, then run the liveness pass.
 */
static void build(const uint8_t *code, unsigned n, unsigned want_insns)
{
	unsigned pos = 0;

	memset(b->live_out, 0xee, sizeof(b->live_out));
	for (b->n_insns = 0; pos < n; b->n_insns++) {
		struct insn *in = &b->insns[b->n_insns];

		assert_true(
		    decode_insn(x, x->cs_insn[b->n_insns], code + pos, n - pos, pos, 0, in));
		pos += in->len;
	}
	assert_int_equal(pos, n);
	assert_int_equal(b->n_insns, want_insns);
	flags_liveness(b);
}
#define BUILD(count, ...)                                                                          \
	build((const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}), count)

static void test_liveness_block_end_makes_all_live(void **state)
{
	BUILD(1, 0x89, 0xd8); /* mov eax, ebx */
	assert_int_equal(b->live_out[0], FL_ALL);
	assert_int_equal(live_in(b, 0), FL_ALL);
}

static void test_liveness_cmp_keeps_zf_across_store(void **state)
{
	/* cmp eax, ebx ; mov [ecx], edx ; sete al ; add eax, 1 */
	BUILD(4, 0x39, 0xd8, 0x89, 0x11, 0x0f, 0x94, 0xc0, 0x83, 0xc0, 0x01);
	assert_int_equal(b->live_out[3], FL_ALL); /* block end */
	assert_int_equal(b->live_out[2], 0);	  /* add overwrites everything */
	assert_int_equal(b->live_out[1], FL_ZF);  /* the store must keep ZF */
	assert_int_equal(b->live_out[0], FL_ZF);
	assert_int_equal(live_in(b, 0), 0); /* cmp defines all of them */
}

static void test_liveness_cmp_mov_jne_keeps_zf(void **state)
{
	/* cmp eax, ebx ; mov [ecx], edx ; jne +0x10 */
	BUILD(3, 0x39, 0xd8, 0x89, 0x11, 0x75, 0x10);
	assert_true(b->live_out[1] & FL_ZF);
	assert_true(b->live_out[0] & FL_ZF);
	assert_int_equal(live_in(b, 0), 0);
}

static void test_liveness_add_then_sub_kills_all(void **state)
{
	/* add eax, ebx ; sub ecx, edx */
	BUILD(2, 0x01, 0xd8, 0x29, 0xd1);
	assert_int_equal(b->live_out[0], 0);
	assert_int_equal(live_in(b, 0), 0);
	assert_int_equal(live_in(b, 1), 0);
}

static void test_liveness_adc_makes_cf_live_in(void **state)
{
	/* adc eax, ebx ; sub ecx, edx */
	BUILD(2, 0x11, 0xd8, 0x29, 0xd1);
	assert_int_equal(live_in(b, 0), FL_CF);
	assert_int_equal(b->live_out[0], 0);
	/* add ; adc: the add's CF is live, nothing before it is */
	BUILD(3, 0x01, 0xd8, 0x11, 0xd1, 0x29, 0xd1);
	assert_int_equal(b->live_out[0], FL_CF);
	assert_int_equal(live_in(b, 0), 0);
}

static void test_liveness_variable_shift_passes_flags_through(void **state)
{
	/* cmp eax, ebx ; shl eax, cl ; setb al ; xor ecx, ecx */
	BUILD(4, 0x39, 0xd8, 0xd3, 0xe0, 0x0f, 0x92, 0xc0, 0x31, 0xc9);
	assert_int_equal(b->live_out[2], 0);
	assert_int_equal(b->live_out[1], FL_CF);
	/* CL may be 0: the cmp's CF can reach the setb. */
	assert_true(b->live_out[0] & FL_CF);
	/* The same with shl eax, 1: the shift defines CF, the cmp's is dead. */
	BUILD(4, 0x39, 0xd8, 0xd1, 0xe0, 0x0f, 0x92, 0xc0, 0x31, 0xc9);
	assert_int_equal(b->live_out[1], FL_CF);
	assert_int_equal(b->live_out[0], 0);
}

static void test_liveness_inc_keeps_cf_live(void **state)
{
	/* stc ; inc eax ; setc al ; xor ecx, ecx */
	BUILD(4, 0xf9, 0x40, 0x0f, 0x92, 0xc0, 0x31, 0xc9);
	assert_int_equal(b->live_out[1], FL_CF);
	assert_int_equal(b->live_out[0], FL_CF); /* INC does not write CF */
	assert_int_equal(live_in(b, 0), 0);	 /* STC does */
}

static void test_liveness_lahf_needs_five_flags(void **state)
{
	/* add eax, ebx ; lahf ; xor ecx, ecx */
	BUILD(3, 0x01, 0xd8, 0x9f, 0x31, 0xc9);
	assert_int_equal(b->live_out[0], FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF);
}

static void test_liveness_jcc_mid_block_reads_its_flags(void **state)
{
	/* test eax, eax ; mov ebx, ecx ; cmovl edx, esi ; or eax, 1 */
	BUILD(4, 0x85, 0xc0, 0x89, 0xcb, 0x0f, 0x4c, 0xd6, 0x83, 0xc8, 0x01);
	assert_int_equal(b->live_out[2], 0);
	assert_int_equal(b->live_out[1], FL_SF | FL_OF);
	assert_int_equal(b->live_out[0], FL_SF | FL_OF);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_liveness_block_end_makes_all_live),
	    cmocka_unit_test(test_liveness_cmp_keeps_zf_across_store),
	    cmocka_unit_test(test_liveness_cmp_mov_jne_keeps_zf),
	    cmocka_unit_test(test_liveness_add_then_sub_kills_all),
	    cmocka_unit_test(test_liveness_adc_makes_cf_live_in),
	    cmocka_unit_test(test_liveness_variable_shift_passes_flags_through),
	    cmocka_unit_test(test_liveness_inc_keeps_cf_live),
	    cmocka_unit_test(test_liveness_lahf_needs_five_flags),
	    cmocka_unit_test(test_liveness_jcc_mid_block_reads_its_flags),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
