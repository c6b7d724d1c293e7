/*
 * smc.c - self-modifying code (SDM Vol. 3A 8.1.3 and 11.6: a write to code
 * that is cached or prefetched invalidates it; on the P6 family this holds
 * even for the instruction right after the store). A function patched and
 * called again, also from its own page; the next instruction patched with a
 * jump in between (required on every IA-32 CPU) and without (P6 and later);
 * a loop that patches its own body; code copied by REP MOVS and REP STOS
 * and overwritten; an instruction that straddles two pages patched on
 * either page; an INT3 breakpoint replaced by its handler; code on the
 * stack; patches at CPL 3; code written
 * through an alias mapping (and executed through it), also by the next
 * instruction's own predecessor; and code written by REP INSB from the
 * UART's scratch register, a device-to-memory write, also into the next
 * instruction.
 */
#include "check.h"
#include "cpu.h"
#include "idt.h"
#include "pgtable.h"
#include "user.h"

#define UART_SCR 0x3ff	     /* COM1 scratch register: reads back the last byte written */
#define ALIAS	 0x40000000u /* a second mapping of code_buf's first page */
#define ALIAS2	 0x40001000u /* a third */

#define OP_MOV_EAX 0xb8 /* movl $imm32, %eax */
#define OP_RET	   0xc3
#define OP_INC_EAX 0x40
#define OP_DEC_EAX 0x48
#define OP_NOP	   0x90
#define OP_INT3	   0xcc

uint32_t smc_imm(void);			/* movl $imm, %eax; ret */
uint32_t smc_patch_own_page(uint32_t);	/* patches smc_imm_near, calls it */
uint32_t smc_next_jump(uint32_t);	/* store; jmp; the patched mov */
uint32_t smc_next_same_block(uint32_t); /* store; the patched mov */
uint32_t smc_loop(void);		/* patches its own loop body: 0 + 1 + 2 + 3 */
uint32_t smc_ins_next(void);		/* REP INSB into the next instruction's immediate */

/* The patched code, alone on its own page(s) (one page for each of the two groups). */
__asm__(".section .text.smc, \"ax\"\n"
	".balign 4096\n"
	"smc_imm:\n\t"
	"movl $0, %eax\n\t"
	"ret\n"
	"smc_patch_own_page:\n\t"
	"movl 4(%esp), %eax\n\t"
	"movl %eax, smc_imm_near + 1\n\t"
	"call smc_imm_near\n\t"
	"ret\n"
	"smc_imm_near:\n\t"
	"movl $0, %eax\n\t"
	"ret\n"
	"smc_next_jump:\n\t"
	"movl 4(%esp), %eax\n\t"
	"movl %eax, 2f + 1\n\t"
	"jmp 2f\n"
	"2:\tmovl $0, %eax\n\t"
	"ret\n"
	"smc_next_same_block:\n\t"
	"movl 4(%esp), %eax\n\t"
	"movl %eax, 3f + 1\n"
	"3:\tmovl $0, %eax\n\t"
	"ret\n"
	"smc_loop:\n\t"
	"xorl %edx, %edx\n\t"
	"movl $4, %ecx\n\t"
	"movl $0, 4f + 1\n"
	"4:\tmovl $0, %eax\n\t"
	"addl %eax, %edx\n\t"
	"incl 4b + 1\n\t"
	"loop 4b\n\t"
	"movl %edx, %eax\n\t"
	"ret\n"
	"smc_ins_next:\n\t"
	"pushl %edi\n\t"
	"movl $5f + 1, %edi\n\t"
	"movl $4, %ecx\n\t"
	"movl $0x3ff, %edx\n\t"
	"rep insb\n"
	"5:\tmovl $0, %eax\n\t"
	"popl %edi\n\t"
	"ret\n"
	".balign 4096\n"
	".text\n");

/* Two pages for copied code, and one instruction spanning them. */
static uint8_t code_buf[2 * PAGE_SIZE] __attribute__((aligned(4096)));
#define EDGE (PAGE_SIZE - 2) /* movl $imm32, %eax at code_buf + EDGE straddles the pages */

static const uint8_t tpl_one[] = {OP_MOV_EAX, 1, 0, 0, 0, OP_RET};
static const uint8_t tpl_two[] = {OP_MOV_EAX, 2, 0, 0, 0, OP_RET};

