/*
 * exception.c - guest exceptions and interrupts: raising them from emulation
 * code, and delivering them through the guest's IDT as SDM Vol. 3A 6.12
 * describes (interrupt and trap gates, stack switch through the TSS on a
 * privilege change, error codes), with the double-fault rules of table 6-5
 * and the triple fault that ends it all.
 */
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include "monitor/internal.h"

static const char *const exception_names[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#MF(9)", "#TS", "#NP",
	"#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM",
};

static const char *vector_name(int vector)
{
	if (vector < 32 && exception_names[vector])
		return exception_names[vector];
	return "INT";
}

bool exception_has_error_code(int vector)
{
	switch (vector) {
	case EXC_DF: case EXC_TS: case EXC_NP: case EXC_SS: case EXC_GP: case EXC_PF: case EXC_AC:
		return true;
	default:
		return false;
	}
}

/* Leave whatever C context raised the exception: translated code (through
 * the unwind thunk), or delivery of an earlier one (through its jmp_buf). */
static void leave_to_monitor(struct vcpu *v) NORETURN_FN;
static void leave_to_monitor(struct vcpu *v)
{
	if (v->raise_env)
		longjmp(*(jmp_buf *)v->raise_env, 1);
	xlat_unwind(v->vm->xlat, v, TB_EXIT_EXCEPTION);
}

void vcpu_reraise(struct vcpu *v)
{
	leave_to_monitor(v);
}

static void snapshot_take(const struct vcpu *v, struct vcpu_snapshot *s)
{
	memcpy(s->regs, v->regs, sizeof(s->regs));
	s->eip = v->eip;
	s->eflags = v->eflags;
	s->cr0 = v->cr0;
	s->cr3 = v->cr3;
	s->cpl = v->cpl;
	memcpy(s->seg, v->seg, sizeof(s->seg));
	s->ldtr = v->ldtr;
	s->tr = v->tr;
}

static void snapshot_restore(struct vcpu *v, const struct vcpu_snapshot *s)
{
	memcpy(v->regs, s->regs, sizeof(s->regs));
	v->eip = s->eip;
	v->eflags = s->eflags;
	v->cpl = s->cpl;
	memcpy(v->seg, s->seg, sizeof(s->seg));
	v->ldtr = s->ldtr;
	v->tr = s->tr;
	if (v->cr0 != s->cr0) {
		v->cr0 = s->cr0;
		smmu_write_cr0(&v->mmu, v->cr0);
	}
	if (v->cr3 != s->cr3) {
		v->cr3 = s->cr3;
		smmu_write_cr3(&v->mmu, v->cr3);
	}
	vcpu_reload_segments(v);
}

void vcpu_attempt(struct vcpu *v, attempt_fn fn, void *ctx)
{
	struct vcpu_snapshot snap;
	void *outer = v->raise_env;
	bool outer_committed = v->attempt_committed;
	jmp_buf env;

	snapshot_take(v, &snap);
	v->raise_env = &env;
	v->attempt_committed = false;
	if (setjmp(env) == 0) {
		fn(v, ctx);
		v->raise_env = outer;
		v->attempt_committed = outer_committed;
		return;
	}
	v->raise_env = outer;
	/* A fault after the point of no return (a task switch that already
	 * switched) is taken in the new context: nothing to undo. */
	if (!v->attempt_committed)
		snapshot_restore(v, &snap);
	v->attempt_committed = outer_committed;
	leave_to_monitor(v);
}

void vcpu_raise(struct vcpu *v, int vector, uint32_t error_code)
{
	v->exception = (struct pending_exception){
		.valid = true, .vector = (uint8_t)vector,
		.has_error_code = exception_has_error_code(vector), .error_code = error_code,
	};
	v->stats.exceptions++;
	leave_to_monitor(v);
}

void vcpu_raise_noerr(struct vcpu *v, int vector)
{
	vcpu_raise(v, vector, 0);
}

void vcpu_raise_fault(struct vcpu *v, const struct mmu_fault *f)
{
	if (f->vector == EXC_PF)
		v->cr2 = f->cr2;
	vcpu_raise(v, f->vector, f->error_code);
}

/* ---- Delivery ---- */

static uint32_t gate_offset(const uint32_t gate[2])
{
	return (gate[0] & 0xffff) | (gate[1] & 0xffff0000u);
}

/* Read IDT entry @vector; raises #GP(vector*8+2+ext) when outside the IDT. */
static void read_gate(struct vcpu *v, int vector, uint32_t ext, uint32_t gate[2])
{
	uint32_t err = (uint32_t)vector * 8 + 2 + ext;

	if ((uint32_t)vector * 8 + 7 > v->idtr.limit)
		vcpu_raise(v, EXC_GP, err);
	guest_read_linear(v, v->idtr.base + (uint32_t)vector * 8, gate, 8, false);
}

