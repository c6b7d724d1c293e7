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

#define JC_IN_GLOBAL_LIST 1
#define JC_IN_LOCAL_LIST 2

static struct jc_slot_list *slot_list(struct jmp_cache *jc, bool global)
{
	return global ? &jc->global_slots : &jc->local_slots;
}

static void list_slot(struct jmp_cache *jc, bool global, uint32_t i)
{
	uint8_t bit = global ? JC_IN_GLOBAL_LIST : JC_IN_LOCAL_LIST;
	struct jc_slot_list *l = slot_list(jc, global);

	if (jc->listed[i] & bit)
		return;
	jc->listed[i] |= bit;
	l->slot[l->count++] = (uint16_t)i;
}

/* Every entry empty, whatever the memory held. */
void jc_init(struct jmp_cache *jc)
{
	for (uint32_t i = 0; i < JC_SIZE; i++) {
		entry_clear(&jc->entry[i]);
		jc->listed[i] = 0;
	}
	jc->global_slots.count = jc->local_slots.count = 0;
}

void jc_clear(struct jmp_cache *jc)
{
	for (int g = 0; g < 2; g++) {
		struct jc_slot_list *l = slot_list(jc, g);

		for (uint32_t k = 0; k < l->count; k++) {
			entry_clear(&jc->entry[l->slot[k]]);
			jc->listed[l->slot[k]] = 0;
		}
		l->count = 0;
	}
}

static bool entry_is_global(const struct jc_entry *e)
{
	return e->key != JC_EMPTY_KEY && ((uintptr_t)e->code & JC_GLOBAL);
}

void jc_clear_nonglobal(struct jmp_cache *jc)
{
	struct jc_slot_list *l = &jc->local_slots;

	for (uint32_t k = 0; k < l->count; k++) {
		uint32_t i = l->slot[k];

		jc->listed[i] &= (uint8_t)~JC_IN_LOCAL_LIST;
		if (entry_is_global(&jc->entry[i]))
			list_slot(jc, true, i); /* refilled with a global block since */
		else
			entry_clear(&jc->entry[i]);
	}
	l->count = 0;
}

/* An entry's slot is listed by the kind of block it holds; a slot refilled
 * with the other kind is in both lists. */
void jc_insert(struct jmp_cache *jc, const struct tb *tb)
{
	uint32_t i = jc_hash(tb->eip);
	struct jc_entry *e = &jc->entry[i];

	list_slot(jc, tb->global, i);
	e->key = jc_key(tb->mode, tb->eip);
	e->code = (void *)((uintptr_t)tb->code | (tb->global ? JC_GLOBAL : 0));
}

void jc_remove(struct jmp_cache *jc, const struct tb *tb)
{
	struct jc_entry *e = &jc->entry[jc_hash(tb->eip)];

	if (((uintptr_t)e->code & ~(uintptr_t)JC_GLOBAL) == (uintptr_t)tb->code) {
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
