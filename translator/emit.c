/*
 * emit.c - encoding host x86-64 instructions into a code buffer (Intel SDM
 * Vol. 2 ch. 2: legacy prefixes, REX, opcode, ModRM, SIB, displacement).
 * The layout follows QEMU's tcg/i386/tcg-target.c.inc: one opcode emitter
 * that knows about prefixes and REX, one ModRM emitter, and small named
 * helpers on top.
 */
#include <string.h>

#include "translator/emit.h"

#define REX_B 0x01
#define REX_X 0x02
#define REX_R 0x04
#define REX_W 0x08

void emit_byte(struct code_buf *cb, uint8_t b)
{
	if (cb->ptr < cb->end)
		*cb->ptr++ = b;
	else
		cb->overflow = true;
}

void emit_bytes(struct code_buf *cb, const uint8_t *bytes, unsigned n)
{
	if (cb->ptr + n <= cb->end) {
		memcpy(cb->ptr, bytes, n);
		cb->ptr += n;
	} else {
		cb->overflow = true;
	}
}

void emit_u16(struct code_buf *cb, uint16_t v)
{
	emit_bytes(cb, (const uint8_t *)&v, 2);
}

void emit_u32(struct code_buf *cb, uint32_t v)
{
	emit_bytes(cb, (const uint8_t *)&v, 4);
}

void emit_u64(struct code_buf *cb, uint64_t v)
{
	emit_bytes(cb, (const uint8_t *)&v, 8);
}

/*
 * Write the prefixes, a REX byte if any register needs one, and the opcode.
 * @r is the ModRM reg field (a register or a /ext digit), @rm the rm or base
 * register, @x the index register; negative values mean "none".
 */
void emit_opc(struct code_buf *cb, int opc, int r, int rm, int x)
{
	uint8_t rex = 0;

	if (opc & P_66)
		emit_byte(cb, 0x66);
	if (opc & P_REXW)
		rex |= REX_W;
	if (r >= 8)
		rex |= REX_R;
	if (x >= 8)
		rex |= REX_X;
	if (rm >= 8)
		rex |= REX_B;
	/* Without REX, byte registers 4-7 are AH..BH; with it, SPL..DIL. */
	if ((opc & P_BYTEREG) && ((r >= 4 && r < 8) || (rm >= 4 && rm < 8)))
		rex |= 0x40;
	if (rex)
		emit_byte(cb, 0x40 | rex);
	if (opc & P_0F)
		emit_byte(cb, 0x0f);
	emit_byte(cb, (uint8_t)opc);
}

void emit_modrm_reg(struct code_buf *cb, int opc, int r, int rm)
{
	emit_opc(cb, opc, r, rm, -1);
	emit_byte(cb, (uint8_t)(0xc0 | (r & 7) << 3 | (rm & 7)));
}

static bool fits_int8(int32_t v)
{
	return v >= -128 && v <= 127;
}

/* No base register: SIB with base 101 and mod 00 means [index*s + disp32]
 * (and no index either: an absolute disp32 - never RIP-relative). */
static void emit_modrm_no_base(struct code_buf *cb, int r, struct hmem m)
{
	int index = m.index == NO_REG ? 4 : (m.index & 7);

	emit_byte(cb, (uint8_t)((r & 7) << 3 | 4));
	emit_byte(cb, (uint8_t)(m.shift << 6 | index << 3 | 5));
	emit_u32(cb, (uint32_t)m.disp);
}

void emit_modrm_sib_disp(struct code_buf *cb, int r, struct hmem m)
{
	int mod, rm = m.base & 7;

	if (m.base == NO_REG) {
		emit_modrm_no_base(cb, r, m);
		return;
	}
	bool need_sib = m.index != NO_REG || rm == 4; /* RSP/R12 as base need a SIB */

	/* mod 00 with base RBP/R13 means "no base" (RIP-relative): use disp8 0. */
	if (m.disp == 0 && rm != 5)
		mod = 0;
	else if (fits_int8(m.disp))
		mod = 1;
	else
		mod = 2;

	emit_byte(cb, (uint8_t)(mod << 6 | (r & 7) << 3 | (need_sib ? 4 : rm)));
	if (need_sib) {
		int index = m.index == NO_REG ? 4 : (m.index & 7);
		emit_byte(cb, (uint8_t)(m.shift << 6 | index << 3 | rm));
	}
	if (mod == 1)
		emit_byte(cb, (uint8_t)(int8_t)m.disp);
	else if (mod == 2)
		emit_u32(cb, (uint32_t)m.disp);
}

