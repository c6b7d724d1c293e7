/*
 * mmu.c - the shadow MMU's slow paths: TLB fill after a probe miss,
 * translation for the monitor's own accesses, copying to and from guest
 * linear and physical memory (with MMIO and code-page side effects), code
 * fetch for the translator, and the paging control registers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "shadow_mmu/internal.h"

int smmu_init(struct smmu *m, struct guest_phys *phys, const struct smmu_hooks *hooks)
{
	memset(m, 0, sizeof(*m));
	m->phys = phys;
	m->hooks = *hooks;
	if (trace_init(m) < 0 || shadow_init(m) < 0) {
		smmu_destroy(m);
		return -ENOMEM;
	}
	tlb_init(m);
	return 0;
}

void smmu_destroy(struct smmu *m)
{
	if (m->shadows)
		shadow_destroy(m);
	trace_destroy(m);
}

/* ---- Control registers ---- */

/* The paging mode changed: nothing cached is valid any more. */
static void paging_changed(struct smmu *m)
{
	tlb_flush_all(m);
	shadow_flush_all(m);
	if (m->cr0 & CR0_PG)
		shadow_switch(m, m->cr3);
}

void smmu_write_cr0(struct smmu *m, uint32_t cr0)
{
	bool changed = (m->cr0 ^ cr0) & (CR0_PG | CR0_WP | CR0_PE);

	m->cr0 = cr0;
	if (changed)
		paging_changed(m);
}

void smmu_write_cr3(struct smmu *m, uint32_t cr3)
{
	m->cr3 = cr3;
	if (m->cr4 & CR4_PGE)
		tlb_flush_nonglobal(m);
	else
		tlb_flush_all(m);
	if (m->cr0 & CR0_PG)
		shadow_switch(m, cr3);
}

void smmu_write_cr4(struct smmu *m, uint32_t cr4)
{
	bool changed = (m->cr4 ^ cr4) & (CR4_PSE | CR4_PGE | CR4_PAE);

	m->cr4 = cr4;
	if (changed)
		paging_changed(m);
}

/* ---- Translation ---- */

/*
 * The monitor's own accesses (descriptor tables, exception frames, string
 * instructions) go through the software TLB as the CPU's would: a hit
 * already has its accessed (and, for writes, dirty) bits set in the guest's
 * tables; a miss is filled like one from translated code.
 */
int smmu_translate(struct smmu *m, uint32_t linear, enum mmu_access acc, bool user,
		   uint32_t *gpa, struct mmu_fault *fault)
{
	const struct tlb_entry *e = &m->tlb.entry[user][tlb_index(linear)];
	uint32_t page = linear & PAGE_MASK;

	if ((acc == MMU_WRITE ? e->tag_write : e->tag_read) == page) {
		uint8_t *host = (uint8_t *)(uintptr_t)(linear + e->addend);

		*gpa = (uint32_t)(host - m->phys->ram);
		return 0;
	}
	return tlb_fill(m, linear, acc, user, gpa, fault);
}

/*
 * The shadow answers if it can; else the guest's tables are walked: a
 * hidden fault if they allow the access (recorded in the shadow), a true
 * one if not.
 */
static int shadow_or_walk(struct smmu *m, uint32_t linear, enum mmu_access acc, bool user,
			  struct walk_result *w, struct mmu_fault *fault)
{
	if (!(m->cr0 & CR0_PG))
		return walk_guest(m, linear, acc, user, w, fault);
	if (shadow_lookup(m, linear, acc, user, w)) {
		m->stats.shadow_hits++;
		return 0;
	}
	if (walk_guest(m, linear, acc, user, w, fault) < 0) {
		m->stats.page_faults++;
		return -1;
	}
	m->stats.hidden_faults++;
	shadow_record(m, linear, w);
	return 0;
}

int tlb_fill(struct smmu *m, uint32_t linear, enum mmu_access acc, bool user, uint32_t *gpa,
	     struct mmu_fault *fault)
{
	struct walk_result w;

	if (shadow_or_walk(m, linear, acc, user, &w, fault) < 0)
		return -1;
	/* The monitor hole and device memory never enter the TLB: accesses
	 * there always take the slow path. */
	if (!in_monitor_hole(linear) && phys_is_ram(m->phys, w.gpa_page))
		tlb_install(m, linear, &w, user);
	*gpa = w.gpa_page | (linear & ~PAGE_MASK);
	return 0;
}

/* ---- Physical accesses ---- */

