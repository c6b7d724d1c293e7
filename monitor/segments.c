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
 * Load CS for a far JMP to a code segment (SDM JMP, "far jump to a code
 * segment"): conforming code needs DPL <= CPL, non-conforming RPL <= CPL
 * and DPL == CPL; CPL does not change and CS.RPL becomes CPL.
 */
void load_code_segment(struct vcpu *v, uint16_t selector, uint32_t eip)
{
	uint32_t desc[2], limit;
	uint16_t attr;

	if ((selector & ~SEL_RPL_MASK) == 0)
		vcpu_raise(v, EXC_GP, 0);
	if (!read_descriptor(v, selector, desc))
		vcpu_raise(v, EXC_GP, selector & ~SEL_RPL_MASK);
	attr = desc_attr(desc[1]);
	if (!(attr & SEG_ATTR_S) || !(attr & SEG_TYPE_CODE))
		vcpu_raise(v, EXC_GP, selector & ~SEL_RPL_MASK); /* TODO(#3): gates, TSS */
	if (attr & SEG_TYPE_CODE_CONFORMING) {
		if (attr_dpl(attr) > v->cpl)
			vcpu_raise(v, EXC_GP, selector & ~SEL_RPL_MASK);
	} else if ((selector & SEL_RPL_MASK) > v->cpl || attr_dpl(attr) != v->cpl) {
		vcpu_raise(v, EXC_GP, selector & ~SEL_RPL_MASK);
	}
	if (!(attr & SEG_ATTR_P))
		vcpu_raise(v, EXC_NP, selector & ~SEL_RPL_MASK);
	limit = desc_limit_bytes(desc[0], desc[1]);
	if (eip > limit)
		vcpu_raise(v, EXC_GP, 0);
	mark_accessed(v, selector, desc);
	vcpu_set_segment(v, S_CS, (uint16_t)((selector & ~SEL_RPL_MASK) | v->cpl),
			 desc_base(desc[0], desc[1]), limit, attr);
	v->eip = eip;
}