void emit_modrm_mem(struct code_buf *cb, int opc, int r, struct hmem m)
{
	emit_opc(cb, opc, r, m.base, m.index);
	emit_modrm_sib_disp(cb, r, m);
}

/* ---- Moves ---- */

void emit_mov_r32_r32(struct code_buf *cb, int dst, int src)
{
	emit_modrm_reg(cb, OPC_MOV_EvGv, src, dst);
}

void emit_mov_r64_r64(struct code_buf *cb, int dst, int src)
{
	emit_modrm_reg(cb, OPC_MOV_EvGv | P_REXW, src, dst);
}

void emit_mov_r32_imm32(struct code_buf *cb, int dst, uint32_t imm)
{
	emit_opc(cb, OPC_MOVL_Iv + (dst & 7), -1, dst, -1);
	emit_u32(cb, imm);
}

void emit_mov_r64_imm64(struct code_buf *cb, int dst, uint64_t imm)
{
	if (imm <= 0xffffffffu) {
		emit_mov_r32_imm32(cb, dst, (uint32_t)imm); /* zero-extends */
		return;
	}
	emit_opc(cb, (OPC_MOVL_Iv + (dst & 7)) | P_REXW, -1, dst, -1);
	emit_u64(cb, imm);
}

void emit_mov_r32_m32(struct code_buf *cb, int dst, struct hmem m)
{
	emit_modrm_mem(cb, OPC_MOV_GvEv, dst, m);
}

void emit_mov_m32_r32(struct code_buf *cb, struct hmem m, int src)
{
	emit_modrm_mem(cb, OPC_MOV_EvGv, src, m);
}

void emit_mov_r64_m64(struct code_buf *cb, int dst, struct hmem m)
{
	emit_modrm_mem(cb, OPC_MOV_GvEv | P_REXW, dst, m);
}

void emit_mov_m64_r64(struct code_buf *cb, struct hmem m, int src)
{
	emit_modrm_mem(cb, OPC_MOV_EvGv | P_REXW, src, m);
}

void emit_mov_m32_imm32(struct code_buf *cb, struct hmem m, uint32_t imm)
{
	emit_modrm_mem(cb, OPC_MOV_EvIz, 0, m);
	emit_u32(cb, imm);
}

void emit_mov_m8_imm8(struct code_buf *cb, struct hmem m, uint8_t imm)
{
	emit_modrm_mem(cb, OPC_MOV_EbIb, 0, m);
	emit_byte(cb, imm);
}

void emit_movzx_r32_m8(struct code_buf *cb, int dst, struct hmem m)
{
	emit_modrm_mem(cb, OPC_MOVZBL, dst, m);
}

void emit_movzx_r32_r16(struct code_buf *cb, int dst, int src)
{
	emit_modrm_reg(cb, OPC_MOVZWL, dst, src);
}

void emit_lea_r32(struct code_buf *cb, int dst, struct hmem m)
{
	emit_modrm_mem(cb, OPC_LEA, dst, m);
}

void emit_lea_r64(struct code_buf *cb, int dst, struct hmem m)
{
	emit_modrm_mem(cb, OPC_LEA | P_REXW, dst, m);
}

/* ---- Arithmetic (these write the host flags) ---- */

static void emit_arith_imm(struct code_buf *cb, int rexw, int ext, int dst, int32_t imm)
{
	if (fits_int8(imm)) {
		emit_modrm_reg(cb, OPC_ARITH_EvIb | rexw, ext, dst);
		emit_byte(cb, (uint8_t)(int8_t)imm);
	} else {
		emit_modrm_reg(cb, OPC_ARITH_EvIz | rexw, ext, dst);
		emit_u32(cb, (uint32_t)imm);
	}
}