/* Stack for a handler at @dpl: SS:ESP from the TSS (32-bit TSS layout). */
static void tss_stack(struct vcpu *v, unsigned dpl, uint16_t *ss, uint32_t *esp)
{
	uint32_t off = 4 + 8 * dpl, value[2];

	if (off + 7 > v->tr.limit)
		vcpu_raise(v, EXC_TS, v->tr.selector & SEL_INDEX_MASK);
	guest_read_linear(v, v->tr.base + off, value, 8, false);
	*esp = value[0];
	*ss = (uint16_t)value[1];
}

struct frame {
	uint32_t words[6];
	int n;
	int size; /* 2 or 4 */
};

static void frame_add(struct frame *fr, uint32_t value)
{
	fr->words[fr->n++] = value;
}

/* Push the frame (first word pushed first) onto the current SS:ESP. */
static void frame_push(struct vcpu *v, const struct frame *fr)
{
	for (int i = 0; i < fr->n; i++)
		stack_push(v, fr->words[i], fr->size);
}

struct delivery {
	int vector;
	bool has_insn_eip; /* a software interrupt: faults are reported at insn_eip */
	uint32_t insn_eip;
	bool has_error_code;
	uint32_t error_code;
	bool software; /* INT n / INT3 / INTO: the gate's DPL is checked */
	uint32_t ext;  /* 1 for external events and exceptions (error code EXT bit) */
};

/* Switch to the inner stack for @dpl; returns the frame's first words. */
static void switch_stack(struct vcpu *v, unsigned dpl, struct frame *fr)
{
	uint16_t old_ss = v->seg[S_SS].selector, new_ss;
	uint32_t old_esp = v->regs[R_ESP], new_esp;

	tss_stack(v, dpl, &new_ss, &new_esp);
	v->cpl = dpl; /* the new SS is checked, and loaded, at the handler's level */
	load_data_segment(v, S_SS, new_ss);
	v->regs[R_ESP] = new_esp;
	frame_add(fr, old_ss);
	frame_add(fr, old_esp);
}

static void enter_handler(struct vcpu *v, const struct delivery *d, const uint32_t gate[2])
{
	uint16_t sel = (uint16_t)(gate[0] >> 16);
	unsigned type = (gate[1] >> 8) & 0xf;
	uint32_t desc[2], cs_attr;
	struct frame fr = { .size = (type & 8) ? 4 : 2 };
	unsigned dpl;

	if ((sel & ~SEL_RPL_MASK) == 0)
		vcpu_raise(v, EXC_GP, d->ext);
	if (!read_descriptor(v, sel, desc))
		vcpu_raise(v, EXC_GP, (sel & SEL_INDEX_MASK) + d->ext);
	cs_attr = desc_attr(desc[1]);
	dpl = (cs_attr & SEG_ATTR_DPL_MASK) >> SEG_ATTR_DPL_SHIFT;
	if (!(cs_attr & SEG_ATTR_S) || !(cs_attr & SEG_TYPE_CODE) || dpl > v->cpl)
		vcpu_raise(v, EXC_GP, (sel & SEL_INDEX_MASK) + d->ext);
	if (!(cs_attr & SEG_ATTR_P))
		vcpu_raise(v, EXC_NP, (sel & SEL_INDEX_MASK) + d->ext);
	if (cs_attr & SEG_TYPE_CODE_CONFORMING)
		dpl = v->cpl;
	if (dpl < v->cpl)
		switch_stack(v, dpl, &fr);
	frame_add(&fr, v->eflags);
	frame_add(&fr, v->seg[S_CS].selector);
	frame_add(&fr, v->eip);
	if (d->has_error_code)
		frame_add(&fr, d->error_code);
	frame_push(v, &fr);
	v->eflags &= ~(EFLAGS_TF | EFLAGS_NT | EFLAGS_RF | EFLAGS_VM);
	if ((type & 7) == 6)
		v->eflags &= ~EFLAGS_IF; /* interrupt gate */
	v->cpl = dpl;
	load_code_segment(v, (uint16_t)((sel & ~SEL_RPL_MASK) | dpl), gate_offset(gate));
}

/* One delivery attempt; raises (through v->raise_env) if it faults. */
static void deliver_once(struct vcpu *v, const struct delivery *d)
{
	uint32_t gate[2], err = (uint32_t)d->vector * 8 + 2 + d->ext;
	unsigned type, dpl;

	read_gate(v, d->vector, d->ext, gate);
	type = (gate[1] >> 8) & 0x1f; /* S bit included: must be 0 */
	dpl = (gate[1] >> 13) & 3;
	if (type != SYS_TYPE_TASK_GATE && (type & 7) != 6 && (type & 7) != 7)
		vcpu_raise(v, EXC_GP, err);
	if (d->software && dpl < v->cpl)
		vcpu_raise(v, EXC_GP, err);
	if (!(gate[1] & (1u << 15)))
		vcpu_raise(v, EXC_NP, err);
	if (type == SYS_TYPE_TASK_GATE)
		task_switch(v, (uint16_t)(gate[0] >> 16), SWITCH_INT, v->eip, d->has_error_code,
			    d->error_code);
	else
		enter_handler(v, d, gate);
}