/* Calls code with EAX = eax; returns EAX. The code may change only EAX and flags. */
static uint32_t run_code(const void *code, uint32_t eax)
{
	__asm__ volatile("call *%1" : "+a"(eax) : "r"(code) : "memory", "cc");
	return eax;
}

static void rep_movsb(void *dst, const void *src, uint32_t n)
{
	__asm__ volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
}

static void rep_stosb(void *dst, uint8_t byte, uint32_t n)
{
	__asm__ volatile("rep stosb" : "+D"(dst), "+c"(n) : "a"(byte) : "memory");
}

static void put_mov_ret(uint8_t *p, uint32_t imm)
{
	p[0] = OP_MOV_EAX;
	memcpy(p + 1, &imm, 4);
	p[5] = OP_RET;
}

static void check_patched_functions(void)
{
	unsigned bad = 0;

	for (uint32_t v = 1; v <= 4; v++) {
		memcpy((uint8_t *)smc_imm + 1, &v, 4);
		bad += smc_imm() != v;
	}
	CHECK_EQ32("patch_immediate_call_again", bad, 0);
	bad = 0;
	for (uint32_t v = 11; v <= 14; v++)
		bad += smc_patch_own_page(v) != v;
	CHECK_EQ32("patch_from_same_page", bad, 0);
	bad = 0;
	for (uint32_t v = 21; v <= 24; v++)
		bad += smc_next_jump(v) != v;
	CHECK_EQ32("next_insn_after_jump", bad, 0);
	bad = 0;
	for (uint32_t v = 31; v <= 34; v++)
		bad += smc_next_same_block(v) != v;
	CHECK_EQ32("next_insn_same_block", bad, 0);
	CHECK_EQ32("loop_patches_own_body", smc_loop(), 6);
	CHECK_EQ32("loop_patches_own_body_again", smc_loop(), 6);
}

static void check_copied_code(void)
{
	rep_movsb(code_buf, tpl_one, sizeof(tpl_one));
	CHECK_EQ32("rep_movs_copy_run", run_code(code_buf, 0), 1);
	rep_movsb(code_buf, tpl_two, sizeof(tpl_two));
	CHECK_EQ32("rep_movs_overwrite_run", run_code(code_buf, 0), 2);
	rep_stosb(code_buf, OP_INC_EAX, 10);
	code_buf[10] = OP_RET;
	CHECK_EQ32("rep_stos_code_run", run_code(code_buf, 0), 10);
	rep_stosb(code_buf, OP_DEC_EAX, 4);
	CHECK_EQ32("rep_stos_overwrite_run", run_code(code_buf, 0), 2);

	put_mov_ret(code_buf + EDGE, 0x100);
	CHECK_EQ32("straddling_insn_run", run_code(code_buf + EDGE, 0), 0x100);
	code_buf[EDGE + 3] = 0x77; /* imm byte 2, on the second page */
	CHECK_EQ32("straddling_insn_patched_second_page", run_code(code_buf + EDGE, 0), 0x770100);
	code_buf[EDGE + 1] = 0x55; /* imm byte 0, on the first page */
	CHECK_EQ32("straddling_insn_patched_first_page", run_code(code_buf + EDGE, 0), 0x770155);
}

/* At CPL 3: patch and call, as user-mode JITs do. */
static uint32_t u_patch(uint32_t v)
{
	memcpy((uint8_t *)smc_imm + 1, &v, 4);
	return smc_imm();
}

/*
 * Code on the stack, right below the return addresses its calls push: each
 * CALL writes to the page the code is on.
 */
static void check_stack_code(void)
{
	uint8_t code[16];
	unsigned bad = 0;

	for (uint32_t v = 1; v <= 4; v++) {
		put_mov_ret(code, 0x600 + v);
		bad += run_code(code, 0) != 0x600 + v;
	}
	CHECK_EQ32("code_on_stack_patched", bad, 0);
	CHECK_EQ32("patch_at_cpl3", user_call(u_patch, 0x3333, 0), 0x3333);
	CHECK_EQ32("patch_at_cpl3_again", user_call(u_patch, 0x4444, 0), 0x4444);
}

