/*
 * shadow_mmu.h - the interface of the shadow MMU: guest physical memory, the
 * guest page walk, and the software TLB that translated code probes inline.
 *
 * Translated code never uses the guest's page tables or the host's: every
 * guest memory access computes a guest linear address and looks it up in the
 * software TLB below (tag compare plus addend, as QEMU's CPUTLBEntry). A miss
 * calls the C slow path, which walks the guest's tables (or, with paging off,
 * takes linear = physical), checks permissions, sets accessed/dirty bits, and
 * refills the entry. The monitor's own memory is never reachable: the TLB
 * only ever holds pointers into guest RAM.
 */
#ifndef BTVMM_SHADOW_MMU_H
#define BTVMM_SHADOW_MMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- Guest physical memory (phys.c) ---- */

/* The legacy PC hole: VGA window, option ROMs and BIOS (reserved to guests). */
#define PHYS_LEGACY_HOLE_START 0x000a0000u
#define PHYS_LEGACY_HOLE_END 0x00100000u
/* The VGA window inside it has no RAM behind it (open bus until a VGA exists). */
#define PHYS_VGA_START 0x000a0000u
#define PHYS_VGA_END 0x000c0000u
/* Guest RAM sizes btvmm accepts: enough for a test kernel at 1 MB, and below
 * the 32-bit MMIO region (LAPIC/IOAPIC/PCI) at 3 GB. */
#define PHYS_RAM_MIN (2ull << 20)
#define PHYS_RAM_MAX (3ull << 30)

struct guest_phys {
	uint8_t *ram;	   /* host mapping of guest-physical [0, ram_size) */
	uint64_t ram_size; /* bytes, a multiple of the page size */
};

/* Map @ram_size bytes of zeroed guest RAM. Returns 0 or -errno. */
int phys_init(struct guest_phys *phys, uint64_t ram_size);
void phys_destroy(struct guest_phys *phys);

/* Is guest-physical @gpa backed by RAM (not the VGA window, not beyond RAM)? */
bool phys_is_ram(const struct guest_phys *phys, uint64_t gpa);

/* Host pointer to [gpa, gpa + len) if all of it is RAM, else NULL. */
void *phys_ram_ptr(const struct guest_phys *phys, uint64_t gpa, uint64_t len);

/* ---- The software TLB (soft_tlb.c) ---- */

#define TLB_BITS 10
#define TLB_SIZE (1u << TLB_BITS)
/* A tag no probe can match: probes compare page-aligned values. */
#define TLB_INVALID 0xffffffffu

/*
 * One entry: a page is readable through it if the page-aligned address of
 * the last byte accessed equals tag_read (writable: tag_write), and the host
 * address is then guest_linear + addend. Write permission implies read
 * permission on x86, so read-modify-write accesses probe tag_write alone.
 */
struct tlb_entry {
	uint32_t tag_read;
	uint32_t tag_write;
	uint64_t addend;
};

/* Translated code hard-codes this layout; pin it (QEMU's CPUTLBEntry trick). */
_Static_assert(sizeof(struct tlb_entry) == 16, "tlb_entry must be 16 bytes");
_Static_assert(offsetof(struct tlb_entry, tag_read) == 0, "tlb_entry layout");
_Static_assert(offsetof(struct tlb_entry, tag_write) == 4, "tlb_entry layout");
_Static_assert(offsetof(struct tlb_entry, addend) == 8, "tlb_entry layout");
#define TLB_ENTRY_SHIFT 4 /* log2(sizeof(struct tlb_entry)) */

/* Separate tables for CPL 0-2 (supervisor) and CPL 3 (user) accesses. */
enum tlb_priv {
	TLB_SUPERVISOR = 0,
	TLB_USER = 1,
};

struct soft_tlb {
	struct tlb_entry entry[2][TLB_SIZE];
};

static inline uint32_t tlb_index(uint32_t linear)
{
	return (linear >> 12) & (TLB_SIZE - 1);
}

/* ---- Paging control and the slow path (walk.c, mmu.c) ---- */

enum mmu_access {
	MMU_READ = 0,
	MMU_WRITE = 1,
	MMU_FETCH = 2,
};

/* A fault the guest must see: #PF with CR2, or #GP for the odd cases. */
struct mmu_fault {
	uint8_t vector;
	uint32_t error_code;
	uint32_t cr2;
};

/*
 * Hooks into the rest of the VM (the monitor supplies them), so that this
 * subsystem knows neither devices nor the translation cache.
 */
