/*
 * callouts.c - the one C entry for callouts from translated code: count the
 * instruction for the teaching view, log it the first time it is seen, run
 * its emulation, and leave translated code if it overwrote translated code.
 */
#include "monitor/internal.h"

int callout_dispatch(struct vcpu *v, const struct callout_insn *ci)
{
	int result;

	v->stats.callouts++;
	stats_count_callout(v->vm, ci);
	result = ci->fn(v, ci);
	if (v->mem_pending.smc) {
		/* The block running now may be stale: resume in a fresh one. */
		v->mem_pending.smc = false;
		v->stats.smc_exits++;
		if (result == CALLOUT_NEXT)
			v->eip = ci->next_eip;
		return CALLOUT_EXIT;
	}
	return result;
}
