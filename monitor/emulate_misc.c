/*
 * emulate_misc.c - CPUID (the virtual P6's identity), RDTSC, HLT, INT n /
 * INT3 / INTO / INT1, and #UD for what the virtual CPU lacks.
 */
#include "monitor/internal.h"

/* CPUID.1:EDX features the virtual CPU implements (SDM Vol. 2 CPUID). */
#define CPUID_FPU (1u << 0)
#define CPUID_DE (1u << 2)
#define CPUID_PSE (1u << 3)
#define CPUID_TSC (1u << 4)
#define CPUID_MSR (1u << 5)
#define CPUID_CX8 (1u << 8)
#define CPUID_SEP (1u << 11)
#define CPUID_PGE (1u << 13)
#define CPUID_CMOV (1u << 15)
#define CPUID_PAT (1u << 16)
#define CPUID_CLFSH (1u << 19)
#define CPUID_MMX (1u << 23)
#define CPUID_FXSR (1u << 24)
#define CPUID_SSE (1u << 25)
#define CPUID_SSE2 (1u << 26)
#define CPUID_FEATURES_EDX                                                                         \
	(CPUID_FPU | CPUID_DE | CPUID_PSE | CPUID_TSC | CPUID_MSR | CPUID_CX8 | CPUID_SEP |        \
	 CPUID_PGE | CPUID_CMOV | CPUID_PAT | CPUID_CLFSH | CPUID_MMX | CPUID_FXSR | CPUID_SSE |   \
	 CPUID_SSE2)

/* Family 6, model 13, stepping 6: a Pentium M class P6. */
#define CPUID_SIGNATURE ((6u << 8) | (13u << 4) | 6u)
#define CPUID_MAX_BASIC 1u
#define CPUID_MAX_EXTENDED 0x80000000u

static void cpuid_leaf(uint32_t leaf, uint32_t r[4])
{
	switch (leaf) {
	case 0: /* "GenuineIntel" in EBX, EDX, ECX */
		r[0] = CPUID_MAX_BASIC;
		r[1] = 0x756e6547;
		r[3] = 0x49656e69;
		r[2] = 0x6c65746e;
		break;
	case 1:
		r[0] = CPUID_SIGNATURE;
		r[1] = 8u << 8; /* CLFLUSH line size: 8 x 8 bytes */
		r[2] = 0;
		r[3] = CPUID_FEATURES_EDX;
		break;
	case 0x80000000u:
		r[0] = CPUID_MAX_EXTENDED;
		r[1] = r[2] = r[3] = 0;
		break;
	default:
		/* Past the maximum, Intel CPUs answer with the highest basic leaf. */
		cpuid_leaf(leaf >= 0x80000000u ? 0 : CPUID_MAX_BASIC, r);
		if (leaf >= 0x80000000u)
			r[0] = r[1] = r[2] = r[3] = 0;
	}
}

/* CPUID: natively it names the host CPU; the guest sees the virtual P6. */
int emulate_cpuid(struct vcpu *v, const struct callout_insn *ci)
{
	uint32_t r[4] = { 0 };

	cpuid_leaf(v->regs[R_EAX], r);
	v->regs[R_EAX] = r[0];
	v->regs[R_EBX] = r[1];
	v->regs[R_ECX] = r[2];
	v->regs[R_EDX] = r[3];
	return CALLOUT_NEXT;
}

static uint64_t host_tsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

/* RDTSC: #GP(0) at CPL > 0 when CR4.TSD is set; the guest's own TSC. */
int emulate_rdtsc(struct vcpu *v, const struct callout_insn *ci)
{
	uint64_t tsc;

	if ((v->cr4 & CR4_TSD) && v->cpl != 0)
		vcpu_raise(v, EXC_GP, 0);
	tsc = host_tsc() + v->tsc_offset;
	v->regs[R_EAX] = (uint32_t)tsc;
	v->regs[R_EDX] = (uint32_t)(tsc >> 32);
	return CALLOUT_NEXT;
}

