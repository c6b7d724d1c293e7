/*
 * rewrite_64bit.c - encodings whose meaning changes in 64-bit mode, and
 * implicit memory operands:
 *  - convert INC/DEC r32 (40-4F, REX prefixes in 64-bit mode) into FF /0, /1
 *  - convert LEA into an address computation into the destination (no
 *    memory access; the segment is irrelevant)
 *  - convert MOV AL/EAX <-> moffs (A0-A3, 64-bit offsets in 64-bit mode)
 *    into MOV with a ModRM memory operand
 *  - convert XLAT into a byte load from seg:[EBX + AL]
 *  - drop NOP and PAUSE (nothing to do; PAUSE is a hint)
 */
#include "translator/internal.h"

/* 40+r: INC r ; 48+r: DEC r  ->  FF /0 or FF /1 with a register operand. */
bool rewrite_inc_dec(struct block *b, const struct insn *in)
{
	int reg = host_reg_of(in->opc & 7), ext = (in->opc & 8) ? 1 : 0;

	emit_modrm_reg(&b->hot, OPC_GRP5 | (in->opsize == 2 ? P_66 : 0), ext, reg);
	return true;
}

bool rewrite_lea(struct block *b, const struct insn *in)
{
	int dst = host_reg_of((in->modrm >> 3) & 7);

	if (!in->has_mem)
		return false;
	if (in->opsize == 4) {
		emit_effective_address(&b->hot, in, dst);
		return true;
	}
	/* LEA r16 writes only the low 16 bits of the destination. */
	emit_effective_address(&b->hot, in, T_ADDR);
	emit_mov_r16_r16(&b->hot, dst, T_ADDR);
	return true;
}

/* mov al/ax/eax, [r8]  or  mov [r8], al/ax/eax */
static void moffs_body(struct block *b, struct code_buf *cb, const struct insn *in,
		       const void *arg)
{
	static const int opcode[4] = { 0x8a, 0x8b, 0x88, 0x89 };
	int opc = opcode[in->opc - 0xa0];

	if ((in->opc & 1) && in->opsize == 2)
		opc |= P_66;
	emit_modrm_mem(cb, opc, RAX, hmem_bd(T_ADDR, 0));
}

bool rewrite_moffs(struct block *b, const struct insn *in)
{
	struct mem_op op = { .seg = in->mem_seg, .size = in->mem_size,
			     .access = (uint8_t)in->mem_access };

	emit_mov_r32_imm32(&b->hot, T_ADDR,
			   in->addrsize == 2 ? (uint16_t)in->mem_disp : (uint32_t)in->mem_disp);
	return emit_guarded_access(b, in, &op, moffs_body, NULL);
}

/* mov al, [r8] */
static void xlat_body(struct block *b, struct code_buf *cb, const struct insn *in,
		      const void *arg)
{
	emit_modrm_mem(cb, 0x8a, RAX, hmem_bd(T_ADDR, 0));
}

/* XLAT: AL = seg:[EBX + zero-extended AL] (BX + AL with 16-bit addresses). */
bool rewrite_xlat(struct block *b, const struct insn *in)
{
	struct mem_op op = { .seg = in->seg_override >= 0 ? (uint8_t)in->seg_override : S_DS,
			     .size = 1, .access = MA_R };
	struct code_buf *cb = &b->hot;

	emit_modrm_reg(cb, OPC_MOVZBL, T_ADDR, RAX); /* movzx r8d, al */
	emit_lea_r32(cb, T_ADDR, hmem_bisd(RBX, T_ADDR, 0, 0));
	if (in->addrsize == 2)
		emit_movzx_r32_r16(cb, T_ADDR, T_ADDR);
	return emit_guarded_access(b, in, &op, xlat_body, NULL);
}

bool rewrite_nop(struct block *b, const struct insn *in)
{
	return true;
}
