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
	m->global_epoch_tag += 1ull << 32;
}

/* A non-global flush: only caches of non-global entries are stale. */
static void new_local_epoch(struct smmu *m)
{
	m->epoch_tag += 1ull << 32;
}

static void slot_clear_flags(struct smmu *m, int p, uint32_t i)
{
	if (m->tlb_flags[p][i] & TLBF_LARGE)
		m->tlb_large_count--;
	m->tlb_flags[p][i] &= TLBF_LISTED;
}

static void slot_clear(struct smmu *m, int p, uint32_t i)
{
	entry_clear(&m->tlb.entry[p][i]);
	slot_clear_flags(m, p, i);
}

/*
 * Most flushes find few slots filled: a process that just ran touched tens
 * of pages, not 2048, and the kernel's global entries survive CR3 loads.
 * Slots are listed when filled, global and non-global apart (each slot at
 * most once per list), so a CR3 load visits only the non-global ones and a
 * scan only the filled ones. A slot refilled with the other kind is in both
 * lists; an emptied slot stays listed until the next flush of its list.
 */
static struct tlb_slot_list *slot_list(struct smmu *m, bool global)
{
	return global ? &m->tlb_global_slots : &m->tlb_local_slots;
}

static void list_slot(struct smmu *m, bool global, int p, uint32_t i)
{
	uint8_t bit = global ? TLBF_IN_GLOBAL_LIST : TLBF_IN_LOCAL_LIST;
	struct tlb_slot_list *l = slot_list(m, global);

	if (m->tlb_flags[p][i] & bit)
		return;
	m->tlb_flags[p][i] |= bit;
	l->slot[l->count++] = (uint16_t)((uint32_t)p << TLB_BITS | i);
}

/* Call @fn on every slot that may hold an entry. */
static void for_each_used(struct smmu *m, void (*fn)(struct smmu *, int, uint32_t, void *),
			  void *arg)
{
	for (int g = 0; g < 2; g++) {
		const struct tlb_slot_list *l = slot_list(m, g);

		for (uint32_t k = 0; k < l->count; k++)
			fn(m, l->slot[k] >> TLB_BITS, l->slot[k] & (TLB_SIZE - 1), arg);
	}
}

/* Every entry empty, whatever the memory held (smmu_init). */
void tlb_init(struct smmu *m)
{
	for (int p = 0; p < 2; p++)
		for (uint32_t i = 0; i < TLB_SIZE; i++)
			entry_clear(&m->tlb.entry[p][i]);
	memset(m->tlb_flags, 0, sizeof(m->tlb_flags));
	m->tlb_global_slots.count = m->tlb_local_slots.count = 0;
	m->tlb_large_count = 0;
	new_epoch(m);
}

static void clear_slot_fn(struct smmu *m, int p, uint32_t i, void *arg)
{
	slot_clear(m, p, i);
	m->tlb_flags[p][i] = 0; /* and in no list */
}

void tlb_flush_all(struct smmu *m)
{
	for_each_used(m, clear_slot_fn, NULL);
	m->tlb_global_slots.count = m->tlb_local_slots.count = 0;
	m->tlb_large_count = 0;
	new_epoch(m);
	m->stats.tlb_flushes++;
}

void tlb_flush_nonglobal(struct smmu *m)
{
	struct tlb_slot_list *l = &m->tlb_local_slots;

	for (uint32_t k = 0; k < l->count; k++) {
		int p = l->slot[k] >> TLB_BITS;
		uint32_t i = l->slot[k] & (TLB_SIZE - 1);

		m->tlb_flags[p][i] &= (uint8_t)~TLBF_IN_LOCAL_LIST;
		if (m->tlb_flags[p][i] & TLBF_GLOBAL)
			list_slot(m, true, p, i); /* refilled global since */
		else
			slot_clear(m, p, i);
	}
	l->count = 0;
	new_local_epoch(m);
	m->stats.tlb_flushes++;
}

static void clear_large_in_region_fn(struct smmu *m, int p, uint32_t i, void *arg)
{
	uint32_t region = *(const uint32_t *)arg;

	if ((m->tlb_flags[p][i] & TLBF_LARGE) &&
	    (m->tlb.entry[p][i].tag_read & PDE_FRAME_4M) == region)
		slot_clear(m, p, i);
}

/*
 * A 4 MB page is entered as 4 KB pieces. INVLPG names one address in it but
 * must drop every piece, as hardware drops the one large entry: scan for
 * pieces of the same 4 MB region when any large entries are cached.
 */
void tlb_flush_page(struct smmu *m, uint32_t linear)
{
	uint32_t i = tlb_index(linear), region = linear & PDE_FRAME_4M;

	for (int p = 0; p < 2; p++)
		slot_clear(m, p, i);
	if (m->tlb_large_count)
		for_each_used(m, clear_large_in_region_fn, &region);
	new_epoch(m);
}

static void protect_fn(struct smmu *m, int p, uint32_t i, void *arg)
{
	struct tlb_entry *e = &m->tlb.entry[p][i];

	if (e->tag_write != TLB_INVALID &&
	    (uint8_t *)(uintptr_t)(e->tag_write + e->addend) == (uint8_t *)arg)
		e->tag_write = TLB_INVALID;
}

void tlb_protect_phys_page(struct smmu *m, uint32_t gpa_page)
{
	new_epoch(m); /* per-instruction caches may hold the page writable */
	for_each_used(m, protect_fn, m->phys->ram + gpa_page);
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
	m->tlb_flags[user][tlb_index(linear)] |=
		(uint8_t)((w->global ? TLBF_GLOBAL : 0) | (w->large ? TLBF_LARGE : 0));
	list_slot(m, w->global, user, tlb_index(linear));
	if (w->large)
		m->tlb_large_count++;
	m->stats.tlb_fills++;
}

bool smmu_tlb_is_global(const struct smmu *m, uint32_t linear, bool user)
{
	uint32_t i = tlb_index(linear);

	return m->tlb.entry[user][i].tag_read == (linear & PAGE_MASK) &&
	       (m->tlb_flags[user][i] & TLBF_GLOBAL);
}
