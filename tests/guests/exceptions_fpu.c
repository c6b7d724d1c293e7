/*
 * exceptions_fpu.c - #NM, device not available (SDM Vol. 3A 6.15 interrupt
 * 7, 2.5 Table 2-2 "Action Taken By x87 FPU Instructions for Different
 * Combinations of EM, MP, and TS"): an x87 instruction faults when CR0.TS or
 * CR0.EM is set; WAIT/FWAIT faults only when both MP and TS are set, and
 * ignores EM. CLTS then lets the instruction run. A separate guest because
 * the monitor's FPU support comes later than its exceptions.
 */
#include "check.h"
#include "cpu.h"
#include "idt.h"
#include "regs.h"
#include "user.h"

static struct regs r;
static int32_t result;

/* Runs the probe with CR0's MP/EM/TS bits set to bits, then restores CR0. */
#define FPU_PROBE(insn, bits)                                                                      \
	do {                                                                                       \
		uint32_t cr0_ = READ_CR(0);                                                        \
		WRITE_CR(0, (cr0_ & ~(CR0_MP | CR0_EM | CR0_TS)) | (bits));                        \
		PROBE(insn, r);                                                                    \
		WRITE_CR(0, cr0_);                                                                 \
	} while (0)

void main(uint32_t magic, uint32_t info)
{
	sys_init();
	FPU_PROBE("fninit", CR0_MP);
	check_no_fault("fninit_ts0");
	FPU_PROBE("fninit", CR0_MP | CR0_TS);
	check_fault("nm_fninit_ts1", EXC_NM, 0);
	FPU_PROBE("fld1", CR0_TS);
	check_fault("nm_fld1_ts1_mp0", EXC_NM, 0);
	FPU_PROBE("fld1", CR0_EM);
	check_fault("nm_fld1_em1", EXC_NM, 0);
	FPU_PROBE("fwait", CR0_MP | CR0_TS);
	check_fault("nm_fwait_mp1_ts1", EXC_NM, 0);
	FPU_PROBE("fwait", CR0_TS);
	check_no_fault("fwait_mp0_ts1");
	FPU_PROBE("fwait", CR0_EM | CR0_MP);
	check_no_fault("fwait_em1_ts0");
	r.ebx = (uint32_t)&result;
	FPU_PROBE("fninit\n\tfld1\n\tfld1\n\tfaddp\n\tfistpl (%%ebx)\n\tfwait", CR0_MP);
	check_no_fault("fpu_runs_ts0");
	CHECK_EQ32("fpu_1_plus_1", result, 2);
	test_finish("exceptions_fpu");
}
