/*
 * regs.h - running a few instructions under test on chosen register values
 * and reading back the registers and EFLAGS, for the instruction guests.
 */
#ifndef GUEST_REGS_H
#define GUEST_REGS_H

#include <stdint.h>

/* EAX..EDX before and after the instructions, and EFLAGS after them. */
struct regs {
	uint32_t eax, ebx, ecx, edx;
	uint32_t flags;
};

/*
 * Runs the AT&T instruction text (write "%%" for a register) with EAX..EDX
 * from r, then stores the registers and EFLAGS (via PUSHF) back into r. The
 * text must leave ESI, EDI, EBP (the compiler may hold values there) and ESP
 * as it found them; memory it reaches through an address in EBX etc.
 */
#define RUN_INSN(text, r)                                                                          \
	__asm__ volatile(text "\n\tpushfl\n\tpopl %[fl]"                                           \
			 : "+a"((r).eax), "+b"((r).ebx), "+c"((r).ecx),                            \
			   "+d"((r).edx), [fl] "=r"((r).flags)                                     \
			 :                                                                         \
			 : "cc", "memory")

/*
 * Instruction text that gives every status flag a known value before the
 * instruction under test: it compares two immediates through the stack so
 * that no register of r is touched.
 * FLAGS_CF_PF_AF_SF: 0 - 1 = 0xffffffff sets CF, PF, AF, SF; clears ZF, OF.
 * FLAGS_ZF_PF:       1 - 1 = 0 sets ZF and PF; clears CF, AF, SF, OF.
 * FLAGS_NONE:        2 - 1 = 1 clears all six.
 */
#define FLAGS_CF_PF_AF_SF "pushl $0\n\tcmpl $1, (%%esp)\n\tleal 4(%%esp), %%esp\n\t"
#define FLAGS_ZF_PF	  "pushl $1\n\tcmpl $1, (%%esp)\n\tleal 4(%%esp), %%esp\n\t"
#define FLAGS_NONE	  "pushl $2\n\tcmpl $1, (%%esp)\n\tleal 4(%%esp), %%esp\n\t"

#endif
