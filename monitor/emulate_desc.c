/*
 * emulate_desc.c - the descriptor-table registers: LGDT and LIDT
 * (privileged: #GP(0) at CPL > 0), SGDT, SIDT and SMSW (sensitive but
 * unprivileged on x86: natively they would show a guest the monitor's own
 * tables and CR0, which is how VMware's presence was once detected; here
 * they show the guest's virtual values).
 */
#include "monitor/internal.h"

static void require_cpl0(struct vcpu *v)
{
	if (v->cpl != 0)
		vcpu_raise(v, EXC_GP, 0);
}

static uint32_t mem_operand_ea(struct vcpu *v, const struct callout_insn *ci)
{
	if (ci->op[0].kind != OPK_MEM)
		vcpu_raise_noerr(v, EXC_UD); /* register forms are #UD */
	return operand_ea(v, ci, &ci->op[0]);
}

/* LGDT/LIDT m16&32: limit, then base (24 bits of it with a 16-bit operand size). */
int emulate_lgdt_lidt(struct vcpu *v, const struct callout_insn *ci)
{
	uint32_t ea = mem_operand_ea(v, ci);
	struct dtable *t = ci->id == X86_INS_LGDT ? &v->gdtr : &v->idtr;
	uint8_t image[6];

	require_cpl0(v);
	guest_read(v, ci->op[0].seg, ea, image, 6);
	t->limit = (uint16_t)(image[0] | image[1] << 8);
	t->base = (uint32_t)image[2] | image[3] << 8 | image[4] << 16 | (uint32_t)image[5] << 24;
	if (ci->opsize == 2)
		t->base &= 0x00ffffff;
	return CALLOUT_NEXT;
}

/* SGDT/SIDT m: the guest's table register, never the monitor's. */
int emulate_sgdt_sidt(struct vcpu *v, const struct callout_insn *ci)
{
	uint32_t ea = mem_operand_ea(v, ci);
	const struct dtable *t = ci->id == X86_INS_SGDT ? &v->gdtr : &v->idtr;
	uint32_t base = ci->opsize == 2 ? t->base & 0x00ffffff : t->base;
	uint8_t image[6] = { (uint8_t)t->limit, (uint8_t)(t->limit >> 8), (uint8_t)base,
			     (uint8_t)(base >> 8), (uint8_t)(base >> 16), (uint8_t)(base >> 24) };

	guest_write(v, ci->op[0].seg, ea, image, 6);
	return CALLOUT_NEXT;
}

/* SMSW: the guest's CR0 (its low 16 bits to memory or a 16-bit register). */
int emulate_smsw(struct vcpu *v, const struct callout_insn *ci)
{
	operand_write(v, ci, 0, ci->op[0].kind == OPK_REG && ci->op[0].size == 4 ? v->cr0 :
										     v->cr0 & 0xffff);
	return CALLOUT_NEXT;
}
