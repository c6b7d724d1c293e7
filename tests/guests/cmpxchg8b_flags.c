/*
 * cmpxchg8b_flags.c - CMPXCHG8B sets or clears ZF and leaves CF, PF, AF, SF
 * and OF unaffected (SDM Vol. 2A, CMPXCHG8B/CMPXCHG16B, "Flags Affected";
 * AMD APM Vol. 3 agrees). A translator that copies the instruction keeps
 * this for free; one that emulates it must merge ZF into the guest's flags.
 *
 * QEMU 7.2 TCG does not: after CMP, SAHF or STC it returns CF and AF (and
 * after SAHF also PF and SF) cleared, so CMake skips the QEMU run of this
 * guest and cmpxchg8b_flags.expect is written from the SDM, not from QEMU.
 */
#include "check.h"
#include "regs.h"

static uint64_t m64;

/* Runs CMPXCHG8B after the flag-setting text preset; returns EFLAGS after it. */
#define RUN_CMPXCHG8B(preset, eax, edx, flags)                                                     \
	__asm__ volatile(preset "cmpxchg8b %[m]\n\tpushfl\n\tpopl %[fl]"                           \
			 : "+a"(eax), "+d"(edx), [m] "+m"(m64), [fl] "=r"(flags)                   \
			 : "b"(0), "c"(0)                                                          \
			 : "cc")

/* FLAGS_NONE clears OF; SAHF with AH = 0x95 then sets CF, PF, AF, SF and clears ZF. */
#define FLAGS_SAHF_95 FLAGS_NONE "pushl %%eax\n\tmovb $0x95, %%ah\n\tsahf\n\tpopl %%eax\n\t"

#define KEPT (FL_CF | FL_PF | FL_AF | FL_SF) /* what the presets set and CMPXCHG8B must keep */

void main(uint32_t magic, uint32_t info)
{
	uint32_t eax, edx, flags;

	m64 = 0x1122334455667788ull;
	eax = 0x55667788, edx = 0x11223344;
	RUN_CMPXCHG8B(FLAGS_CF_PF_AF_SF, eax, edx, flags);
	CHECK_FLAGS("after_cmp_success", flags, KEPT | FL_ZF, FL_ARITH);

	m64 = 0x1122334455667788ull;
	eax = edx = 0;
	RUN_CMPXCHG8B(FLAGS_CF_PF_AF_SF, eax, edx, flags);
	CHECK_FLAGS("after_cmp_failure", flags, KEPT, FL_ARITH);

	m64 = 0;
	eax = edx = 0;
	RUN_CMPXCHG8B(FLAGS_SAHF_95, eax, edx, flags);
	CHECK_FLAGS("after_sahf_success", flags, KEPT | FL_ZF, FL_ARITH);
	test_finish("cmpxchg8b_flags");
}
