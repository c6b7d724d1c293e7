/*
 * helpers_stack.c - PUSHA, POPA, ENTER, BOUND, ARPL, SALC: instructions that
 * do not exist in 64-bit mode (or, for ENTER with nesting, are intricate),
 * emulated from the SDM's pseudo-code. Each either completes or faults
 * before changing any register.
 */
#include "monitor/internal.h"

/* PUSHA/PUSHAD: EAX, ECX, EDX, EBX, original ESP, EBP, ESI, EDI. */
int helper_pusha(struct vcpu *v, const struct callout_insn *ci)
{
	int size = ci->opsize;
	uint32_t mask = stack_pointer_mask(v);
	uint32_t sp = (v->regs[R_ESP] - 8u * (uint32_t)size) & mask;
	uint8_t image[32];

	/* The image in memory order: EDI at the lowest address. */
	for (int i = 0; i < 8; i++) {
		uint32_t value = v->regs[7 - i];

		for (int b = 0; b < size; b++)
			image[i * size + b] = (uint8_t)(value >> (8 * b));
	}
	guest_write(v, S_SS, sp, image, 8u * (uint32_t)size);
	v->regs[R_ESP] = (v->regs[R_ESP] & ~mask) | sp;
	return CALLOUT_NEXT;
}

/* POPA/POPAD: the reverse, skipping the stored ESP. */
int helper_popa(struct vcpu *v, const struct callout_insn *ci)
{
	int size = ci->opsize;
	uint32_t mask = stack_pointer_mask(v), sp = v->regs[R_ESP] & mask;
	uint8_t image[32];

	guest_read(v, S_SS, sp, image, 8u * (uint32_t)size);
	for (int i = 0; i < 8; i++) {
		uint32_t value = 0;

		if (7 - i == R_ESP)
			continue;
		for (int b = 0; b < size; b++)
			value |= (uint32_t)image[i * size + b] << (8 * b);
		gpr_write(v, 7 - i, size, false, value);
	}
	v->regs[R_ESP] = (v->regs[R_ESP] & ~mask) | ((sp + 8u * (uint32_t)size) & mask);
	return CALLOUT_NEXT;
}

/*
 * ENTER imm16, imm8 (SDM ENTER): push EBP, copy level-1 frame pointers from
 * the old frame, push the new frame pointer, then reserve imm16 bytes.
 * Registers change only once every access has succeeded.
 */
int helper_enter(struct vcpu *v, const struct callout_insn *ci)
{
	int size = ci->opsize;
	uint32_t mask = stack_pointer_mask(v), alloc = ci->op[0].imm & 0xffff;
	unsigned level = ci->op[1].imm % 32;
	uint32_t esp = v->regs[R_ESP], ebp = v->regs[R_EBP], frame;
	uint32_t sp = esp & mask, bp = ebp & mask;

	sp = (sp - (uint32_t)size) & mask;
	guest_write(v, S_SS, sp, &v->regs[R_EBP], (uint32_t)size);
	frame = sp;
	for (unsigned i = 1; i < level; i++) {
		uint32_t value = 0;

		bp = (bp - (uint32_t)size) & mask;
		guest_read(v, S_SS, bp, &value, (uint32_t)size);
		sp = (sp - (uint32_t)size) & mask;
		guest_write(v, S_SS, sp, &value, (uint32_t)size);
	}
	if (level > 0) {
		sp = (sp - (uint32_t)size) & mask;
		guest_write(v, S_SS, sp, &frame, (uint32_t)size);
	}
	sp = (sp - alloc) & mask;
	/* ENTER faults if the new stack top is not writable (SDM: #SS). */
	seg_linear(v, S_SS, sp, 1, true);
	gpr_write(v, R_EBP, size, false, frame);
	v->regs[R_ESP] = (esp & ~mask) | sp;
	return CALLOUT_NEXT;
}

static int32_t sign_extend(uint32_t value, int size)
{
	return size == 2 ? (int16_t)value : (int32_t)value;
}

/* BOUND r, m: #BR (a fault) unless lower <= index <= upper, signed. */
int helper_bound(struct vcpu *v, const struct callout_insn *ci)
{
	const struct operand *m = &ci->op[1];
	int size = ci->opsize;
	uint32_t ea, lower = 0, upper = 0;
	int32_t index = sign_extend(gpr_read(v, ci->op[0].reg, size, false), size);

	if (m->kind != OPK_MEM)
		vcpu_raise_noerr(v, EXC_UD);
	ea = operand_ea(v, ci, m);
	guest_read(v, m->seg, ea, &lower, (uint32_t)size);
	guest_read(v, m->seg, ea + (uint32_t)size, &upper, (uint32_t)size);
	if (index < sign_extend(lower, size) || index > sign_extend(upper, size))
		vcpu_raise_noerr(v, EXC_BR);
	return CALLOUT_NEXT;
}

/* ARPL r/m16, r16: raise the destination selector's RPL to the source's. */
int helper_arpl(struct vcpu *v, const struct callout_insn *ci)
{
	uint32_t dest = operand_read(v, ci, 0), src = operand_read(v, ci, 1);

	if ((dest & SEL_RPL_MASK) < (src & SEL_RPL_MASK)) {
		operand_write(v, ci, 0, (dest & ~SEL_RPL_MASK) | (src & SEL_RPL_MASK));
		v->eflags |= EFLAGS_ZF;
	} else {
		v->eflags &= ~EFLAGS_ZF;
	}
	return CALLOUT_NEXT;
}

/* SALC (undocumented, present on P6): AL = CF ? 0xff : 0. */
int helper_salc(struct vcpu *v, const struct callout_insn *ci)
{
	gpr_write(v, R_EAX, 1, false, (v->eflags & EFLAGS_CF) ? 0xff : 0);
	return CALLOUT_NEXT;
}
