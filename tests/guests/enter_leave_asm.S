/*
 * enter_leave_asm.S - the parts of the enter_leave guest that need full
 * control of ESP and EBP or of the call sequence: ENTER/LEAVE on a private
 * stack, and the CALL/RET/JMP forms. Results go to el_* for enter_leave.c.
 */
	.data
	.align 4
/*
 * An "old frame" for ENTER to copy from: EBP = el_display_ebp, with
 * [EBP-4] = 0xd1, [EBP-8] = 0xd2, [EBP-12] = 0xd3.
 */
	.globl el_display
el_display:
	.long 0xd3, 0xd2, 0xd1
el_display_ebp:
	.long 0xd0d0d0d0
fn_ptr:	.long ret_b1		/* for CALL m32 */
jmp_ptr: .long jmp_mem_target	/* for JMP m32 */
fn_table: .long ret_a1, ret_b1, ret_c1

	.bss
	.align 16
	.globl el_stack, el_stack_top, el_out, el_calls
el_stack:	.skip 256	/* the private stack ENTER runs on */
el_stack_top:
el_out:		.skip 16	/* ESP, EBP after ENTER; ESP, EBP after LEAVE */
el_calls:	.skip 32	/* results of call_forms, see enter_leave.c */
saved_esp:	.skip 4

	.text
/*
 * void enter_<size>_<level>(void): switches to el_stack with EBP =
 * el_display_ebp, runs ENTER size, level, records ESP and EBP, runs LEAVE,
 * records them again, and switches back.
 */
.macro enter_case size, level
	.globl enter_\size\()_\level
enter_\size\()_\level:
	pushl %ebp
	movl %esp, saved_esp
	movl $el_stack_top, %esp
	movl $el_display_ebp, %ebp
	enter $\size, $\level
	movl %esp, el_out + 0
	movl %ebp, el_out + 4
	leave
	movl %esp, el_out + 8
	movl %ebp, el_out + 12
	movl saved_esp, %esp
	popl %ebp
	ret
.endm

	enter_case 16, 0
	enter_case 8, 1
	enter_case 0, 2
	enter_case 12, 3
	enter_case 4, 33	/* the level is taken mod 32: same as level 1 */
	enter_case 4096, 0	/* allocates below el_stack, never touched */

ret_a1:	movl $0xa1, %eax
	ret
ret_b1:	movl $0xb1, %eax
	ret
ret_c1:	movl $0xc1, %eax
	ret

/* Adds its two stack arguments and pops them: RET imm16. */
sum_ret8:
	movl 4(%esp), %eax
	addl 8(%esp), %eax
	ret $8

/* void call_forms(void): fills el_calls[0..7]; each comment gives the expected value. */
	.globl call_forms
call_forms:
	pushl %ebx
	movl $ret_a1, %ecx
	call *%ecx			/* CALL r32 */
	movl %eax, el_calls + 0		/* 0xa1 */
	call *fn_ptr			/* CALL m32 */
	movl %eax, el_calls + 4		/* 0xb1 */
	movl $fn_table, %ebx
	movl $2, %ecx
	call *(%ebx,%ecx,4)		/* CALL m32 with SIB */
	movl %eax, el_calls + 8		/* 0xc1 */

	movl %esp, %edx
	pushl $0x30
	pushl $0x12
	call sum_ret8
	movl %eax, el_calls + 12	/* 0x42 */
	subl %esp, %edx
	movl %edx, el_calls + 16	/* 0: the callee popped its arguments */

	movl $1f, %ecx
	call 1f				/* pushes the address of the next instruction */
1:	popl %eax
	subl %ecx, %eax
	movl %eax, el_calls + 20	/* 0 */

	xorl %eax, %eax
	movl $2f, %ecx
	jmp *%ecx			/* JMP r32 */
	movl $1, %eax			/* skipped */
2:	movl %eax, el_calls + 24	/* 0 */
	jmp *jmp_ptr			/* JMP m32 */
	movl $1, %eax			/* skipped */
jmp_mem_target:
	movl %eax, el_calls + 28	/* 0 */
	popl %ebx
	ret

	.section .note.GNU-stack, "", @progbits
