/*
 * segments.c - descriptor tables and segment-register loads with the
 * protection checks of SDM Vol. 3A 5.5-5.10 (and the MOV/POP/LDS
 * pseudo-code of Vol. 2): null selectors, table limits, types, privilege
 * (CPL, RPL, DPL), presence, and the accessed bit written back.
 */
#include "monitor/internal.h"

/* Linear address of the descriptor @selector names, if inside its table. */
static bool descriptor_address(const struct vcpu *v, uint16_t selector, uint32_t *linear)
{
	uint32_t index = selector & SEL_INDEX_MASK;

	if (selector & SEL_TI) {
		if (!(v->ldtr.attr & SEG_ATTR_P) || index + 7 > v->ldtr.limit)
			return false;
		*linear = v->ldtr.base + index;
		return true;
	}
	if (index + 7 > v->gdtr.limit)
		return false;
	*linear = v->gdtr.base + index;
	return true;
}

bool read_descriptor(struct vcpu *v, uint16_t selector, uint32_t desc[2])
{
	uint32_t linear;

	if (!descriptor_address(v, selector, &linear))
		return false;
	/* Descriptor tables are read with supervisor rights whatever the CPL. */
	guest_read_linear(v, linear, desc, 8, false);
	return true;
}

bool fetch_descriptor(struct vcpu *v, uint16_t selector, struct descriptor *d)
{
	if (!read_descriptor(v, selector, d->raw))
		return false;
	d->attr = desc_attr(d->raw[1]);
	d->base = desc_base(d->raw[0], d->raw[1]);
	d->limit = desc_limit_bytes(d->raw[0], d->raw[1]);
	d->type = d->attr & SEG_ATTR_TYPE_MASK;
	d->dpl = (d->attr & SEG_ATTR_DPL_MASK) >> SEG_ATTR_DPL_SHIFT;
	d->s = d->attr & SEG_ATTR_S;
	d->present = d->attr & SEG_ATTR_P;
	return true;
}

void write_descriptor_high(struct vcpu *v, uint16_t selector, uint32_t high)
{
	uint32_t linear;

	if (descriptor_address(v, selector, &linear))
		guest_write_linear(v, linear + 4, &high, 4, false);
}

/* Set the accessed bit in the descriptor, as the CPU does on a load. */
static void mark_accessed(struct vcpu *v, uint16_t selector, uint32_t desc[2])
{
	uint32_t linear;

	if (desc[1] & (SEG_TYPE_ACCESSED << 8))
		return;
	desc[1] |= SEG_TYPE_ACCESSED << 8;
	if (descriptor_address(v, selector, &linear))
		guest_write_linear(v, linear + 4, &desc[1], 4, false);
}

static void load_from_descriptor(struct vcpu *v, int sreg, uint16_t selector, const uint32_t desc[2])
{
	vcpu_set_segment(v, sreg, selector, desc_base(desc[0], desc[1]),
			 desc_limit_bytes(desc[0], desc[1]), desc_attr(desc[1]));
}

static unsigned attr_dpl(uint16_t attr)
{
	return (attr & SEG_ATTR_DPL_MASK) >> SEG_ATTR_DPL_SHIFT;
}

/* MOV SS / POP SS / LSS (SDM MOV: "IF SS is loaded"). */
static void check_stack_segment(struct vcpu *v, uint16_t selector, uint16_t attr)
{
	unsigned rpl = selector & SEL_RPL_MASK;
	bool writable_data = (attr & SEG_ATTR_S) && !(attr & SEG_TYPE_CODE) &&
			     (attr & SEG_TYPE_DATA_WRITABLE);

	if (rpl != v->cpl || !writable_data || attr_dpl(attr) != v->cpl)
		vcpu_raise(v, EXC_GP, selector & ~SEL_RPL_MASK);
	if (!(attr & SEG_ATTR_P))
		vcpu_raise(v, EXC_SS, selector & ~SEL_RPL_MASK);
}

/* MOV DS/ES/FS/GS: data or readable code; privilege unless conforming. */
static void check_data_segment(struct vcpu *v, uint16_t selector, uint16_t attr)
{
	unsigned rpl = selector & SEL_RPL_MASK;
	bool code = attr & SEG_TYPE_CODE;
	bool conforming = code && (attr & SEG_TYPE_CODE_CONFORMING);

	if (!(attr & SEG_ATTR_S) || (code && !(attr & SEG_TYPE_CODE_READABLE)))
		vcpu_raise(v, EXC_GP, selector & ~SEL_RPL_MASK);
	if (!conforming && (rpl > attr_dpl(attr) || v->cpl > attr_dpl(attr)))
		vcpu_raise(v, EXC_GP, selector & ~SEL_RPL_MASK);
	if (!(attr & SEG_ATTR_P))
		vcpu_raise(v, EXC_NP, selector & ~SEL_RPL_MASK);
}

