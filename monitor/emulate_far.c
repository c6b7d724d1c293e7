/*
 * emulate_far.c - far control transfers: JMP ptr16:32 and JMP m16:32.
 * Sensitive (Robin & Irvine): natively the target's privilege checks would
 * run against the real CPL. TODO(#3): far CALL/RET, IRET, call gates and
 * task switches.
 */
#include "monitor/internal.h"

/* The target selector:offset of a far JMP/CALL, direct or through memory. */
static void far_target(struct vcpu *v, const struct callout_insn *ci, uint16_t *sel,
		       uint32_t *offset)
{
	const struct operand *o = &ci->op[0];
	uint32_t ea;

	if (o->kind == OPK_FAR) {
		*sel = o->sel;
		*offset = o->imm;
		return;
	}
	if (o->kind != OPK_MEM)
		vcpu_raise_noerr(v, EXC_UD);
	ea = operand_ea(v, ci, o);
	*offset = 0;
	guest_read(v, o->seg, ea, offset, ci->opsize);
	guest_read(v, o->seg, ea + ci->opsize, sel, 2);
}

int emulate_far_jmp(struct vcpu *v, const struct callout_insn *ci)
{
	uint16_t sel;
	uint32_t offset;

	far_target(v, ci, &sel, &offset);
	if (ci->opsize == 2)
		offset &= 0xffff;
	load_code_segment(v, sel, offset);
	return CALLOUT_EXIT;
}
