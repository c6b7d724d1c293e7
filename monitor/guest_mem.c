/*
 * guest_mem.c - guest memory as the emulated instructions see it:
 * segmentation (limit and type checks, SDM Vol. 3A 5.3), then paging
 * through the shadow MMU, with every failure raised as the guest exception
 * hardware would raise.
 */
#include <string.h>

#include "monitor/internal.h"

uint32_t seg_linear(struct vcpu *v, int sreg, uint32_t offset, uint32_t len, bool write)
{
	const struct seg_fast *f = &v->seg_fast[sreg];
	uint32_t lo = write ? f->write_lo : f->read_lo;
	uint32_t hi = write ? f->write_hi : f->read_hi;
	uint64_t last = (uint64_t)offset + len - 1;

	if (offset < lo || last > hi) {
		/* Limit violations through SS are #SS(0), others #GP(0). */
		vcpu_raise(v, sreg == S_SS ? EXC_SS : EXC_GP, 0);
	}
	return f->base + offset;
}

void guest_read_linear(struct vcpu *v, uint32_t linear, void *buf, uint32_t len, bool user)
{
	void *host = smmu_tlb_ptr(&v->mmu, linear, len, false, user);
	struct mmu_fault f;

	if (host) {
		memcpy(buf, host, len);
		return;
	}
	if (smmu_read(&v->mmu, linear, buf, len, user, &f) < 0)
		vcpu_raise_fault(v, &f);
}

void guest_write_linear(struct vcpu *v, uint32_t linear, const void *buf, uint32_t len,
			bool user)
{
	void *host = smmu_tlb_ptr(&v->mmu, linear, len, true, user);
	struct mmu_fault f;

	if (host) {
		memcpy(host, buf, len);
		return;
	}
	if (smmu_write(&v->mmu, linear, buf, len, user, &f) < 0)
		vcpu_raise_fault(v, &f);
}

/* With CR0.AM and EFLAGS.AC at CPL 3, data must be naturally aligned
 * (up to 8 bytes; SDM Vol. 3A 6.15, interrupt 17). */
static void check_alignment(struct vcpu *v, uint32_t linear, uint32_t len)
{
	uint32_t align = len >= 8 ? 8 : len >= 4 ? 4 : len >= 2 ? 2 : 1;

	if ((v->mode & MODE_ALIGN_CHECK) && (linear & (align - 1)))
		vcpu_raise(v, EXC_AC, 0);
}

void guest_read(struct vcpu *v, int sreg, uint32_t offset, void *buf, uint32_t len)
{
	uint32_t linear = seg_linear(v, sreg, offset, len, false);

	check_alignment(v, linear, len);
	guest_read_linear(v, linear, buf, len, cpl_of(v) == 3);
}

void guest_write(struct vcpu *v, int sreg, uint32_t offset, const void *buf, uint32_t len)
{
	uint32_t linear = seg_linear(v, sreg, offset, len, true);

	check_alignment(v, linear, len);
	guest_write_linear(v, linear, buf, len, cpl_of(v) == 3);
}

/* The part of ESP that is the stack pointer: SP with a 16-bit stack. */
uint32_t stack_pointer_mask(const struct vcpu *v)
{
	return (v->seg[S_SS].attr & SEG_ATTR_DB) ? 0xffffffffu : 0xffffu;
}

static void set_stack_pointer(struct vcpu *v, uint32_t sp)
{
	uint32_t mask = stack_pointer_mask(v);

	v->regs[R_ESP] = (v->regs[R_ESP] & ~mask) | (sp & mask);
}

void stack_push(struct vcpu *v, uint32_t value, int size)
{
	uint32_t sp = (v->regs[R_ESP] - (uint32_t)size) & stack_pointer_mask(v);

	guest_write(v, S_SS, sp, &value, (uint32_t)size);
	set_stack_pointer(v, sp);
}

uint32_t stack_pop(struct vcpu *v, int size)
{
	uint32_t sp = v->regs[R_ESP] & stack_pointer_mask(v);
	uint32_t value = 0;

	guest_read(v, S_SS, sp, &value, (uint32_t)size);
	set_stack_pointer(v, sp + (uint32_t)size);
	return value;
}