void load_data_segment(struct vcpu *v, int sreg, uint16_t selector)
{
	uint32_t desc[2];

	if ((selector & ~SEL_RPL_MASK) == 0) {
		/* A null selector: allowed except in SS, where it is #GP(0). It
		 * leaves the register unusable: any access through it faults. */
		if (sreg == S_SS)
			vcpu_raise(v, EXC_GP, 0);
		vcpu_set_segment(v, sreg, selector, 0, 0, 0);
		return;
	}
	if (!read_descriptor(v, selector, desc))
		vcpu_raise(v, EXC_GP, selector & ~SEL_RPL_MASK);
	if (sreg == S_SS)
		check_stack_segment(v, selector, desc_attr(desc[1]));
	else
		check_data_segment(v, selector, desc_attr(desc[1]));
	mark_accessed(v, selector, desc);
	load_from_descriptor(v, sreg, selector, desc);
}

/*
 * The checks of a far JMP or CALL to a code segment (SDM JMP, "far jump to a
 * code segment"): conforming code needs DPL <= CPL, non-conforming RPL <=
 * CPL and DPL == CPL; the target must be present and EIP within its limit.
 */
void check_code_target(struct vcpu *v, uint16_t selector, const struct descriptor *d,
		       uint32_t eip)
{
	uint32_t error = selector & SEL_INDEX_MASK;

	if (!d->s || !(d->type & SEG_TYPE_CODE))
		vcpu_raise(v, EXC_GP, error);
	if (d->type & SEG_TYPE_CODE_CONFORMING) {
		if (d->dpl > v->cpl)
			vcpu_raise(v, EXC_GP, error);
	} else if ((selector & SEL_RPL_MASK) > v->cpl || d->dpl != v->cpl) {
		vcpu_raise(v, EXC_GP, error);
	}
	if (!d->present)
		vcpu_raise(v, EXC_NP, error);
	if (eip > d->limit)
		vcpu_raise(v, EXC_GP, 0);
}

/* Load CS (its RPL becomes CPL) and EIP once the checks have passed. */
void set_code_segment(struct vcpu *v, uint16_t selector, const struct descriptor *d,
		      uint32_t eip)
{
	uint32_t desc[2] = { d->raw[0], d->raw[1] };

	mark_accessed(v, selector, desc);
	vcpu_set_segment(v, S_CS, (uint16_t)((selector & ~SEL_RPL_MASK) | v->cpl), d->base,
			 d->limit, d->attr);
	v->eip = eip;
}

void load_code_segment(struct vcpu *v, uint16_t selector, uint32_t eip)
{
	struct descriptor d;

	if ((selector & ~SEL_RPL_MASK) == 0)
		vcpu_raise(v, EXC_GP, 0);
	if (!fetch_descriptor(v, selector, &d))
		vcpu_raise(v, EXC_GP, selector & SEL_INDEX_MASK);
	check_code_target(v, selector, &d, eip);
	set_code_segment(v, selector, &d, eip);
}

/*
 * The checks on a new SS for privilege level @cpl (stack switches through
 * the TSS, outer-level returns, task switches): RPL and DPL equal to @cpl,
 * a writable data segment, present. @fault_vector is #TS (stack switches
 * and task switches) or #GP (returns); not present is then #TS or #SS.
 */
void check_stack_for(struct vcpu *v, uint16_t selector, const struct descriptor *d,
		     unsigned cpl, int fault_vector)
{
	uint32_t error = selector & SEL_INDEX_MASK;
	bool writable_data = d->s && !(d->type & SEG_TYPE_CODE) &&
			     (d->type & SEG_TYPE_DATA_WRITABLE);

	if ((selector & SEL_RPL_MASK) != cpl || !writable_data || d->dpl != cpl)
		vcpu_raise(v, fault_vector, error);
	if (!d->present)
		vcpu_raise(v, fault_vector == EXC_TS ? EXC_TS : EXC_SS, error);
}

void drop_inaccessible_segments(struct vcpu *v)
{
	static const int data_segs[] = { S_ES, S_DS, S_FS, S_GS };

	for (unsigned i = 0; i < 4; i++) {
		struct segment *s = &v->seg[data_segs[i]];
		unsigned dpl = (s->attr & SEG_ATTR_DPL_MASK) >> SEG_ATTR_DPL_SHIFT;
		bool conforming = (s->attr & SEG_TYPE_CODE) && (s->attr & SEG_TYPE_CODE_CONFORMING);

		if ((s->attr & SEG_ATTR_S) && !conforming && dpl < v->cpl)
			vcpu_set_segment(v, data_segs[i], 0, 0, 0, 0);
	}
}
