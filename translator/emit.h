/*
 * emit.h - the code buffer and the emit_* helpers that write host x86-64
 * instructions, each named after the instruction it emits (QEMU's
 * tcg_out_*). Rewrite code never writes raw bytes; it calls these.
 */
#ifndef BTVMM_TRANSLATOR_EMIT_H
#define BTVMM_TRANSLATOR_EMIT_H

#include <stdbool.h>
#include <stdint.h>

/* Host general registers, numbered as the ModRM/REX encoding does. */
enum host_reg {
	RAX = 0, RCX, RDX, RBX, RSP, RBP, RSI, RDI,
	R8, R9, R10, R11, R12, R13, R14, R15,
	NO_REG = -1,
};

/*
 * A code buffer. Writes past the end are dropped and remembered in
 * @overflow, checked in one place (the block assembler) rather than after
 * every instruction.
 */
struct code_buf {
	uint8_t *start;
	uint8_t *ptr;
	uint8_t *end;
	bool overflow;
};

static inline void cb_init(struct code_buf *cb, uint8_t *start, uint32_t size)
{
	cb->start = cb->ptr = start;
	cb->end = start + size;
	cb->overflow = false;
}
static inline uint32_t cb_offset(const struct code_buf *cb)
{
	return (uint32_t)(cb->ptr - cb->start);
}

/* A host memory operand: [base + index << shift + disp], shift 0-3 (the SIB
 * scales 1, 2, 4, 8; there is no other). */
struct hmem {
	int8_t base;  /* enum host_reg or NO_REG */
	int8_t index; /* enum host_reg or NO_REG (never RSP) */
	uint8_t shift;
	int32_t disp;
};
static inline struct hmem hmem_bd(int base, int32_t disp)
{
	return (struct hmem){ .base = (int8_t)base, .index = NO_REG, .shift = 0, .disp = disp };
}
static inline struct hmem hmem_bisd(int base, int index, int shift, int32_t disp)
{
	return (struct hmem){ .base = (int8_t)base, .index = (int8_t)index,
			      .shift = (uint8_t)shift, .disp = disp };
}

/* ---- Opcodes, in the SDM's operand notation, with prefix flags ---- */
#define P_0F 0x100	 /* two-byte opcode 0F xx */
#define P_66 0x200	 /* operand-size prefix (16-bit operation) */
#define P_REXW 0x400	 /* REX.W: 64-bit operation */
#define P_BYTEREG 0x800	 /* byte registers 4-7 are SPL..DIL: force a REX */

#define OPC_ADD_EvGv 0x01
#define OPC_ADD_GvEv 0x03
#define OPC_ARITH_EvIz 0x81 /* group 1, /ext */
#define OPC_ARITH_EvIb 0x83 /* group 1, /ext, sign-extended imm8 */
#define OPC_SUB_GvEv 0x2b
#define OPC_CMP_GvEv 0x3b
#define OPC_CMP_EvGv 0x39
#define OPC_MOV_EbGb 0x88
#define OPC_MOV_EvGv 0x89
#define OPC_MOV_GvEv 0x8b
#define OPC_LEA 0x8d
#define OPC_MOV_EbIb 0xc6
#define OPC_MOV_EvIz 0xc7
#define OPC_MOVZBL (P_0F | 0xb6)
#define OPC_MOVZWL (P_0F | 0xb7)
#define OPC_SHIFT_Ib 0xc1 /* group 2, /ext */
#define OPC_GRP5 0xff	  /* /2 call, /4 jmp, /6 push */
#define OPC_XCHG_EvGv 0x87
#define OPC_TEST_EvGv 0x85
#define OPC_GRP3_Ev 0xf7  /* /2 not */
#define OPC_SETCC (P_0F | 0x90)
#define OPC_JCC_long (P_0F | 0x80)
#define OPC_JCC_short 0x70
#define OPC_JMP_long 0xe9
#define OPC_JMP_short 0xeb
#define OPC_CALL_Jz 0xe8
#define OPC_RET 0xc3
#define OPC_PUSHF 0x9c
#define OPC_POPF 0x9d
#define OPC_LAHF 0x9f
#define OPC_SAHF 0x9e
#define OPC_PUSH_r 0x50
#define OPC_POP_r 0x58
#define OPC_MOVL_Iv 0xb8
#define OPC_FXSAVE (P_0F | 0xae)  /* /0 */
#define OPC_FXRSTOR (P_0F | 0xae) /* /1 */

/* Group 1 and group 2 extensions. */
enum { ARITH_ADD = 0, ARITH_OR = 1, ARITH_AND = 4, ARITH_SUB = 5, ARITH_XOR = 6, ARITH_CMP = 7 };
enum { SHIFT_SHL = 4, SHIFT_SHR = 5 };

/* x86 condition codes (the low nibble of Jcc/SETcc/CMOVcc). */
enum cond { CC_O = 0, CC_NO, CC_B, CC_AE, CC_E, CC_NE, CC_BE, CC_A,
	    CC_S, CC_NS, CC_P, CC_NP, CC_L, CC_GE, CC_LE, CC_G };

