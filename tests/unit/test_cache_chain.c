/*
 * test_cache_chain.c - chaining direct exits: tb_link() patches the exit's
 * rel32 to land on the destination's code and records the source in the
 * destination's incoming list; invalidation points every patched jump back
 * at its exit stub. The blocks' code really runs, so a wrong patch shows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cache/internal.h"

#define CODE_SIZE 22u

static struct jmp_cache jc;
static struct tb_cache *c;

static int setup(void **state)
{
	c = cache_create(1u << 20, 4096, &jc);
	return c ? 0 : -1;
}

static int teardown(void **state)
{
	cache_destroy(c);
	return 0;
}

static int reset_cache(void **state)
{
	cache_flush(c);
	return 0;
}

/*
 * A block of code "E9 rel32 -> stub; stub: mov eax, id; ret", twice (exits 0
 * and 1), on physical page @phys. Calling tb->code returns the id of the
 * block where the chain of exit-0 jumps ends.
 */
static struct tb *make_tb(uint32_t phys, uint32_t id)
{
	size_t room;
	uint8_t *code = cache_code_begin(c, &room);
	struct tb *tb = tb_alloc(c, 1);

	assert_non_null(tb);
	for (int n = 0; n < 2; n++) {
		uint8_t *p = code + 11 * n;

		p[0] = 0xe9;
		memset(p + 1, 0, 4);
		p[5] = 0xb8;
		memcpy(p + 6, &id, 4);
		p[10] = 0xc3;
		tb->jmp_site[n] = p + 1;
		tb->jmp_stub[n] = p + 5;
	}
	tb->eip = tb->phys_eip = phys;
	tb->phys_page[0] = phys & ~0xfffu;
	tb->n_insns = 1;
	tb->code = code;
	tb->code_size = CODE_SIZE;
	tb_commit(c, tb);
	return tb;
}

static uint32_t run(const struct tb *tb)
{
	return ((uint32_t(*)(void))(uintptr_t)tb->code)();
}

/* Where the rel32 at @site jumps to. */
static const uint8_t *jump_target(const uint8_t *site)
{
	int32_t rel;

	memcpy(&rel, site, 4);
	return site + 4 + rel;
}

static uintptr_t link_of(const struct tb *tb, int n)
{
	return (uintptr_t)tb | (uintptr_t)n;
}

/* Is (from | n) on @to's incoming list? */
static bool incoming_has(const struct tb *to, const struct tb *from, int n)
{
	for (uintptr_t l = to->jmp_incoming; l;) {
		const struct tb *t = (const struct tb *)(l & ~(uintptr_t)TB_EXIT_MASK);

		if (l == link_of(from, n))
			return true;
		l = t->jmp_next[l & 1];
	}
	return false;
}

static unsigned incoming_count(const struct tb *to)
{
	unsigned count = 0;

	for (uintptr_t l = to->jmp_incoming; l; count++) {
		const struct tb *t = (const struct tb *)(l & ~(uintptr_t)TB_EXIT_MASK);

		l = t->jmp_next[l & 1];
	}
	return count;
}

static void test_link_patches_jump_to_destination_code(void **state)
{
	struct tb *a = make_tb(0x1000, 1), *b = make_tb(0x2000, 2);
	uint64_t patches = cache_get_stats(c)->chain_patches;

	assert_ptr_equal(jump_target(a->jmp_site[0]), a->jmp_stub[0]);
	assert_int_equal(run(a), 1);
	tb_link(c, a, 0, b);
	assert_ptr_equal(jump_target(a->jmp_site[0]), b->code);
	assert_ptr_equal(a->jmp_dest[0], b);
	assert_int_equal(run(a), 2);				       /* a's exit 0 now enters b */
	assert_ptr_equal(jump_target(a->jmp_site[1]), a->jmp_stub[1]); /* exit 1 untouched */
	assert_int_equal(cache_get_stats(c)->chain_patches, patches + 1);
}

static void test_link_chain_of_three_runs_through(void **state)
{
	struct tb *a = make_tb(0x1000, 1), *b = make_tb(0x2000, 2), *d = make_tb(0x3000, 3);

	tb_link(c, b, 0, d);
	tb_link(c, a, 0, b);
	assert_int_equal(run(a), 3);
	assert_int_equal(run(b), 3);
}

static void test_link_records_incoming_with_slot(void **state)
{
	struct tb *a = make_tb(0x1000, 1), *b = make_tb(0x2000, 2), *d = make_tb(0x3000, 3);

	tb_link(c, a, 0, d);
	tb_link(c, b, 1, d);
	tb_link(c, a, 1, d);
	assert_int_equal(incoming_count(d), 3);
	assert_true(incoming_has(d, a, 0));
	assert_true(incoming_has(d, b, 1));
	assert_true(incoming_has(d, a, 1));
	assert_false(incoming_has(d, b, 0));
	assert_int_equal(a->jmp_incoming, 0);
	assert_ptr_equal(jump_target(b->jmp_site[1]), d->code);
}

static void test_link_twice_is_a_no_op(void **state)
{
	struct tb *a = make_tb(0x1000, 1), *b = make_tb(0x2000, 2), *d = make_tb(0x3000, 3);
	uint64_t patches;

	tb_link(c, a, 0, b);
	patches = cache_get_stats(c)->chain_patches;
	tb_link(c, a, 0, b);
	assert_int_equal(incoming_count(b), 1);
	/* An exit has one destination: a second one is refused. */
	tb_link(c, a, 0, d);
	assert_ptr_equal(a->jmp_dest[0], b);
	assert_int_equal(d->jmp_incoming, 0);
	assert_int_equal(run(a), 2);
	assert_int_equal(cache_get_stats(c)->chain_patches, patches);
}

