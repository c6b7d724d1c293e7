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

/* Store a selector: 16 bits to memory; a 32-bit register gets it
 * zero-extended (P6 and later, SDM SLDT/STR). */
static void store_selector(struct vcpu *v, const struct callout_insn *ci, uint16_t selector)
{
	const struct operand *o = &ci->op[0];

	if (o->kind == OPK_MEM)
		guest_write(v, o->seg, operand_ea(v, ci, o), &selector, 2);
	else
		gpr_write(v, o->reg, o->size, false, selector);
}

/* SLDT: the guest's LDTR selector (sensitive: natively the monitor's). */
int emulate_sldt(struct vcpu *v, const struct callout_insn *ci)
{
	store_selector(v, ci, v->ldtr.selector);
	return CALLOUT_NEXT;
}

/* STR: the guest's TR selector (sensitive: natively the monitor's). */
int emulate_str(struct vcpu *v, const struct callout_insn *ci)
{
	store_selector(v, ci, v->tr.selector);
	return CALLOUT_NEXT;
}

/* LLDT r/m16 (SDM LLDT): null makes LDTR unusable; else an LDT descriptor
 * in the GDT, present. */
int emulate_lldt(struct vcpu *v, const struct callout_insn *ci)
{
	uint16_t selector = (uint16_t)operand_read(v, ci, 0);
	struct descriptor d;

	require_cpl0(v);
	if ((selector & ~SEL_RPL_MASK) == 0) {
		v->ldtr = (struct segment){ .selector = selector };
		return CALLOUT_NEXT;
	}
	if ((selector & SEL_TI) || !fetch_descriptor(v, selector, &d) || d.s ||
	    d.type != SYS_TYPE_LDT)
		vcpu_raise(v, EXC_GP, selector & SEL_INDEX_MASK);
	if (!d.present)
		vcpu_raise(v, EXC_NP, selector & SEL_INDEX_MASK);
	v->ldtr = (struct segment){ .selector = selector, .attr = d.attr, .base = d.base,
				    .limit = d.limit };
	return CALLOUT_NEXT;
}

/* LTR r/m16 (SDM LTR): an available TSS in the GDT, which becomes busy. */
int emulate_ltr(struct vcpu *v, const struct callout_insn *ci)
{
	uint16_t selector = (uint16_t)operand_read(v, ci, 0);
	struct descriptor d;

	require_cpl0(v);
	if ((selector & ~SEL_RPL_MASK) == 0)
		vcpu_raise(v, EXC_GP, 0);
	if ((selector & SEL_TI) || !fetch_descriptor(v, selector, &d) || d.s ||
	    (d.type != SYS_TYPE_TSS32_AVAIL && d.type != SYS_TYPE_TSS16_AVAIL))
		vcpu_raise(v, EXC_GP, selector & SEL_INDEX_MASK);
	if (!d.present)
		vcpu_raise(v, EXC_NP, selector & SEL_INDEX_MASK);
	d.raw[1] |= 0x2u << 8; /* available -> busy */
	write_descriptor_high(v, selector, d.raw[1]);
	v->tr = (struct segment){ .selector = selector, .attr = (uint16_t)(d.attr | 0x2),
				  .base = d.base, .limit = d.limit };
	return CALLOUT_NEXT;
}
