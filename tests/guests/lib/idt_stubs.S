/*
 * idt_stubs.S - the 256 IDT entry stubs and the common trap path of the
 * system guests. Each stub pushes a 0 where the CPU pushes no error code
 * (every vector but 8, 10-14 and 17: SDM Vol. 3A Table 6-1), then its vector,
 * so every handler sees the same struct trap_frame (idt.h). Handlers return
 * with IRET.
 */
#include "gdt.h"

	.text
	.align 16
	.globl idt_stubs
idt_stubs:
	.set vec, 0
	.rept 256
	.align 16
	.if (vec == 8) || ((vec >= 10) && (vec <= 14)) || (vec == 17)
	.else
	pushl $0
	.endif
	pushl $vec
	jmp trap_common
	.set vec, vec + 1
	.endr

/*
 * Saves the interrupted registers, runs trap_dispatch(frame) on flat
 * ring-0 data segments, and resumes with whatever the handler left in the
 * frame (it may change EIP, EFLAGS or the saved selectors).
 */
trap_common:
	pushal
	pushl %ds
	pushl %es
	pushl %fs
	pushl %gs
	movl $SEL_KDATA, %eax
	mov %eax, %ds
	mov %eax, %es
	cld
	pushl %esp
	call trap_dispatch
	addl $4, %esp
	popl %gs
	popl %fs
	popl %es
	popl %ds
	popal
	addl $8, %esp	/* vector and error code */
	iret

	.section .note.GNU-stack, "", @progbits
