/*
 * test_cache_lookup.c - committing blocks and finding them again: the hash
 * lookup by (EIP, CS base, mode, physical EIP), the search by host PC, the
 * per-vCPU jump cache and its page runs, pool exhaustion and full flushes.
 * Blocks are hand-made: a little real code in the real executable arena.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cache/internal.h"

#define ARENA	  (1u << 20)
#define FIXED	  4096u
#define CODE_SIZE 22u

static struct jmp_cache jc;
static struct tb_cache *c;

static int setup(void **state)
{
	c = cache_create(ARENA, FIXED, &jc);
	return c ? 0 : -1;
}

static int teardown(void **state)
{
	cache_destroy(c);
	return 0;
}

/*
 * A block whose code is "jmp stub0; stub0: mov eax, id; ret" and the same
 * again for exit 1, so calling tb->code returns @id until exit 0 is chained.
 */
static struct tb *make_tb(uint32_t eip, uint32_t cs_base, uint32_t mode, uint32_t phys, uint32_t id)
{
	size_t room;
	uint8_t *code = cache_code_begin(c, &room);
	struct tb *tb = tb_alloc(c, 1);

	assert_non_null(tb);
	assert_true(room >= CODE_SIZE);
	for (int n = 0; n < 2; n++) {
		uint8_t *p = code + 11 * n;

		p[0] = 0xe9;
		memset(p + 1, 0, 4); /* rel32 0: to the stub right after */
		p[5] = 0xb8;
		memcpy(p + 6, &id, 4);
		p[10] = 0xc3;
		tb->jmp_site[n] = p + 1;
		tb->jmp_stub[n] = p + 5;
	}
	tb->eip = eip;
	tb->cs_base = cs_base;
	tb->mode = mode;
	tb->phys_eip = phys;
	tb->phys_page[0] = phys & ~0xfffu;
	tb->guest_size = 8;
	tb->n_insns = 1;
	tb->code = code;
	tb->code_size = CODE_SIZE;
	tb->insn_eip[0] = eip;
	tb_commit(c, tb);
	return tb;
}

static uint32_t run(const struct tb *tb)
{
	return ((uint32_t(*)(void))(uintptr_t)tb->code)();
}

/* ---- The hash lookup ---- */

static void test_lookup_exact_key_hits(void **state)
{
	struct tb *a = make_tb(0x1000, 0, 0x300, 0x5000, 1);
	struct tb *b = make_tb(0x2000, 0x10000, 0x300, 0x6000, 2);

	assert_ptr_equal(tb_lookup(c, 0x1000, 0, 0, 0x300, 0x5000), a);
	assert_ptr_equal(tb_lookup(c, 0x2000, 0x10000, 0, 0x300, 0x6000), b);
	assert_int_equal(run(a), 1);
	assert_int_equal(run(b), 2);
}

static void test_lookup_mode_mismatch_misses(void **state)
{
	make_tb(0x1000, 0, 0x300, 0x5000, 1);
	assert_null(tb_lookup(c, 0x1000, 0, 0, 0x303, 0x5000)); /* CPL 3 */
	assert_null(tb_lookup(c, 0x1000, 0, 0, 0x310, 0x5000)); /* single-step */
}

static void test_lookup_phys_mismatch_misses(void **state)
{
	make_tb(0x1000, 0, 0x300, 0x5000, 1);
	/* Same linear address, remapped to another frame: another block. */
	assert_null(tb_lookup(c, 0x1000, 0, 0, 0x300, 0x7000));
	assert_null(tb_lookup(c, 0x1000, 0, 0, 0x300, 0x5001));
}

static void test_lookup_eip_or_cs_base_mismatch_misses(void **state)
{
	make_tb(0x1000, 0x20000, 0x300, 0x21000, 1);
	/* Same linear and physical address, but another CS:EIP split. */
	assert_null(tb_lookup(c, 0x21000, 0, 0, 0x300, 0x21000));
	assert_null(tb_lookup(c, 0x1004, 0x20000, 0, 0x300, 0x21000));
	assert_null(tb_lookup(c, 0x1000, 0x20010, 0, 0x300, 0x21000));
}

static void test_lookup_same_address_two_modes_are_distinct(void **state)
{
	struct tb *kernel = make_tb(0x1000, 0, 0x000, 0x5000, 1);
	struct tb *user = make_tb(0x1000, 0, 0x003, 0x5000, 2);

	assert_ptr_equal(tb_lookup(c, 0x1000, 0, 0, 0x000, 0x5000), kernel);
	assert_ptr_equal(tb_lookup(c, 0x1000, 0, 0, 0x003, 0x5000), user);
}

