/*
 * stats.c - the teaching view: how often each sensitive instruction (and
 * each helper) ran, with its Popek-Goldberg class, logged the first time
 * it is seen at an address (-d callout), and a report at exit (-d stats)
 * with the translator's, the cache's and the shadow MMU's counters.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "monitor/internal.h"

#define SEEN_BITS 16 /* a direct-mapped set of EIPs already logged */

static bool first_time_at(struct vm *vm, uint32_t eip)
{
	uint32_t slot = (eip * 0x9e3779b1u) >> (32 - SEEN_BITS);

	if (!vm->callout_seen)
		vm->callout_seen = calloc(1u << SEEN_BITS, sizeof(uint32_t));
	if (!vm->callout_seen || vm->callout_seen[slot] == eip + 1)
		return false;
	vm->callout_seen[slot] = eip + 1;
	return true;
}

static void log_first_sight(struct vm *vm, const struct callout_insn *ci)
{
	struct xlat_class_info info;
	char bytes[3 * 16 + 1] = "";

	if (!first_time_at(vm, ci->eip))
		return;
	xlat_class_get(ci->stat, &info);
	for (unsigned i = 0; i < ci->len && i < 16; i++)
		snprintf(bytes + 3 * i, 4, "%s%02x", i ? " " : "", ci->bytes[i]);
	log_printf("callout: EIP %#010x  %-22s %-14s %-24s [%s]\n", ci->eip, info.name,
		   info.action, info.pg, bytes);
}

void stats_count_callout(struct vm *vm, const struct callout_insn *ci)
{
	if (!vm->callout_counts)
		vm->callout_counts = calloc(xlat_class_count(), sizeof(uint64_t));
	if (vm->callout_counts && ci->stat < xlat_class_count())
		vm->callout_counts[ci->stat]++;
	if (log_enabled(LOG_CALLOUT))
		log_first_sight(vm, ci);
}

static void report_callouts(struct vm *vm)
{
	log_printf("%-24s %-14s %-26s %14s\n", "instruction", "handled as", "Popek-Goldberg class",
		   "executions");
	for (unsigned i = 0; vm->callout_counts && i < xlat_class_count(); i++) {
		struct xlat_class_info info;

		if (!vm->callout_counts[i])
			continue;
		xlat_class_get(i, &info);
		log_printf("%-24s %-14s %-26s %14" PRIu64 "\n", info.name, info.action, info.pg,
			   vm->callout_counts[i]);
	}
}

static void report_engine(struct vm *vm)
{
	const struct cache_stats *c = cache_get_stats(vm->cache);
	const struct xlat_stats *x = xlat_get_stats(vm->xlat);
	const struct vcpu_stats *s = &vm->vcpu->stats;
	const struct smmu_stats *m = &vm->vcpu->mmu.stats;

	log_printf("translator: %" PRIu64 " insns (%" PRIu64 " copied, %" PRIu64
		   " rewritten, %" PRIu64 " callouts), %" PRIu64 " memory probes, %" PRIu64
		   " with live flags saved\n",
		   x->insns, x->copied, x->rewritten, x->callouts, x->mem_operands, x->flag_saves);
	log_printf("cache: %" PRIu64 " blocks, %" PRIu64 " code bytes for %" PRIu64
		   " guest bytes, %" PRIu64 " lookups (%" PRIu64 " misses), %" PRIu64
		   " chain patches, %" PRIu64 " invalidations, %" PRIu64 " flushes\n",
		   c->blocks, c->code_bytes, c->guest_bytes, c->lookups, c->lookup_misses,
		   c->chain_patches, c->invalidations, c->flushes);
	log_printf("vcpu: %" PRIu64 " entries; exits: jump %" PRIu64 " lookup %" PRIu64
		   " request %" PRIu64 " callout %" PRIu64 " exception %" PRIu64 "; %" PRIu64
		   " callouts, %" PRIu64 " exceptions, %" PRIu64 " SMC exits\n",
		   s->entries, s->exits[TB_EXIT_JUMP0] + s->exits[TB_EXIT_JUMP1],
		   s->exits[TB_EXIT_LOOKUP], s->exits[TB_EXIT_REQUEST], s->exits[TB_EXIT_CALLOUT],
		   s->exits[TB_EXIT_EXCEPTION], s->callouts, s->exceptions, s->smc_exits);
	log_printf("shadow mmu: %" PRIu64 " TLB fills, %" PRIu64 " TLB flushes, %" PRIu64
		   " shadow hits, %" PRIu64 " hidden faults, %" PRIu64 " true faults, %" PRIu64
		   " trace hits, %" PRIu64 " shadow flushes, %" PRIu64 " page tables unshadowed, %" PRIu64
		   " code-page writes, %" PRIu64 " MMIO accesses\n",
		   m->tlb_fills, m->tlb_flushes, m->shadow_hits, m->hidden_faults, m->page_faults,
		   m->trace_hits, m->shadow_flushes, m->pt_unshadows, m->code_writes,
		   m->mmio_accesses);
}

void stats_report(struct vm *vm)
{
	log_printf("---- btvmm statistics ----\n");
	report_callouts(vm);
	report_engine(vm);
}
