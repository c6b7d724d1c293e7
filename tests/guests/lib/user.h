/*
 * user.h - running guest code at CPL 3 (SDM Vol. 3A 5.8, 6.12.1): IRET to a
 * DPL-3 code segment and stack, and back to CPL 0 through INT 0x80.
 */
#ifndef GUEST_USER_H
#define GUEST_USER_H

#include <stdint.h>

#include "idt.h"

#define USER_RETURN_VECTOR 0x80 /* DPL-3 interrupt gate back to user_call's caller */

typedef uint32_t (*user_fn)(uint32_t arg);

/*
 * Runs fn(arg) at CPL 3: CS = 0x1b, SS:ESP = 0x23:user_stack_top, DS = ES =
 * FS = GS = 0x23, EFLAGS = eflags (EFL_IF, EFL_IOPL(n), ...; bit 1 is
 * forced). Returns fn's result once fn returns. Sets TSS.ESP0 to this call's
 * own stack, so ring-0 handlers of traps from fn run just below the caller.
 * fn must not print: COM1 is not accessible at CPL 3.
 */
uint32_t user_call(user_fn fn, uint32_t arg, uint32_t eflags);

/*
 * Defines a user_fn named fname that runs PROBE2(pre, insn, post, regs)
 * (idt.h): pass it to user_call to probe one instruction at CPL 3, then
 * check the outcome with check_fault() and friends back at CPL 0.
 */
#define USER_PROBE2(fname, pre, insn, post, regs)                                                  \
	static uint32_t fname(uint32_t arg)                                                        \
	{                                                                                          \
		(void)arg;                                                                         \
		PROBE2(pre, insn, post, regs);                                                     \
		return 0;                                                                          \
	}
#define USER_PROBE(fname, insn, regs) USER_PROBE2(fname, "", insn, "", regs)

/* The top of the ring-3 stack (16 KiB). */
extern char user_stack_top[];

/*
 * The protected-mode environment of the system guests: gdt_init(),
 * idt_init(), pic_init() (IRQs on 0x20-0x2f, all masked, so STI is safe),
 * and the DPL-3 gate at USER_RETURN_VECTOR.
 */
void sys_init(void);

#endif