void emit_arith_r32_imm(struct code_buf *cb, int ext, int dst, int32_t imm)
{
	emit_arith_imm(cb, 0, ext, dst, imm);
}

void emit_arith_r64_imm(struct code_buf *cb, int ext, int dst, int32_t imm)
{
	emit_arith_imm(cb, P_REXW, ext, dst, imm);
}

void emit_and_r32_imm(struct code_buf *cb, int dst, uint32_t imm)
{
	emit_arith_imm(cb, 0, ARITH_AND, dst, (int32_t)imm);
}

void emit_cmp_r32_m32(struct code_buf *cb, int reg, struct hmem m)
{
	emit_modrm_mem(cb, OPC_CMP_GvEv, reg, m);
}

void emit_cmp_m8_imm8(struct code_buf *cb, struct hmem m, uint8_t imm)
{
	emit_modrm_mem(cb, 0x80, ARITH_CMP, m);
	emit_byte(cb, imm);
}

void emit_cmp_r64_r64(struct code_buf *cb, int a, int b)
{
	emit_modrm_reg(cb, OPC_CMP_EvGv | P_REXW, b, a);
}

void emit_cmp_r64_m64(struct code_buf *cb, int reg, struct hmem m)
{
	emit_modrm_mem(cb, OPC_CMP_GvEv | P_REXW, reg, m);
}

void emit_add_r64_m64(struct code_buf *cb, int dst, struct hmem m)
{
	emit_modrm_mem(cb, OPC_ADD_GvEv | P_REXW, dst, m);
}

void emit_or_r64_r64(struct code_buf *cb, int dst, int src)
{
	emit_modrm_reg(cb, 0x09 | P_REXW, src, dst);
}

void emit_alu_r32_r32(struct code_buf *cb, int ext, int dst, int src)
{
	emit_modrm_reg(cb, ext << 3 | 0x01, src, dst); /* op r/m32, r32 */
}

void emit_mov_r16_r16(struct code_buf *cb, int dst, int src)
{
	emit_modrm_reg(cb, OPC_MOV_EvGv | P_66, src, dst);
}

void emit_shr_r32_imm(struct code_buf *cb, int dst, uint8_t count)
{
	emit_modrm_reg(cb, OPC_SHIFT_Ib, SHIFT_SHR, dst);
	emit_byte(cb, count);
}

void emit_shl_r64_imm(struct code_buf *cb, int dst, uint8_t count)
{
	emit_modrm_reg(cb, OPC_SHIFT_Ib | P_REXW, SHIFT_SHL, dst);
	emit_byte(cb, count);
}

/* ---- Flag-preserving helpers ---- */

void emit_not_r64(struct code_buf *cb, int reg)
{
	emit_modrm_reg(cb, OPC_GRP3_Ev | P_REXW, 2, reg);
}

void emit_xchg_r64_r64(struct code_buf *cb, int a, int b)
{
	emit_modrm_reg(cb, OPC_XCHG_EvGv | P_REXW, a, b);
}

void emit_push_r64(struct code_buf *cb, int reg)
{
	emit_opc(cb, OPC_PUSH_r + (reg & 7), -1, reg, -1);
}

void emit_pop_r64(struct code_buf *cb, int reg)
{
	emit_opc(cb, OPC_POP_r + (reg & 7), -1, reg, -1);
}

void emit_pushfq(struct code_buf *cb)
{
	emit_byte(cb, OPC_PUSHF);
}

void emit_popfq(struct code_buf *cb)
{
	emit_byte(cb, OPC_POPF);
}

void emit_lahf(struct code_buf *cb)
{
	emit_byte(cb, OPC_LAHF);
}

void emit_sahf(struct code_buf *cb)
{
	emit_byte(cb, OPC_SAHF);
}