/* ---- Raw encoders (used by the named helpers and by instruction copying) ---- */
void emit_byte(struct code_buf *cb, uint8_t b);
void emit_bytes(struct code_buf *cb, const uint8_t *bytes, unsigned n);
void emit_u16(struct code_buf *cb, uint16_t v);
void emit_u32(struct code_buf *cb, uint32_t v);
void emit_u64(struct code_buf *cb, uint64_t v);
/* Prefixes, REX (if needed) and opcode for @opc with ModRM reg @r and rm/base @rm, index @x. */
void emit_opc(struct code_buf *cb, int opc, int r, int rm, int x);
/* opc + ModRM for a register-direct operand. */
void emit_modrm_reg(struct code_buf *cb, int opc, int r, int rm);
/* opc + ModRM/SIB/displacement for a memory operand. */
void emit_modrm_mem(struct code_buf *cb, int opc, int r, struct hmem m);
/* Just ModRM/SIB/displacement (the opcode has been written). */
void emit_modrm_sib_disp(struct code_buf *cb, int r, struct hmem m);

/* ---- Named helpers ---- */
void emit_mov_r32_r32(struct code_buf *cb, int dst, int src);
void emit_mov_r64_r64(struct code_buf *cb, int dst, int src);
void emit_mov_r32_imm32(struct code_buf *cb, int dst, uint32_t imm);
void emit_mov_r64_imm64(struct code_buf *cb, int dst, uint64_t imm);
void emit_mov_r32_m32(struct code_buf *cb, int dst, struct hmem m);
void emit_mov_m32_r32(struct code_buf *cb, struct hmem m, int src);
void emit_mov_r64_m64(struct code_buf *cb, int dst, struct hmem m);
void emit_mov_m64_r64(struct code_buf *cb, struct hmem m, int src);
void emit_mov_m32_imm32(struct code_buf *cb, struct hmem m, uint32_t imm);
void emit_mov_m8_imm8(struct code_buf *cb, struct hmem m, uint8_t imm);
void emit_movzx_r32_m8(struct code_buf *cb, int dst, struct hmem m);
void emit_movzx_r32_r16(struct code_buf *cb, int dst, int src);
void emit_lea_r32(struct code_buf *cb, int dst, struct hmem m);
void emit_lea_r64(struct code_buf *cb, int dst, struct hmem m);
void emit_arith_r32_imm(struct code_buf *cb, int ext, int dst, int32_t imm);
void emit_arith_r64_imm(struct code_buf *cb, int ext, int dst, int32_t imm);
void emit_cmp_r32_m32(struct code_buf *cb, int reg, struct hmem m);
void emit_cmp_m8_imm8(struct code_buf *cb, struct hmem m, uint8_t imm);
void emit_cmp_r64_r64(struct code_buf *cb, int a, int b);
void emit_cmp_r64_m64(struct code_buf *cb, int reg, struct hmem m);
void emit_add_r64_m64(struct code_buf *cb, int dst, struct hmem m);
void emit_and_r32_imm(struct code_buf *cb, int dst, uint32_t imm);
void emit_or_r64_r64(struct code_buf *cb, int dst, int src);
/* dst = dst <op> src, 32-bit; @ext is an ARITH_* group-1 operation. */
void emit_alu_r32_r32(struct code_buf *cb, int ext, int dst, int src);
void emit_mov_r16_r16(struct code_buf *cb, int dst, int src);
void emit_shr_r32_imm(struct code_buf *cb, int dst, uint8_t count);
void emit_shl_r64_imm(struct code_buf *cb, int dst, uint8_t count);
void emit_not_r64(struct code_buf *cb, int reg);
void emit_xchg_r64_r64(struct code_buf *cb, int a, int b);
void emit_push_r64(struct code_buf *cb, int reg);
void emit_pop_r64(struct code_buf *cb, int reg);
void emit_pushfq(struct code_buf *cb);
void emit_popfq(struct code_buf *cb);
void emit_lahf(struct code_buf *cb);
void emit_sahf(struct code_buf *cb);
void emit_seto_r8(struct code_buf *cb, int reg);
void emit_add_r8_imm8(struct code_buf *cb, int reg, uint8_t imm);
void emit_ret(struct code_buf *cb);
void emit_jmp_r64(struct code_buf *cb, int reg);
void emit_call_r64(struct code_buf *cb, int reg);
void emit_fxsave64(struct code_buf *cb, struct hmem m);
void emit_fxrstor64(struct code_buf *cb, struct hmem m);
void emit_ud2(struct code_buf *cb);

/*
 * Branches with a 32-bit displacement. Each returns the address of its rel32
 * field so the caller can patch or relocate it; @target may be NULL to leave
 * it zero for a later patch_rel32().
 */
uint8_t *emit_jmp_rel32(struct code_buf *cb, const void *target);
uint8_t *emit_call_rel32(struct code_buf *cb, const void *target);
uint8_t *emit_jcc_rel32(struct code_buf *cb, enum cond cc, const void *target);
/* Short forms: return the address of the rel8 field. */
uint8_t *emit_jcc_rel8(struct code_buf *cb, enum cond cc);
uint8_t *emit_jmp_rel8(struct code_buf *cb);
uint8_t *emit_jecxz_rel8(struct code_buf *cb); /* 67 E3: jumps if ECX == 0 */
/* lea reg, [rip + rel32]: returns the rel32 field. */
uint8_t *emit_lea_rip(struct code_buf *cb, int reg);
/* @opc reg, [rip + rel32] (no immediate after it): returns the rel32 field. */
uint8_t *emit_modrm_rip(struct code_buf *cb, int opc, int reg);
/* Point a rel32 field at @target (must be within +-2 GB). */
void patch_rel32(uint8_t *field, const void *target);
/* Point a rel8 field at @target; returns false if it is out of range. */
bool patch_rel8(uint8_t *field, const void *target);

#endif /* BTVMM_TRANSLATOR_EMIT_H */
