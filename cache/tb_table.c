/*
 * tb_table.c - allocating blocks and finding them again: a hash table keyed
 * on the guest-physical address of the code and the translation mode
 * (QEMU's tb_htable_lookup), and the search by host PC used to recover the
 * guest state at a host fault.
 */
#include <stdlib.h>

#include "cache/internal.h"

static uint32_t tb_hash(uint32_t phys_eip, uint32_t mode)
{
	uint32_t h = phys_eip * 0x9e3779b1u ^ mode * 0x85ebca6bu;

	return (h ^ (h >> 16)) & (TB_HASH_SIZE - 1);
}

struct tb *tb_alloc(struct tb_cache *c, uint32_t n_insns)
{
	struct tb *tb;

	if (c->n_tbs == c->max_tbs || c->insn_used + 3 * n_insns > c->insn_max)
		return NULL;
	tb = &c->tbs[c->n_tbs];
	*tb = (struct tb){ .phys_page = { TB_NO_PAGE, TB_NO_PAGE } };
	tb->insn_host_off = c->insn_data + c->insn_used;
	tb->insn_cold_off = tb->insn_host_off + n_insns;
	tb->insn_eip = tb->insn_cold_off + n_insns;
	return tb;
}

void tb_commit(struct tb_cache *c, struct tb *tb)
{
	uint32_t h = tb_hash(tb->phys_eip, tb->mode);

	/* tb_alloc handed out the next slot; now it is taken. */
	c->n_tbs++;
	c->insn_used += 3u * tb->n_insns;
	c->code_ptr = tb->code + tb->code_size;
	/* Keep the next block's code 16-byte aligned, like function entries. */
	c->code_ptr = (uint8_t *)(((uintptr_t)c->code_ptr + 15) & ~(uintptr_t)15);

	tb->hash_next = c->hash[h];
	c->hash[h] = tb;
	page_index_add(c, tb);
	c->stats.blocks++;
	c->stats.code_bytes += tb->code_size;
	c->stats.guest_bytes += tb->guest_size;
}

static bool tb_matches(const struct tb *tb, uint32_t eip, uint32_t cs_base, uint32_t cs_limit,
		       uint32_t mode, uint32_t phys_eip)
{
	return tb->phys_eip == phys_eip && tb->eip == eip && tb->cs_base == cs_base &&
	       tb->cs_limit == cs_limit && tb->mode == mode && !tb->invalid;
}

struct tb *tb_lookup(struct tb_cache *c, uint32_t eip, uint32_t cs_base, uint32_t cs_limit,
		     uint32_t mode, uint32_t phys_eip)
{
	struct tb *tb;

	c->stats.lookups++;
	for (tb = c->hash[tb_hash(phys_eip, mode)]; tb; tb = tb->hash_next)
		if (tb_matches(tb, eip, cs_base, cs_limit, mode, phys_eip))
			return tb;
	c->stats.lookup_misses++;
	return NULL;
}

void tb_hash_remove(struct tb_cache *c, struct tb *tb)
{
	struct tb **pp = &c->hash[tb_hash(tb->phys_eip, tb->mode)];

	for (; *pp; pp = &(*pp)->hash_next) {
		if (*pp == tb) {
			*pp = tb->hash_next;
			tb->hash_next = NULL;
			return;
		}
	}
}

struct tb *tb_find_by_host_pc(struct tb_cache *c, uintptr_t host_pc)
{
	size_t lo = 0, hi = c->n_tbs;

	/* Blocks are allocated at increasing code addresses: binary search. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		struct tb *tb = &c->tbs[mid];

		if (host_pc < (uintptr_t)tb->code)
			hi = mid;
		else if (host_pc >= (uintptr_t)tb->code + tb->code_size)
			lo = mid + 1;
		else
			return tb;
	}
	return NULL;
}
