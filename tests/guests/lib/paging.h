/*
 * paging.h - a minimal 2-level 32-bit page table builder (SDM Vol. 3A 4.3,
 * 4 KiB pages only) for the guests that turn paging on.
 */
#ifndef GUEST_PAGING_H
#define GUEST_PAGING_H

#include <stdint.h>

#define PTE_P  (1u << 0) /* present */
#define PTE_RW (1u << 1) /* writable */
#define PTE_US (1u << 2) /* user accessible */

#define PAGE_SIZE 4096u

/* Clears the page directory and the pool of page tables. */
void paging_reset(void);

/* Maps the 4 KiB page at linear addr to physical phys (both page aligned). */
void paging_map(uint32_t addr, uint32_t phys, uint32_t flags);

/* Identity-maps [0, bytes) with flags. */
void paging_identity(uint32_t bytes, uint32_t flags);

/* Loads CR3 with the page directory and sets CR0.PG. */
void paging_enable(void);

/* Clears CR0.PG. */
void paging_disable(void);

#endif
