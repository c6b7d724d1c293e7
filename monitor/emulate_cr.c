/*
 * emulate_cr.c - MOV to and from control registers (privileged: #GP(0) at
 * CPL > 0). Writes go to the guest's virtual CR0/CR3/CR4 and reach the
 * shadow MMU, which flushes its TLB as hardware would.
 */
#include "monitor/internal.h"

/* CR4 bits a P6 without VME/PVI/PAE support lets software set. */
#define CR4_SUPPORTED (CR4_TSD | CR4_DE | CR4_PSE | CR4_PGE | CR4_PCE | CR4_MCE)

static void write_cr0(struct vcpu *v, uint32_t value)
{
	value |= CR0_ET; /* hard-wired on a P6 */
	if ((value & CR0_PG) && !(value & CR0_PE))
		vcpu_raise(v, EXC_GP, 0);
	if ((value & CR0_NW) && !(value & CR0_CD))
		vcpu_raise(v, EXC_GP, 0);
	if (!(value & CR0_PE)) {
		pr_err("guest leaves protected mode at EIP %#x: real mode is not supported",
		       v->eip);
		vm_request_stop(v->vm, EXIT_GUEST_FATAL, NULL); /* TODO: real mode */
	}
	v->cr0 = value;
	smmu_write_cr0(&v->mmu, value);
}

static void write_cr4(struct vcpu *v, uint32_t value)
{
	if (value & ~CR4_SUPPORTED)
		vcpu_raise(v, EXC_GP, 0);
	v->cr4 = value;
	smmu_write_cr4(&v->mmu, value);
}

static void write_cr(struct vcpu *v, int cr, uint32_t value)
{
	switch (cr) {
	case 0:
		write_cr0(v, value);
		break;
	case 2:
		v->cr2 = value;
		break;
	case 3:
		v->cr3 = value;
		smmu_write_cr3(&v->mmu, value);
		break;
	case 4:
		write_cr4(v, value);
		break;
	default:
		vcpu_raise_noerr(v, EXC_UD);
	}
	/* Mappings changed: indirect-branch lookups must not reuse old targets. */
	if (cr != 2)
		jc_clear(&v->jc);
	vcpu_update_mode(v);
}

static uint32_t read_cr(struct vcpu *v, int cr)
{
	switch (cr) {
	case 0: return v->cr0;
	case 2: return v->cr2;
	case 3: return v->cr3;
	case 4: return v->cr4;
	default: vcpu_raise_noerr(v, EXC_UD);
	}
}

int emulate_mov_cr(struct vcpu *v, const struct callout_insn *ci)
{
	if (v->cpl != 0)
		vcpu_raise(v, EXC_GP, 0);
	if (ci->op[0].kind == OPK_CREG) {
		write_cr(v, ci->op[0].reg, v->regs[ci->op[1].reg]);
		v->eip = ci->next_eip;
		return CALLOUT_EXIT; /* paging or mode may have changed */
	}
	v->regs[ci->op[0].reg] = read_cr(v, ci->op[1].reg);
	return CALLOUT_NEXT;
}
