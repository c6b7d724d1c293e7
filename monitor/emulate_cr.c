/*
 * emulate_cr.c - MOV to and from control registers (privileged: #GP(0) at
 * CPL > 0). Writes go to the guest's virtual CR0/CR3/CR4 and reach the
 * shadow MMU, which flushes its TLB as hardware would.
 */
#include "monitor/internal.h"

/* CR4 bits the virtual P6 (no VME/PVI/PAE) lets software set. */
#define CR4_SUPPORTED                                                                              \
	(CR4_TSD | CR4_DE | CR4_PSE | CR4_PGE | CR4_PCE | CR4_MCE | CR4_OSFXSR | CR4_OSXMMEXCPT)

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
	/* Mappings changed: indirect-branch lookups must not reuse old targets.
	 * A CR3 load with CR4.PGE keeps global mappings, and so the blocks
	 * translated from them. */
	if (cr == 3 && (v->cr4 & CR4_PGE))
		vcpu_user_mappings_changed(v);
	else if (cr != 2)
		vcpu_code_mappings_changed(v);
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

/* LMSW r/m16: CR0's PE, MP, EM and TS only; PE can be set, never cleared. */
int emulate_lmsw(struct vcpu *v, const struct callout_insn *ci)
{
	uint32_t msw = operand_read(v, ci, 0) & 0xf;

	if (v->cpl != 0)
		vcpu_raise(v, EXC_GP, 0);
	msw |= v->cr0 & CR0_PE;
	write_cr(v, 0, (v->cr0 & ~0xeu) | msw);
	v->eip = ci->next_eip;
	return CALLOUT_EXIT;
}

/* CLTS: clear CR0.TS (the FPU is usable again). */
int emulate_clts(struct vcpu *v, const struct callout_insn *ci)
{
	if (v->cpl != 0)
		vcpu_raise(v, EXC_GP, 0);
	v->cr0 &= ~CR0_TS;
	vcpu_update_mode(v);
	v->eip = ci->next_eip;
	return CALLOUT_EXIT; /* FPU instructions were translated to raise #NM */
}

/* INVD, WBINVD: caches are not modelled; only the privilege check remains. */
int emulate_invd(struct vcpu *v, const struct callout_insn *ci)
{
	if (v->cpl != 0)
		vcpu_raise(v, EXC_GP, 0);
	return CALLOUT_NEXT;
}

/* INVLPG m: drop the TLB entries (and jump-cache entries) for that page. */
int emulate_invlpg(struct vcpu *v, const struct callout_insn *ci)
{
	const struct operand *o = &ci->op[0];
	uint32_t linear;

	if (o->kind != OPK_MEM)
		vcpu_raise_noerr(v, EXC_UD);
	if (v->cpl != 0)
		vcpu_raise(v, EXC_GP, 0);
	linear = v->seg_fast[o->seg].base + operand_ea(v, ci, o);
	tlb_flush_page(&v->mmu, linear);
	jc_clear_page(&v->jc, linear - v->seg[S_CS].base);
	v->map_epoch += 1ull << 32; /* per-branch caches cannot be cleared by page */
	v->global_epoch += 1ull << 32;
	return CALLOUT_NEXT;
}

/* DR6 and DR7 bits that always read as 1 on a P6. */
#define DR6_FIXED1 0xffff0ff0u
#define DR7_FIXED1 0x00000400u

/* DR4 and DR5 are DR6 and DR7 unless CR4.DE makes them #UD. */
static int debug_register(struct vcpu *v, int dr)
{
	if (dr == 4 || dr == 5) {
		if (v->cr4 & CR4_DE)
			vcpu_raise_noerr(v, EXC_UD);
		return dr + 2;
	}
	if (dr > 7)
		vcpu_raise_noerr(v, EXC_UD);
	return dr;
}

/* MOV DRn: the guest's debug registers; DR7's execute breakpoints make the
 * translator check every instruction (vcpu_update_mode). */
int emulate_mov_dr(struct vcpu *v, const struct callout_insn *ci)
{
	int dr;

	if (v->cpl != 0)
		vcpu_raise(v, EXC_GP, 0);
	if (ci->op[0].kind == OPK_DREG) {
		dr = debug_register(v, ci->op[0].reg);
		v->dr[dr] = v->regs[ci->op[1].reg];
		if (dr == 6)
			v->dr[6] |= DR6_FIXED1;
		if (dr == 7)
			v->dr[7] |= DR7_FIXED1;
		vcpu_update_mode(v);
		v->eip = ci->next_eip;
		return CALLOUT_EXIT;
	}
	dr = debug_register(v, ci->op[1].reg);
	v->regs[ci->op[0].reg] = v->dr[dr];
	return CALLOUT_NEXT;
}
