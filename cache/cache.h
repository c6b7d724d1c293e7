/*
 * cache.h - the interface of the translation cache: the executable arena,
 * translated blocks (struct tb), their lookup by guest address and mode,
 * chaining of direct jumps, the jump cache for indirect branches, and
 * invalidation by guest-physical page.
 *
 * Names follow QEMU's accel/tcg (tb_lookup, tb_link, tb_invalidate_page,
 * jmp_dest, jmp_incoming, page_next).
 */
#ifndef BTVMM_CACHE_H
#define BTVMM_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TB_NO_PAGE 0xffffffffu

/*
 * A translated block: the host code for a run of guest instructions that
 * starts at (cs_base + eip) in one translation mode.
 */
struct tb {
	uint32_t eip;	   /* EIP (offset in CS) of the first guest instruction */
	uint32_t cs_base;  /* CS base the block was translated under */
	uint32_t cs_limit; /* CS limit: branches beyond it were translated to #GP */
	uint32_t mode;	   /* translation mode key (see monitor's vcpu_mode) */
	uint32_t phys_eip; /* guest-physical address of the first byte */
	/* Guest-physical pages the guest code occupies; [1] is TB_NO_PAGE unless
	 * an instruction straddles into the next page. */
	uint32_t phys_page[2];
	uint32_t guest_size; /* bytes of guest code */
	uint16_t n_insns;
	bool invalid; /* invalidated: never entered again, code kept until flush */
	/* Its code came from pages mapped global (PTE.G with CR4.PGE): the
	 * mapping survives CR3 loads, and so may the jump cache's entry. */
	bool global;
	uint8_t *code;	   /* host code */
	uint32_t code_size;
	/* An exit to the run loop at this block's EIP. Invalidation points the
	 * block's first instruction there, so a stale pointer to the code (in
	 * a per-branch cache) enters the run loop instead of old code. */
	uint8_t *entry_stub;

	/*
	 * Direct-jump exits. jmp_site[n] is the rel32 field of the host jump for
	 * exit n, or NULL; it points at jmp_stub[n] (leave to the run loop) until
	 * tb_link() points it at the destination block's code.
	 */
	uint8_t *jmp_site[2];
	uint8_t *jmp_stub[2];
	struct tb *jmp_dest[2];
	/* Blocks jumping here: a list of (tb | n) linked through jmp_next[n]. */
	uintptr_t jmp_incoming;
	uintptr_t jmp_next[2];

	/* Lists of blocks per physical page, tagged like jmp_incoming: an entry
	 * is (tb | k) where k says which of tb->phys_page[] the list is for. */
	uintptr_t page_next[2];
	struct tb *hash_next;	 /* hash-table chain */

	/* Precise state recovery: where each guest instruction's translation
	 * starts in the hot and in the cold code (offsets from code), and that
	 * instruction's EIP. n_insns entries each. */
	uint32_t *insn_host_off;
	uint32_t *insn_cold_off;
	uint32_t *insn_eip;
	uint32_t cold_start; /* offset of the cold code */
};

/* ---- Encoding of the value translated code returns to the run loop ----
 * A struct tb is 8-aligned, so the low three bits of (uintptr_t)tb carry
 * why the block was left (QEMU's TB_EXIT_MASK): */
#define TB_EXIT_MASK 7u
enum tb_exit {
	TB_EXIT_JUMP0 = 0,   /* direct exit 0 taken: the run loop may chain it */
	TB_EXIT_JUMP1 = 1,   /* direct exit 1 taken: the run loop may chain it */
	TB_EXIT_LOOKUP = 2,  /* indirect branch missed the jump cache */
	TB_EXIT_REQUEST = 3, /* vcpu exit_request was seen at a block check */
	TB_EXIT_CALLOUT = 4, /* a callout asked to leave (EIP/mode changed, halt, ...) */
	TB_EXIT_EXCEPTION = 5, /* a guest exception was raised; it is pending */
};
static inline struct tb *tb_exit_tb(uint64_t ret)
{
	return (struct tb *)(uintptr_t)(ret & ~(uint64_t)TB_EXIT_MASK);
}
static inline enum tb_exit tb_exit_kind(uint64_t ret)
{
	return (enum tb_exit)(ret & TB_EXIT_MASK);
}

/* ---- Jump cache: indirect branches find their target without leaving
 * translated code (QEMU's tb_jmp_cache). One per vCPU, inside struct vcpu,
 * so translated code reaches it at a fixed offset from the vCPU pointer. ---- */
#define JC_BITS 14
#define JC_SIZE (1u << JC_BITS)
#define JC_EMPTY_KEY 0xffffffffffffffffull

struct jc_entry {
	uint64_t key; /* (uint64_t)mode << 32 | eip */
	void *code;   /* host code of the block, | JC_GLOBAL for a global block */
};
/* Block code is 16-byte aligned, so bit 0 of jc_entry.code is free to mark
 * blocks from global pages; translated code masks it off before jumping. */
#define JC_GLOBAL 1u
_Static_assert(sizeof(struct jc_entry) == 16, "jc_entry layout is baked into code");
#define JC_ENTRY_SHIFT 4

/* Entries that may be filled, those of global blocks and the others apart,
 * so that clearing (a CR3 load: the others) visits only those. */
