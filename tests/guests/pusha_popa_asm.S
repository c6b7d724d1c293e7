/*
 * pusha_popa_asm.S - the register-exact half of the pusha_popa guest: every
 * general register must hold a known value across PUSHA/POPA, which C code
 * cannot arrange, so these routines run the instructions and leave what they
 * saw in the pa_* variables for pusha_popa.c to check.
 */

#include "pusha_popa.h"

	.bss
	.align 4
	.globl pa_esp_before, pa_esp_pushed, pa_esp_popped, pa_frame, pa_regs
pa_esp_before:	.skip 4		/* ESP before PUSHA */
pa_esp_pushed:	.skip 4		/* ESP after PUSHA */
pa_esp_popped:	.skip 4		/* ESP after POPA */
pa_frame:	.skip 32	/* what PUSHA stored, lowest address first */
pa_regs:	.skip 32	/* EAX ECX EDX EBX (ESP) EBP ESI EDI after POPA */

	.text
.macro save_callee_saved
	pushl %ebp
	pushl %edi
	pushl %esi
	pushl %ebx
.endm

.macro restore_callee_saved
	popl %ebx
	popl %esi
	popl %edi
	popl %ebp
.endm

.macro load_values
	movl $V_EAX, %eax
	movl $V_ECX, %ecx
	movl $V_EDX, %edx
	movl $V_EBX, %ebx
	movl $V_EBP, %ebp
	movl $V_ESI, %esi
	movl $V_EDI, %edi
.endm

/* Sets every register but ESP to 0xffffffff before POPA reloads them. */
.macro clobber_values
	movl $0xffffffff, %eax
	movl %eax, %ecx
	movl %eax, %edx
	movl %eax, %ebx
	movl %eax, %ebp
	movl %eax, %esi
	movl %eax, %edi
.endm

/* Copies the 32 bytes at ESP to pa_frame, using the registers PUSHA saved. */
.macro copy_frame
	movl %esp, %esi
	movl $pa_frame, %edi
	movl $8, %ecx
	rep movsl
.endm

.macro store_regs
	movl %eax, pa_regs + 0
	movl %ecx, pa_regs + 4
	movl %edx, pa_regs + 8
	movl %ebx, pa_regs + 12
	movl %ebp, pa_regs + 20
	movl %esi, pa_regs + 24
	movl %edi, pa_regs + 28
.endm

/*
 * void pushad_popad(void): PUSHAD stores EAX ECX EDX EBX, the ESP value
 * before the instruction, EBP ESI EDI; POPAD reloads all but ESP, skipping
 * the stored ESP (overwritten here with garbage to prove it).
 */
	.globl pushad_popad
pushad_popad:
	save_callee_saved
	load_values
	movl %esp, pa_esp_before
	pushal
	movl %esp, pa_esp_pushed
	copy_frame
	movl $0xdeadbeef, 12(%esp)	/* the stored ESP */
	clobber_values
	popal
	movl %esp, pa_esp_popped
	store_regs
	restore_callee_saved
	ret

/*
 * void pushaw_popaw(void): the 0x66 forms store and reload 16-bit registers
 * (AX .. DI, and SP); POPAW leaves the upper halves of the 32-bit registers
 * as they are.
 */
	.globl pushaw_popaw
pushaw_popaw:
	save_callee_saved
	load_values
	movl %esp, pa_esp_before
	pushaw
	movl %esp, pa_esp_pushed
	pushal				/* keep the registers while copying */
	leal 32(%esp), %esi
	movl $pa_frame, %edi
	movl $4, %ecx			/* the 16-byte PUSHAW frame */
	rep movsl
	popal
	movw $0xbeef, 6(%esp)		/* the stored SP */
	clobber_values
	popaw
	movl %esp, pa_esp_popped
	store_regs
	restore_callee_saved
	ret

	.section .note.GNU-stack, "", @progbits
