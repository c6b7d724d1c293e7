/*
 * helpers_string.c - MOVS, STOS, LODS, CMPS, SCAS with and without
 * REP/REPE/REPNE (SDM Vol. 2, "REP/REPE/REPZ/REPNE/REPNZ"). Runs of MOVS
 * and STOS within a page of guest RAM are done by the host's own REP MOVS/
 * STOS on guest memory, which keeps x86's element-by-element semantics for
 * overlapping copies; everything else goes one element at a time. ESI, EDI
 * and ECX are updated after every piece, so a fault or an interrupt in the
 * middle leaves them as hardware would, with EIP still on the instruction.
 */
#include "monitor/internal.h"

enum string_op { STR_MOVS, STR_STOS, STR_LODS, STR_CMPS, STR_SCAS };

struct string_insn {
	enum string_op op;
	unsigned size;	  /* element bytes */
	uint32_t amask;	  /* 0xffff with a 16-bit address size */
	int src_seg;	  /* DS or the override (MOVS, LODS, CMPS) */
	int32_t step;	  /* +size, or -size when DF is set */
};

/*
 * The operation and element size come from the opcode (A4-AF) and the
 * operand size, not from Capstone's instruction id: Capstone 4 decodes
 * 66 F3 A5 (REP MOVSW) as MOVSD when the 66 comes first.
 */
static void decode_string(const struct vcpu *v, const struct callout_insn *ci,
			  struct string_insn *s)
{
	/* A4 MOVS, A6 CMPS, (A8 is TEST), AA STOS, AC LODS, AE SCAS */
	static const enum string_op ops[6] = { STR_MOVS, STR_CMPS, STR_MOVS,
					       STR_STOS, STR_LODS, STR_SCAS };
	uint8_t op = ci->opcode;

	s->op = ops[op >= 0xa4 && op <= 0xaf ? (op - 0xa4) / 2 : 0];
	s->size = (op & 1) ? ci->opsize : 1;
	s->amask = ci->addrsize == 2 ? 0xffff : 0xffffffffu;
	s->src_seg = ci->seg_override >= 0 ? ci->seg_override : S_DS;
	s->step = (v->eflags & EFLAGS_DF) ? -(int32_t)s->size : (int32_t)s->size;
}

static uint32_t reg_offset(const struct vcpu *v, int reg, const struct string_insn *s)
{
	return v->regs[reg] & s->amask;
}

static void reg_advance(struct vcpu *v, int reg, const struct string_insn *s, uint32_t count)
{
	uint32_t value = v->regs[reg] + (uint32_t)s->step * count;

	v->regs[reg] = (v->regs[reg] & ~s->amask) | (value & s->amask);
}

/* EFLAGS after CMP a, b at @size bytes: the host computes them. */
static uint32_t cmp_flags(uint32_t a, uint32_t b, unsigned size)
{
	uint64_t flags;

	if (size == 1)
		__asm__("cmpb %b2, %b1; pushfq; popq %0" : "=r"(flags) : "q"(a), "q"(b) : "cc");
	else if (size == 2)
		__asm__("cmpw %w2, %w1; pushfq; popq %0" : "=r"(flags) : "r"(a), "r"(b) : "cc");
	else
		__asm__("cmpl %2, %1; pushfq; popq %0" : "=r"(flags) : "r"(a), "r"(b) : "cc");
	return (uint32_t)flags & EFLAGS_ARITH;
}

/* One element; returns the flags a CMPS/SCAS produced (else unused). */
static void string_step(struct vcpu *v, const struct string_insn *s)
{
	uint32_t a = 0, b = 0;

	switch (s->op) {
	case STR_MOVS:
		guest_read(v, s->src_seg, reg_offset(v, R_ESI, s), &a, s->size);
		guest_write(v, S_ES, reg_offset(v, R_EDI, s), &a, s->size);
		break;
	case STR_STOS:
		guest_write(v, S_ES, reg_offset(v, R_EDI, s), &v->regs[R_EAX], s->size);
		break;
	case STR_LODS:
		guest_read(v, s->src_seg, reg_offset(v, R_ESI, s), &a, s->size);
		gpr_write(v, R_EAX, (int)s->size, false, a);
		break;
	case STR_CMPS:
		guest_read(v, s->src_seg, reg_offset(v, R_ESI, s), &a, s->size);
		guest_read(v, S_ES, reg_offset(v, R_EDI, s), &b, s->size);
		v->eflags = (v->eflags & ~EFLAGS_ARITH) | cmp_flags(a, b, s->size);
		break;
	case STR_SCAS:
		guest_read(v, S_ES, reg_offset(v, R_EDI, s), &b, s->size);
		v->eflags = (v->eflags & ~EFLAGS_ARITH) |
			    cmp_flags(gpr_read(v, R_EAX, (int)s->size, false), b, s->size);
		break;
	}
	if (s->op != STR_STOS && s->op != STR_SCAS)
		reg_advance(v, R_ESI, s, 1);
	if (s->op != STR_LODS)
		reg_advance(v, R_EDI, s, 1);
}

/* ---- Fast runs of REP MOVS / REP STOS within pages of guest RAM ---- */

/* How many elements from @offset stay inside the segment's page (and
 * inside one 64 KB wrap with 16-bit addresses), in the direction of travel. */
static uint32_t elements_in_page(uint32_t linear, uint32_t offset, const struct string_insn *s)
{
	uint32_t bytes;

	if (s->step > 0) {
		bytes = PAGE_SIZE - (linear & (PAGE_SIZE - 1));
		if (s->amask == 0xffff && 0x10000 - offset < bytes)
			bytes = 0x10000 - offset;
	} else {
		/* Downwards: the first element must not run into the next page. */
		if ((linear & (PAGE_SIZE - 1)) + s->size > PAGE_SIZE)
			return 0;
		bytes = (linear & (PAGE_SIZE - 1)) + s->size;
		if (s->amask == 0xffff && offset + s->size < bytes)
			bytes = offset + s->size;
	}
	return bytes / s->size;
}

