/*
 * pgtable.h - page tables for the paging guests (SDM Vol. 3A 4.3, 32-bit
 * paging): any number of page directories, 4 KiB and 4 MiB (CR4.PSE) pages,
 * every bit of the entries, TLB maintenance, and page-fault probes that
 * check the error code, CR2 and the faulting EIP (Vol. 3A 4.7, 6.15).
 * lib/paging.c is the one-directory builder the simpler guests use.
 */
#ifndef GUEST_PGTABLE_H
#define GUEST_PGTABLE_H

#include <stdint.h>

#include "paging.h" /* PTE_P, PTE_RW, PTE_US, PAGE_SIZE */

/* The other entry bits (Vol. 3A Tables 4-4 to 4-6). */
#define PTE_A  (1u << 5) /* accessed: set by the CPU on any use */
#define PTE_D  (1u << 6) /* dirty: set by the CPU on a write (pages only) */
#define PDE_PS (1u << 7) /* the PDE maps a 4 MiB page (with CR4.PSE) */
#define PTE_G  (1u << 8) /* global: kept across CR3 loads (with CR4.PGE) */

#define PTE_KRW	     (PTE_P | PTE_RW)	       /* supervisor read/write */
#define PTE_URW	     (PTE_P | PTE_RW | PTE_US) /* user read/write */
#define PTE_FRAME(e) ((e) & ~0xfffu)

#define CR4_PSE (1u << 4) /* 4 MiB pages */
#define CR4_PGE (1u << 7) /* global pages */

#define LARGE_PAGE_SIZE (4u << 20)

/* #PF error code bits (Vol. 3A Figure 4-12); I/D is 0 without PAE+NXE or SMEP. */
#define PF_P 1u /* 0: not present, 1: protection violation */
#define PF_W 2u /* the access was a write */
#define PF_U 4u /* the access was made at CPL 3 */

#define RD32(a)	   (*(volatile uint32_t *)(a))
#define WR32(a, v) (*(volatile uint32_t *)(a) = (v))
#define RD8(a)	   (*(volatile uint8_t *)(a))
#define WR8(a, v)  (*(volatile uint8_t *)(a) = (v))

/*
 * One load or store instruction for every caller: a translator that caches
 * a translation per instruction sees the same instruction reach different
 * mappings over time.
 */
uint32_t peek(uint32_t addr);
void poke(uint32_t addr, uint32_t value);

/* A zeroed, page-aligned 4 KiB page from a static pool (the guests run identity mapped). */
uint32_t *pt_alloc(void);

/* A new, empty page directory. */
uint32_t *pgdir_create(void);

/* The PDE for linear address lin. */
uint32_t *pgdir_pde(uint32_t *pd, uint32_t lin);

/*
 * The PTE for lin. A not-present PDE, or one that maps a 4 MiB page, is first
 * replaced by a new page table (PDE = P|RW|US).
 */
uint32_t *pgdir_pte(uint32_t *pd, uint32_t lin);

/* Maps the 4 KiB page at lin to phys with flags (PTE_P etc. and A, D, G). */
void pgdir_map(uint32_t *pd, uint32_t lin, uint32_t phys, uint32_t flags);

/* Maps the 4 MiB page at lin to phys (both 4 MiB aligned): PDE = phys | PS | flags. */
void pgdir_map_large(uint32_t *pd, uint32_t lin, uint32_t phys, uint32_t flags);

/* Identity-maps [0, bytes) with 4 KiB pages; the page tables are shared with later copies. */
void pgdir_identity(uint32_t *pd, uint32_t bytes, uint32_t flags);

/* A new directory whose PDEs for [0, bytes) are those of src (page tables shared). */
uint32_t *pgdir_clone_low(const uint32_t *src, uint32_t bytes);

/* CR3 = pd and CR0.PG = 1 (CR0.WP as given). */
void paging_start(uint32_t *pd, int wp);

static inline void load_cr3(const uint32_t *pd)
{
	__asm__ volatile("movl %0, %%cr3" : : "r"(pd) : "memory");
}

static inline void invlpg(uint32_t lin)
{
	__asm__ volatile("invlpg (%0)" : : "r"(lin) : "memory");
}

/* Sets or clears CR0.WP (supervisor writes honour R/W). */
void set_wp(int on);

/* CR2 as the #PF handler found it at the last page fault. */
extern volatile uint32_t pf_cr2;

/*
 * Installs a #PF handler that records CR2 and resumes an armed probe (and
 * fails the test on any other page fault). Needs sys_init() first.
 */
void pf_probe_init(void);

/*
 * One access under a probe (idt.h), at the caller's CPL: returns the value
 * read, or bad if the read faulted. Usable from user_call() functions.
 */
uint32_t probe_read32(uint32_t addr, uint32_t bad);
void probe_write32(uint32_t addr, uint32_t value);
/* JMP to addr, for a fault on the fetch (the target must fault). */
void probe_jump(uint32_t addr);

/*
 * Checks that the last probe took exactly one #PF with this error code and
 * CR2, at the probed instruction (check_pf) or at eip (check_pf_at).
 */
void check_pf(const char *name, uint32_t error, uint32_t cr2);
void check_pf_at(const char *name, uint32_t error, uint32_t cr2, uint32_t eip);

#endif