/* A debugger's breakpoint: the handler puts the original opcode back and re-runs it. */
static void unpatch_breakpoint(struct trap_frame *f)
{
	f->eip -= 1;
	*(volatile uint8_t *)f->eip = OP_MOV_EAX;
}

static void check_breakpoint(void)
{
	put_mov_ret(code_buf, 5);
	CHECK_EQ32("breakpoint_before", run_code(code_buf, 0), 5);
	code_buf[0] = OP_INT3;
	probe_arm();
	trap_set_handler(EXC_BP, unpatch_breakpoint);
	CHECK_EQ32("breakpoint_replaced_by_handler", run_code(code_buf, 0), 5);
	trap_set_handler(EXC_BP, 0);
	CHECK_EQ32("breakpoint_hit_once", trap_last.count, 1);
}

/* REP INSB stores what the device returns: the UART scratch register, N times. */
static void rep_insb(void *dst, uint8_t byte, uint32_t n)
{
	outb(UART_SCR, byte);
	__asm__ volatile("rep insb" : "+D"(dst), "+c"(n) : "d"(UART_SCR) : "memory");
}

static void check_device_write(void)
{
	memset(code_buf, OP_NOP, 16);
	code_buf[16] = OP_RET;
	CHECK_EQ32("nops_run", run_code(code_buf, 0), 0);
	rep_insb(code_buf, OP_INC_EAX, 7);
	CHECK_EQ32("rep_ins_code_run", run_code(code_buf, 0), 7);
	rep_insb(code_buf, OP_DEC_EAX, 3);
	CHECK_EQ32("rep_ins_overwrite_run", run_code(code_buf, 0), 1);
	outb(UART_SCR, 0x21);
	CHECK_EQ32("rep_ins_into_next_insn", smc_ins_next(), 0x21212121);
	outb(UART_SCR, 0x43);
	CHECK_EQ32("rep_ins_into_next_insn_again", smc_ins_next(), 0x43434343);
}

/* Code on code_buf's first page, also seen at ALIAS and ALIAS2. */
static void check_alias(void)
{
	uint32_t *pd = pgdir_create();
	uint32_t phys = (uint32_t)code_buf, target = ALIAS + 8;

	pgdir_identity(pd, 16u << 20, PTE_URW);
	pgdir_map(pd, ALIAS, phys, PTE_KRW);
	pgdir_map(pd, ALIAS2, phys, PTE_KRW);
	paging_start(pd, 1);

	put_mov_ret(code_buf, 0x41);
	CHECK_EQ32("alias_before", run_code(code_buf, 0), 0x41);
	WR8(ALIAS + 1, 0x42);
	CHECK_EQ32("alias_write_runs_at_identity", run_code(code_buf, 0), 0x42);
	CHECK_EQ32("alias_run", run_code((void *)ALIAS, 0), 0x42);
	code_buf[1] = 0x43;
	CHECK_EQ32("identity_write_runs_at_alias", run_code((void *)ALIAS, 0), 0x43);
	WR8(ALIAS2 + 1, 0x44);
	CHECK_EQ32("third_mapping_write_identity", run_code(code_buf, 0), 0x44);
	CHECK_EQ32("third_mapping_write_alias", run_code((void *)ALIAS, 0), 0x44);
	rep_insb((void *)(ALIAS2 + 1), 0x45, 1);
	CHECK_EQ32("rep_ins_through_alias", run_code((void *)ALIAS, 0), 0x45);

	/* movb $0x51, ALIAS + 8; movl $0, %eax; ret: the store patches the MOV's immediate. */
	code_buf[0] = 0xc6; /* movb $imm8, disp32 */
	code_buf[1] = 0x05;
	memcpy(code_buf + 2, &target, 4);
	code_buf[6] = 0x51;
	put_mov_ret(code_buf + 7, 0);
	CHECK_EQ32("alias_store_into_next_insn", run_code(code_buf, 0), 0x51);
	code_buf[6] = 0x52;
	CHECK_EQ32("alias_store_into_next_insn_again", run_code(code_buf, 0), 0x52);
	paging_disable();
}

void main(uint32_t magic, uint32_t info)
{
	sys_init();
	check_patched_functions();
	check_copied_code();
	check_breakpoint();
	check_stack_code();
	check_device_write();
	check_alias();
	test_finish("smc");
}
