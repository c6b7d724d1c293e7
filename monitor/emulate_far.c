/*
 * emulate_far.c - far control transfers: JMP and CALL to a code segment, a
 * call gate or a task; far RET; IRET (SDM Vol. 2 JMP, CALL, RET, IRET;
 * Vol. 3A 5.8 privilege level changes). All are sensitive without trapping
 * (Robin & Irvine): natively their privilege checks would run against the
 * real CPL, and IRET would silently drop IF changes. Each transfer runs
 * under vcpu_attempt(), so a fault half-way leaves the registers as they
 * were before the instruction.
 */
#include <string.h>

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
	} else {
		if (o->kind != OPK_MEM)
			vcpu_raise_noerr(v, EXC_UD);
		ea = operand_ea(v, ci, o);
		*offset = 0;
		guest_read(v, o->seg, ea, offset, ci->opsize);
		guest_read(v, o->seg, ea + ci->opsize, sel, 2);
	}
	if (ci->opsize == 2)
		*offset &= 0xffff;
}

/* The descriptor of a far transfer's target (null: #GP(0)). */
static void target_descriptor(struct vcpu *v, uint16_t sel, struct descriptor *d)
{
	if ((sel & ~SEL_RPL_MASK) == 0)
		vcpu_raise(v, EXC_GP, 0);
	if (!fetch_descriptor(v, sel, d))
		vcpu_raise(v, EXC_GP, sel & SEL_INDEX_MASK);
}

struct far {
	const struct callout_insn *ci;
	uint16_t sel;
	uint32_t offset;
	struct descriptor d;
};

static bool is_call_gate(unsigned type)
{
	return type == SYS_TYPE_CALL_GATE16 || type == SYS_TYPE_CALL_GATE32;
}

static bool is_task_target(unsigned type)
{
	return type == SYS_TYPE_TASK_GATE || type == SYS_TYPE_TSS32_AVAIL ||
	       type == SYS_TYPE_TSS32_BUSY || type == SYS_TYPE_TSS16_AVAIL ||
	       type == SYS_TYPE_TSS16_BUSY;
}

/* A gate or TSS descriptor may be used at this CPL and RPL? (#GP, #NP) */
static void check_gate(struct vcpu *v, const struct far *f)
{
	if (f->d.dpl < v->cpl || f->d.dpl < (f->sel & SEL_RPL_MASK))
		vcpu_raise(v, EXC_GP, f->sel & SEL_INDEX_MASK);
	if (!f->d.present)
		vcpu_raise(v, EXC_NP, f->sel & SEL_INDEX_MASK);
}

/* The code segment a call gate leads to; its DPL may not exceed CPL. */
static void gate_target(struct vcpu *v, const struct far *f, uint16_t *code_sel,
			struct descriptor *code, uint32_t *eip)
{
	*code_sel = (uint16_t)(f->d.raw[0] >> 16);
	*eip = (f->d.raw[0] & 0xffff) | (f->d.type == SYS_TYPE_CALL_GATE32 ?
						 (f->d.raw[1] & 0xffff0000u) : 0);
	target_descriptor(v, *code_sel, code);
	if (!code->s || !(code->type & SEG_TYPE_CODE) || code->dpl > v->cpl)
		vcpu_raise(v, EXC_GP, *code_sel & SEL_INDEX_MASK);
	if (!code->present)
		vcpu_raise(v, EXC_NP, *code_sel & SEL_INDEX_MASK);
}

/* The task a JMP/CALL names: a TSS, or a task gate leading to one. */
static uint16_t task_of(struct vcpu *v, const struct far *f)
{
	check_gate(v, f);
	return f->d.type == SYS_TYPE_TASK_GATE ? (uint16_t)(f->d.raw[0] >> 16) : f->sel;
}

/* ---- JMP ---- */