static void test_lookup_many_blocks_all_found(void **state)
{
	struct tb *tbs[300];

	/* More blocks than fit one hash chain per bucket by chance. */
	for (uint32_t i = 0; i < 300; i++)
		tbs[i] = make_tb(0x1000 + 16 * i, 0, i % 3, 0x100000 + 16 * i, i);
	for (uint32_t i = 0; i < 300; i++)
		assert_ptr_equal(tb_lookup(c, 0x1000 + 16 * i, 0, 0, i % 3, 0x100000 + 16 * i),
				 tbs[i]);
}

/*
 * Thousands of blocks that differ only in mode (or only in physical
 * address) share hash buckets by chance: a lookup must still compare the
 * whole key, never settle for a bucket neighbour.
 */
static void test_lookup_bucket_neighbours_never_match(void **state)
{
	for (uint32_t m = 0; m < 4000; m += 2)
		make_tb(0x1000, 0, m, 0x5000, m);
	for (uint32_t m = 1; m < 4000; m += 2)
		if (tb_lookup(c, 0x1000, 0, 0, m, 0x5000))
			fail_msg("mode %#x found a block of another mode", m);
	for (uint32_t m = 0; m < 4000; m += 2)
		assert_int_equal(tb_lookup(c, 0x1000, 0, 0, m, 0x5000)->mode, m);
	cache_flush(c);
	for (uint32_t p = 0; p < 4000; p += 2)
		make_tb(0x1000, 0, 0, 0x100000 + 16 * p, p);
	for (uint32_t p = 1; p < 4000; p += 2)
		if (tb_lookup(c, 0x1000, 0, 0, 0, 0x100000 + 16 * p))
			fail_msg("phys %#x found a block of another address", 0x100000 + 16 * p);
}

static void test_lookup_counts_lookups_and_misses(void **state)
{
	const struct cache_stats *s = cache_get_stats(c);
	uint64_t lookups = s->lookups, misses = s->lookup_misses, blocks = s->blocks;

	make_tb(0x1000, 0, 0, 0x5000, 1);
	assert_int_equal(s->blocks, blocks + 1);
	tb_lookup(c, 0x1000, 0, 0, 0, 0x5000);
	tb_lookup(c, 0x1000, 0, 0, 1, 0x5000);
	assert_int_equal(s->lookups, lookups + 2);
	assert_int_equal(s->lookup_misses, misses + 1);
}

/* ---- Arena and pools ---- */

static void test_commit_keeps_code_16_aligned_after_fixed_region(void **state)
{
	size_t room;
	uint8_t *first = cache_code_begin(c, &room);
	size_t fixed_size;
	uint8_t *fixed = cache_fixed_region(c, &fixed_size);
	struct tb *a, *b;

	assert_int_equal(fixed_size, FIXED);
	assert_ptr_equal(first, fixed + FIXED);
	assert_int_equal(room, ARENA - FIXED);
	a = make_tb(0x1000, 0, 0, 0x5000, 1);
	b = make_tb(0x2000, 0, 0, 0x6000, 2);
	assert_ptr_equal(a->code, first);
	assert_true(b->code >= a->code + a->code_size);
	assert_int_equal((uintptr_t)b->code % 16, 0);
	assert_true(b->code - (a->code + a->code_size) < 16);
}

static void test_alloc_fails_when_pool_full_until_flush(void **state)
{
	struct jmp_cache small_jc;
	struct tb_cache *saved = c;
	size_t n = 0;

	c = cache_create(64 * 1024, FIXED, &small_jc);
	assert_non_null(c);
	while (tb_alloc(c, 1)) {
		make_tb(0x1000 + 16 * (uint32_t)n, 0, 0, 0x5000 + 16 * (uint32_t)n, 0);
		n++;
	}
	assert_int_equal(n, c->max_tbs);
	cache_flush(c);
	assert_non_null(tb_alloc(c, 1));
	cache_destroy(c);
	c = saved;
}

/* ---- Search by host PC ---- */

static void test_find_by_host_pc_inside_and_outside(void **state)
{
	struct tb *tbs[20];
	size_t fixed_size;

	for (uint32_t i = 0; i < 20; i++)
		tbs[i] = make_tb(0x1000 + 0x40 * i, 0, 0, 0x5000 + 0x40 * i, i);
	for (uint32_t i = 0; i < 20; i++) {
		uintptr_t start = (uintptr_t)tbs[i]->code;

		assert_ptr_equal(tb_find_by_host_pc(c, start), tbs[i]);
		assert_ptr_equal(tb_find_by_host_pc(c, start + 7), tbs[i]);
		assert_ptr_equal(tb_find_by_host_pc(c, start + CODE_SIZE - 1), tbs[i]);
		/* The alignment gap after a block belongs to no block. */
		assert_null(tb_find_by_host_pc(c, start + CODE_SIZE));
	}
	assert_null(tb_find_by_host_pc(c, (uintptr_t)cache_fixed_region(c, &fixed_size)));
	assert_null(tb_find_by_host_pc(c, (uintptr_t)tbs[0]->code - 1));
	assert_null(tb_find_by_host_pc(c, (uintptr_t)tbs[19]->code + 4096));
	assert_null(tb_find_by_host_pc(c, 0));
}

