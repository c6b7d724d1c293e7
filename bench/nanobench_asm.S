/*
 * nanobench_asm.S - the loops nanobench.c times, one per row of Adams &
 * Agesen's nanobenchmarks (ASPLOS 2006, section 6.1), and the minimal trap
 * handlers they need. Each loop is "void bench_<name>(uint32_t n)" (cdecl):
 * n iterations of one operation plus DEC/JNZ; bench_empty is the DEC/JNZ
 * alone, which nanobench.c subtracts.
 */
#include "gdt.h"

#define PTE_P	   0x001
#define PAGE_SIZE  4096
#define SYS_NULL   0x4e554c4c /* "NULL": the syscall number INT 0x80 returns at once for */

	.bss
	.balign 4096
	.globl bench_pt
bench_pt:			/* the page table of the region the faults touch */
	.skip 4096

	.text

/* Saves the callee-saved registers the loops use; ECX = n. */
.macro PROLOGUE
	pushl %ebx
	pushl %esi
	pushl %edi
	pushl %ebp
	movl 20(%esp), %ecx
.endm

.macro EPILOGUE
	popl %ebp
	popl %edi
	popl %esi
	popl %ebx
	ret
.endm

	.globl bench_empty
bench_empty:
	PROLOGUE
1:	decl %ecx
	jnz 1b
	EPILOGUE

/* pgfault: read one new page per iteration from bench_region; each is not present. */
	.globl bench_pgfault
bench_pgfault:
	PROLOGUE
	movl bench_region, %esi
1:	movl (%esi), %eax
	addl $PAGE_SIZE, %esi
	decl %ecx
	jnz 1b
	EPILOGUE

/* The #PF handler of pgfault: set P in the PTE of CR2 and retry. */
	.globl bench_pf_handler
bench_pf_handler:
	pushl %eax
	movl %cr2, %eax
	shrl $10, %eax
	andl $0xffc, %eax
	orl $PTE_P, bench_pt(%eax)
	popl %eax
	addl $4, %esp		/* the error code */
	iret

/* ptemod: move the first PTE of the region to the other frame, INVLPG, read the page. */
	.globl bench_ptemod
bench_ptemod:
	PROLOGUE
	movl bench_region, %esi
1:	xorl $PAGE_SIZE, bench_pt
	invlpg (%esi)
	movl (%esi), %eax
	decl %ecx
	jnz 1b
	EPILOGUE

/* cr3: two switches per iteration, each followed by a read in the new space. */
	.globl bench_cr3
bench_cr3:
	PROLOGUE
	movl bench_cr3_a, %ebx
	movl bench_cr3_b, %edx
	movl $bench_region, %esi	/* a variable: mapped alike in both spaces */
1:	movl %edx, %cr3
	movl (%esi), %eax
	movl %ebx, %cr3
	movl (%esi), %eax
	decl %ecx
	jnz 1b
	EPILOGUE

/* syscall, at CPL 3: INT 0x80 with the null syscall number; the gate's handler IRETs. */
	.globl bench_syscall
bench_syscall:
	PROLOGUE
1:	movl $SYS_NULL, %eax
	int $0x80
	decl %ecx
	jnz 1b
	EPILOGUE

/*
 * The INT 0x80 handler (DPL-3 gate): the null syscall returns at once; any
 * other EAX is user_call()'s way back to CPL 0 (lib/user_entry.S).
 */
	.globl bench_syscall_entry
bench_syscall_entry:
	cmpl $SYS_NULL, %eax
	jne user_return
	iret

/* in: IN from the POST port 0x80, which every PC decodes and ignores. */
	.globl bench_in
bench_in:
	PROLOGUE
1:	inb $0x80, %al
	decl %ecx
	jnz 1b
	EPILOGUE

/* callret: a near CALL to a RET. */
	.globl bench_callret
bench_callret:
	PROLOGUE
1:	call 2f
	decl %ecx
	jnz 1b
	EPILOGUE
2:	ret

/* divzero: DIV by zero (EDI = 0); the #DE handler skips the 2-byte DIV. */
	.globl bench_divzero
bench_divzero:
	PROLOGUE
	xorl %edi, %edi
1:	xorl %edx, %edx
	movl $1, %eax
	divl %edi		/* F7 F7 */
	decl %ecx
	jnz 1b
	EPILOGUE

	.globl bench_de_handler
bench_de_handler:
	addl $2, (%esp)		/* EIP: past the DIV */
	iret

	.section .note.GNU-stack, "", @progbits
