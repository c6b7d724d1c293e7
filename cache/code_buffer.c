/*
 * code_buffer.c - the executable arena translated code lives in: one
 * read-write-execute mapping, bump-allocated, reset as a whole on flush
 * (QEMU's code_gen_buffer). Only the first, fixed part (the translator's
 * shared thunks) survives a flush.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "cache/internal.h"

/* Blocks average a few hundred bytes of code; size the pools to match. */
#define AVG_TB_CODE 256
#define AVG_TB_INSNS 8

static int arena_map(struct tb_cache *c, size_t arena_bytes)
{
	void *p = mmap(NULL, arena_bytes, PROT_READ | PROT_WRITE | PROT_EXEC,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return -1;
	c->arena = p;
	c->arena_size = arena_bytes;
	return 0;
}

static int pools_alloc(struct tb_cache *c)
{
	c->max_tbs = c->arena_size / AVG_TB_CODE;
	c->tbs = calloc(c->max_tbs, sizeof(*c->tbs));
	c->insn_max = c->max_tbs * AVG_TB_INSNS * 3;
	c->insn_data = calloc(c->insn_max, sizeof(*c->insn_data));
	c->page_first = calloc(MAX_PHYS_PAGES, sizeof(*c->page_first));
	c->max_touched = 2 * c->max_tbs; /* a block is on at most two pages */
	c->touched = calloc(c->max_touched, sizeof(*c->touched));
	return c->tbs && c->insn_data && c->page_first && c->touched ? 0 : -1;
}

struct tb_cache *cache_create(size_t arena_bytes, size_t fixed_bytes, struct jmp_cache *jc)
{
	struct tb_cache *c = calloc(1, sizeof(*c));

	if (!c || fixed_bytes >= arena_bytes)
		goto fail;
	if (arena_map(c, arena_bytes) < 0)
		goto fail;
	if (pools_alloc(c) < 0)
		goto fail;
	c->fixed = fixed_bytes;
	c->code_ptr = c->arena + fixed_bytes;
	c->jc = jc;
	jc_init(jc);
	return c;
fail:
	cache_destroy(c);
	return NULL;
}

void cache_destroy(struct tb_cache *c)
{
	if (!c)
		return;
	if (c->arena)
		munmap(c->arena, c->arena_size);
	free(c->tbs);
	free(c->insn_data);
	free(c->page_first);
	free(c->touched);
	free(c);
}

uint8_t *cache_fixed_region(struct tb_cache *c, size_t *size)
{
	*size = c->fixed;
	return c->arena;
}

uint8_t *cache_code_begin(struct tb_cache *c, size_t *room)
{
	*room = (size_t)(c->arena + c->arena_size - c->code_ptr);
	return c->code_ptr;
}

void cache_flush(struct tb_cache *c)
{
	memset(c->hash, 0, sizeof(c->hash));
	/* Clear only the pages that had blocks: the index covers 4 GB. */
	for (size_t i = 0; i < c->n_touched; i++)
		c->page_first[c->touched[i]] = 0;
	c->n_touched = 0;
	memset(c->tbs, 0, c->n_tbs * sizeof(*c->tbs));
	c->n_tbs = 0;
	c->insn_used = 0;
	c->code_ptr = c->arena + c->fixed;
	jc_clear(c->jc);
	c->stats.flushes++;
}

const struct cache_stats *cache_get_stats(struct tb_cache *c)
{
	return &c->stats;
}
