/*
 * jmp_cache.c - the direct-mapped cache indirect branches probe inline from
 * translated code (QEMU's tb_jmp_cache). An entry maps (mode, EIP) to host
 * code; an empty entry has a key no probe can produce.
 */
#include "cache/internal.h"

void jc_clear(struct jmp_cache *jc)
{
	for (uint32_t i = 0; i < JC_SIZE; i++) {
		jc->entry[i].key = JC_EMPTY_KEY;
		jc->entry[i].code = NULL;
	}
}

void jc_insert(struct jmp_cache *jc, const struct tb *tb)
{
	struct jc_entry *e = &jc->entry[jc_hash(tb->eip)];

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
