/*
 * internal.h - shared by the files of shadow_mmu/ only.
 */
#ifndef BTVMM_SHADOW_MMU_INTERNAL_H
#define BTVMM_SHADOW_MMU_INTERNAL_H

#include "shadow_mmu/shadow_mmu.h"
#include "monitor/x86.h"

#define TLBF_GLOBAL 0x1 /* maps a global page: survives CR3 loads */
#define TLBF_LARGE 0x2	/* a 4 KB piece of a 4 MB page */

/* What a successful guest page walk found. */
struct walk_result {
	uint32_t gpa_page;  /* guest-physical 4 KB frame */
	bool writable_now;  /* writes may bypass the slow path: permitted at this
			     * privilege and the dirty bit is already set */
	bool global;
	bool large;
};

/* walk.c: the guest's 2-level page walk (or identity with paging off). */
int walk_guest(struct smmu *m, uint32_t linear, enum mmu_access acc, bool user,
	       struct walk_result *w, struct mmu_fault *fault);

/* soft_tlb.c */
void tlb_install(struct smmu *m, uint32_t linear, const struct walk_result *w, bool user);

#endif /* BTVMM_SHADOW_MMU_INTERNAL_H */
