/*
 * helpers_mem.c - the C side of translated code's memory accesses: the
 * slow path after an inline TLB probe misses, the commit after an access
 * that went through the bounce buffer, and segment-check failures.
 *
 * The slow path walks the guest's tables (raising #PF as hardware would),
 * refills the TLB, and hands back a host pointer: into guest RAM when the
 * access lies in RAM within one page or two contiguous ones, else into the
 * vCPU's bounce buffer, filled from (and for writes, committed back to)
 * the pages or device registers behind it.
 */
#include <string.h>

#include "monitor/internal.h"

struct access {
	uint32_t linear, size;
	bool read, write, user;
	enum mmu_access acc;
};

static void decode_info(uint32_t linear, uint32_t info, struct access *a)
{
	a->linear = linear;
	a->size = info & MEMINFO_SIZE_MASK;
	a->read = info & MEMINFO_READ;
	a->write = info & MEMINFO_WRITE;
	a->user = info & MEMINFO_USER;
	a->acc = a->write ? MMU_WRITE : MMU_READ;
}

/* Translate (and refill the TLB for) the page holding @linear. */
static uint32_t translate_page(struct vcpu *v, const struct access *a, uint32_t linear)
{
	struct mmu_fault f;
	uint32_t gpa;

	if (tlb_fill(&v->mmu, linear, a->acc, a->user, &gpa, &f) < 0)
		vcpu_raise_fault(v, &f);
	return gpa;
}

/* The bounce buffer, at the guest address's offset modulo 64, so that
 * alignment checks (MOVAPS, FXSAVE) see the guest's alignment. */
static uint8_t *bounce(struct vcpu *v, uint32_t linear)
{
	return v->mem_bounce + (linear & 63);
}

static uint64_t use_bounce(struct vcpu *v, const struct access *a, uint32_t gpa0, uint32_t gpa1,
			   uint32_t split)
{
	uint8_t *buf = bounce(v, a->linear);

	/* Reads and read-modify-writes need the old contents; so does a write
	 * to RAM that may not cover every byte (FXSAVE skips its last 48).
	 * Device registers are read only when the instruction reads them. */
	if (a->read || phys_is_ram(v->mmu.phys, gpa0))
		smmu_phys_read(&v->mmu, gpa0, buf, split);
	if (split < a->size && (a->read || phys_is_ram(v->mmu.phys, gpa1)))
		smmu_phys_read(&v->mmu, gpa1, buf + split, a->size - split);
	if (a->write) {
		v->mem_pending = (struct mem_pending){ .active = true, .write = true,
						       .linear = a->linear, .len = a->size,
						       .gpa = { gpa0, gpa1 }, .split = split };
		v->mem_commit_needed = 1;
	}
	return (uint64_t)(uintptr_t)buf;
}

/* A write straight into guest RAM: drop translations it overwrites. */
static void note_direct_write(struct vcpu *v, uint32_t gpa, uint32_t len)
{
	smmu_note_write(&v->mmu, gpa, len);
	if (v->mem_pending.smc)
		v->mem_commit_needed = 1; /* leave right after the instruction */
}

uint64_t helper_mem_prepare(struct vcpu *v, uint32_t linear, uint32_t info)
{
	struct access a;
	uint32_t gpa0, gpa1 = 0, split;
	uint8_t *host;

	decode_info(linear, info, &a);
	v->mem_commit_needed = 0;
	split = PAGE_SIZE - (linear & (PAGE_SIZE - 1));
	if (split > a.size)
		split = a.size;
	gpa0 = translate_page(v, &a, linear);
	if (split < a.size)
		gpa1 = translate_page(v, &a, linear + split);
	host = phys_ram_ptr(v->mmu.phys, gpa0, a.size);
	if (!host || (split < a.size && gpa1 != gpa0 + split))
		return use_bounce(v, &a, gpa0, gpa1, split);
	if (a.write)
		note_direct_write(v, gpa0, a.size);
	return (uint64_t)(uintptr_t)host;
}

int helper_mem_commit(struct vcpu *v, uint32_t next_eip)
{
	struct mem_pending *p = &v->mem_pending;
	uint8_t *buf = bounce(v, p->linear);

	v->mem_commit_needed = 0;
	if (p->active && p->write) {
		smmu_phys_write(&v->mmu, p->gpa[0], buf, p->split);
		if (p->split < p->len)
			smmu_phys_write(&v->mmu, p->gpa[1], buf + p->split, p->len - p->split);
	}
	p->active = false;
	if (!p->smc)
		return 0;
	p->smc = false;
	v->stats.smc_exits++;
	v->eip = next_eip;
	return 1;
}

/* A limit or type violation: #SS(0) for any access through SS (implicit
 * stack accesses and SS-relative operands alike), else #GP(0); or a
 * misaligned access with alignment checking on: #AC(0); or DIV/IDIV by
 * zero: #DE (a fault: EIP is the division's). */
void helper_raise_fault(struct vcpu *v, uint32_t info)
{
	int seg = (info >> MEMINFO_SEG_SHIFT) & 7;

	if (info & MEMINFO_DIVIDE)
		vcpu_raise_noerr(v, EXC_DE);
	if (info & MEMINFO_ALIGN)
		vcpu_raise(v, EXC_AC, 0);
	vcpu_raise(v, seg == S_SS ? EXC_SS : EXC_GP, 0);
}
