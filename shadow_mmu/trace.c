/*
 * trace.c - write watching of guest-physical pages. Two kinds of pages must
 * never be written through the software TLB's fast path: pages translated
 * code came from (a write there must invalidate the translations) and the
 * guest's page-table pages that shadow structures were built from (a write
 * there must invalidate the shadow). Watched pages get no write tag in the
 * TLB, so their writes take the slow path, which calls smmu_note_write().
 */
#include <stdlib.h>
#include <string.h>

#include "shadow_mmu/internal.h"

int trace_init(struct smmu *m)
{
	m->pages = m->phys->ram_size >> PAGE_SHIFT;
	m->watch = calloc(m->pages, 1);
	m->pt_refs = calloc(m->pages, sizeof(*m->pt_refs));
	m->pt_unused_writes = calloc(m->pages, 1);
	m->pt_pde_hint = calloc(m->pages, sizeof(*m->pt_pde_hint));
	return m->watch && m->pt_refs && m->pt_unused_writes && m->pt_pde_hint ? 0 : -1;
}

void trace_destroy(struct smmu *m)
{
	free(m->watch);
	free(m->pt_refs);
	free(m->pt_unused_writes);
	free(m->pt_pde_hint);
	m->watch = NULL;
	m->pt_refs = NULL;
	m->pt_unused_writes = NULL;
	m->pt_pde_hint = NULL;
}

static uint8_t *watch_byte(const struct smmu *m, uint32_t gpa)
{
	uint64_t pfn = gpa >> PAGE_SHIFT;

	return pfn < m->pages ? &m->watch[pfn] : NULL;
}

uint8_t watch_get(const struct smmu *m, uint32_t gpa)
{
	const uint8_t *w = watch_byte(m, gpa);

	return w ? *w : 0;
}

static void watch_set(struct smmu *m, uint32_t gpa, uint8_t bit)
{
	uint8_t *w = watch_byte(m, gpa);

	if (!w || (*w & bit))
		return;
	*w |= bit;
	tlb_protect_phys_page(m, gpa & PAGE_MASK); /* no writable entries may remain */
}

static void watch_clear(struct smmu *m, uint32_t gpa, uint8_t bit)
{
	uint8_t *w = watch_byte(m, gpa);

	if (w)
		*w &= (uint8_t)~bit;
}

/* ---- Code pages ---- */

void smmu_protect_code_page(struct smmu *m, uint32_t gpa_page)
{
	watch_set(m, gpa_page, WATCH_CODE);
}

void smmu_unprotect_code_page(struct smmu *m, uint32_t gpa_page)
{
	watch_clear(m, gpa_page, WATCH_CODE);
}

bool smmu_is_code_page(const struct smmu *m, uint32_t gpa_page)
{
	return watch_get(m, gpa_page) & WATCH_CODE;
}

void smmu_clear_code_pages(struct smmu *m)
{
	for (uint64_t i = 0; i < m->pages; i++)
		m->watch[i] &= (uint8_t)~WATCH_CODE;
}

/* ---- Page-table pages: reference counted by the shadow ---- */

void trace_pt_ref(struct smmu *m, uint32_t gpa_page)
{
	uint64_t pfn = gpa_page >> PAGE_SHIFT;

	if (pfn >= m->pages)
		return;
	if (m->pt_refs[pfn]++ == 0)
		watch_set(m, gpa_page, WATCH_PT);
}

void trace_pt_unref(struct smmu *m, uint32_t gpa_page)
{
	uint64_t pfn = gpa_page >> PAGE_SHIFT;

	if (pfn >= m->pages || m->pt_refs[pfn] == 0)
		return;
	if (--m->pt_refs[pfn] == 0)
		watch_clear(m, gpa_page, WATCH_PT);
}

/* ---- Writes to watched pages ---- */

void smmu_note_write(struct smmu *m, uint32_t gpa, uint32_t len)
{
	uint32_t first = gpa & PAGE_MASK, last = (gpa + len - 1) & PAGE_MASK;

	for (uint32_t page = first;; page += PAGE_SIZE) {
		uint8_t w = watch_get(m, page);
		uint32_t lo = page == first ? gpa : page;
		uint32_t hi = page == last ? gpa + len : page + PAGE_SIZE;

		if (w & WATCH_PT) {
			m->stats.trace_hits++;
			shadow_note_pt_write(m, page, lo - page, hi - lo);
		}
		if (w & WATCH_CODE) {
			m->stats.code_writes++;
			m->hooks.code_write(m->hooks.opaque, page);
		}
		if (page == last)
			break;
	}
}
