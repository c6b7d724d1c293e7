/*
 * emulate_seg.c - MOV to and from segment registers, PUSH/POP of them, and
 * LDS/LES/LFS/LGS/LSS. All are sensitive without trapping (Robin & Irvine):
 * natively, MOV from CS would reveal the real privilege level in CS.RPL,
 * and loads would be checked against the real CPL. Loads go through the
 * guest's own descriptor tables with the SDM's checks (segments.c).
 */
#include "monitor/internal.h"

/* A segment load that changes how translated code must treat the segment
 * leaves the block; one that does not can go on. */
static int after_load(struct vcpu *v, const struct callout_insn *ci, uint32_t old_mode)
{
	if (v->mode == old_mode)
		return CALLOUT_NEXT;
	v->eip = ci->next_eip;
	return CALLOUT_EXIT;
}

/* Loading SS blocks interrupts (and debug traps) until the next instruction
 * has run, so a guest can load SS then ESP without an interrupt between. */
static int after_ss_load(struct vcpu *v, const struct callout_insn *ci)
{
	v->intr_shadow = true;
	v->debug_shadow = true;
	vcpu_update_mode(v);
	v->eip = ci->next_eip;
	return CALLOUT_EXIT;
}

/* MOV Sreg, r/m16 */
int emulate_mov_to_seg(struct vcpu *v, const struct callout_insn *ci)
{
	uint32_t old_mode = v->mode;
	int sreg = ci->op[0].reg;

	if (sreg == S_CS)
		vcpu_raise_noerr(v, EXC_UD);
	load_data_segment(v, sreg, (uint16_t)operand_read(v, ci, 1));
	if (sreg == S_SS)
		return after_ss_load(v, ci);
	return after_load(v, ci, old_mode);
}

/* MOV r/m, Sreg: a 32-bit register gets the selector zero-extended (P6). */
int emulate_mov_from_seg(struct vcpu *v, const struct callout_insn *ci)
{
	uint32_t selector = v->seg[ci->op[1].reg].selector;

	if (ci->op[0].kind == OPK_MEM) {
		uint16_t sel16 = (uint16_t)selector;

		guest_write(v, ci->op[0].seg, operand_ea(v, ci, &ci->op[0]), &sel16, 2);
	} else {
		gpr_write(v, ci->op[0].reg, ci->op[0].size, false, selector);
	}
	return CALLOUT_NEXT;
}

/* PUSH Sreg: the selector, zero-extended with a 32-bit operand size. */
int emulate_push_seg(struct vcpu *v, const struct callout_insn *ci)
{
	stack_push(v, v->seg[ci->op[0].reg].selector, ci->opsize);
	return CALLOUT_NEXT;
}

/* POP Sreg: ESP moves only if the load succeeds. */
int emulate_pop_seg(struct vcpu *v, const struct callout_insn *ci)
{
	uint32_t old_esp = v->regs[R_ESP], old_mode = v->mode;
	uint32_t selector = stack_pop(v, ci->opsize);
	uint32_t new_esp = v->regs[R_ESP];

	v->regs[R_ESP] = old_esp;
	load_data_segment(v, ci->op[0].reg, (uint16_t)selector);
	v->regs[R_ESP] = new_esp;
	if (ci->op[0].reg == S_SS)
		return after_ss_load(v, ci);
	return after_load(v, ci, old_mode);
}

static int sreg_of_load(unsigned id)
{
	switch (id) {
	case X86_INS_LDS: return S_DS;
	case X86_INS_LES: return S_ES;
	case X86_INS_LFS: return S_FS;
	case X86_INS_LGS: return S_GS;
	default: return S_SS;
	}
}

/* LDS/LES/LFS/LGS/LSS r, m16:32: offset then selector from memory. */
int emulate_load_far_pointer(struct vcpu *v, const struct callout_insn *ci)
{
	const struct operand *m = &ci->op[1];
	uint32_t ea, offset = 0, old_mode = v->mode;
	uint16_t selector;

	if (m->kind != OPK_MEM)
		vcpu_raise_noerr(v, EXC_UD);
	ea = operand_ea(v, ci, m);
	guest_read(v, m->seg, ea, &offset, ci->opsize);
	guest_read(v, m->seg, ea + ci->opsize, &selector, 2);
	load_data_segment(v, sreg_of_load(ci->id), selector);
	gpr_write(v, ci->op[0].reg, ci->opsize, false, offset);
	return after_load(v, ci, old_mode);
}