static uint32_t page_room(uint64_t addr)
{
	return PAGE_SIZE - (uint32_t)(addr & (PAGE_SIZE - 1));
}

static void phys_chunk(struct smmu *m, uint64_t gpa, uint8_t *buf, uint32_t len, bool write)
{
	uint8_t *host = phys_ram_ptr(m->phys, gpa, len);

	if (host) {
		if (!write) {
			memcpy(buf, host, len);
			return;
		}
		smmu_note_write(m, (uint32_t)gpa, len);
		memcpy(host, buf, len);
		return;
	}
	m->stats.mmio_accesses++;
	if (!m->hooks.mmio(m->hooks.opaque, gpa, buf, len, write) && !write)
		memset(buf, 0xff, len); /* open bus */
}

static void phys_copy(struct smmu *m, uint64_t gpa, uint8_t *buf, uint32_t len, bool write)
{
	while (len) {
		uint32_t n = len < page_room(gpa) ? len : page_room(gpa);

		phys_chunk(m, gpa, buf, n, write);
		gpa += n;
		buf += n;
		len -= n;
	}
}

void smmu_phys_read(struct smmu *m, uint64_t gpa, void *buf, uint32_t len)
{
	phys_copy(m, gpa, buf, len, false);
}

void smmu_phys_write(struct smmu *m, uint64_t gpa, const void *buf, uint32_t len)
{
	phys_copy(m, gpa, (uint8_t *)buf, len, true);
}

/* ---- Linear accesses for the monitor ---- */

int smmu_read(struct smmu *m, uint32_t linear, void *buf, uint32_t len, bool user,
	      struct mmu_fault *fault)
{
	uint8_t *out = buf;

	while (len) {
		uint32_t n = len < page_room(linear) ? len : page_room(linear);
		uint32_t gpa;

		if (smmu_translate(m, linear, MMU_READ, user, &gpa, fault) < 0)
			return -1;
		phys_chunk(m, gpa, out, n, false);
		linear += n;
		out += n;
		len -= n;
	}
	return 0;
}

/* Writes check every page before touching any, so a fault on the second
 * page of an access leaves the first unchanged, as on hardware. */
#define MAX_WRITE_PAGES 3

static int write_pages(struct smmu *m, uint32_t linear, const uint8_t *buf, uint32_t len,
		       bool user, struct mmu_fault *fault)
{
	uint32_t gpa[MAX_WRITE_PAGES], lin = linear, left = len;
	const uint8_t *in = buf;
	int pages = 0;

	for (; left; pages++) {
		uint32_t n = left < page_room(lin) ? left : page_room(lin);

		if (smmu_translate(m, lin, MMU_WRITE, user, &gpa[pages], fault) < 0)
			return -1;
		lin += n;
		left -= n;
	}
	for (int i = 0; i < pages; i++) {
		uint32_t n = len < page_room(linear) ? len : page_room(linear);

		phys_chunk(m, gpa[i], (uint8_t *)in, n, true);
		linear += n;
		in += n;
		len -= n;
	}
	return 0;
}

int smmu_write(struct smmu *m, uint32_t linear, const void *buf, uint32_t len, bool user,
	       struct mmu_fault *fault)
{
	const uint8_t *in = buf;
	uint32_t chunk = (MAX_WRITE_PAGES - 1) * PAGE_SIZE;

	/* Longer writes go a chunk at a time (only single accesses need to be
	 * all or nothing, and none is that long). */
	for (; len > chunk; linear += chunk, in += chunk, len -= chunk)
		if (write_pages(m, linear, in, chunk, user, fault) < 0)
			return -1;
	return write_pages(m, linear, in, len, user, fault);
}

uint32_t smmu_fetch(struct smmu *m, uint32_t linear, uint8_t *buf, uint32_t len, bool user,
		    uint32_t *gpa, struct mmu_fault *fault)
{
	uint32_t done = 0;

	while (done < len) {
		uint32_t n = len - done < page_room(linear) ? len - done : page_room(linear);
		uint32_t page_gpa;
		uint8_t *host;

		if (smmu_translate(m, linear, MMU_FETCH, user, &page_gpa, fault) < 0)
			break;
		host = phys_ram_ptr(m->phys, page_gpa, n);
		if (!host) {
			*fault = (struct mmu_fault){ .vector = MMU_FAULT_NOT_RAM, .cr2 = linear };
			break;
		}
		if (done == 0)
			*gpa = page_gpa;
		memcpy(buf + done, host, n);
		done += n;
		linear += n;
	}
	return done;
}