static void test_link_without_site_or_with_invalid_block_is_refused(void **state)
{
	struct tb *a = make_tb(0x1000, 1), *b = make_tb(0x2000, 2), *d = make_tb(0x3000, 3);

	a->jmp_site[1] = NULL; /* the block has no exit 1 */
	tb_link(c, a, 1, b);
	assert_null(a->jmp_dest[1]);
	assert_int_equal(b->jmp_incoming, 0);
	tb_invalidate_page(c, 0x3000); /* d is invalid now */
	tb_link(c, a, 0, d);
	assert_null(a->jmp_dest[0]);
	assert_int_equal(run(a), 1);
	tb_link(c, d, 0, b);
	assert_null(d->jmp_dest[0]);
	assert_int_equal(b->jmp_incoming, 0);
}

static void test_invalidate_destination_restores_stubs(void **state)
{
	struct tb *a = make_tb(0x1000, 1), *b = make_tb(0x2000, 2), *d = make_tb(0x3000, 3);

	tb_link(c, a, 0, d);
	tb_link(c, b, 1, d);
	tb_link(c, b, 0, d);
	assert_int_equal(tb_invalidate_page(c, 0x3000), 1);
	assert_ptr_equal(jump_target(a->jmp_site[0]), a->jmp_stub[0]);
	assert_ptr_equal(jump_target(b->jmp_site[0]), b->jmp_stub[0]);
	assert_ptr_equal(jump_target(b->jmp_site[1]), b->jmp_stub[1]);
	assert_null(a->jmp_dest[0]);
	assert_null(b->jmp_dest[0]);
	assert_null(b->jmp_dest[1]);
	assert_int_equal(d->jmp_incoming, 0);
	assert_int_equal(run(a), 1);
	assert_int_equal(run(b), 2);
	/* The exits can be chained again, elsewhere. */
	tb_link(c, a, 0, b);
	assert_int_equal(run(a), 2);
}

static void test_invalidate_source_leaves_destination_list_consistent(void **state)
{
	struct tb *a = make_tb(0x1000, 1), *b = make_tb(0x2000, 2), *e = make_tb(0x4000, 4);
	struct tb *d = make_tb(0x3000, 3);

	/* d's list is e|0 -> b|0 -> a|0: drop the middle one. */
	tb_link(c, a, 0, d);
	tb_link(c, b, 0, d);
	tb_link(c, e, 0, d);
	assert_int_equal(tb_invalidate_page(c, 0x2000), 1);
	assert_int_equal(incoming_count(d), 2);
	assert_true(incoming_has(d, a, 0));
	assert_true(incoming_has(d, e, 0));
	assert_false(incoming_has(d, b, 0));
	assert_null(b->jmp_dest[0]);
	/* Dropping d now must not touch b's (dead) jump, only a's and e's. */
	assert_int_equal(tb_invalidate_page(c, 0x3000), 1);
	assert_int_equal(run(a), 1);
	assert_int_equal(run(e), 4);
}

static void test_invalidate_source_with_both_exits_chained(void **state)
{
	struct tb *a = make_tb(0x1000, 1), *b = make_tb(0x2000, 2), *d = make_tb(0x3000, 3);

	tb_link(c, b, 0, d);
	tb_link(c, a, 0, d);
	tb_link(c, b, 1, d);
	tb_invalidate_page(c, 0x2000);
	assert_int_equal(incoming_count(d), 1);
	assert_true(incoming_has(d, a, 0));
	assert_null(b->jmp_dest[0]);
	assert_null(b->jmp_dest[1]);
}

static void test_invalidate_head_of_incoming_list(void **state)
{
	struct tb *a = make_tb(0x1000, 1), *b = make_tb(0x2000, 2), *d = make_tb(0x3000, 3);

	tb_link(c, a, 0, d);
	tb_link(c, b, 0, d); /* head */
	tb_invalidate_page(c, 0x2000);
	assert_int_equal(incoming_count(d), 1);
	assert_true(incoming_has(d, a, 0));
	tb_invalidate_page(c, 0x1000);
	assert_int_equal(d->jmp_incoming, 0);
	assert_int_equal(run(d), 3);
}

static void test_self_loop_unlinks_on_invalidate(void **state)
{
	struct tb *a = make_tb(0x1000, 1);

	tb_link(c, a, 0, a);
	assert_ptr_equal(jump_target(a->jmp_site[0]), a->code);
	assert_true(incoming_has(a, a, 0));
	assert_int_equal(tb_invalidate_page(c, 0x1000), 1);
	assert_ptr_equal(jump_target(a->jmp_site[0]), a->jmp_stub[0]);
	assert_null(a->jmp_dest[0]);
	assert_int_equal(a->jmp_incoming, 0);
	assert_int_equal(run(a), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_link_patches_jump_to_destination_code, reset_cache),
	    cmocka_unit_test_setup(test_link_chain_of_three_runs_through, reset_cache),
	    cmocka_unit_test_setup(test_link_records_incoming_with_slot, reset_cache),
	    cmocka_unit_test_setup(test_link_twice_is_a_no_op, reset_cache),
	    cmocka_unit_test_setup(test_link_without_site_or_with_invalid_block_is_refused,
				   reset_cache),
	    cmocka_unit_test_setup(test_invalidate_destination_restores_stubs, reset_cache),
	    cmocka_unit_test_setup(test_invalidate_source_leaves_destination_list_consistent,
				   reset_cache),
	    cmocka_unit_test_setup(test_invalidate_source_with_both_exits_chained, reset_cache),
	    cmocka_unit_test_setup(test_invalidate_head_of_incoming_list, reset_cache),
	    cmocka_unit_test_setup(test_self_loop_unlinks_on_invalidate, reset_cache),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