static void jmp_through_gate(struct vcpu *v, const struct far *f)
{
	struct descriptor code;
	uint16_t code_sel;
	uint32_t eip;

	check_gate(v, f);
	gate_target(v, f, &code_sel, &code, &eip);
	/* JMP cannot change privilege: non-conforming targets need DPL == CPL. */
	if (!(code.type & SEG_TYPE_CODE_CONFORMING) && code.dpl != v->cpl)
		vcpu_raise(v, EXC_GP, code_sel & SEL_INDEX_MASK);
	if (eip > code.limit)
		vcpu_raise(v, EXC_GP, 0);
	set_code_segment(v, code_sel, &code, eip);
}

static void do_far_jmp(struct vcpu *v, void *ctx)
{
	struct far *f = ctx;

	far_target(v, f->ci, &f->sel, &f->offset);
	target_descriptor(v, f->sel, &f->d);
	if (f->d.s) {
		check_code_target(v, f->sel, &f->d, f->offset);
		set_code_segment(v, f->sel, &f->d, f->offset);
	} else if (is_call_gate(f->d.type)) {
		jmp_through_gate(v, f);
	} else if (is_task_target(f->d.type)) {
		task_switch(v, task_of(v, f), SWITCH_JMP, f->ci->next_eip, false, 0);
	} else {
		vcpu_raise(v, EXC_GP, f->sel & SEL_INDEX_MASK);
	}
}

int emulate_far_jmp(struct vcpu *v, const struct callout_insn *ci)
{
	struct far f = { .ci = ci };

	vcpu_attempt(v, do_far_jmp, &f);
	return CALLOUT_EXIT;
}

/* ---- CALL ---- */

/* A call gate to a more privileged level: switch to the TSS's stack for the
 * target DPL, copying the gate's parameter count of words/dwords. */
static void call_gate_inner(struct vcpu *v, const struct far *f, uint16_t code_sel,
			    const struct descriptor *code, uint32_t eip)
{
	int size = f->d.type == SYS_TYPE_CALL_GATE32 ? 4 : 2;
	unsigned count = f->d.raw[1] & 0x1f;
	uint32_t params[32] = { 0 }, old_esp = v->regs[R_ESP];
	uint16_t old_ss = v->seg[S_SS].selector, new_ss;
	uint32_t new_esp;
	struct descriptor ss;

	for (unsigned i = 0; i < count; i++)
		guest_read(v, S_SS, (old_esp + i * (uint32_t)size) & stack_pointer_mask(v),
			   &params[i], (uint32_t)size);
	guest_read_linear(v, v->tr.base + 4 + 8 * code->dpl, &new_esp, 4, false);
	guest_read_linear(v, v->tr.base + 8 + 8 * code->dpl, &new_ss, 2, false);
	if ((new_ss & ~SEL_RPL_MASK) == 0 || !fetch_descriptor(v, new_ss, &ss))
		vcpu_raise(v, EXC_TS, new_ss & SEL_INDEX_MASK);
	check_stack_for(v, new_ss, &ss, code->dpl, EXC_TS);
	v->cpl = code->dpl;
	vcpu_set_segment(v, S_SS, new_ss, ss.base, ss.limit, ss.attr);
	v->regs[R_ESP] = new_esp;
	stack_push(v, old_ss, size);
	stack_push(v, old_esp, size);
	for (unsigned i = count; i-- > 0;)
		stack_push(v, params[i], size);
	stack_push(v, v->seg[S_CS].selector, size); /* CS is still the caller's */
	stack_push(v, f->ci->next_eip, size);
	set_code_segment(v, code_sel, code, eip);
}

static void call_through_gate(struct vcpu *v, const struct far *f)
{
	struct descriptor code;
	uint16_t code_sel;
	uint32_t eip;
	int size = f->d.type == SYS_TYPE_CALL_GATE32 ? 4 : 2;

	check_gate(v, f);
	gate_target(v, f, &code_sel, &code, &eip);
	if (eip > code.limit)
		vcpu_raise(v, EXC_GP, 0);
	if (!(code.type & SEG_TYPE_CODE_CONFORMING) && code.dpl < v->cpl) {
		call_gate_inner(v, f, code_sel, &code, eip);
		return;
	}
	stack_push(v, v->seg[S_CS].selector, size);
	stack_push(v, f->ci->next_eip, size);
	set_code_segment(v, code_sel, &code, eip);
}

