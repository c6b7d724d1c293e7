/*
 * test_cache_invalidate.c - a write to a guest-physical page drops exactly
 * the blocks with code there (QEMU's PageDesc.first_tb): blocks spanning two
 * pages are on both pages' lists, invalidated blocks leave the hash table,
 * the jump cache and every chain, and the others stay as they were.
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
 * A block at EIP = physical address @phys (paging off), whose guest code
 * continues into the next page when @spans. Its host code is "E9 rel32 ->
 * stub; stub: mov eax, id; ret" for exits 0 and 1.
 */
static struct tb *make_tb(uint32_t phys, bool spans, uint32_t id)
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
	tb->phys_page[1] = spans ? (phys & ~0xfffu) + 0x1000 : TB_NO_PAGE;
	tb->guest_size = spans ? 0x1000 - (phys & 0xfff) + 4 : 8;
	tb->n_insns = 1;
	tb->code = code;
	tb->code_size = CODE_SIZE;
	tb_commit(c, tb);
	jc_insert(&jc, tb);
	return tb;
}

static uint32_t run(const struct tb *tb)
{
	return ((uint32_t(*)(void))(uintptr_t)tb->code)();
}

static bool findable(const struct tb *tb)
{
	return tb_lookup(c, tb->eip, 0, 0, 0, tb->phys_eip) == tb;
}

static bool in_jump_cache(const struct tb *tb)
{
	const struct jc_entry *e = &jc.entry[jc_hash(tb->eip)];

	return e->key == jc_key(tb->mode, tb->eip) && e->code == tb->code;
}

static const uint8_t *jump_target(const uint8_t *site)
{
	int32_t rel;

	memcpy(&rel, site, 4);
	return site + 4 + rel;
}

static void test_invalidate_page_drops_exactly_its_blocks(void **state)
{
	struct tb *a = make_tb(0x10010, false, 1);
	struct tb *b = make_tb(0x10800, false, 2);
	struct tb *other = make_tb(0x11010, false, 3);
	struct tb *below = make_tb(0x0fff0, false, 4);
	uint64_t inv = cache_get_stats(c)->invalidations;

	/* Any address in the page names it. */
	assert_int_equal(tb_invalidate_page(c, 0x10abc), 2);
	assert_true(a->invalid && b->invalid);
	assert_false(other->invalid || below->invalid);
	assert_false(findable(a) || findable(b));
	assert_true(findable(other) && findable(below));
	assert_false(tb_page_has_code(c, 0x10000));
	assert_true(tb_page_has_code(c, 0x11000));
	assert_int_equal(cache_get_stats(c)->invalidations, inv + 2);
	/* Nothing is left to drop there. */
	assert_int_equal(tb_invalidate_page(c, 0x10000), 0);
}

static void test_invalidate_empty_page_returns_zero(void **state)
{
	make_tb(0x20000, false, 1);
	assert_false(tb_page_has_code(c, 0x30000));
	assert_int_equal(tb_invalidate_page(c, 0x30000), 0);
	assert_true(tb_page_has_code(c, 0x20000));
}

static void test_spanning_block_is_on_both_pages(void **state)
{
	struct tb *first = make_tb(0x40100, false, 1);
	struct tb *span = make_tb(0x40ffc, true, 2); /* 0x40000 and 0x41000 */
	struct tb *second = make_tb(0x41100, false, 3);

	assert_true(tb_page_has_code(c, 0x41000));
	/* A write to the second page drops the spanning block too. */
	assert_int_equal(tb_invalidate_page(c, 0x41000), 2);
	assert_true(span->invalid && second->invalid);
	assert_false(first->invalid);
	/* ... and takes it off the first page's list as well. */
	assert_int_equal(tb_invalidate_page(c, 0x40000), 1);
	assert_true(first->invalid);
	assert_false(tb_page_has_code(c, 0x40000));
}

static void test_spanning_block_dropped_from_first_page(void **state)
{
	struct tb *span = make_tb(0x40ff0, true, 1);
	struct tb *second = make_tb(0x41100, false, 2);

	assert_int_equal(tb_invalidate_page(c, 0x40000), 1);
	assert_true(span->invalid);
	assert_false(findable(span));
	/* The second page still has its own block, and only that one. */
	assert_true(tb_page_has_code(c, 0x41000));
	assert_int_equal(tb_invalidate_page(c, 0x41000), 1);
	assert_true(second->invalid);
}