/*
 * HLT: privileged. With interrupts enabled the vCPU sleeps until one comes;
 * with them disabled nothing can wake it, which is how a guest powers off
 * without ACPI: btvmm stops.
 */
int emulate_hlt(struct vcpu *v, const struct callout_insn *ci)
{
	if (v->cpl != 0)
		vcpu_raise(v, EXC_GP, 0);
	v->eip = ci->next_eip;
	if (!(v->eflags & EFLAGS_IF))
		vm_request_stop(v->vm, EXIT_GUEST_OFF, NULL);
	else
		v->halted = true;
	return CALLOUT_EXIT;
}

/* Raise a software interrupt: a trap, so the saved EIP is the next one. */
static void software_interrupt(struct vcpu *v, const struct callout_insn *ci, int vector,
			       bool software) NORETURN_FN;
static void software_interrupt(struct vcpu *v, const struct callout_insn *ci, int vector,
			       bool software)
{
	v->eip = ci->next_eip;
	v->exception = (struct pending_exception){ .valid = true, .vector = (uint8_t)vector,
						   .software = software, .has_insn_eip = true,
						   .insn_eip = ci->eip };
	xlat_unwind(v->vm->xlat, v, TB_EXIT_EXCEPTION);
}

/* INT n, INT3, INTO, INT1 (ICEBP): delivered through the guest's IDT. */
int emulate_int(struct vcpu *v, const struct callout_insn *ci)
{
	switch (ci->id) {
	case X86_INS_INT3:
		software_interrupt(v, ci, EXC_BP, true);
	case X86_INS_INTO:
		if (!(v->eflags & EFLAGS_OF))
			return CALLOUT_NEXT;
		software_interrupt(v, ci, EXC_OF, true);
	case X86_INS_INT1:
		software_interrupt(v, ci, EXC_DB, false);
	default:
		software_interrupt(v, ci, (int)(ci->op[0].imm & 0xff), true);
	}
}

/* An instruction longer than 15 bytes (redundant prefixes): #GP(0). */
int emulate_too_long(struct vcpu *v, const struct callout_insn *ci)
{
	vcpu_raise(v, EXC_GP, 0);
}

/* Not an instruction of the virtual CPU. */
int emulate_ud(struct vcpu *v, const struct callout_insn *ci)
{
	log_mask_printf(LOG_UNIMP, "#UD at %#x: %02x %02x %02x\n", ci->eip, ci->bytes[0],
			ci->bytes[1], ci->bytes[2]);
	vcpu_raise_noerr(v, EXC_UD);
}

/* An x87 instruction (D8-DF escape, or FXSAVE/FXRSTOR), as opposed to MMX/SSE? */
static bool is_x87(const struct callout_insn *ci)
{
	uint8_t reg = (ci->modrm >> 3) & 7;

	if (ci->opcode_len == 1)
		return ci->opcode >= 0xd8 && ci->opcode <= 0xdf;
	return ci->opcode_len == 2 && ci->opcode == 0xae && reg <= 1;
}

/*
 * An FPU instruction with CR0.TS or CR0.EM set (SDM Vol. 3A 2.5, table 9-1):
 * TS makes every one #NM (WAIT only with MP too), so an OS can switch FPU
 * state lazily; EM makes x87 ones #NM and MMX/SSE ones #UD.
 */
int emulate_fpu_unavailable(struct vcpu *v, const struct callout_insn *ci)
{
	if (ci->opcode_len == 1 && ci->opcode == 0x9b) { /* WAIT/FWAIT */
		if ((v->cr0 & CR0_TS) && (v->cr0 & CR0_MP))
			vcpu_raise_noerr(v, EXC_NM);
		return CALLOUT_NEXT;
	}
	if ((v->cr0 & CR0_EM) && !is_x87(ci))
		vcpu_raise_noerr(v, EXC_UD);
	vcpu_raise_noerr(v, EXC_NM);
}
