/*
 * user_entry.S - entering CPL 3 and coming back (SDM Vol. 3A 6.12.1): the
 * way in is an IRET with a five-dword frame to a DPL-3 code segment, the way
 * out is INT 0x80 through a DPL-3 interrupt gate, which switches back to the
 * ring-0 stack named by TSS.SS0:ESP0.
 */
#include "gdt.h"

	.bss
	.align 16
	.skip 16384
	.globl user_stack_top
user_stack_top:

	.align 4
user_kernel_esp:
	.skip 4		/* ESP of the user_call in progress */

	.text
/* uint32_t user_call(user_fn fn, uint32_t arg, uint32_t eflags) */
	.globl user_call
	.type user_call, @function
user_call:
	pushl %ebp
	pushl %ebx
	pushl %esi
	pushl %edi
	pushfl
	movl %esp, user_kernel_esp
	movl %esp, tss + TSS_ESP0	/* traps from CPL 3 land just below */
	movl 24(%esp), %eax		/* fn */
	movl 28(%esp), %ecx		/* arg */
	movl 32(%esp), %edx		/* eflags */
	orl $2, %edx
	movl $user_stack_top - 8, %ebx
	movl %eax, (%ebx)		/* user_trampoline pops fn ... */
	movl %ecx, 4(%ebx)		/* ... and leaves arg as fn's argument */
	pushl $SEL_UDATA		/* SS */
	pushl %ebx			/* ESP */
	pushl %edx			/* EFLAGS */
	pushl $SEL_UCODE		/* CS */
	pushl $user_trampoline		/* EIP */
	iret
	.size user_call, . - user_call

/* At CPL 3. IRET to an outer level nulled DS/ES/FS/GS (DPL 0): reload them. */
user_trampoline:
	movl $SEL_UDATA, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %fs
	mov %eax, %gs
	popl %eax
	call *%eax
	int $0x80			/* USER_RETURN_VECTOR, result in EAX */
	ud2

/* The INT 0x80 handler, at CPL 0 on TSS.ESP0: drop the frame, return from user_call. */
	.globl user_return
user_return:
	movl $SEL_KDATA, %ecx
	mov %ecx, %ds
	mov %ecx, %es
	mov %ecx, %fs
	mov %ecx, %gs
	movl user_kernel_esp, %esp
	popfl
	popl %edi
	popl %esi
	popl %ebx
	popl %ebp
	ret

	.section .note.GNU-stack, "", @progbits
