/*
 * rewrite_stack.c - instructions that use the stack implicitly. In 64-bit
 * mode PUSH/POP/CALL/RET move 8 bytes through RSP; the guest's move 2 or 4
 * through SS:ESP (SS:SP when SS.B = 0), so all of them are rewritten:
 *  - convert PUSH x into: [read x] ; probe SS:ESP-n for a write ; mov [r8], x
 *    ; ESP -= n
 *  - convert POP x into: probe SS:ESP for a read ; mov r14, [r8] ; [probe x
 *    for a write] ; ESP += n ; mov x, r14
 *  - convert CALL into PUSH of the return address plus a jump, RET into a
 *    POP into R8 plus an indirect jump, LEAVE into MOV ESP, EBP ; POP EBP.
 * Every access is probed before any register changes, so a fault leaves the
 * guest state as it was before the instruction (SDM: faults are precise).
 */
#include "translator/internal.h"

static bool stack16(const struct block *b)
{
	return b->mode & MODE_STACK16;
}

/* dst = the stack offset ESP + delta (SP + delta, wrapped, with a 16-bit stack). */
void emit_stack_address(struct block *b, struct code_buf *cb, int dst, int32_t delta)
{
	emit_lea_r32(cb, dst, hmem_bd(HOST_ESP, delta));
	if (stack16(b))
		emit_movzx_r32_r16(cb, dst, dst);
}

/* ESP += delta (only SP changes with a 16-bit stack). Keeps the flags. */
void emit_sp_add(struct block *b, struct code_buf *cb, int32_t delta)
{
	if (!stack16(b)) {
		emit_lea_r32(cb, HOST_ESP, hmem_bd(HOST_ESP, delta));
		return;
	}
	emit_lea_r32(cb, T_IDX, hmem_bd(HOST_ESP, delta));
	emit_mov_r16_r16(cb, HOST_ESP, T_IDX);
}

/* What a push stores: a register, or an immediate. */
struct push_src {
	bool is_imm;
	int reg;
	uint32_t imm;
	uint8_t size;
};

static void push_body(struct block *b, struct code_buf *cb, const struct insn *in, const void *arg)
{
	const struct push_src *src = arg;
	int p66 = src->size == 2 ? P_66 : 0;

	if (src->is_imm) {
		emit_modrm_mem(cb, OPC_MOV_EvIz | p66, 0, hmem_bd(T_ADDR, 0));
		if (src->size == 2)
			emit_u16(cb, (uint16_t)src->imm);
		else
			emit_u32(cb, src->imm);
	} else {
		emit_modrm_mem(cb, OPC_MOV_EvGv | p66, src->reg, hmem_bd(T_ADDR, 0));
	}
	emit_sp_add(b, cb, -(int32_t)src->size);
}

static bool emit_push(struct block *b, const struct insn *in, const struct push_src *src)
{
	struct mem_op op = { .seg = S_SS, .size = src->size, .access = MA_W, .stack = true };

	emit_stack_address(b, &b->hot, T_ADDR, -(int32_t)src->size);
	return emit_guarded_access(b, in, &op, push_body, src);
}

static void load_value_body(struct block *b, struct code_buf *cb, const struct insn *in,
			    const void *arg)
{
	const struct mem_op *op = arg;

	if (op->size == 2)
		emit_modrm_mem(cb, OPC_MOVZWL, T_VAL, hmem_bd(T_ADDR, 0));
	else
		emit_mov_r32_m32(cb, T_VAL, hmem_bd(T_ADDR, 0));
}

/* T_VAL = the memory operand of @in (PUSH m, CALL m), zero-extended. */
static bool emit_load_operand(struct block *b, const struct insn *in)
{
	struct mem_op op = { .seg = in->mem_seg, .size = in->opsize, .access = MA_R };

	emit_effective_address(&b->hot, in, T_ADDR);
	return emit_guarded_access(b, in, &op, load_value_body, &op);
}

bool rewrite_push(struct block *b, const struct insn *in)
{
	struct push_src src = { .size = in->opsize };
	const cs_x86 *x86 = &in->cs->detail->x86;

	if (!in->opc_0f && in->opc >= 0x50 && in->opc <= 0x57) {
		/* PUSH ESP pushes ESP as it was before the push. */
		src.reg = host_reg_of(in->opc & 7);
	} else if (!in->opc_0f && (in->opc == 0x68 || in->opc == 0x6a)) {
		src.is_imm = true;
		src.imm = (uint32_t)x86->operands[0].imm;
	} else if (!in->opc_0f && in->opc == 0xff && in->has_mem) {
		if (!emit_load_operand(b, in))
			return false;
		src.reg = T_VAL;
	} else if (!in->opc_0f && in->opc == 0xff) {
		src.reg = host_reg_of(in->modrm & 7);
	} else {
		return false;
	}
	return emit_push(b, in, &src);
}

/* Store the popped value (in T_VAL) to the r/m destination of POP m. */
static void pop_store_body(struct block *b, struct code_buf *cb, const struct insn *in,
			   const void *arg)
{
	int p66 = in->opsize == 2 ? P_66 : 0;

	emit_modrm_mem(cb, OPC_MOV_EvGv | p66, T_VAL, hmem_bd(T_ADDR, 0));
	emit_mov_r32_r32(cb, HOST_ESP, T_NEWSP); /* commit ESP last */
}

