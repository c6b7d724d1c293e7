/*
 * internal.h - shared by the files of shadow_mmu/ only.
 */
#ifndef BTVMM_SHADOW_MMU_INTERNAL_H
#define BTVMM_SHADOW_MMU_INTERNAL_H

#include "shadow_mmu/shadow_mmu.h"
#include "monitor/x86.h"

#define TLBF_LARGE 0x2	/* a 4 KB piece of a 4 MB page */
#define TLBF_IN_GLOBAL_LIST 0x4 /* the slot is in tlb_global_slots */
#define TLBF_IN_LOCAL_LIST 0x8	/* the slot is in tlb_local_slots */
#define TLBF_LISTED (TLBF_IN_GLOBAL_LIST | TLBF_IN_LOCAL_LIST) /* kept when a slot empties */

/* What a successful guest page walk found. */
struct walk_result {
	uint32_t gpa_page;  /* guest-physical 4 KB frame */
	bool writable_now;  /* writes may bypass the slow path: permitted at this
			     * privilege and the dirty bit is already set */
	bool global;
	bool large;
	uint32_t perms;	    /* PTE_U and PTE_W, combined over PDE and PTE */
	bool dirty;	    /* the mapping's dirty bit is set (after this access) */
	uint32_t pt_page;   /* the guest page table used (4 KB pages) */
};

/* Write-watch reasons, per guest-physical page (trace.c). */
#define WATCH_CODE 0x1 /* translated code came from here */
#define WATCH_PT 0x2   /* a shadow structure was built from here */

/* trace.c */
int trace_init(struct smmu *m);
void trace_destroy(struct smmu *m);
uint8_t watch_get(const struct smmu *m, uint32_t gpa);
void trace_pt_ref(struct smmu *m, uint32_t gpa_page);
void trace_pt_unref(struct smmu *m, uint32_t gpa_page);

/* shadow.c */
int shadow_init(struct smmu *m);
void shadow_destroy(struct smmu *m);
void shadow_flush_all(struct smmu *m);
void shadow_switch(struct smmu *m, uint32_t cr3);
bool shadow_lookup(struct smmu *m, uint32_t linear, enum mmu_access acc, bool user,
		   struct walk_result *w);
void shadow_record(struct smmu *m, uint32_t linear, const struct walk_result *w);
void shadow_note_pt_write(struct smmu *m, uint32_t page, uint32_t offset, uint32_t len);

/* walk.c: the guest's 2-level page walk (or identity with paging off). */
int walk_guest(struct smmu *m, uint32_t linear, enum mmu_access acc, bool user,
	       struct walk_result *w, struct mmu_fault *fault);

/* soft_tlb.c */
void tlb_install(struct smmu *m, uint32_t linear, const struct walk_result *w, bool user);
void tlb_init(struct smmu *m);

#endif /* BTVMM_SHADOW_MMU_INTERNAL_H */