static void test_find_by_host_pc_in_empty_cache_is_null(void **state)
{
	size_t room;

	assert_null(tb_find_by_host_pc(c, (uintptr_t)cache_code_begin(c, &room)));
}

/* ---- The jump cache ---- */

static void test_jc_hash_keeps_a_page_in_one_run(void **state)
{
	const uint32_t run_len = 1u << JC_ADDR_BITS;

	assert_int_equal(run_len, 128);
	for (uint32_t page = 0; page < 0x200; page++) {
		uint32_t base = page << 12;
		uint32_t first = jc_hash(base) & ~(run_len - 1);

		for (uint32_t off = 0; off < 4096; off++) {
			uint32_t h = jc_hash(base + off);

			if (h >= JC_SIZE || (h & ~(run_len - 1)) != first)
				fail_msg("eip %#x hashes to %#x, outside run %#x", base + off, h,
					 first);
		}
	}
	/* Neighbouring pages use different runs. */
	assert_int_not_equal(jc_hash(0x1000) / run_len, jc_hash(0x2000) / run_len);
}

static void test_jc_insert_and_remove(void **state)
{
	struct tb *a = make_tb(0x1234, 0, 5, 0x5234, 1);
	struct tb *b = make_tb(0x1234, 0, 6, 0x6234, 2); /* same slot, other mode */
	struct jc_entry *e = &jc.entry[jc_hash(0x1234)];

	jc_insert(&jc, a);
	assert_true(e->key == jc_key(5, 0x1234));
	assert_ptr_equal(e->code, a->code);
	jc_remove(&jc, b); /* not the cached one: no change */
	assert_ptr_equal(e->code, a->code);
	jc_insert(&jc, b); /* direct-mapped: replaces a */
	assert_true(e->key == jc_key(6, 0x1234));
	jc_remove(&jc, b);
	assert_true(e->key == JC_EMPTY_KEY);
	assert_null(e->code);
}

static void test_jc_clear_page_drops_only_that_page(void **state)
{
	struct tb *a = make_tb(0x3010, 0, 0, 0x5010, 1);
	struct tb *a2 = make_tb(0x3ff0, 0, 0, 0x5ff0, 2);
	struct tb *b = make_tb(0x4010, 0, 0, 0x6010, 3);

	jc_insert(&jc, a);
	jc_insert(&jc, a2);
	jc_insert(&jc, b);
	jc_clear_page(&jc, 0x3abc);
	assert_true(jc.entry[jc_hash(0x3010)].key == JC_EMPTY_KEY);
	assert_true(jc.entry[jc_hash(0x3ff0)].key == JC_EMPTY_KEY);
	assert_ptr_equal(jc.entry[jc_hash(0x4010)].code, b->code);
	jc_clear(&jc);
	for (uint32_t i = 0; i < JC_SIZE; i++)
		assert_true(jc.entry[i].key == JC_EMPTY_KEY && !jc.entry[i].code);
}

/* A CR3 load with CR4.PGE keeps the entries of blocks from global pages,
 * also when their slot once held the other kind. */