struct smmu_hooks {
	void *opaque;
	/* Access guest-physical memory that is not RAM. Returns false if nothing
	 * is there (reads then see all ones, writes are dropped). */
	bool (*mmio)(void *opaque, uint64_t gpa, uint8_t *data, uint32_t len, bool is_write);
	/* A guest write is about to change physical page @gpa_page, which holds
	 * translated code: the translations must be dropped. */
	void (*code_write)(void *opaque, uint32_t gpa_page);
};

/* tlb_flags bits other subsystems read (translated code tests TLBF_GLOBAL). */
#define TLBF_GLOBAL 0x1 /* maps a global page: survives CR3 loads */

struct smmu {
	struct soft_tlb tlb;	/* probed by translated code: keep it first */
	/* Translated code keeps a one-entry TLB per memory instruction, tagged
	 * with (epoch << 32) | page; every flush or write-protection of the
	 * software TLB moves the epoch on, which empties them all at once.
	 * Blocks from global pages key theirs on global_epoch_tag instead,
	 * cache only global entries, and so keep them across CR3 loads: every
	 * change but a non-global flush moves it on. Neither is ever 0. */
	uint64_t epoch_tag;
	uint64_t global_epoch_tag;
	uint32_t cr0, cr3, cr4; /* copies of the guest's paging controls */
	struct guest_phys *phys;
	struct smmu_hooks hooks;
	uint8_t tlb_flags[2][TLB_SIZE]; /* TLBF_* of each entry */
	uint32_t tlb_large_count;	 /* entries with TLBF_LARGE */
	/* The slots (priv << TLB_BITS | index) that may hold an entry, global
	 * and not, so that flushes and scans visit only those (soft_tlb.c). */
	struct tlb_slot_list {
		uint16_t slot[2 * TLB_SIZE];
		uint32_t count;
	} tlb_global_slots, tlb_local_slots;
	/* Write watching, per RAM page: WATCH_* bits and, for guest page-table
	 * pages, how many shadow structures were built from the page. */
	uint8_t *watch;
	uint16_t *pt_refs;
	/* Traced writes to each page-table page since the shadow last used it:
	 * a page written often but not used has most likely stopped being a
	 * page table (freed and reused as data), and is unshadowed. */
	uint8_t *pt_unused_writes;
	/* The page-directory index a page table was last shadowed at: almost
	 * always its only one, so a traced write finds its shadows at once. */
	uint16_t *pt_pde_hint;
	uint64_t pages;
	struct shadow_set *shadows; /* shadow page tables per address space */
	struct smmu_stats {
		uint64_t tlb_fills;	/* software TLB entries installed */
		uint64_t tlb_flushes;
		uint64_t shadow_hits;	/* TLB misses the shadow answered */
		uint64_t hidden_faults; /* shadow misses the guest's tables allowed */
		uint64_t page_faults;	/* true faults: the guest sees #PF */
		uint64_t trace_hits;	/* guest writes to traced page-table pages */
		uint64_t shadow_flushes; /* shadow address spaces dropped */
		uint64_t pt_unshadows;	/* page tables unshadowed after a write flood */
		uint64_t code_writes;	/* guest writes to pages holding translated code */
		uint64_t mmio_accesses;
	} stats;
};

/* Set up @m over @phys. Returns 0 or -errno. */
int smmu_init(struct smmu *m, struct guest_phys *phys, const struct smmu_hooks *hooks);
void smmu_destroy(struct smmu *m);

/* The guest wrote CR0, CR3 or CR4: update paging state and flush the TLB as
 * hardware would (a CR3 load keeps global pages when CR4.PGE is set). */
void smmu_write_cr0(struct smmu *m, uint32_t cr0);
void smmu_write_cr3(struct smmu *m, uint32_t cr3);
void smmu_write_cr4(struct smmu *m, uint32_t cr4);

/* Flush every entry of both tables. */
void tlb_flush_all(struct smmu *m);
/* Flush all but the entries for global pages (a CR3 load with CR4.PGE). */
void tlb_flush_nonglobal(struct smmu *m);
/* Flush the entries for the page holding @linear (INVLPG). */
void tlb_flush_page(struct smmu *m, uint32_t linear);
/* Drop write permission from every entry that maps guest-physical page
 * @gpa_page (it now holds translated code). */
void tlb_protect_phys_page(struct smmu *m, uint32_t gpa_page);

/*
 * Translate @linear for an access of kind @acc at privilege @user, per the
 * guest's paging (linear = physical when CR0.PG is clear), setting accessed
 * and dirty bits as hardware does. Returns 0 and sets *gpa, or -1 and fills
 * *fault.
 */
