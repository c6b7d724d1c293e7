/*
 * emulate_check.c - LAR, LSL, VERR, VERW: questions about a selector that
 * the CPU answers in ZF. All four are sensitive without trapping (Robin &
 * Irvine): natively their answers depend on the real CPL, so a
 * deprivileged guest kernel would get wrong ones. Here the guest's CPL,
 * tables and descriptors decide (SDM Vol. 2, each instruction's Operation).
 */
#include "monitor/internal.h"

static void set_zf(struct vcpu *v, bool set)
{
	if (set)
		v->eflags |= EFLAGS_ZF;
	else
		v->eflags &= ~EFLAGS_ZF;
}

static bool conforming_code(const struct descriptor *d)
{
	return d->s && (d->type & SEG_TYPE_CODE) && (d->type & SEG_TYPE_CODE_CONFORMING);
}

/* Is the descriptor visible at the current CPL and this selector's RPL? */
static bool privilege_ok(const struct vcpu *v, uint16_t selector, const struct descriptor *d)
{
	if (conforming_code(d))
		return true;
	return d->dpl >= v->cpl && d->dpl >= (selector & SEL_RPL_MASK);
}

/* System descriptor types LAR (with gates) and LSL (without) accept. */
static bool lar_system_type(unsigned type)
{
	switch (type) {
	case SYS_TYPE_TSS16_AVAIL: case SYS_TYPE_LDT: case SYS_TYPE_TSS16_BUSY:
	case SYS_TYPE_CALL_GATE16: case SYS_TYPE_TASK_GATE: case SYS_TYPE_TSS32_AVAIL:
	case SYS_TYPE_TSS32_BUSY: case SYS_TYPE_CALL_GATE32:
		return true;
	default:
		return false;
	}
}

static bool lsl_system_type(unsigned type)
{
	return type == SYS_TYPE_TSS16_AVAIL || type == SYS_TYPE_LDT ||
	       type == SYS_TYPE_TSS16_BUSY || type == SYS_TYPE_TSS32_AVAIL ||
	       type == SYS_TYPE_TSS32_BUSY;
}

/* Fetch the selector's descriptor if LAR/LSL/VERR/VERW may look at it. */
static bool visible_descriptor(struct vcpu *v, uint16_t selector, struct descriptor *d)
{
	if ((selector & ~SEL_RPL_MASK) == 0 || !fetch_descriptor(v, selector, d))
		return false;
	return privilege_ok(v, selector, d);
}

/* LAR r, r/m16: the access rights (descriptor high dword & 00F0FF00h). */
int emulate_lar(struct vcpu *v, const struct callout_insn *ci)
{
	uint16_t selector = (uint16_t)operand_read(v, ci, 1);
	struct descriptor d;
	bool ok = visible_descriptor(v, selector, &d) && (d.s || lar_system_type(d.type));

	set_zf(v, ok);
	if (ok)
		gpr_write(v, ci->op[0].reg, ci->opsize, false, d.raw[1] & 0x00f0ff00u);
	return CALLOUT_NEXT;
}

/* LSL r, r/m16: the segment limit in bytes. */
int emulate_lsl(struct vcpu *v, const struct callout_insn *ci)
{
	uint16_t selector = (uint16_t)operand_read(v, ci, 1);
	struct descriptor d;
	bool ok = visible_descriptor(v, selector, &d) && (d.s || lsl_system_type(d.type));

	set_zf(v, ok);
	if (ok)
		gpr_write(v, ci->op[0].reg, ci->opsize, false, d.limit);
	return CALLOUT_NEXT;
}

/* VERR r/m16: readable code or data at this privilege? */
int emulate_verr(struct vcpu *v, const struct callout_insn *ci)
{
	uint16_t selector = (uint16_t)operand_read(v, ci, 0);
	struct descriptor d;
	bool ok = visible_descriptor(v, selector, &d) && d.s &&
		  (!(d.type & SEG_TYPE_CODE) || (d.type & SEG_TYPE_CODE_READABLE));

	set_zf(v, ok);
	return CALLOUT_NEXT;
}

/* VERW r/m16: writable data at this privilege? */
int emulate_verw(struct vcpu *v, const struct callout_insn *ci)
{
	uint16_t selector = (uint16_t)operand_read(v, ci, 0);
	struct descriptor d;
	bool ok = visible_descriptor(v, selector, &d) && d.s && !(d.type & SEG_TYPE_CODE) &&
		  (d.type & SEG_TYPE_DATA_WRITABLE);

	set_zf(v, ok);
	return CALLOUT_NEXT;
}
