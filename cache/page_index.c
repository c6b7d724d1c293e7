/*
 * page_index.c - which blocks hold code from which guest-physical page, and
 * invalidating them when the guest writes there (self-modifying code,
 * module loading, exec into reused frames). QEMU's PageDesc.first_tb.
 */
#include <string.h>

#include "cache/internal.h"

static struct tb *entry_tb(uintptr_t e)
{
	return (struct tb *)(e & ~(uintptr_t)TB_EXIT_MASK);
}

static int entry_k(uintptr_t e)
{
	return (int)(e & 1);
}

void page_index_add(struct tb_cache *c, struct tb *tb)
{
	for (int k = 0; k < 2; k++) {
		uint32_t page = tb->phys_page[k];

		if (page == TB_NO_PAGE)
			continue;
		if (!c->page_first[page >> 12] && c->n_touched < c->max_touched)
			c->touched[c->n_touched++] = page >> 12;
		tb->page_next[k] = c->page_first[page >> 12];
		c->page_first[page >> 12] = (uintptr_t)tb | (uintptr_t)k;
	}
}

void page_index_remove(struct tb_cache *c, struct tb *tb)
{
	for (int k = 0; k < 2; k++) {
		uint32_t page = tb->phys_page[k];
		uintptr_t me = (uintptr_t)tb | (uintptr_t)k;
		uintptr_t *pp;

		if (page == TB_NO_PAGE)
			continue;
		for (pp = &c->page_first[page >> 12]; *pp;
		     pp = &entry_tb(*pp)->page_next[entry_k(*pp)]) {
			if (*pp == me) {
				*pp = tb->page_next[k];
				break;
			}
		}
		tb->page_next[k] = 0;
	}
}

/* Overwrite the block's first 5 bytes with JMP entry_stub. The translator
 * never puts a jump target inside them. */
static void redirect_entry(struct tb *tb)
{
	int32_t rel;

	if (!tb->entry_stub)
		return;
	rel = (int32_t)(tb->entry_stub - (tb->code + 5));
	tb->code[0] = 0xe9;
	memcpy(tb->code + 1, &rel, 4);
}

static void tb_invalidate(struct tb_cache *c, struct tb *tb)
{
	tb->invalid = true;
	redirect_entry(tb);
	tb_unlink_incoming(tb);
	tb_unlink_outgoing(tb);
	tb_hash_remove(c, tb);
	page_index_remove(c, tb);
	jc_remove(c->jc, tb);
	c->stats.invalidations++;
}

unsigned tb_invalidate_page(struct tb_cache *c, uint32_t gpa_page)
{
	unsigned count = 0;
	uintptr_t e;

	/* tb_invalidate() unlinks the head each time round. */
	while ((e = c->page_first[(gpa_page >> 12) & (MAX_PHYS_PAGES - 1)]) != 0) {
		tb_invalidate(c, entry_tb(e));
		count++;
	}
	return count;
}

bool tb_page_has_code(struct tb_cache *c, uint32_t gpa_page)
{
	return c->page_first[(gpa_page >> 12) & (MAX_PHYS_PAGES - 1)] != 0;
}