/* How many elements from @offset stay within the segment's bounds. */
static uint32_t elements_in_limit(const struct vcpu *v, int seg, uint32_t offset, bool write,
				  const struct string_insn *s)
{
	const struct seg_fast *f = &v->seg_fast[seg];
	uint32_t lo = write ? f->write_lo : f->read_lo, hi = write ? f->write_hi : f->read_hi;

	if (offset < lo || (uint64_t)offset + s->size - 1 > hi)
		return 0;
	if (s->step > 0)
		return (uint32_t)(((uint64_t)hi - offset + 1) / s->size);
	return (offset - lo) / s->size + 1;
}

/* Host pointer to the element at seg:offset, or NULL if not plain RAM. */
static uint8_t *element_host(struct vcpu *v, int seg, uint32_t offset, unsigned size, bool write,
			     uint32_t *linear, uint32_t *gpa)
{
	struct mmu_fault f;

	*linear = seg_linear(v, seg, offset, size, write);
	if (smmu_translate(&v->mmu, *linear, write ? MMU_WRITE : MMU_READ, v->cpl == 3, gpa, &f) < 0)
		vcpu_raise_fault(v, &f);
	return phys_ram_ptr(v->mmu.phys, *gpa, size);
}

static void host_rep(uint8_t *dst, const uint8_t *src, uint32_t value, uint32_t n,
		     const struct string_insn *s)
{
	if (s->step < 0)
		__asm__ volatile("std" ::: "cc");
	if (s->op == STR_MOVS && s->size == 1)
		__asm__ volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
	else if (s->op == STR_MOVS && s->size == 2)
		__asm__ volatile("rep movsw" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
	else if (s->op == STR_MOVS)
		__asm__ volatile("rep movsl" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
	else if (s->size == 1)
		__asm__ volatile("rep stosb" : "+D"(dst), "+c"(n) : "a"(value) : "memory");
	else if (s->size == 2)
		__asm__ volatile("rep stosw" : "+D"(dst), "+c"(n) : "a"(value) : "memory");
	else
		__asm__ volatile("rep stosl" : "+D"(dst), "+c"(n) : "a"(value) : "memory");
	__asm__ volatile("cld" ::: "cc");
}

static uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/* Try one fast run of at most @count elements; returns how many it did. */
static uint32_t fast_run(struct vcpu *v, const struct string_insn *s, uint32_t count)
{
	uint32_t dst_off = reg_offset(v, R_EDI, s), src_off = reg_offset(v, R_ESI, s);
	uint32_t dst_lin, src_lin = 0, dst_gpa, src_gpa, n;
	uint8_t *dst, *src = NULL;

	dst = element_host(v, S_ES, dst_off, s->size, true, &dst_lin, &dst_gpa);
	if (s->op == STR_MOVS)
		src = element_host(v, s->src_seg, src_off, s->size, false, &src_lin, &src_gpa);
	if (!dst || (s->op == STR_MOVS && !src))
		return 0;
	n = count;
	n = min_u32(n, elements_in_page(dst_lin, dst_off, s));
	n = min_u32(n, elements_in_limit(v, S_ES, dst_off, true, s));
	if (s->op == STR_MOVS) {
		n = min_u32(n, elements_in_page(src_lin, src_off, s));
		n = min_u32(n, elements_in_limit(v, s->src_seg, src_off, false, s));
	}
	if (n == 0)
		return 0;
	smmu_note_write(&v->mmu, s->step > 0 ? dst_gpa : dst_gpa - (n - 1) * s->size,
			n * s->size);
	host_rep(dst, src, v->regs[R_EAX], n, s);
	return n;
}

static void count_down(struct vcpu *v, const struct string_insn *s, uint32_t n)
{
	v->regs[R_ECX] = (v->regs[R_ECX] & ~s->amask) | ((v->regs[R_ECX] - n) & s->amask);
}

/* Do REPE/REPNE conditions end the loop after this element? */
static bool condition_ends(const struct vcpu *v, const struct callout_insn *ci,
			   const struct string_insn *s)
{
	bool zf = v->eflags & EFLAGS_ZF;

	if (s->op != STR_CMPS && s->op != STR_SCAS)
		return false;
	return ci->rep == 0xf3 ? !zf : zf;
}

static int rep_string(struct vcpu *v, const struct callout_insn *ci, const struct string_insn *s)
{
	while (v->regs[R_ECX] & s->amask) {
		uint32_t n = 0;

		if (s->op == STR_MOVS || s->op == STR_STOS)
			n = fast_run(v, s, v->regs[R_ECX] & s->amask);
		if (n) {
			if (s->op == STR_MOVS)
				reg_advance(v, R_ESI, s, n);
			reg_advance(v, R_EDI, s, n);
		} else {
			string_step(v, s);
			n = 1;
		}
		count_down(v, s, n);
		if (condition_ends(v, ci, s))
			break;
		if (v->exit_request && (v->regs[R_ECX] & s->amask))
			return CALLOUT_EXIT; /* EIP stays here: the rest runs after the event */
	}
	return CALLOUT_NEXT;
}

int helper_string(struct vcpu *v, const struct callout_insn *ci)
{
	struct string_insn s;

	decode_string(v, ci, &s);
	if (!ci->rep) {
		string_step(v, &s);
		return CALLOUT_NEXT;
	}
	return rep_string(v, ci, &s);
}
