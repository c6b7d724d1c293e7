/*
 * translator.h - the interface of the binary translator: guest x86-32 code
 * in, host x86-64 code out, one block at a time, into the translation cache.
 * The translator knows the virtual CPU's layout and the monitor's callouts;
 * it knows nothing of devices.
 */
#ifndef BTVMM_TRANSLATOR_H
#define BTVMM_TRANSLATOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cache/cache.h"
#include "shadow_mmu/shadow_mmu.h"

struct vcpu;
struct xlat;

/* Bytes of the arena's fixed region the translator's thunks need. */
#define XLAT_FIXED_BYTES 4096

struct xlat_stats {
	uint64_t insns;		/* guest instructions translated */
	uint64_t copied;	/* ... copied (with memory rewriting) */
	uint64_t rewritten;	/* ... rewritten for 64-bit mode */
	uint64_t callouts;	/* ... turned into callouts */
	uint64_t mem_operands;	/* memory operands given an inline TLB probe */
	uint64_t flag_saves;	/* probes that had to preserve live flags */
};

/*
 * Create the translator over @cache and write its shared thunks (entry,
 * exit, callout and slow-path trampolines) into the cache's fixed region.
 * Returns NULL on failure.
 */
struct xlat *xlat_create(struct tb_cache *cache);
/* Keep the guest's arithmetic flags exact at every instruction, even where
 * no later instruction reads them, so that every fault's frame holds them
 * (slower: inserted code saves them everywhere). Flushes nothing: call it
 * before translating. */
void xlat_set_precise_flags(struct xlat *x, bool on);
void xlat_destroy(struct xlat *x);

enum xlat_status {
	XLAT_OK,
	XLAT_FETCH_FAULT, /* the first instruction cannot be fetched: *fault is set */
	XLAT_UNSUPPORTED, /* the first instruction is not implemented */
	XLAT_CACHE_FULL,  /* flush the cache and try again */
};

struct xlat_result {
	enum xlat_status status;
	struct tb *tb;
	struct mmu_fault fault;
	uint32_t eip;	   /* XLAT_UNSUPPORTED: where */
	uint8_t bytes[16]; /* ... the instruction bytes */
	uint8_t nbytes;
	const char *why;   /* ... and why */
};

/*
 * Translate the block at the vCPU's CS:EIP in its current mode (v->mode).
 * On XLAT_OK, r->tb is the new block, committed to the cache.
 */
enum xlat_status translate_block(struct xlat *x, struct vcpu *v, struct xlat_result *r);

/* Run translated code at @code until it leaves; returns the exit value
 * (see TB_EXIT_* in cache.h). */
uint64_t xlat_enter(struct xlat *x, struct vcpu *v, const void *code);

/*
 * Leave translated code from inside a callout or helper (a C function that
 * translated code called), discarding the C frames in between, as if the
 * block had exited with @value. The guest state in *v must be complete.
 */
void xlat_unwind(struct xlat *x, struct vcpu *v, uint64_t value) __attribute__((noreturn));

/* The address of the unwind thunk, for a signal handler that redirects a
 * faulting context there (RDI = vcpu, RSI = exit value, R15 = vcpu). */
const void *xlat_unwind_address(struct xlat *x);

/* The thunk that loads the guest FPU state (what vcpu->fpu_ensure points
 * at while the state is not live). */
const void *xlat_fpu_load_address(struct xlat *x);

/* Recover the guest state at a host fault inside translated code (the
 * signal context's registers). Returns false if @host_pc is not in a block. */
struct xlat_host_regs {
	uint64_t gpr[16]; /* host registers, in enum host_reg order */
	uint64_t rip, rflags;
};
bool xlat_recover(struct xlat *x, struct vcpu *v, const struct xlat_host_regs *regs);

const struct xlat_stats *xlat_get_stats(struct xlat *x);

/* For the teaching view: walk the classification table. Calls @fn for each
 * instruction the translator treats specially. */
struct xlat_class_info {
	const char *name;
	const char *action; /* "callout", "helper", "rewrite", "#UD", ... */
	const char *pg;	    /* Popek-Goldberg class */
};
unsigned xlat_class_count(void);
void xlat_class_get(unsigned i, struct xlat_class_info *info);

#endif /* BTVMM_TRANSLATOR_H */
