/*
 * boot.S - entry of every btvmm test guest: the Multiboot v1 header
 * (Multiboot Specification 0.6.96, section 3.1), a 16 KiB stack, the
 * runtime's own flat GDT, then main() and the exit port.
 *
 * The loader enters _start in 32-bit protected mode with paging off, flat
 * segments, EAX = 0x2BADB002 and EBX = the Multiboot information structure.
 * We still load our own GDT and reload every segment register, as real
 * kernels do: the loader's GDT may be anywhere, and the reload exercises
 * LGDT, MOV to segment registers and a far JMP in the monitor.
 */
#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x00000003 /* bit 0: align modules to 4 KiB; bit 1: memory info */

#define SEL_CODE 0x08 /* GDT entry 1: flat 32-bit code */
#define SEL_DATA 0x10 /* GDT entry 2: flat 32-bit data */

	.section .multiboot, "a"
	.align 4
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS) /* checksum: the three fields sum to 0 */

	.section .rodata
	.align 8
gdt:
	.quad 0x0000000000000000 /* null descriptor */
	.quad 0x00cf9a000000ffff /* base 0, limit 4 GiB, G=1 D=1, code execute/read, DPL 0 */
	.quad 0x00cf92000000ffff /* base 0, limit 4 GiB, G=1 B=1, data read/write, DPL 0 */
gdt_end:
gdt_ptr:
	.word gdt_end - gdt - 1 /* limit */
	.long gdt		/* linear base */

	.section .bss
	.align 16
stack_bottom:
	.skip 16384
stack_top:

	.text
	.globl _start
	.type _start, @function
_start:
	/* EAX and EBX carry the Multiboot magic and info: keep them. */
	lgdt gdt_ptr
	mov $SEL_DATA, %ecx
	mov %ecx, %ds
	mov %ecx, %es
	mov %ecx, %fs
	mov %ecx, %gs
	mov %ecx, %ss
	mov $stack_top, %esp
	ljmp $SEL_CODE, $1f
1:
	cld			/* the C ABI expects DF = 0 */
	push %ebx		/* main's 2nd argument: info */
	push %eax		/* main's 1st argument: magic */
	call serial_init	/* takes no arguments, leaves them in place */
	call main
	push guest_exit_code	/* 0 unless a check failed (see check.c) */
	call guest_exit
	/* Only reached when there is no exit device: stop for good. */
	cli
2:	hlt
	jmp 2b
	.size _start, . - _start

	.section .note.GNU-stack, "", @progbits
