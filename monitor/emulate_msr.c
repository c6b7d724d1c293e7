/*
 * emulate_msr.c - RDMSR, WRMSR, RDPMC (privileged: #GP(0) at CPL > 0). The
 * virtual P6 has the model-specific registers below, each named after
 * the SDM (Vol. 4); any other index raises #GP(0), as on hardware, which
 * is what the kernel's rdmsr_safe() probes expect.
 */
#include "monitor/internal.h"

#define MSR_IA32_PLATFORM_ID 0x017
#define MSR_IA32_BIOS_SIGN_ID 0x08b /* microcode revision */
#define MSR_P6_PERFCTR0 0x0c1
#define MSR_P6_PERFCTR1 0x0c2
#define MSR_IA32_MCG_CAP 0x179
#define MSR_IA32_MCG_STATUS 0x17a
#define MSR_P6_EVNTSEL0 0x186
#define MSR_P6_EVNTSEL1 0x187

static uint64_t host_tsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

/* The storage behind an MSR that simply holds what software writes. */
static uint64_t *msr_storage(struct vcpu *v, uint32_t index)
{
	switch (index) {
	case MSR_P6_PERFCTR0: return &v->msr_perfctr[0];
	case MSR_P6_PERFCTR1: return &v->msr_perfctr[1];
	case MSR_P6_EVNTSEL0: return &v->msr_evntsel[0];
	case MSR_P6_EVNTSEL1: return &v->msr_evntsel[1];
	case MSR_IA32_MISC_ENABLE: return &v->msr_misc_enable;
	case MSR_IA32_PAT: return &v->msr_pat;
	default: return NULL;
	}
}

/* Returns false for an MSR the virtual CPU does not have. */
static bool msr_read(struct vcpu *v, uint32_t index, uint64_t *value)
{
	uint64_t *store = msr_storage(v, index);

	if (store) {
		*value = *store;
		return true;
	}
	switch (index) {
	case MSR_IA32_TSC: *value = host_tsc() + v->tsc_offset; return true;
	case MSR_IA32_SYSENTER_CS: *value = v->sysenter_cs; return true;
	case MSR_IA32_SYSENTER_ESP: *value = v->sysenter_esp; return true;
	case MSR_IA32_SYSENTER_EIP: *value = v->sysenter_eip; return true;
	case MSR_IA32_PLATFORM_ID: case MSR_IA32_BIOS_SIGN_ID:
	case MSR_IA32_MCG_CAP: case MSR_IA32_MCG_STATUS:
		*value = 0; /* no microcode, no machine-check banks */
		return true;
	default:
		return false;
	}
}

static bool msr_write(struct vcpu *v, uint32_t index, uint64_t value)
{
	uint64_t *store = msr_storage(v, index);

	if (store) {
		*store = value;
		return true;
	}
	switch (index) {
	case MSR_IA32_TSC: v->tsc_offset = value - host_tsc(); return true;
	case MSR_IA32_SYSENTER_CS: v->sysenter_cs = (uint32_t)value; return true;
	case MSR_IA32_SYSENTER_ESP: v->sysenter_esp = (uint32_t)value; return true;
	case MSR_IA32_SYSENTER_EIP: v->sysenter_eip = (uint32_t)value; return true;
	case MSR_IA32_BIOS_SIGN_ID: case MSR_IA32_MCG_STATUS: return true;
	default: return false;
	}
}

int emulate_rdmsr(struct vcpu *v, const struct callout_insn *ci)
{
	uint64_t value;

	if (v->cpl != 0 || !msr_read(v, v->regs[R_ECX], &value))
		vcpu_raise(v, EXC_GP, 0);
	v->regs[R_EAX] = (uint32_t)value;
	v->regs[R_EDX] = (uint32_t)(value >> 32);
	return CALLOUT_NEXT;
}

int emulate_wrmsr(struct vcpu *v, const struct callout_insn *ci)
{
	uint64_t value = (uint64_t)v->regs[R_EDX] << 32 | v->regs[R_EAX];

	if (v->cpl != 0 || !msr_write(v, v->regs[R_ECX], value))
		vcpu_raise(v, EXC_GP, 0);
	return CALLOUT_NEXT;
}

/* RDPMC: counters 0 and 1 of the P6; CPL > 0 needs CR4.PCE. */
int emulate_rdpmc(struct vcpu *v, const struct callout_insn *ci)
{
	uint32_t index = v->regs[R_ECX];

	if ((v->cpl != 0 && !(v->cr4 & CR4_PCE)) || index > 1)
		vcpu_raise(v, EXC_GP, 0);
	v->regs[R_EAX] = (uint32_t)v->msr_perfctr[index];
	v->regs[R_EDX] = (uint32_t)(v->msr_perfctr[index] >> 32) & 0xff; /* 40-bit counters */
	return CALLOUT_NEXT;
}
