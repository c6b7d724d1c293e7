/*
 * emulate_flags.c - PUSHF, POPF, CLI, STI: the instructions that read or
 * write EFLAGS.IF and IOPL. PUSHF and POPF are sensitive without trapping
 * (Robin & Irvine): natively, a deprivileged kernel would see its real IF
 * and POPF would silently fail to change it. The monitor keeps the guest's
 * own EFLAGS and applies the SDM's rules to it.
 */
#include "monitor/internal.h"

/*
 * PUSHF/PUSHFD: natively pushes the real EFLAGS. The guest sees its
 * virtual EFLAGS, with VM and RF cleared in the image (SDM PUSHF).
 */
int emulate_pushf(struct vcpu *v, const struct callout_insn *ci)
{
	uint32_t image = (v->eflags | EFLAGS_FIXED1) & ~(EFLAGS_VM | EFLAGS_RF);

	stack_push(v, ci->opsize == 2 ? image & 0xffff : image, ci->opsize);
	return CALLOUT_NEXT;
}

/* Which EFLAGS bits POPF may change (SDM POPF, protected mode). */
static uint32_t popf_writable(const struct vcpu *v, int opsize)
{
	uint32_t mask = EFLAGS_ARITH | EFLAGS_TF | EFLAGS_DF | EFLAGS_NT | EFLAGS_AC | EFLAGS_ID;

	if (v->cpl == 0)
		mask |= EFLAGS_IOPL_MASK | EFLAGS_IF;
	else if (v->cpl <= iopl_of(v))
		mask |= EFLAGS_IF; /* at CPL > IOPL, IF is silently kept */
	return opsize == 2 ? mask & 0xffff : mask;
}

/*
 * POPF/POPFD: natively, at CPL > IOPL (as a deprivileged guest kernel would
 * run), POPF ignores IF without a fault, so the guest's interrupt state
 * would go wrong unnoticed. Here the guest's own CPL and IOPL decide.
 */
int emulate_popf(struct vcpu *v, const struct callout_insn *ci)
{
	uint32_t old = v->eflags, mask = popf_writable(v, ci->opsize);
	uint32_t value = stack_pop(v, ci->opsize);

	v->eflags = ((old & ~mask) | (value & mask) | EFLAGS_FIXED1) & ~EFLAGS_RF;
	if ((old ^ v->eflags) & (EFLAGS_TF | EFLAGS_AC))
		vcpu_update_mode(v);
	/* Leave so that the run loop sees a newly enabled IF or a new mode. */
	if ((old ^ v->eflags) & (EFLAGS_IF | EFLAGS_TF | EFLAGS_AC)) {
		v->eip = ci->next_eip;
		return CALLOUT_EXIT;
	}
	return CALLOUT_NEXT;
}

/* CLI: natively #GP at CPL > IOPL; clears the guest's virtual IF. */
int emulate_cli(struct vcpu *v, const struct callout_insn *ci)
{
	if (v->cpl > iopl_of(v))
		vcpu_raise(v, EXC_GP, 0);
	v->eflags &= ~EFLAGS_IF;
	return CALLOUT_NEXT;
}

/*
 * STI: natively #GP at CPL > IOPL; sets the guest's virtual IF. Interrupts
 * stay blocked until the instruction after it has run (the STI shadow), so
 * the run loop runs that one instruction alone before it checks for them.
 */
int emulate_sti(struct vcpu *v, const struct callout_insn *ci)
{
	if (v->cpl > iopl_of(v))
		vcpu_raise(v, EXC_GP, 0);
	if (v->eflags & EFLAGS_IF)
		return CALLOUT_NEXT; /* STI with IF already set opens no shadow */
	v->eflags |= EFLAGS_IF;
	v->intr_shadow = true;
	vcpu_update_mode(v);
	v->eip = ci->next_eip;
	return CALLOUT_EXIT;
}