static void test_invalidate_removes_from_jump_cache_only_its_blocks(void **state)
{
	struct tb *a = make_tb(0x50010, false, 1);
	struct tb *b = make_tb(0x51010, false, 2);

	assert_true(in_jump_cache(a) && in_jump_cache(b));
	tb_invalidate_page(c, 0x50000);
	assert_false(in_jump_cache(a));
	assert_true(jc.entry[jc_hash(a->eip)].key == JC_EMPTY_KEY);
	assert_true(in_jump_cache(b));
}

static void test_invalidate_unlinks_incoming_and_outgoing(void **state)
{
	struct tb *from = make_tb(0x60000, false, 1);
	struct tb *victim = make_tb(0x61000, false, 2);
	struct tb *to = make_tb(0x62000, false, 3);

	tb_link(c, from, 0, victim);
	tb_link(c, victim, 1, to);
	tb_link(c, victim, 0, to);
	assert_int_equal(run(from), 3);
	tb_invalidate_page(c, 0x61000);
	/* Incoming: the jump into the victim goes back to its stub. */
	assert_ptr_equal(jump_target(from->jmp_site[0]), from->jmp_stub[0]);
	assert_null(from->jmp_dest[0]);
	assert_int_equal(run(from), 1);
	/* Outgoing: the destination no longer lists the victim. */
	assert_int_equal(to->jmp_incoming, 0);
	assert_null(victim->jmp_dest[0]);
	assert_null(victim->jmp_dest[1]);
	assert_false(to->invalid);
	assert_true(findable(to));
}

static void test_invalidated_block_can_be_translated_again(void **state)
{
	struct tb *old = make_tb(0x70000, false, 1), *fresh;

	tb_invalidate_page(c, 0x70000);
	fresh = make_tb(0x70000, false, 2);
	assert_ptr_equal(tb_lookup(c, 0x70000, 0, 0, 0, 0x70000), fresh);
	assert_true(tb_page_has_code(c, 0x70000));
	/* The old code stays where it was until a flush (it may be running). */
	assert_ptr_equal(tb_find_by_host_pc(c, (uintptr_t)old->code), old);
	assert_int_equal(run(old), 1);
	assert_int_equal(tb_invalidate_page(c, 0x70000), 1);
}

static void test_invalidate_many_blocks_on_one_page(void **state)
{
	struct tb *tbs[100];

	for (uint32_t i = 0; i < 100; i++)
		tbs[i] = make_tb(0x80000 + 32 * i, false, i);
	make_tb(0x81000, false, 1000);
	assert_int_equal(tb_invalidate_page(c, 0x80000), 100);
	for (uint32_t i = 0; i < 100; i++)
		assert_true(tbs[i]->invalid && !findable(tbs[i]));
	assert_true(tb_page_has_code(c, 0x81000));
}

static void test_high_physical_page(void **state)
{
	struct tb *top = make_tb(0xfffff000u, false, 1);

	assert_true(tb_page_has_code(c, 0xfffff800u));
	assert_int_equal(tb_invalidate_page(c, 0xfffff000u), 1);
	assert_true(top->invalid);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_invalidate_page_drops_exactly_its_blocks, reset_cache),
	    cmocka_unit_test_setup(test_invalidate_empty_page_returns_zero, reset_cache),
	    cmocka_unit_test_setup(test_spanning_block_is_on_both_pages, reset_cache),
	    cmocka_unit_test_setup(test_spanning_block_dropped_from_first_page, reset_cache),
	    cmocka_unit_test_setup(test_invalidate_removes_from_jump_cache_only_its_blocks,
				   reset_cache),
	    cmocka_unit_test_setup(test_invalidate_unlinks_incoming_and_outgoing, reset_cache),
	    cmocka_unit_test_setup(test_invalidated_block_can_be_translated_again, reset_cache),
	    cmocka_unit_test_setup(test_invalidate_many_blocks_on_one_page, reset_cache),
	    cmocka_unit_test_setup(test_high_physical_page, reset_cache),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