/* SDM table 6-5: which second exception turns into a double fault. */
static bool contributory(int vector)
{
	return vector == EXC_DE || (vector >= EXC_TS && vector <= EXC_GP);
}

static bool makes_double_fault(int first, int second)
{
	if (first == EXC_PF)
		return second == EXC_PF || contributory(second);
	return contributory(first) && contributory(second);
}

static void report_registers(const struct vcpu *v)
{
	static const char *const names[8] = { "EAX", "ECX", "EDX", "EBX", "ESP", "EBP", "ESI",
					      "EDI" };

	for (int i = 0; i < 8; i++)
		fprintf(stderr, "%s=%08x%s", names[i], v->regs[i], i % 4 == 3 ? "\n" : " ");
	fprintf(stderr, "EIP=%08x EFLAGS=%08x CPL=%u CS=%04x SS=%04x CR0=%08x CR2=%08x CR3=%08x\n",
		v->eip, v->eflags, v->cpl, v->seg[S_CS].selector, v->seg[S_SS].selector, v->cr0,
		v->cr2, v->cr3);
	fprintf(stderr, "IDTR=%08x/%04x GDTR=%08x/%04x\n", v->idtr.base, v->idtr.limit,
		v->gdtr.base, v->gdtr.limit);
}

static bool triple_fault(struct vcpu *v, const struct delivery *first)
{
	pr_err("guest triple fault: %s (vector %d, error code %#x) could not be delivered, "
	       "at EIP %#010x",
	       vector_name(first->vector), first->vector, first->error_code, v->eip);
	report_registers(v);
	/* A triple fault is a shutdown cycle; a PC turns it into a reset. */
	if (v->vm->cfg.no_reboot)
		vm_request_stop(v->vm, EXIT_GUEST_FATAL, NULL);
	else
		v->vm->reset_requested = true;
	return false;
}

/*
 * Deliver @d; a fault during delivery is delivered in its place, or turns
 * into #DF, and a fault while delivering #DF is a triple fault.
 */
static bool deliver(struct vcpu *v, struct delivery d)
{
	struct vcpu_snapshot saved;

	snapshot_take(v, &saved);
	v->attempt_committed = false;

	for (;;) {
		jmp_buf env;

		v->raise_env = &env;
		if (setjmp(env) == 0) {
			deliver_once(v, &d);
			v->raise_env = NULL;
			return !v->vm->stop;
		}
		v->raise_env = NULL;
		struct pending_exception e = v->exception;

		v->exception.valid = false; /* handled here, not by the run loop */
		if (v->attempt_committed) {
			/* A task gate switched tasks, then the new task's state
			 * faulted: an ordinary exception in the new task. */
			v->attempt_committed = false;
			snapshot_take(v, &saved);
			d = (struct delivery){ .vector = e.vector, .has_error_code = e.has_error_code,
					       .error_code = e.error_code, .ext = 1 };
			continue;
		}
		/* Undo partial effects: the frame was not delivered. A fault while
		 * delivering INT n is reported at the INT instruction. */
		snapshot_restore(v, &saved);
		if (d.has_insn_eip)
			v->eip = saved.eip = d.insn_eip;
		if (d.vector == EXC_DF)
			return triple_fault(v, &d);
		if (makes_double_fault(d.vector, e.vector))
			e = (struct pending_exception){ .valid = true, .vector = EXC_DF, .has_error_code = true };
		d = (struct delivery){ .vector = e.vector, .has_error_code = e.has_error_code,
				       .error_code = e.error_code, .ext = 1 };
	}
}

bool deliver_pending_exception(struct vcpu *v)
{
	struct pending_exception e = v->exception;
	struct delivery d = { .vector = e.vector, .has_error_code = e.has_error_code,
			      .error_code = e.error_code, .software = e.software,
			      .ext = e.software ? 0 : 1, .has_insn_eip = e.has_insn_eip,
			      .insn_eip = e.insn_eip };

	v->exception.valid = false;
	log_mask_printf(LOG_INT, "exception %s vector %d error %#x at %04x:%08x\n",
			vector_name(e.vector), e.vector, e.error_code, v->seg[S_CS].selector,
			v->eip);
	return deliver(v, d);
}

bool deliver_interrupt(struct vcpu *v, int vector)
{
	struct delivery d = { .vector = vector, .ext = 1 };

	log_mask_printf(LOG_INT, "interrupt vector %#x at %04x:%08x\n", vector,
			v->seg[S_CS].selector, v->eip);
	return deliver(v, d);
}
