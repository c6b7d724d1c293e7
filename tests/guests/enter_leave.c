/*
 * enter_leave.c - stack frames and the stack itself (SDM Vol. 2A/2B: ENTER,
 * LEAVE, CALL, RET, PUSH, POP): ENTER at nesting levels 0-3 (and 33, taken
 * mod 32) with the copied frame-pointer display, LEAVE, RET imm16, CALL and
 * JMP through a register and memory, the return address CALL pushes, PUSH
 * imm8 sign extension, PUSH/POP with memory operands, POP into an ESP-based
 * operand, POP ESP and PUSH ESP. A translator keeps guest ESP in a host
 * register other than RSP, so every one of these is rewritten.
 */
#include "check.h"
#include "regs.h"

extern uint32_t el_stack[64], el_stack_top[], el_out[4], el_calls[8];
extern uint32_t el_display[4]; /* 0xd3, 0xd2, 0xd1, then the word the old EBP points to */
void enter_16_0(void), enter_8_1(void), enter_0_2(void), enter_12_3(void);
void enter_4_33(void), enter_4096_0(void);
void call_forms(void);

/*
 * ENTER size, level (SDM pseudocode, 32-bit stack): push EBP; FrameTemp =
 * ESP; for level > 1, push the level - 1 dwords at [EBP - 4], [EBP - 8], ...
 * of the old frame; for level > 0, push FrameTemp; EBP = FrameTemp; ESP -=
 * size. LEAVE: ESP = EBP; pop EBP.
 */
static void check_enter(const char *name, void (*run)(void), uint32_t size, unsigned level)
{
	uint32_t ft = (uint32_t)el_stack_top - 4, old_ebp = (uint32_t)&el_display[3];
	const uint32_t *frame = (const uint32_t *)ft;
	bool frame_ok;

	memset(el_stack, 0, sizeof(el_stack));
	run();
	frame_ok = frame[0] == old_ebp;
	for (unsigned i = 1; i < level; i++)
		frame_ok &= frame[-(int)i] == el_display[3 - i]; /* 0xd1, 0xd2 */
	if (level > 0)
		frame_ok &= frame[-(int)level] == ft;
	CHECK_TRUE(check_name(name, "frame"), frame_ok);
	CHECK_EQ32(check_name(name, "esp"), el_out[0], ft - 4 * level - size);
	CHECK_EQ32(check_name(name, "ebp"), el_out[1], ft);
	CHECK_EQ32(check_name(name, "leave_esp"), el_out[2], (uint32_t)el_stack_top);
	CHECK_EQ32(check_name(name, "leave_ebp"), el_out[3], old_ebp);
}

static void check_enter_leave(void)
{
	check_enter("enter_16_0", enter_16_0, 16, 0);
	check_enter("enter_8_1", enter_8_1, 8, 1);
	check_enter("enter_0_2", enter_0_2, 0, 2);
	check_enter("enter_12_3", enter_12_3, 12, 3);
	check_enter("enter_4_33", enter_4_33, 4, 1); /* 33 mod 32 = 1 */
	check_enter("enter_4096_0", enter_4096_0, 4096, 0);
}

static void check_calls(void)
{
	call_forms();
	CHECK_EQ32("call_reg", el_calls[0], 0xa1);
	CHECK_EQ32("call_mem", el_calls[1], 0xb1);
	CHECK_EQ32("call_mem_sib", el_calls[2], 0xc1);
	CHECK_EQ32("ret_imm16_result", el_calls[3], 0x42);
	CHECK_EQ32("ret_imm16_pops_args", el_calls[4], 0);
	CHECK_EQ32("call_pushes_next_eip", el_calls[5], 0);
	CHECK_EQ32("jmp_reg", el_calls[6], 0);
	CHECK_EQ32("jmp_mem", el_calls[7], 0);
}

static uint32_t stack_mem[2];

static void check_push_pop(void)
{
	struct regs r = {0};

	RUN_INSN("pushl $-2\n\tpopl %%eax\n\t" /* 6A FE: imm8 sign-extended to 32 bits */
		 "pushl $0x80\n\tpopl %%ecx",  /* 68 imm32: 0x80 does not fit an imm8 */
		 r);
	CHECK_EQ32("push_imm8_sign_extended", r.eax, 0xfffffffe);
	CHECK_EQ32("push_imm32", r.ecx, 0x80);

	/* 16-bit pushes move ESP by 2: the two words pop as one dword. */
	RUN_INSN("pushw $-2\n\tpushw $0x1234\n\tpopl %%eax", r);
	CHECK_EQ32("pushw_imm8", r.eax, 0xfffe1234);

	stack_mem[0] = 0xcafef00d;
	r.ebx = (uint32_t)stack_mem;
	RUN_INSN("pushl (%%ebx)\n\tpopl 4(%%ebx)", r);
	CHECK_EQ32("push_pop_mem", stack_mem[1], 0xcafef00d);

	/* POP m with an ESP base: the address uses ESP after the pop's increment. */
	RUN_INSN("pushl $0xaaaaaaaa\n\tpushl $0xbbbbbbbb\n\tpushl $0xcccccccc\n\t"
		 "popl 4(%%esp)\n\t" /* 0xcccccccc lands on the 0xaaaaaaaa slot */
		 "popl %%eax\n\tpopl %%ecx",
		 r);
	CHECK_EQ32("pop_esp_based_untouched", r.eax, 0xbbbbbbbb);
	CHECK_EQ32("pop_esp_based_after_increment", r.ecx, 0xcccccccc);

	/* PUSH ESP stores ESP as it was before the push. */
	RUN_INSN("movl %%esp, %%edx\n\tpushl %%esp\n\tpopl %%ecx", r);
	CHECK_EQ32("push_esp_old_value", r.ecx, r.edx);

	/* POP ESP loads the popped value; the increment is lost. */
	RUN_INSN("movl %%esp, %%edx\n\tleal -64(%%esp), %%eax\n\tpushl %%eax\n\tpopl %%esp\n\t"
		 "movl %%esp, %%ecx\n\tmovl %%edx, %%esp",
		 r);
	CHECK_EQ32("pop_esp", r.ecx, r.edx - 64);
}

void main(uint32_t magic, uint32_t info)
{
	check_enter_leave();
	check_calls();
	check_push_pop();
	test_finish("enter_leave");
}
