/*
 * callout.c - emitting a callout: the instruction is decoded once, here,
 * into a struct callout_insn kept with the block, and translated code calls
 * the monitor's emulation function through the callout thunk:
 *	lea r9, [rip + record] ; call callout_thunk
 * The thunk saves the guest state into the vCPU, calls record->fn, and
 * either resumes after the instruction or leaves translated code.
 */
#include <string.h>

#include "translator/internal.h"

static bool gpr_operand(unsigned reg, struct operand *o)
{
	static const unsigned r32[8] = { X86_REG_EAX, X86_REG_ECX, X86_REG_EDX, X86_REG_EBX,
					 X86_REG_ESP, X86_REG_EBP, X86_REG_ESI, X86_REG_EDI };
	static const unsigned r16[8] = { X86_REG_AX, X86_REG_CX, X86_REG_DX, X86_REG_BX,
					 X86_REG_SP, X86_REG_BP, X86_REG_SI, X86_REG_DI };
	static const unsigned r8[8] = { X86_REG_AL, X86_REG_CL, X86_REG_DL, X86_REG_BL,
					X86_REG_AH, X86_REG_CH, X86_REG_DH, X86_REG_BH };

	for (int i = 0; i < 8; i++) {
		o->kind = OPK_REG;
		o->reg = (uint8_t)(i & 3);
		if (reg == r32[i] || reg == r16[i]) {
			o->reg = (uint8_t)i;
			o->size = reg == r32[i] ? 4 : 2;
			return true;
		}
		if (reg == r8[i]) {
			o->size = 1;
			o->high = i >= 4;
			return true;
		}
	}
	return false;
}

static bool reg_in_range(unsigned reg, unsigned first, unsigned count, uint8_t *n)
{
	if (reg < first || reg >= first + count)
		return false;
	*n = (uint8_t)(reg - first);
	return true;
}

static bool reg_operand(unsigned reg, struct operand *o)
{
	static const unsigned sregs[6] = { X86_REG_ES, X86_REG_CS, X86_REG_SS,
					   X86_REG_DS, X86_REG_FS, X86_REG_GS };

	if (gpr_operand(reg, o))
		return true;
	for (uint8_t i = 0; i < 6; i++) {
		if (reg == sregs[i]) {
			*o = (struct operand){ .kind = OPK_SREG, .reg = i, .size = 2 };
			return true;
		}
	}
	o->size = 4;
	if (reg_in_range(reg, X86_REG_CR0, 16, &o->reg)) {
		o->kind = OPK_CREG;
		return true;
	}
	if (reg_in_range(reg, X86_REG_DR0, 16, &o->reg)) {
		o->kind = OPK_DREG;
		return true;
	}
	return false;
}

static void mem_operand(const struct insn *in, const cs_x86_op *op, struct operand *o)
{
	o->kind = OPK_MEM;
	o->size = op->size;
	if (in->has_mem) {
		o->base = in->mem_base;
		o->index = in->mem_index;
		o->scale = in->mem_scale;
		o->disp = (uint32_t)in->mem_disp;
		o->seg = in->mem_seg;
		o->size = (uint8_t)(in->mem_size > 255 ? 0 : in->mem_size);
		return;
	}
	/* Implicit operands (string instructions): the monitor computes them. */
	o->base = o->index = -1;
	o->seg = in->seg_override >= 0 ? (uint8_t)in->seg_override : S_DS;
}

/* Fill *ci from @in. Returns false for an operand the monitor cannot take. */
bool fill_callout_insn(const struct insn *in, struct callout_insn *ci)
{
	const cs_x86 *x86;

	memset(ci, 0, sizeof(*ci));
	ci->eip = in->eip;
	ci->next_eip = next_eip(in);
	ci->id = (uint16_t)in->id;
	ci->opcode = in->opc;
	ci->opcode_len = in->opc_len;
	ci->modrm = in->modrm;
	ci->len = in->len;
	ci->opsize = in->opsize;
	ci->addrsize = in->addrsize;
	ci->rep = in->rep ? 0xf3 : in->repne ? 0xf2 : 0;
	ci->seg_override = in->seg_override;
	memcpy(ci->bytes, in->bytes, in->len);
	if (!in->cs)
		return true; /* undecodable bytes: no operands */
	x86 = &in->cs->detail->x86;
	for (int i = 0; i < x86->op_count && ci->nops < 3; i++) {
		const cs_x86_op *op = &x86->operands[i];
		struct operand *o = &ci->op[ci->nops++];

		/* x87/MMX/XMM registers: no callout reads them (the ones that
		 * see such instructions only raise #UD or #NM). */
		if (op->type == X86_OP_REG && !reg_operand(op->reg, o))
			*o = (struct operand){ .kind = OPK_NONE };
		if (op->type == X86_OP_MEM)
			mem_operand(in, op, o);
		if (op->type == X86_OP_IMM)
			*o = (struct operand){ .kind = OPK_IMM, .size = op->size,
					       .imm = (uint32_t)op->imm };
	}
	/* JMP/CALL ptr16:32 arrive as two immediates: selector, offset. */
	if (x86->op_count == 2 && ci->op[0].kind == OPK_IMM && ci->op[1].kind == OPK_IMM &&
	    (in->id == X86_INS_LJMP || in->id == X86_INS_LCALL)) {
		ci->op[0] = (struct operand){ .kind = OPK_FAR, .sel = (uint16_t)ci->op[0].imm,
					      .imm = ci->op[1].imm };
		ci->nops = 1;
	}
	return true;
}

/* lea r9, [rip + record] ; call callout_thunk */
bool emit_callout(struct block *b, const struct insn *in, callout_fn fn)
{
	uint32_t off = block_data_alloc(b, sizeof(struct callout_insn));
	struct callout_insn *ci = (struct callout_insn *)(b->data + off);

	if (b->data_overflow || !fill_callout_insn(in, ci))
		return false;
	ci->fn = fn;
	ci->stat = (uint16_t)classify_row_index(in->cls);
	block_data_ref(b, &b->hot, OPC_LEA | P_REXW, T_IDX, off);
	block_call_abs(b, &b->hot, b->x->thunks.callout);
	b->x->stats.callouts++;
	return true;
}
