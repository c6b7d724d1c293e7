/*
 * shadow.c - shadow page tables: per guest address space (keyed by CR3), a
 * two-level table mirroring the guest's, holding what its page walks found:
 * frame, who may read and write, global, 4 MB. A software-TLB miss is
 * answered from the shadow when it can be; otherwise the guest's tables
 * are walked (a hidden fault when they allow the access, a true #PF when
 * not) and the result recorded. Spaces survive CR3 switches, so returning
 * to a process does not walk its tables again; they stay coherent because
 * the guest page-table pages they were built from are write-traced
 * (trace.c), and a traced write drops exactly the entries it may change.
 */
#include <stdlib.h>
#include <string.h>

#include "shadow_mmu/internal.h"

#define SHADOW_SPACES 8
/* Traced writes without a use in between after which a page-table page is
 * unshadowed (KVM's shadow MMU calls this write flooding). A live page
 * table is used between writes: the guest writes a PTE, then touches the
 * page it maps, which misses in the TLB and reaches the shadow. */
#define FLOOD_WRITES 8
#define SRC_LARGE 1u /* a shadow table built from a 4 MB PDE, not a page table */

/* Shadow entry: frame in bits 31-12, and: */
#define SPTE_VALID 0x001
#define SPTE_USER 0x002	  /* CPL 3 may read */
#define SPTE_W_SUP 0x004  /* CPL 0-2 may write now (permitted, dirty bit set) */
#define SPTE_W_USER 0x008 /* CPL 3 may write now */
#define SPTE_GLOBAL 0x010
#define SPTE_LARGE 0x020

struct shadow_space {
	bool used;
	uint32_t cr3_page;	   /* the guest's page directory */
	uint64_t last_used;
	uint32_t *pt[1024];	   /* shadow page tables, per PDE index */
	uint32_t src[1024];	   /* the guest page table each was built from */
};

struct shadow_set {
	struct shadow_space space[SHADOW_SPACES];
	struct shadow_space *current;
	uint64_t clock;
};

int shadow_init(struct smmu *m)
{
	m->shadows = calloc(1, sizeof(*m->shadows));
	return m->shadows ? 0 : -1;
}

static void drop_table(struct smmu *m, struct shadow_space *s, unsigned i)
{
	if (!s->pt[i])
		return;
	free(s->pt[i]);
	s->pt[i] = NULL;
	if (s->src[i] != SRC_LARGE)
		trace_pt_unref(m, s->src[i]);
}

static void drop_space(struct smmu *m, struct shadow_space *s)
{
	for (unsigned i = 0; i < 1024; i++)
		drop_table(m, s, i);
	trace_pt_unref(m, s->cr3_page);
	s->used = false;
	if (m->shadows->current == s)
		m->shadows->current = NULL;
	m->stats.shadow_flushes++;
}

void shadow_destroy(struct smmu *m)
{
	if (!m->shadows)
		return;
	shadow_flush_all(m);
	free(m->shadows);
	m->shadows = NULL;
}

void shadow_flush_all(struct smmu *m)
{
	for (unsigned k = 0; k < SHADOW_SPACES; k++)
		if (m->shadows->space[k].used)
			drop_space(m, &m->shadows->space[k]);
}

static struct shadow_space *least_recently_used(struct shadow_set *set)
{
	struct shadow_space *lru = &set->space[0];

	for (unsigned k = 0; k < SHADOW_SPACES; k++) {
		if (!set->space[k].used)
			return &set->space[k];
		if (set->space[k].last_used < lru->last_used)
			lru = &set->space[k];
	}
	return lru;
}

/* CR3 was loaded (paging on): find the space for it, or start one. */
void shadow_switch(struct smmu *m, uint32_t cr3)
{
	struct shadow_set *set = m->shadows;
	uint32_t page = cr3 & CR3_BASE_MASK;
	struct shadow_space *s;

	for (unsigned k = 0; k < SHADOW_SPACES; k++) {
		s = &set->space[k];
		if (s->used && s->cr3_page == page)
			goto found;
	}
	s = least_recently_used(set);
	if (s->used)
		drop_space(m, s);
	memset(s, 0, sizeof(*s));
	s->used = true;
	s->cr3_page = page;
	trace_pt_ref(m, page); /* its PDEs are what the space is built from */
found:
	if ((page >> PAGE_SHIFT) < m->pages)
		m->pt_unused_writes[page >> PAGE_SHIFT] = 0; /* the directory is in use */
	s->last_used = ++set->clock;
	set->current = s;
}

/* The shadow relied on page table @src: it is still in use. */
static void note_pt_used(struct smmu *m, uint32_t src)
{
	uint64_t pfn = src >> PAGE_SHIFT;

	if (src != SRC_LARGE && pfn < m->pages)
		m->pt_unused_writes[pfn] = 0;
}

static bool permits(uint32_t spte, enum mmu_access acc, bool user)
{
	if (!(spte & SPTE_VALID) || (user && !(spte & SPTE_USER)))
		return false;
	return acc != MMU_WRITE || (spte & (user ? SPTE_W_USER : SPTE_W_SUP));
}

bool shadow_lookup(struct smmu *m, uint32_t linear, enum mmu_access acc, bool user,
		   struct walk_result *w)
{
	struct shadow_space *s = m->shadows->current;
	uint32_t *pt, spte;

