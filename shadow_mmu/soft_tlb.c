/*
 * soft_tlb.c - the software TLB: filling one entry, and flushing by scope
 * (everything, everything but global pages, one page, one physical page).
 * TinyEMU's tlb_flush_all/tlb_flush_vaddr and QEMU's tlb_reset_dirty.
 */
#include <string.h>

#include "shadow_mmu/internal.h"

static void entry_clear(struct tlb_entry *e)
{
	e->tag_read = TLB_INVALID;
	e->tag_write = TLB_INVALID;
	e->addend = 0;
}

/* Invalidate every per-instruction cache translated code holds. */
static void new_epoch(struct smmu *m)
{
	m->epoch_tag += 1ull << 32;
}

static void slot_clear_flags(struct smmu *m, int p, uint32_t i)
{
	if (m->tlb_flags[p][i] & TLBF_LARGE)
		m->tlb_large_count--;
	m->tlb_flags[p][i] = 0;
}

static void slot_clear(struct smmu *m, int p, uint32_t i)
{
	entry_clear(&m->tlb.entry[p][i]);
	slot_clear_flags(m, p, i);
}

void tlb_flush_all(struct smmu *m)
{
	for (int p = 0; p < 2; p++)
		for (uint32_t i = 0; i < TLB_SIZE; i++)
			entry_clear(&m->tlb.entry[p][i]);
	memset(m->tlb_flags, 0, sizeof(m->tlb_flags));
	m->tlb_large_count = 0;
	new_epoch(m);
	m->stats.tlb_flushes++;
}

void tlb_flush_nonglobal(struct smmu *m)
{
	for (int p = 0; p < 2; p++)
		for (uint32_t i = 0; i < TLB_SIZE; i++)
			if (!(m->tlb_flags[p][i] & TLBF_GLOBAL))
				slot_clear(m, p, i);
	new_epoch(m);
	m->stats.tlb_flushes++;
}

/*
 * A 4 MB page is entered as 4 KB pieces. INVLPG names one address in it but
 * must drop every piece, as hardware drops the one large entry: scan for
 * pieces of the same 4 MB region when any large entries are cached.
 */
static void flush_large_region(struct smmu *m, uint32_t linear)
{
	uint32_t region = linear & PDE_FRAME_4M;

	for (int p = 0; p < 2 && m->tlb_large_count; p++)
		for (uint32_t i = 0; i < TLB_SIZE; i++)
			if ((m->tlb_flags[p][i] & TLBF_LARGE) &&
			    (m->tlb.entry[p][i].tag_read & PDE_FRAME_4M) == region)
				slot_clear(m, p, i);
}

void tlb_flush_page(struct smmu *m, uint32_t linear)
{
	uint32_t i = tlb_index(linear);

	for (int p = 0; p < 2; p++)
		slot_clear(m, p, i);
	if (m->tlb_large_count)
		flush_large_region(m, linear);
	new_epoch(m);
}

void tlb_protect_phys_page(struct smmu *m, uint32_t gpa_page)
{
	uint8_t *host_page = m->phys->ram + gpa_page;

	new_epoch(m); /* per-instruction caches may hold the page writable */
	for (int p = 0; p < 2; p++) {
		for (uint32_t i = 0; i < TLB_SIZE; i++) {
			struct tlb_entry *e = &m->tlb.entry[p][i];

			if (e->tag_write != TLB_INVALID &&
			    (uint8_t *)(uintptr_t)(e->tag_write + e->addend) == host_page)
				e->tag_write = TLB_INVALID;
		}
	}
}

void tlb_install(struct smmu *m, uint32_t linear, const struct walk_result *w, bool user)
{
	struct tlb_entry *e = &m->tlb.entry[user][tlb_index(linear)];
	uint32_t page = linear & PAGE_MASK;

	e->addend = (uint64_t)(uintptr_t)(m->phys->ram + w->gpa_page) - page;
	e->tag_read = page;
	/* Watched pages (translated code, traced page tables) are never
	 * writable through the TLB: their writes must reach the slow path. */
	e->tag_write = w->writable_now && !watch_get(m, w->gpa_page) ? page : TLB_INVALID;
	slot_clear_flags(m, user, tlb_index(linear));
	m->tlb_flags[user][tlb_index(linear)] =
		(uint8_t)((w->global ? TLBF_GLOBAL : 0) | (w->large ? TLBF_LARGE : 0));
	if (w->large)
		m->tlb_large_count++;
	m->stats.tlb_fills++;
}
