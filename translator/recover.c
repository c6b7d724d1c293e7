/*
 * recover.c - precise guest state at a host fault inside translated code
 * (DynamoRIO's recreate_app_state, QEMU's restore_state_to_opc): a guest
 * DIV by zero, an unmasked SSE exception or a misaligned MOVAPS faults on
 * the host instruction that is the guest's own, copied; from the faulting
 * host PC the block's side table gives the guest instruction, and the host
 * registers hold the guest's as they were before it.
 */
#include "translator/internal.h"

/* Which guest instruction's translation holds code offset @off? */
static int insn_at(const struct tb *tb, uint32_t off)
{
	bool cold = off >= tb->cold_start;
	int found = -1;

	for (unsigned i = 0; i < tb->n_insns; i++) {
		uint32_t start = cold ? tb->insn_cold_off[i] : tb->insn_host_off[i];

		if (start <= off)
			found = (int)i; /* offsets grow with i: keep the last one */
	}
	return found;
}

bool xlat_recover(struct xlat *x, struct vcpu *v, const struct xlat_host_regs *regs)
{
	struct tb *tb = tb_find_by_host_pc(x->cache, regs->rip);
	bool swapped;
	int i;

	if (!tb)
		return false;
	i = insn_at(tb, (uint32_t)(regs->rip - (uintptr_t)tb->code));
	if (i < 0)
		return false;
	for (int r = 0; r < 8; r++)
		v->regs[r] = (uint32_t)regs->gpr[host_reg_of(r)];
	/* A register-only instruction naming ESP and AH..BH runs with the
	 * guest's ESP swapped into RSP (rewrite_copy.c). */
	swapped = regs->gpr[RSP] != v->host_rsp;
	if (swapped)
		v->regs[R_ESP] = (uint32_t)regs->gpr[RSP];
	v->eflags = (v->eflags & ~(EFLAGS_ARITH | EFLAGS_DF)) |
		    ((uint32_t)regs->rflags & (EFLAGS_ARITH | EFLAGS_DF));
	v->eip = tb->insn_eip[i];
	return true;
}