	if (!s || !(pt = s->pt[linear >> 22]))
		return false;
	spte = pt[(linear >> 12) & 1023];
	if (!permits(spte, acc, user))
		return false;
	note_pt_used(m, s->src[linear >> 22]);
	memset(w, 0, sizeof(*w));
	w->gpa_page = spte & PAGE_MASK;
	w->writable_now = spte & (user ? SPTE_W_USER : SPTE_W_SUP);
	w->global = spte & SPTE_GLOBAL;
	w->large = spte & SPTE_LARGE;
	return true;
}

/* What the walk found, as a shadow entry for both privilege levels. */
static uint32_t make_spte(const struct smmu *m, const struct walk_result *w)
{
	bool sup_write = (w->perms & PTE_W) || !(m->cr0 & CR0_WP);
	uint32_t spte = w->gpa_page | SPTE_VALID;

	if (w->perms & PTE_U)
		spte |= SPTE_USER;
	if (sup_write && w->dirty)
		spte |= SPTE_W_SUP;
	if ((w->perms & PTE_U) && (w->perms & PTE_W) && w->dirty)
		spte |= SPTE_W_USER;
	if (w->global)
		spte |= SPTE_GLOBAL;
	if (w->large)
		spte |= SPTE_LARGE;
	return spte;
}

void shadow_record(struct smmu *m, uint32_t linear, const struct walk_result *w)
{
	struct shadow_space *s = m->shadows->current;
	unsigned i = linear >> 22;
	uint32_t src = w->large ? SRC_LARGE : w->pt_page;

	/* Only what can be traced can be cached: the tables must be RAM. */
	if (!s || !phys_is_ram(m->phys, s->cr3_page) ||
	    (!w->large && !phys_is_ram(m->phys, w->pt_page)))
		return;
	note_pt_used(m, src);
	if (s->pt[i] && s->src[i] != src)
		drop_table(m, s, i);
	if (!s->pt[i]) {
		s->pt[i] = calloc(1024, sizeof(uint32_t));
		if (!s->pt[i])
			return;
		s->src[i] = src;
		if (src != SRC_LARGE) {
			trace_pt_ref(m, src);
			m->pt_pde_hint[src >> PAGE_SHIFT] = (uint16_t)i;
		}
	}
	s->pt[i][(linear >> 12) & 1023] = make_spte(m, w);
}

/* Forget entries [first, last] of every shadow table built from @page. */
static void clear_from_page_table(struct shadow_space *s, uint32_t page, unsigned first,
				  unsigned last)
{
	for (unsigned i = 0; i < 1024; i++)
		if (s->src[i] == page && s->pt[i])
			memset(&s->pt[i][first], 0, (last - first + 1) * sizeof(uint32_t));
}

/* @page is written but no longer used as a page table: drop every shadow
 * structure built from it, so that its writes stop being traced. The
 * current space's own directory stays (the next walk would need it). */
static void unshadow_page(struct smmu *m, uint32_t page)
{
	for (unsigned k = 0; k < SHADOW_SPACES; k++) {
		struct shadow_space *s = &m->shadows->space[k];

		if (!s->used)
			continue;
		if (s->cr3_page == page && s != m->shadows->current) {
			drop_space(m, s);
			continue;
		}
		for (unsigned i = 0; i < 1024; i++)
			if (s->src[i] == page && s->pt[i])
				drop_table(m, s, i);
	}
	m->stats.pt_unshadows++;
}

/* Forget entries [first, last] of the shadow table at PDE index @i if it was
 * built from @page. Returns whether it was. */
static bool clear_at(struct shadow_space *s, unsigned i, uint32_t page, unsigned first,
		     unsigned last)
{
	if (s->src[i] != page || !s->pt[i])
		return false;
	memset(&s->pt[i][first], 0, (last - first + 1) * sizeof(uint32_t));
	return true;
}

void shadow_note_pt_write(struct smmu *m, uint32_t page, uint32_t offset, uint32_t len)
{
	unsigned first = offset / 4, last = (offset + len - 1) / 4;
	uint64_t pfn = page >> PAGE_SHIFT;
	unsigned hint = m->pt_pde_hint[pfn];
	/* References not yet found. Each space's shadow of the page is looked
	 * for at the hinted PDE index first; only if some reference is still
	 * unaccounted for are whole spaces scanned (clearing twice is
	 * harmless). Drops of a recursive PDE on the way leave it too high,
	 * which only costs the scan. */
	unsigned remaining = m->pt_refs[pfn];

	for (unsigned k = 0; k < SHADOW_SPACES && remaining; k++) {
		struct shadow_space *s = &m->shadows->space[k];

		if (!s->used)
			continue;
		if (s->cr3_page == page) { /* PDEs changed: their tables go */
			remaining--;
			for (unsigned i = first; i <= last; i++)
				drop_table(m, s, i);
		}
		if (remaining && clear_at(s, hint, page, first, last))
			remaining--;
	}
	for (unsigned k = 0; k < SHADOW_SPACES && remaining; k++)
		if (m->shadows->space[k].used)
			clear_from_page_table(&m->shadows->space[k], page, first, last);
	if (m->pt_refs[pfn] && ++m->pt_unused_writes[pfn] >= FLOOD_WRITES) {
		m->pt_unused_writes[pfn] = 0;
		unshadow_page(m, page);
	}
}
