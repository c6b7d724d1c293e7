/*
 * operand.c - reading and writing the operands of an instruction a callout
 * emulates, as the translator decoded them (struct operand): registers,
 * including AH..BH and 16-bit halves, memory through segmentation and
 * paging, and immediates.
 */
#include "monitor/internal.h"

uint32_t gpr_read(const struct vcpu *v, int reg, int size, bool high)
{
	uint32_t value = v->regs[reg];

	if (size == 1)
		return high ? (value >> 8) & 0xff : value & 0xff;
	return size == 2 ? value & 0xffff : value;
}

void gpr_write(struct vcpu *v, int reg, int size, bool high, uint32_t value)
{
	uint32_t *r = &v->regs[reg];

	if (size == 4)
		*r = value;
	else if (size == 2)
		*r = (*r & 0xffff0000u) | (value & 0xffff);
	else if (high)
		*r = (*r & 0xffff00ffu) | (value & 0xff) << 8;
	else
		*r = (*r & 0xffffff00u) | (value & 0xff);
}

/* The effective address of a memory operand (SDM Vol. 1 3.7.5). */
uint32_t operand_ea(const struct vcpu *v, const struct callout_insn *ci, const struct operand *o)
{
	uint32_t ea = o->disp;

	if (o->base >= 0)
		ea += v->regs[o->base];
	if (o->index >= 0)
		ea += v->regs[o->index] * o->scale;
	return ci->addrsize == 2 ? ea & 0xffff : ea;
}

uint32_t operand_read(struct vcpu *v, const struct callout_insn *ci, int i)
{
	const struct operand *o = &ci->op[i];
	uint32_t value = 0;

	switch (o->kind) {
	case OPK_REG:
		return gpr_read(v, o->reg, o->size, o->high);
	case OPK_MEM:
		guest_read(v, o->seg, operand_ea(v, ci, o), &value, o->size > 4 ? 4 : o->size);
		return value;
	case OPK_SREG:
		return v->seg[o->reg].selector;
	default:
		return o->imm;
	}
}

void operand_write(struct vcpu *v, const struct callout_insn *ci, int i, uint32_t value)
{
	const struct operand *o = &ci->op[i];

	if (o->kind == OPK_REG)
		gpr_write(v, o->reg, o->size, o->high, value);
	else if (o->kind == OPK_MEM)
		guest_write(v, o->seg, operand_ea(v, ci, o), &value, o->size > 4 ? 4 : o->size);
}
