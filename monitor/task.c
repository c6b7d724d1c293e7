/*
 * task.c - hardware task switches through 32-bit TSSs (SDM Vol. 3A 7.3):
 * for JMP/CALL to a TSS or task gate, interrupts and exceptions through a
 * task gate (Linux i386 handles double faults so), and IRET with NT set.
 * The old task's state is saved in its TSS, the busy bits and back link
 * are updated, and the new task's registers, LDT and segments are loaded;
 * a fault while loading those is taken in the new task's context.
 */
#include "monitor/internal.h"

/* 32-bit TSS layout (SDM Vol. 3A figure 7-2). */
#define TSS_LINK 0x00
#define TSS_CR3 0x1c
#define TSS_EIP 0x20
#define TSS_EFLAGS 0x24
#define TSS_EAX 0x28 /* then ECX EDX EBX ESP EBP ESI EDI, 4 bytes each */
#define TSS_ES 0x48  /* then CS SS DS FS GS, 4 bytes each */
#define TSS_LDT 0x60
#define TSS32_MIN_LIMIT 0x67

#define DESC_BUSY (0x2u << 8) /* in the high dword's type field */

struct tss_image {
	uint32_t cr3, eip, eflags, regs[8];
	uint16_t segs[6], ldt;
};

static uint32_t tss_read32(struct vcpu *v, uint32_t base, uint32_t off)
{
	uint32_t value;

	guest_read_linear(v, base + off, &value, 4, false);
	return value;
}

static void tss_write32(struct vcpu *v, uint32_t base, uint32_t off, uint32_t value)
{
	guest_write_linear(v, base + off, &value, 4, false);
}

static void read_tss(struct vcpu *v, uint32_t base, struct tss_image *t)
{
	t->cr3 = tss_read32(v, base, TSS_CR3);
	t->eip = tss_read32(v, base, TSS_EIP);
	t->eflags = tss_read32(v, base, TSS_EFLAGS);
	for (int i = 0; i < 8; i++)
		t->regs[i] = tss_read32(v, base, TSS_EAX + 4u * (uint32_t)i);
	for (int s = 0; s < 6; s++)
		t->segs[s] = (uint16_t)tss_read32(v, base, TSS_ES + 4u * (uint32_t)s);
	t->ldt = (uint16_t)tss_read32(v, base, TSS_LDT);
}

/* Save the outgoing task's dynamic state into its TSS. */
static void save_current(struct vcpu *v, uint32_t eip, enum task_switch_reason why)
{
	uint32_t base = v->tr.base, eflags = v->eflags;

	if (why == SWITCH_JMP || why == SWITCH_IRET)
		eflags &= ~EFLAGS_NT;
	tss_write32(v, base, TSS_EIP, eip);
	tss_write32(v, base, TSS_EFLAGS, eflags);
	for (int i = 0; i < 8; i++)
		tss_write32(v, base, TSS_EAX + 4u * (uint32_t)i, v->regs[i]);
	for (int s = 0; s < 6; s++)
		tss_write32(v, base, TSS_ES + 4u * (uint32_t)s, v->seg[s].selector);
}

static void set_busy(struct vcpu *v, uint16_t selector, bool busy)
{
	struct descriptor d;

	if (!fetch_descriptor(v, selector, &d))
		return;
	write_descriptor_high(v, selector, busy ? d.raw[1] | DESC_BUSY : d.raw[1] & ~DESC_BUSY);
}

/* The new TSS must be a present 32-bit TSS, available (busy for IRET). */
static void check_new_tss(struct vcpu *v, uint16_t selector, enum task_switch_reason why,
			  struct descriptor *d)
{
	uint32_t error = selector & SEL_INDEX_MASK;
	unsigned want = why == SWITCH_IRET ? SYS_TYPE_TSS32_BUSY : SYS_TYPE_TSS32_AVAIL;

	if ((selector & SEL_TI) || !fetch_descriptor(v, selector, d) || d->s)
		vcpu_raise(v, why == SWITCH_IRET ? EXC_TS : EXC_GP, error);
	if (d->type == SYS_TYPE_TSS16_AVAIL || d->type == SYS_TYPE_TSS16_BUSY) {
		pr_err("guest switches to a 16-bit TSS at EIP %#x: not supported", v->eip);
		vm_request_stop(v->vm, EXIT_GUEST_FATAL, NULL); /* TODO: 16-bit TSS */
		vcpu_raise(v, EXC_TS, error);
	}
	if (d->type != want)
		vcpu_raise(v, why == SWITCH_IRET ? EXC_TS : EXC_GP, error);
	if (!d->present)
		vcpu_raise(v, EXC_NP, error);
	if (d->limit < TSS32_MIN_LIMIT)
		vcpu_raise(v, EXC_TS, error);
}

