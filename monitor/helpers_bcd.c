/*
 * helpers_bcd.c - DAA, DAS, AAA, AAS, AAM, AAD: BCD adjustments, invalid in
 * 64-bit mode, computed here from the SDM's pseudo-code. Flags the SDM
 * leaves undefined are set as the arithmetic on AL leaves them.
 */
#include "monitor/internal.h"

/* SF, ZF and PF of an 8-bit result. */
static uint32_t szp8(uint8_t r)
{
	uint32_t f = 0;

	if (r == 0)
		f |= EFLAGS_ZF;
	if (r & 0x80)
		f |= EFLAGS_SF;
	if (!__builtin_parity(r))
		f |= EFLAGS_PF;
	return f;
}

static void set_flags(struct vcpu *v, uint32_t flags)
{
	v->eflags = (v->eflags & ~EFLAGS_ARITH) | flags;
}

static uint8_t al(const struct vcpu *v)
{
	return (uint8_t)v->regs[R_EAX];
}

static void set_al(struct vcpu *v, uint8_t value)
{
	gpr_write(v, R_EAX, 1, false, value);
}

/* DAA / DAS (SDM Vol. 2): adjust AL after packed-BCD add / subtract. */
static void daa_das(struct vcpu *v, bool sub)
{
	uint8_t old_al = al(v), a = old_al;
	bool old_cf = v->eflags & EFLAGS_CF, cf = false, af = false;

	if ((a & 0x0f) > 9 || (v->eflags & EFLAGS_AF)) {
		cf = old_cf || (sub ? a < 6 : a > 0xf9);
		a = (uint8_t)(sub ? a - 6 : a + 6);
		af = true;
	}
	if (old_al > 0x99 || old_cf) {
		a = (uint8_t)(sub ? a - 0x60 : a + 0x60);
		cf = true;
	}
	set_al(v, a);
	set_flags(v, szp8(a) | (cf ? EFLAGS_CF : 0) | (af ? EFLAGS_AF : 0));
}

/* AAA / AAS: adjust AX after unpacked-BCD add / subtract. */
static void aaa_aas(struct vcpu *v, bool sub)
{
	uint16_t ax = (uint16_t)v->regs[R_EAX];
	bool adjust = (ax & 0x0f) > 9 || (v->eflags & EFLAGS_AF);

	if (adjust) {
		ax = (uint16_t)(sub ? ax - 6 : ax + 0x106);
		if (sub)
			ax = (uint16_t)(ax - 0x100);
	}
	ax = (uint16_t)(ax & 0xff0f);
	gpr_write(v, R_EAX, 2, false, ax);
	set_flags(v, szp8((uint8_t)ax) | (adjust ? EFLAGS_AF | EFLAGS_CF : 0));
}

/* AAM imm8: AH = AL / imm8, AL = AL % imm8; #DE when imm8 is 0. */
static void aam(struct vcpu *v, uint8_t base)
{
	uint8_t a = al(v);

	if (base == 0)
		vcpu_raise_noerr(v, EXC_DE);
	gpr_write(v, R_EAX, 2, false, (uint16_t)((a / base) << 8 | (a % base)));
	set_flags(v, szp8(a % base));
}

/* AAD imm8: AL = AL + AH * imm8, AH = 0. */
static void aad(struct vcpu *v, uint8_t base)
{
	uint8_t a = (uint8_t)(al(v) + ((v->regs[R_EAX] >> 8) & 0xff) * base);

	gpr_write(v, R_EAX, 2, false, a);
	set_flags(v, szp8(a));
}

int helper_bcd(struct vcpu *v, const struct callout_insn *ci)
{
	uint8_t base = ci->nops ? (uint8_t)ci->op[0].imm : 10;

	switch (ci->id) {
	case X86_INS_DAA: daa_das(v, false); break;
	case X86_INS_DAS: daa_das(v, true); break;
	case X86_INS_AAA: aaa_aas(v, false); break;
	case X86_INS_AAS: aaa_aas(v, true); break;
	case X86_INS_AAM: aam(v, base); break;
	default: aad(v, base); break;
	}
	return CALLOUT_NEXT;
}