static void do_far_call(struct vcpu *v, void *ctx)
{
	struct far *f = ctx;

	far_target(v, f->ci, &f->sel, &f->offset);
	target_descriptor(v, f->sel, &f->d);
	if (f->d.s) {
		check_code_target(v, f->sel, &f->d, f->offset);
		stack_push(v, v->seg[S_CS].selector, f->ci->opsize);
		stack_push(v, f->ci->next_eip, f->ci->opsize);
		set_code_segment(v, f->sel, &f->d, f->offset);
	} else if (is_call_gate(f->d.type)) {
		call_through_gate(v, f);
	} else if (is_task_target(f->d.type)) {
		task_switch(v, task_of(v, f), SWITCH_CALL, f->ci->next_eip, false, 0);
	} else {
		vcpu_raise(v, EXC_GP, f->sel & SEL_INDEX_MASK);
	}
}

int emulate_far_call(struct vcpu *v, const struct callout_insn *ci)
{
	struct far f = { .ci = ci };

	vcpu_attempt(v, do_far_call, &f);
	return CALLOUT_EXIT;
}

/* ---- RET and IRET ---- */

/* What a far RET or IRET pops: EIP, CS, [EFLAGS], and for an outer level
 * ESP, SS. Read first, committed once everything checked out. */
struct frame_in {
	int size;
	uint32_t eip, eflags, esp;
	uint16_t cs, ss;
	struct descriptor code, stack;
	unsigned rpl;
};

static uint32_t stack_word(struct vcpu *v, unsigned index, int size, uint32_t extra)
{
	uint32_t sp = v->regs[R_ESP] + index * (uint32_t)size + extra, value = 0;

	guest_read(v, S_SS, sp & stack_pointer_mask(v), &value, (uint32_t)size);
	return value;
}

/* The return CS: not more privileged than CPL; DPL rules by conformity. */
static void check_return_code(struct vcpu *v, struct frame_in *fr)
{
	uint32_t error = fr->cs & SEL_INDEX_MASK;

	fr->rpl = fr->cs & SEL_RPL_MASK;
	target_descriptor(v, fr->cs, &fr->code);
	if (fr->rpl < v->cpl || !fr->code.s || !(fr->code.type & SEG_TYPE_CODE))
		vcpu_raise(v, EXC_GP, error);
	if ((fr->code.type & SEG_TYPE_CODE_CONFORMING) ? fr->code.dpl > fr->rpl :
							 fr->code.dpl != fr->rpl)
		vcpu_raise(v, EXC_GP, error);
	if (!fr->code.present)
		vcpu_raise(v, EXC_NP, error);
	if (fr->eip > fr->code.limit)
		vcpu_raise(v, EXC_GP, 0);
}

/* For an outer-level return: the SS:ESP words at @index, checked. */
static void read_outer_stack(struct vcpu *v, struct frame_in *fr, unsigned index, uint32_t extra)
{
	fr->esp = stack_word(v, index, fr->size, extra);
	fr->ss = (uint16_t)stack_word(v, index + 1, fr->size, extra);
	if ((fr->ss & ~SEL_RPL_MASK) == 0 || !fetch_descriptor(v, fr->ss, &fr->stack))
		vcpu_raise(v, EXC_GP, fr->ss & SEL_INDEX_MASK);
	check_stack_for(v, fr->ss, &fr->stack, fr->rpl, EXC_GP);
}