/* The LDT of the new task (a fault here is #TS(LDT selector)). */
static void load_task_ldt(struct vcpu *v, uint16_t selector)
{
	struct descriptor d;

	if ((selector & ~SEL_RPL_MASK) == 0) {
		v->ldtr = (struct segment){ .selector = selector };
		return;
	}
	if ((selector & SEL_TI) || !fetch_descriptor(v, selector, &d) || d.s ||
	    d.type != SYS_TYPE_LDT || !d.present)
		vcpu_raise(v, EXC_TS, selector & SEL_INDEX_MASK);
	v->ldtr = (struct segment){ .selector = selector, .attr = d.attr, .base = d.base,
				    .limit = d.limit };
}

/* CS of the new task: a present code segment, its RPL is the new CPL. */
static void load_task_cs(struct vcpu *v, uint16_t selector)
{
	uint32_t error = selector & SEL_INDEX_MASK;
	struct descriptor d;

	if ((selector & ~SEL_RPL_MASK) == 0 || !fetch_descriptor(v, selector, &d) || !d.s ||
	    !(d.type & SEG_TYPE_CODE))
		vcpu_raise(v, EXC_TS, error);
	if ((d.type & SEG_TYPE_CODE_CONFORMING) ? d.dpl > (selector & SEL_RPL_MASK) :
						  d.dpl != (selector & SEL_RPL_MASK))
		vcpu_raise(v, EXC_TS, error);
	if (!d.present)
		vcpu_raise(v, EXC_NP, error);
	v->cpl = selector & SEL_RPL_MASK;
	vcpu_set_segment(v, S_CS, selector, d.base, d.limit, d.attr);
}

static void load_task_ss(struct vcpu *v, uint16_t selector)
{
	struct descriptor d;

	if ((selector & ~SEL_RPL_MASK) == 0 || !fetch_descriptor(v, selector, &d))
		vcpu_raise(v, EXC_TS, selector & SEL_INDEX_MASK);
	check_stack_for(v, selector, &d, v->cpl, EXC_TS);
	vcpu_set_segment(v, S_SS, selector, d.base, d.limit, d.attr);
}

/* The new task's registers, then its segments, checked in its context. */
static void load_new_task(struct vcpu *v, const struct tss_image *t)
{
	for (int i = 0; i < 8; i++)
		v->regs[i] = t->regs[i];
	v->eip = t->eip;
	v->eflags = t->eflags | EFLAGS_FIXED1;
	/* Selectors are in place before any check, as the SDM describes. */
	for (int s = 0; s < 6; s++)
		v->seg[s] = (struct segment){ .selector = t->segs[s] };
	load_task_ldt(v, t->ldt);
	load_task_cs(v, t->segs[S_CS]);
	load_task_ss(v, t->segs[S_SS]);
	load_data_segment(v, S_DS, t->segs[S_DS]);
	load_data_segment(v, S_ES, t->segs[S_ES]);
	load_data_segment(v, S_FS, t->segs[S_FS]);
	load_data_segment(v, S_GS, t->segs[S_GS]);
	if (v->eip > v->seg[S_CS].limit)
		vcpu_raise(v, EXC_GP, 0);
}

static void switch_cr3(struct vcpu *v, uint32_t cr3)
{
	if (!(v->cr0 & CR0_PG) || cr3 == v->cr3)
		return;
	v->cr3 = cr3;
	smmu_write_cr3(&v->mmu, cr3);
	vcpu_code_mappings_changed(v);
}

void task_switch(struct vcpu *v, uint16_t selector, enum task_switch_reason why, uint32_t eip,
		 bool has_error_code, uint32_t error_code)
{
	struct descriptor d;
	struct tss_image t;
	uint16_t old_tr = v->tr.selector;
	bool nest = why == SWITCH_CALL || why == SWITCH_INT;

	check_new_tss(v, selector, why, &d);
	read_tss(v, d.base, &t);
	save_current(v, eip, why);
	if (why == SWITCH_JMP || why == SWITCH_IRET)
		set_busy(v, old_tr, false);
	if (nest) {
		tss_write32(v, d.base, TSS_LINK, old_tr);
		t.eflags |= EFLAGS_NT;
	}
	if (why != SWITCH_IRET)
		set_busy(v, selector, true);
	v->tr = (struct segment){ .selector = selector, .attr = (uint16_t)(d.attr | 0x2),
				  .base = d.base, .limit = d.limit };
	v->cr0 |= CR0_TS;
	v->attempt_committed = true; /* faults from here on are the new task's */
	switch_cr3(v, t.cr3);
	load_new_task(v, &t);
	vcpu_reload_segments(v);
	if (has_error_code)
		stack_push(v, error_code, 4);
}