static void test_jc_clear_nonglobal_keeps_global_blocks(void **state)
{
	struct tb *kernel = make_tb(0xc0001010, 0, 0, 0x1010, 1);
	struct tb *user = make_tb(0x08049010, 0, 0, 0x5010, 2);
	struct tb *user2 = make_tb(0x0804a020, 0, 0, 0x6020, 3);
	struct tb *kernel2 = make_tb(0xc0002030, 0, 0, 0x2030, 4);

	kernel->global = kernel2->global = true;
	jc_insert(&jc, kernel);
	jc_insert(&jc, user);
	jc_clear_nonglobal(&jc);
	assert_true(jc.entry[jc_hash(kernel->eip)].key == jc_key(0, kernel->eip));
	assert_int_equal((uintptr_t)jc.entry[jc_hash(kernel->eip)].code,
			 (uintptr_t)kernel->code | JC_GLOBAL);
	assert_true(jc.entry[jc_hash(user->eip)].key == JC_EMPTY_KEY);
	/* A global block's slot refilled with a user block, and back. */
	jc_insert(&jc, user2);
	jc_insert(&jc, kernel2);
	user2->eip = kernel->eip; /* same slot as the kernel block */
	jc_insert(&jc, user2);
	jc_clear_nonglobal(&jc);
	assert_true(jc.entry[jc_hash(kernel->eip)].key == JC_EMPTY_KEY);
	assert_true(jc.entry[jc_hash(kernel2->eip)].key == jc_key(0, kernel2->eip));
	/* Many blocks: each survives or not by its kind alone. */
	for (uint32_t k = 0; k < 3000; k++) {
		struct tb t = *kernel;

		t.eip = 0xc1000000 + 0x40 * k;
		t.global = k & 1;
		jc_insert(&jc, &t);
	}
	jc_clear_nonglobal(&jc);
	for (uint32_t i = 0; i < JC_SIZE; i++) {
		const struct jc_entry *e = &jc.entry[i];

		assert_true(e->key == JC_EMPTY_KEY || ((uintptr_t)e->code & JC_GLOBAL));
	}
	jc_clear(&jc);
	for (uint32_t i = 0; i < JC_SIZE; i++)
		assert_true(jc.entry[i].key == JC_EMPTY_KEY);
}

/* ---- Full flush ---- */

static void test_flush_empties_everything_but_fixed_region(void **state)
{
	size_t room, fixed_size;
	uint8_t *fixed = cache_fixed_region(c, &fixed_size);
	uint8_t *first = cache_code_begin(c, &room);
	uint64_t flushes = cache_get_stats(c)->flushes;
	struct tb *a, *b;

	memset(fixed, 0x5a, fixed_size);
	a = make_tb(0x1000, 0, 0, 0x5000, 1);
	b = make_tb(0x2000, 0, 0, 0x6000, 2);
	jc_insert(&jc, a);
	tb_link(c, a, 0, b);
	cache_flush(c);
	assert_null(tb_lookup(c, 0x1000, 0, 0, 0, 0x5000));
	assert_null(tb_lookup(c, 0x2000, 0, 0, 0, 0x6000));
	assert_null(tb_find_by_host_pc(c, (uintptr_t)first));
	assert_false(tb_page_has_code(c, 0x5000));
	assert_false(tb_page_has_code(c, 0x6000));
	assert_true(jc.entry[jc_hash(0x1000)].key == JC_EMPTY_KEY);
	assert_ptr_equal(cache_code_begin(c, &room), first);
	assert_int_equal(room, ARENA - FIXED);
	assert_int_equal(cache_get_stats(c)->flushes, flushes + 1);
	for (size_t i = 0; i < fixed_size; i++)
		assert_int_equal(fixed[i], 0x5a);
	/* The cache works again from a clean state. */
	a = make_tb(0x1000, 0, 0, 0x5000, 7);
	assert_ptr_equal(tb_lookup(c, 0x1000, 0, 0, 0, 0x5000), a);
	assert_int_equal(run(a), 7);
}

static int reset_cache(void **state)
{
	cache_flush(c);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_lookup_exact_key_hits, reset_cache),
	    cmocka_unit_test_setup(test_lookup_mode_mismatch_misses, reset_cache),
	    cmocka_unit_test_setup(test_lookup_phys_mismatch_misses, reset_cache),
	    cmocka_unit_test_setup(test_lookup_eip_or_cs_base_mismatch_misses, reset_cache),
	    cmocka_unit_test_setup(test_lookup_same_address_two_modes_are_distinct, reset_cache),
	    cmocka_unit_test_setup(test_lookup_many_blocks_all_found, reset_cache),
	    cmocka_unit_test_setup(test_lookup_bucket_neighbours_never_match, reset_cache),
	    cmocka_unit_test_setup(test_lookup_counts_lookups_and_misses, reset_cache),
	    cmocka_unit_test_setup(test_commit_keeps_code_16_aligned_after_fixed_region,
				   reset_cache),
	    cmocka_unit_test_setup(test_alloc_fails_when_pool_full_until_flush, reset_cache),
	    cmocka_unit_test_setup(test_find_by_host_pc_inside_and_outside, reset_cache),
	    cmocka_unit_test_setup(test_find_by_host_pc_in_empty_cache_is_null, reset_cache),
	    cmocka_unit_test_setup(test_jc_hash_keeps_a_page_in_one_run, reset_cache),
	    cmocka_unit_test_setup(test_jc_insert_and_remove, reset_cache),
	    cmocka_unit_test_setup(test_jc_clear_page_drops_only_that_page, reset_cache),
	    cmocka_unit_test_setup(test_jc_clear_nonglobal_keeps_global_blocks, reset_cache),
	    cmocka_unit_test_setup(test_flush_empties_everything_but_fixed_region, reset_cache),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
