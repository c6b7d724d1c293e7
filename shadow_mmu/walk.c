/*
 * walk.c - the guest page walk for 32-bit (non-PAE) paging, as the SDM
 * describes it (Vol. 3A 4.3, 4.6 access rights, 4.7 page-fault error codes,
 * 4.8 accessed and dirty flags): page directory, then page table or a 4 MB
 * page (CR4.PSE); U/S and R/W combined across levels; CR0.WP for supervisor
 * writes; A set on every entry used, D on the final entry of a write.
 */
#include <string.h>

#include "shadow_mmu/internal.h"

/* Paging structures live in guest RAM; elsewhere they read as open bus. */
static uint32_t *pt_entry(struct smmu *m, uint32_t gpa)
{
	return phys_ram_ptr(m->phys, gpa, 4);
}

static uint32_t pt_read(struct smmu *m, uint32_t gpa)
{
	uint32_t *p = pt_entry(m, gpa);

	return p ? *p : 0xffffffffu;
}

static void pt_set_bits(struct smmu *m, uint32_t gpa, uint32_t bits)
{
	uint32_t *p = pt_entry(m, gpa);

	if (p && (*p & bits) != bits)
		__atomic_or_fetch(p, bits, __ATOMIC_RELAXED);
}

static void fault_pf(struct mmu_fault *f, uint32_t linear, bool present, enum mmu_access acc,
		     bool user)
{
	f->vector = EXC_PF;
	f->cr2 = linear;
	f->error_code = (present ? PFEC_P : 0) | (acc == MMU_WRITE ? PFEC_W : 0) |
			(user ? PFEC_U : 0);
}

/* May an access of kind @acc at privilege @user go through an entry with
 * these combined permission bits? (SDM 4.6, non-PAE: no execute-disable.) */
static bool access_allowed(struct smmu *m, uint32_t perms, enum mmu_access acc, bool user)
{
	if (user && !(perms & PTE_U))
		return false;
	if (acc != MMU_WRITE)
		return true;
	if (user || (m->cr0 & CR0_WP))
		return (perms & PTE_W) != 0;
	return true;
}

/* Could a later write at this privilege use the entry without a walk? */
static bool write_allowed(struct smmu *m, uint32_t perms, bool user)
{
	return access_allowed(m, perms, MMU_WRITE, user);
}

static int walk_large(struct smmu *m, uint32_t linear, uint32_t pde_gpa, uint32_t pde,
		      enum mmu_access acc, bool user, struct walk_result *w, struct mmu_fault *f)
{
	if (!access_allowed(m, pde, acc, user)) {
		fault_pf(f, linear, true, acc, user);
		return -1;
	}
	pt_set_bits(m, pde_gpa, PTE_A | (acc == MMU_WRITE ? PTE_D : 0));
	w->gpa_page = (pde & PDE_FRAME_4M) | (linear & ~PDE_FRAME_4M & PAGE_MASK);
	w->perms = pde & (PTE_U | PTE_W);
	w->dirty = acc == MMU_WRITE || (pde & PTE_D);
	w->writable_now = write_allowed(m, pde, user) && w->dirty;
	w->global = (pde & PTE_G) && (m->cr4 & CR4_PGE);
	w->large = true;
	return 0;
}

static int walk_small(struct smmu *m, uint32_t linear, uint32_t pde_gpa, uint32_t pde,
		      enum mmu_access acc, bool user, struct walk_result *w, struct mmu_fault *f)
{
	uint32_t pte_gpa = (pde & PTE_FRAME) | ((linear >> 10) & 0xffc);
	uint32_t pte, perms;

	/* The directory entry is used (and marked accessed) even if the
	 * table entry then faults, as QEMU does. */
	pt_set_bits(m, pde_gpa, PTE_A);
	pte = pt_read(m, pte_gpa);
	if (!(pte & PTE_P)) {
		fault_pf(f, linear, false, acc, user);
		return -1;
	}
	perms = pde & pte & (PTE_U | PTE_W);
	if (!access_allowed(m, perms, acc, user)) {
		fault_pf(f, linear, true, acc, user);
		return -1;
	}
	pt_set_bits(m, pte_gpa, PTE_A | (acc == MMU_WRITE ? PTE_D : 0));
	w->gpa_page = pte & PTE_FRAME;
	w->perms = perms;
	w->dirty = acc == MMU_WRITE || (pte & PTE_D);
	w->pt_page = pte_gpa & PAGE_MASK;
	w->writable_now = write_allowed(m, perms, user) && w->dirty;
	w->global = (pte & PTE_G) && (m->cr4 & CR4_PGE);
	w->large = false;
	return 0;
}

int walk_guest(struct smmu *m, uint32_t linear, enum mmu_access acc, bool user,
	       struct walk_result *w, struct mmu_fault *f)
{
	uint32_t pde_gpa, pde;

	memset(w, 0, sizeof(*w));
	if (!(m->cr0 & CR0_PG)) {
		w->gpa_page = linear & PAGE_MASK;
		w->writable_now = true;
		w->perms = PTE_U | PTE_W;
		w->dirty = true;
		return 0;
	}
	pde_gpa = (m->cr3 & CR3_BASE_MASK) | ((linear >> 20) & 0xffc);
	pde = pt_read(m, pde_gpa);
	if (!(pde & PTE_P)) {
		fault_pf(f, linear, false, acc, user);
		return -1;
	}
	if ((pde & PDE_PS) && (m->cr4 & CR4_PSE))
		return walk_large(m, linear, pde_gpa, pde, acc, user, w, f);
	return walk_small(m, linear, pde_gpa, pde, acc, user, w, f);
}
