/*
 * jmp_cache.c - the direct-mapped cache indirect branches probe inline from
 * translated code (QEMU's tb_jmp_cache). An entry maps (mode, EIP) to host
 * code; an empty entry has a key no probe can produce.
 */
#include "cache/internal.h"

static void entry_clear(struct jc_entry *e)
{
	e->key = JC_EMPTY_KEY;
	e->code = NULL;
}

void jc_init(struct jmp_cache *jc)
{
	jc->used_count = JC_USED_MAX + 1;
	jc_clear(jc);
}

void jc_clear(struct jmp_cache *jc)
{
	if (jc->used_count > JC_USED_MAX) {
		for (uint32_t i = 0; i < JC_SIZE; i++)
			entry_clear(&jc->entry[i]);
	} else {
		for (uint32_t k = 0; k < jc->used_count; k++)
			entry_clear(&jc->entry[jc->used[k]]);
	}
	jc->used_count = 0;
}

void jc_insert(struct jmp_cache *jc, const struct tb *tb)
{
	uint32_t i = jc_hash(tb->eip);
	struct jc_entry *e = &jc->entry[i];

	/* An empty entry is not listed yet (a filled one was listed when it
	 * was filled, and entries only empty out between clears, where a
	 * second listing just clears twice). */
	if (e->key == JC_EMPTY_KEY && jc->used_count <= JC_USED_MAX) {
		if (jc->used_count < JC_USED_MAX)
			jc->used[jc->used_count] = (uint16_t)i;
		jc->used_count++;
	}
	e->key = jc_key(tb->mode, tb->eip);
	e->code = tb->code;
}

void jc_remove(struct jmp_cache *jc, const struct tb *tb)
{
	struct jc_entry *e = &jc->entry[jc_hash(tb->eip)];

	if (e->code == tb->code) {
		e->key = JC_EMPTY_KEY;
		e->code = NULL;
	}
}

void jc_clear_page(struct jmp_cache *jc, uint32_t eip)
{
	uint32_t first = jc_hash(eip & 0xfffff000u) & ~((1u << JC_ADDR_BITS) - 1);

	for (uint32_t i = first; i < first + (1u << JC_ADDR_BITS); i++) {
		jc->entry[i].key = JC_EMPTY_KEY;
		jc->entry[i].code = NULL;
	}
}