struct jc_slot_list {
	uint16_t slot[JC_SIZE];
	uint32_t count;
};
struct jmp_cache {
	struct jc_entry entry[JC_SIZE];
	struct jc_slot_list global_slots, local_slots;
	uint8_t listed[JC_SIZE]; /* JC_IN_*_LIST bits */
};

/* The index keeps the page bits apart from the offset bits (QEMU's
 * tb_jmp_cache_hash_func), so the entries of one guest page form one run
 * that jc_clear_page() can drop when the page's mapping changes. */
#define JC_PAGE_BITS 7
#define JC_ADDR_BITS (JC_BITS - JC_PAGE_BITS)
static inline uint32_t jc_hash(uint32_t eip)
{
	uint32_t page = (eip >> 12) & ((1u << JC_PAGE_BITS) - 1);
	uint32_t addr = (eip ^ (eip >> 6)) & ((1u << JC_ADDR_BITS) - 1);

	return page << JC_ADDR_BITS | addr;
}
static inline uint64_t jc_key(uint32_t mode, uint32_t eip)
{
	return (uint64_t)mode << 32 | eip;
}

/* Empty every entry of a jump cache whose memory holds anything. */
void jc_init(struct jmp_cache *jc);
/* Empty the entries filled since the last clear (all, if too many). */
void jc_clear(struct jmp_cache *jc);
/* Empty the entries of blocks not from global pages (a CR3 load with
 * CR4.PGE: the kernel's blocks stay reachable). */
void jc_clear_nonglobal(struct jmp_cache *jc);
/* Drop the entries of every EIP in the page of @eip. */
void jc_clear_page(struct jmp_cache *jc, uint32_t eip);
void jc_insert(struct jmp_cache *jc, const struct tb *tb);
/* Drop the entry for @tb, if it is the one cached for its address. */
void jc_remove(struct jmp_cache *jc, const struct tb *tb);

/* ---- The cache ---- */
struct tb_cache;

struct cache_stats {
	uint64_t blocks;	 /* blocks translated */
	uint64_t code_bytes;	 /* host code bytes emitted */
	uint64_t guest_bytes;	 /* guest code bytes translated */
	uint64_t lookups;	 /* tb_lookup calls */
	uint64_t lookup_misses;	 /* ... that found nothing */
	uint64_t chain_patches;	 /* tb_link calls that patched a jump */
	uint64_t invalidations;	 /* blocks invalidated by writes to their pages */
	uint64_t flushes;	 /* full flushes (arena full, or requested) */
};

/*
 * Create a cache with an executable arena of @arena_bytes, of which the first
 * @fixed_bytes are kept across flushes (for the translator's shared thunks).
 * @jc is the vCPU's jump cache, cleared on flush. Returns NULL on failure.
 */
struct tb_cache *cache_create(size_t arena_bytes, size_t fixed_bytes, struct jmp_cache *jc);
/* Default arena size. */
#define CACHE_DEFAULT_ARENA (64u << 20)
void cache_destroy(struct tb_cache *c);

/* The permanent region at the start of the arena. */
uint8_t *cache_fixed_region(struct tb_cache *c, size_t *size);

/*
 * Begin writing a block's code: returns where it starts and sets *room to
 * the bytes available. Finish with tb_commit(); if the block did not fit,
 * call cache_flush() and start again.
 */
uint8_t *cache_code_begin(struct tb_cache *c, size_t *room);

/*
 * Allocate a struct tb (zeroed, links empty) with room for @n_insns entries
 * of recovery data. Returns NULL when the cache must be flushed first.
 */
struct tb *tb_alloc(struct tb_cache *c, uint32_t n_insns);

/*
 * Make @tb findable: its code (tb->code, tb->code_size bytes, written at
 * cache_code_begin()) is committed, and it is entered in the hash table and
 * in the per-page lists of its physical pages.
 */
void tb_commit(struct tb_cache *c, struct tb *tb);

/* Find a valid block for (eip, CS base and limit, mode) whose code lies at
 * @phys_eip. Returns NULL if there is none. (A block spanning two pages is
 * returned without checking its second page: the caller checks it.) */
struct tb *tb_lookup(struct tb_cache *c, uint32_t eip, uint32_t cs_base, uint32_t cs_limit,
		     uint32_t mode, uint32_t phys_eip);

/* Point exit @n of @from directly at @to's code (chaining). Both must be
 * valid. A no-op if already linked. */
void tb_link(struct tb_cache *c, struct tb *from, int n, struct tb *to);

/* Invalidate every block with code in guest-physical page @gpa_page: unlink
 * chains into them, drop them from lookups. Returns how many. */
unsigned tb_invalidate_page(struct tb_cache *c, uint32_t gpa_page);

/* Does any valid block hold code from @gpa_page? */
bool tb_page_has_code(struct tb_cache *c, uint32_t gpa_page);

/* Drop every block and reset the arena (past the fixed region). */
void cache_flush(struct tb_cache *c);

/* The block whose host code contains @host_pc, or NULL. */
struct tb *tb_find_by_host_pc(struct tb_cache *c, uintptr_t host_pc);

const struct cache_stats *cache_get_stats(struct tb_cache *c);

#endif /* BTVMM_CACHE_H */