/*
 * POP m: the destination's address uses ESP as it is after the pop (SDM
 * POP), but ESP changes only once the store cannot fault any more.
 */
static bool emit_pop_to_memory(struct block *b, const struct insn *in)
{
	struct mem_op op = { .seg = in->mem_seg, .size = in->opsize, .access = MA_W };

	emit_mov_r32_r32(&b->hot, T_NEWSP, HOST_ESP);
	if (stack16(b)) {
		emit_lea_r32(&b->hot, T_IDX, hmem_bd(HOST_ESP, in->opsize));
		emit_mov_r16_r16(&b->hot, T_NEWSP, T_IDX);
	} else {
		emit_lea_r32(&b->hot, T_NEWSP, hmem_bd(HOST_ESP, in->opsize));
	}
	emit_effective_address_esp(&b->hot, in, T_ADDR, T_NEWSP);
	return emit_guarded_access(b, in, &op, pop_store_body, NULL);
}

/* T_VAL = the value on top of the stack; ESP unchanged. */
static bool emit_stack_read(struct block *b, const struct insn *in, uint8_t size)
{
	struct mem_op op = { .seg = S_SS, .size = size, .access = MA_R, .stack = true };

	emit_stack_address(b, &b->hot, T_ADDR, 0);
	return emit_guarded_access(b, in, &op, load_value_body, &op);
}

bool rewrite_pop(struct block *b, const struct insn *in)
{
	struct code_buf *cb = &b->hot;
	int dst;

	if (!emit_stack_read(b, in, in->opsize))
		return false;
	if (in->has_mem)
		return emit_pop_to_memory(b, in);
	if (!in->opc_0f && in->opc >= 0x58 && in->opc <= 0x5f)
		dst = host_reg_of(in->opc & 7);
	else if (!in->opc_0f && in->opc == 0x8f)
		dst = host_reg_of(in->modrm & 7);
	else
		return false;
	/* ESP first, so that POP ESP leaves the popped value in ESP. */
	emit_sp_add(b, cb, in->opsize);
	if (in->opsize == 2)
		emit_mov_r16_r16(cb, dst, T_VAL);
	else
		emit_mov_r32_r32(cb, dst, T_VAL);
	return true;
}

bool rewrite_call(struct block *b, const struct insn *in)
{
	struct push_src ret = { .is_imm = true, .imm = next_eip(in), .size = in->opsize };

	if (!in->opc_0f && in->opc == 0xe8) {
		/* A target beyond CS's limit faults before anything is pushed. */
		if (!branch_beyond_limit(b, branch_target(in)) && !emit_push(b, in, &ret))
			return false;
		emit_goto_eip(b, &b->hot, branch_target(in), 0);
		return true;
	}
	if (in->opc_0f || in->opc != 0xff || ((in->modrm >> 3) & 7) != 2)
		return false;
	/* The target is read before the push, with ESP as it was. */
	if (!emit_indirect_target(b, in))
		return false;
	emit_target_limit_check(b);
	emit_mov_r32_r32(&b->hot, T_VAL, T_ADDR);
	if (!emit_push(b, in, &ret))
		return false;
	emit_mov_r32_r32(&b->hot, T_ADDR, T_VAL);
	emit_indirect_jump(b, &b->hot);
	return true;
}

bool rewrite_ret(struct block *b, const struct insn *in)
{
	uint16_t pop_extra = 0;

	if (in->opc == 0xc2)
		pop_extra = (uint16_t)in->cs->detail->x86.operands[0].imm;
	if (!emit_stack_read(b, in, in->opsize))
		return false;
	emit_mov_r32_r32(&b->hot, T_ADDR, T_VAL);
	emit_target_limit_check(b); /* before ESP moves: the fault is precise */
	emit_sp_add(b, &b->hot, in->opsize + pop_extra);
	emit_indirect_jump(b, &b->hot);
	return true;
}

/*
 * LEAVE: ESP = EBP (SP = BP with a 16-bit stack), then POP EBP. The pop is
 * probed at EBP before either register changes.
 */
bool rewrite_leave(struct block *b, const struct insn *in)
{
	struct mem_op op = { .seg = S_SS, .size = in->opsize, .access = MA_R, .stack = true };
	struct code_buf *cb = &b->hot;

	emit_mov_r32_r32(cb, T_ADDR, RBP);
	if (stack16(b))
		emit_movzx_r32_r16(cb, T_ADDR, T_ADDR);
	if (!emit_guarded_access(b, in, &op, load_value_body, &op))
		return false;
	if (stack16(b))
		emit_mov_r16_r16(cb, HOST_ESP, RBP);
	else
		emit_mov_r32_r32(cb, HOST_ESP, RBP);
	emit_sp_add(b, cb, in->opsize);
	if (in->opsize == 2)
		emit_mov_r16_r16(cb, RBP, T_VAL);
	else
		emit_mov_r32_r32(cb, RBP, T_VAL);
	return true;
}
