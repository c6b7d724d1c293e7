/*
 * internal.h - the translation cache's private state, shared by the files of
 * cache/ only.
 */
#ifndef BTVMM_CACHE_INTERNAL_H
#define BTVMM_CACHE_INTERNAL_H

#include "cache/cache.h"

#define TB_HASH_BITS 16
#define TB_HASH_SIZE (1u << TB_HASH_BITS)
#define MAX_PHYS_PAGES (1u << 20) /* 4 GB of guest-physical space */

struct tb_cache {
	/* The executable arena: [arena, arena + fixed) holds the translator's
	 * thunks and survives flushes; blocks are bump-allocated after it. */
	uint8_t *arena;
	size_t arena_size;
	size_t fixed;
	uint8_t *code_ptr;

	/* Blocks, in allocation (and so code address) order. */
	struct tb *tbs;
	size_t n_tbs, max_tbs;
	/* Recovery data (insn_host_off/insn_eip), bump-allocated. */
	uint32_t *insn_data;
	size_t insn_used, insn_max;

	struct tb *hash[TB_HASH_SIZE];
	uintptr_t *page_first; /* per physical page: first (tb | k), or 0 */
	uint32_t *touched;     /* pages whose page_first was set since the flush */
	size_t n_touched, max_touched;
	struct jmp_cache *jc;

	struct cache_stats stats;
};

/* chain.c */
void tb_unlink_incoming(struct tb *tb);
void tb_unlink_outgoing(struct tb *tb);

/* page_index.c */
void page_index_add(struct tb_cache *c, struct tb *tb);
void page_index_remove(struct tb_cache *c, struct tb *tb);

/* tb_table.c */
void tb_hash_remove(struct tb_cache *c, struct tb *tb);

#endif /* BTVMM_CACHE_INTERNAL_H */