void emit_seto_r8(struct code_buf *cb, int reg)
{
	emit_modrm_reg(cb, (OPC_SETCC + CC_O) | P_BYTEREG, 0, reg);
}

void emit_add_r8_imm8(struct code_buf *cb, int reg, uint8_t imm)
{
	emit_modrm_reg(cb, 0x80 | P_BYTEREG, ARITH_ADD, reg);
	emit_byte(cb, imm);
}

void emit_fxsave64(struct code_buf *cb, struct hmem m)
{
	emit_modrm_mem(cb, OPC_FXSAVE | P_REXW, 0, m);
}

void emit_fxrstor64(struct code_buf *cb, struct hmem m)
{
	emit_modrm_mem(cb, OPC_FXRSTOR | P_REXW, 1, m);
}

void emit_ud2(struct code_buf *cb)
{
	emit_byte(cb, 0x0f);
	emit_byte(cb, 0x0b);
}

/* ---- Control transfers ---- */

void emit_ret(struct code_buf *cb)
{
	emit_byte(cb, OPC_RET);
}

void emit_jmp_r64(struct code_buf *cb, int reg)
{
	emit_modrm_reg(cb, OPC_GRP5, 4, reg);
}

void emit_call_r64(struct code_buf *cb, int reg)
{
	emit_modrm_reg(cb, OPC_GRP5, 2, reg);
}

void patch_rel32(uint8_t *field, const void *target)
{
	int64_t rel = (const uint8_t *)target - (field + 4);
	int32_t rel32 = (int32_t)rel;

	memcpy(field, &rel32, 4);
}

bool patch_rel8(uint8_t *field, const void *target)
{
	int64_t rel = (const uint8_t *)target - (field + 1);

	if (rel < -128 || rel > 127)
		return false;
	*field = (uint8_t)(int8_t)rel;
	return true;
}

static uint8_t *emit_rel32_field(struct code_buf *cb, const void *target)
{
	uint8_t *field = cb->ptr;

	emit_u32(cb, 0);
	if (cb->overflow)
		return NULL;
	if (target)
		patch_rel32(field, target);
	return field;
}

uint8_t *emit_jmp_rel32(struct code_buf *cb, const void *target)
{
	emit_byte(cb, OPC_JMP_long);
	return emit_rel32_field(cb, target);
}

uint8_t *emit_call_rel32(struct code_buf *cb, const void *target)
{
	emit_byte(cb, OPC_CALL_Jz);
	return emit_rel32_field(cb, target);
}

uint8_t *emit_jcc_rel32(struct code_buf *cb, enum cond cc, const void *target)
{
	emit_opc(cb, OPC_JCC_long + cc, -1, -1, -1);
	return emit_rel32_field(cb, target);
}

static uint8_t *emit_rel8_field(struct code_buf *cb)
{
	uint8_t *field = cb->ptr;

	emit_byte(cb, 0);
	return cb->overflow ? NULL : field;
}

uint8_t *emit_jcc_rel8(struct code_buf *cb, enum cond cc)
{
	emit_byte(cb, (uint8_t)(OPC_JCC_short + cc));
	return emit_rel8_field(cb);
}

uint8_t *emit_jmp_rel8(struct code_buf *cb)
{
	emit_byte(cb, OPC_JMP_short);
	return emit_rel8_field(cb);
}

uint8_t *emit_jecxz_rel8(struct code_buf *cb)
{
	emit_byte(cb, 0x67); /* address size 32: test ECX, not RCX */
	emit_byte(cb, 0xe3);
	return emit_rel8_field(cb);
}

uint8_t *emit_modrm_rip(struct code_buf *cb, int opc, int reg)
{
	emit_opc(cb, opc, reg, -1, -1);
	emit_byte(cb, (uint8_t)((reg & 7) << 3 | 5)); /* mod 00, rm 101: RIP-relative */
	return emit_rel32_field(cb, NULL);
}

uint8_t *emit_lea_rip(struct code_buf *cb, int reg)
{
	return emit_modrm_rip(cb, OPC_LEA | P_REXW, reg);
}
