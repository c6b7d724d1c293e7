/*
 * chain.c - chaining: patching a block's direct-jump exit to go straight to
 * the next block's code, and undoing it. Each block keeps the list of
 * (block | exit) pairs that jump into it, so invalidating it can unlink
 * them (QEMU's tb_add_jump / tb_jmp_unlink).
 */
#include <string.h>

#include "cache/internal.h"

/* Rewrite the rel32 field of a jmp/jcc so that it lands on @target. A
 * 4-byte aligned store would be atomic, but a single vCPU thread patches
 * only while no translated code runs, so plain memcpy is enough. */
static void patch_jump(uint8_t *site, const void *target)
{
	int32_t rel = (int32_t)((const uint8_t *)target - (site + 4));

	memcpy(site, &rel, sizeof(rel));
}

static struct tb *link_tb(uintptr_t link)
{
	return (struct tb *)(link & ~(uintptr_t)TB_EXIT_MASK);
}

static int link_slot(uintptr_t link)
{
	return (int)(link & 1);
}

void tb_link(struct tb_cache *c, struct tb *from, int n, struct tb *to)
{
	if (from->jmp_dest[n] == to || !from->jmp_site[n] || from->invalid || to->invalid)
		return;
	if (from->jmp_dest[n])
		return; /* already chained elsewhere: exits have one destination */
	patch_jump(from->jmp_site[n], to->code);
	from->jmp_dest[n] = to;
	from->jmp_next[n] = to->jmp_incoming;
	to->jmp_incoming = (uintptr_t)from | (uintptr_t)n;
	c->stats.chain_patches++;
}

/* Point every jump into @tb back at its exit stub. */
void tb_unlink_incoming(struct tb *tb)
{
	uintptr_t link = tb->jmp_incoming;

	while (link) {
		struct tb *from = link_tb(link);
		int n = link_slot(link);

		patch_jump(from->jmp_site[n], from->jmp_stub[n]);
		from->jmp_dest[n] = NULL;
		link = from->jmp_next[n];
		from->jmp_next[n] = 0;
	}
	tb->jmp_incoming = 0;
}

/* Remove @tb's own chained exits from their destinations' incoming lists. */
void tb_unlink_outgoing(struct tb *tb)
{
	for (int n = 0; n < 2; n++) {
		struct tb *dest = tb->jmp_dest[n];
		uintptr_t me = (uintptr_t)tb | (uintptr_t)n;
		uintptr_t *pp;

		if (!dest)
			continue;
		for (pp = &dest->jmp_incoming; *pp; pp = &link_tb(*pp)->jmp_next[link_slot(*pp)]) {
			if (*pp == me) {
				*pp = tb->jmp_next[n];
				break;
			}
		}
		tb->jmp_dest[n] = NULL;
		tb->jmp_next[n] = 0;
	}
}
