/*
 * emulate_sysenter.c - SYSENTER and SYSEXIT, the P6's fast system calls
 * (SDM Vol. 2). They load fixed flat segments derived from the
 * IA32_SYSENTER_CS MSR without reading the GDT. Static glibc enters the
 * kernel this way through the vDSO.
 */
#include "monitor/internal.h"

#define ATTR_FLAT_CODE (0xb | SEG_ATTR_S | SEG_ATTR_P | SEG_ATTR_DB | SEG_ATTR_G)
#define ATTR_FLAT_DATA (0x3 | SEG_ATTR_S | SEG_ATTR_P | SEG_ATTR_DB | SEG_ATTR_G)
#define ATTR_DPL3 (3u << SEG_ATTR_DPL_SHIFT)

/* SYSENTER: to CPL 0 at SYSENTER_CS:SYSENTER_EIP with SYSENTER_ESP. */
int emulate_sysenter(struct vcpu *v, const struct callout_insn *ci)
{
	uint16_t cs = (uint16_t)(v->sysenter_cs & ~SEL_RPL_MASK);

	if (cs == 0)
		vcpu_raise(v, EXC_GP, 0);
	v->eflags &= ~(EFLAGS_VM | EFLAGS_IF | EFLAGS_RF);
	v->cpl = 0;
	vcpu_set_segment(v, S_CS, cs, 0, 0xffffffffu, ATTR_FLAT_CODE);
	vcpu_set_segment(v, S_SS, (uint16_t)(cs + 8), 0, 0xffffffffu, ATTR_FLAT_DATA);
	v->regs[R_ESP] = v->sysenter_esp;
	v->eip = v->sysenter_eip;
	return CALLOUT_EXIT;
}

/* SYSEXIT: to CPL 3 at (SYSENTER_CS+16):EDX with ESP = ECX. */
int emulate_sysexit(struct vcpu *v, const struct callout_insn *ci)
{
	uint16_t cs = (uint16_t)(v->sysenter_cs & ~SEL_RPL_MASK);

	if (cs == 0 || v->cpl != 0)
		vcpu_raise(v, EXC_GP, 0);
	v->cpl = 3;
	vcpu_set_segment(v, S_CS, (uint16_t)((cs + 16) | 3), 0, 0xffffffffu,
			 ATTR_FLAT_CODE | ATTR_DPL3);
	vcpu_set_segment(v, S_SS, (uint16_t)((cs + 24) | 3), 0, 0xffffffffu,
			 ATTR_FLAT_DATA | ATTR_DPL3);
	v->regs[R_ESP] = v->regs[R_ECX];
	v->eip = v->regs[R_EDX];
	return CALLOUT_EXIT;
}