/* Commit a return: CS:EIP, and for an outer level CPL, SS:ESP. */
static void return_to(struct vcpu *v, struct frame_in *fr, uint32_t popped, uint32_t extra)
{
	uint32_t mask = stack_pointer_mask(v);

	if (fr->rpl == v->cpl) {
		v->regs[R_ESP] = (v->regs[R_ESP] & ~mask) | ((v->regs[R_ESP] + popped + extra) & mask);
		set_code_segment(v, fr->cs, &fr->code, fr->eip);
		return;
	}
	v->cpl = fr->rpl;
	set_code_segment(v, fr->cs, &fr->code, fr->eip);
	vcpu_set_segment(v, S_SS, fr->ss, fr->stack.base, fr->stack.limit, fr->stack.attr);
	mask = stack_pointer_mask(v);
	v->regs[R_ESP] = (v->regs[R_ESP] & ~mask) | ((fr->esp + extra) & mask);
	drop_inaccessible_segments(v);
}

struct ret_ctx {
	const struct callout_insn *ci;
};

static void do_far_ret(struct vcpu *v, void *ctx)
{
	const struct callout_insn *ci = ((struct ret_ctx *)ctx)->ci;
	uint32_t extra = ci->nops ? ci->op[0].imm & 0xffff : 0;
	struct frame_in fr = { .size = ci->opsize };

	fr.eip = stack_word(v, 0, fr.size, 0);
	fr.cs = (uint16_t)stack_word(v, 1, fr.size, 0);
	check_return_code(v, &fr);
	if (fr.rpl != v->cpl)
		read_outer_stack(v, &fr, 2, extra);
	return_to(v, &fr, 2u * (uint32_t)fr.size, extra);
}

int emulate_far_ret(struct vcpu *v, const struct callout_insn *ci)
{
	struct ret_ctx c = { ci };

	vcpu_attempt(v, do_far_ret, &c);
	return CALLOUT_EXIT;
}

/* The EFLAGS an IRET loads (SDM IRET): IOPL only at CPL 0, IF only at
 * CPL <= IOPL, RF/AC/ID only with a 32-bit operand size. */
static void iret_flags(struct vcpu *v, uint32_t image, int size)
{
	uint32_t mask = EFLAGS_ARITH | EFLAGS_TF | EFLAGS_DF | EFLAGS_NT;

	if (size == 4)
		mask |= EFLAGS_RF | EFLAGS_AC | EFLAGS_ID;
	if (v->cpl <= iopl_of(v))
		mask |= EFLAGS_IF;
	if (v->cpl == 0)
		mask |= EFLAGS_IOPL_MASK;
	v->eflags = (v->eflags & ~mask) | (image & mask) | EFLAGS_FIXED1;
}

static void do_iret(struct vcpu *v, void *ctx)
{
	const struct callout_insn *ci = ((struct ret_ctx *)ctx)->ci;
	struct frame_in fr = { .size = ci->opsize };
	uint32_t old_tss_link = 0;

	if (v->eflags & EFLAGS_NT) {
		/* A task return: back to the task in this TSS's back link. */
		guest_read_linear(v, v->tr.base, &old_tss_link, 2, false);
		task_switch(v, (uint16_t)old_tss_link, SWITCH_IRET, ci->next_eip, false, 0);
		return;
	}
	fr.eip = stack_word(v, 0, fr.size, 0);
	fr.cs = (uint16_t)stack_word(v, 1, fr.size, 0);
	fr.eflags = stack_word(v, 2, fr.size, 0);
	if (fr.size == 4 && (fr.eflags & EFLAGS_VM) && v->cpl == 0) {
		pr_err("guest IRET to virtual-8086 mode at EIP %#x: not supported", ci->eip);
		vm_request_stop(v->vm, EXIT_GUEST_FATAL, NULL); /* TODO: virtual-8086 mode */
		return;
	}
	check_return_code(v, &fr);
	if (fr.rpl != v->cpl)
		read_outer_stack(v, &fr, 3, 0);
	iret_flags(v, fr.eflags, fr.size);
	return_to(v, &fr, 3u * (uint32_t)fr.size, 0);
}

int emulate_iret(struct vcpu *v, const struct callout_insn *ci)
{
	struct ret_ctx c = { ci };

	vcpu_attempt(v, do_iret, &c);
	vcpu_update_mode(v); /* TF may have changed */
	return CALLOUT_EXIT;
}