int smmu_translate(struct smmu *m, uint32_t linear, enum mmu_access acc, bool user,
		   uint32_t *gpa, struct mmu_fault *fault);

/*
 * The slow path of the inline probe: translate the page of @linear and, if it
 * is ordinary RAM outside the monitor hole, install it in the TLB. Returns 0
 * with *gpa = the physical address of @linear, or -1 with *fault filled.
 */
int tlb_fill(struct smmu *m, uint32_t linear, enum mmu_access acc, bool user, uint32_t *gpa,
	     struct mmu_fault *fault);

/*
 * The host address of [linear, linear + len) if the software TLB already
 * allows the access there (one page, the privilege's table, write
 * permission for writes), else NULL. A hit needs no side effects: the A/D
 * bits are set, the page is RAM and, for writes, not watched.
 */
static inline void *smmu_tlb_ptr(struct smmu *m, uint32_t linear, uint32_t len, bool write,
				 bool user)
{
	const struct tlb_entry *e = &m->tlb.entry[user][tlb_index(linear)];
	uint32_t page = linear & ~0xfffu;

	if (((linear + len - 1) & ~0xfffu) != page || (write ? e->tag_write : e->tag_read) != page)
		return NULL;
	return (void *)(uintptr_t)(linear + e->addend);
}

/*
 * Copy guest linear memory to or from a host buffer, page by page, with the
 * checks and side effects of real accesses (faults, A/D bits, MMIO, code
 * invalidation). For the monitor's own emulation of instructions. Returns 0
 * or -1 with *fault filled; nothing is written unless every page is valid.
 */
int smmu_read(struct smmu *m, uint32_t linear, void *buf, uint32_t len, bool user,
	      struct mmu_fault *fault);
int smmu_write(struct smmu *m, uint32_t linear, const void *buf, uint32_t len, bool user,
	       struct mmu_fault *fault);

/* The fault "vector" smmu_fetch() reports for code in device memory or
 * beyond RAM, which btvmm does not execute (no architectural fault). */
#define MMU_FAULT_NOT_RAM 0xff

/*
 * Fetch up to @len code bytes at @linear for the translator. Returns the
 * number of bytes fetched (stopping at the first page that cannot be
 * fetched), and fills *fault when that is 0: a guest #PF, or
 * MMU_FAULT_NOT_RAM. *gpa receives the physical address of the first byte.
 */
uint32_t smmu_fetch(struct smmu *m, uint32_t linear, uint8_t *buf, uint32_t len, bool user,
		    uint32_t *gpa, struct mmu_fault *fault);

/* Physical-memory access with MMIO dispatch and code invalidation (DMA, loaders). */
void smmu_phys_read(struct smmu *m, uint64_t gpa, void *buf, uint32_t len);
void smmu_phys_write(struct smmu *m, uint64_t gpa, const void *buf, uint32_t len);

/*
 * Code-page tracking: the translator marks each physical page it translates
 * from; while marked, the page is never writable through the TLB, so the
 * first write takes the slow path and calls hooks.code_write.
 */
void smmu_protect_code_page(struct smmu *m, uint32_t gpa_page);
void smmu_unprotect_code_page(struct smmu *m, uint32_t gpa_page);
bool smmu_is_code_page(const struct smmu *m, uint32_t gpa_page);
/* Does the software TLB map @linear's page, for this privilege, through a
 * global entry (PTE.G with CR4.PGE), which a CR3 load keeps? */
bool smmu_tlb_is_global(const struct smmu *m, uint32_t linear, bool user);
/* Forget every code page (the translation cache was flushed). */
void smmu_clear_code_pages(struct smmu *m);
/* The monitor is about to write guest-physical [gpa, gpa + len) directly:
 * drop translations there (calls hooks.code_write for code pages). */
void smmu_note_write(struct smmu *m, uint32_t gpa, uint32_t len);

/*
 * The monitor hole: the top 4 MB of the linear address space are reserved
 * for the monitor, as in VMware. The TLB never maps them, so the fast path
 * cannot reach them; guest accesses there that the guest's own segments and
 * page tables allow are emulated by the slow path against the guest's own
 * mapping, invisibly to the guest.
 */
#define MONITOR_HOLE_START 0xffc00000u
static inline bool in_monitor_hole(uint32_t linear)
{
	return linear >= MONITOR_HOLE_START;
}

#endif /* BTVMM_SHADOW_MMU_H */
