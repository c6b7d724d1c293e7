/*
 * mem_access.c - how each instruction uses its ModRM memory operand: read,
 * written, both, or not at all, and how many bytes. Capstone 4's operand
 * access bits are wrong for many instructions (ROL m, SETcc m, MOVUPS m,x,
 * FST m, CMPXCHG m, ...), and a write taken for a read would bypass write
 * protection, so this table follows the SDM's opcode map instead.
 */
#include "translator/internal.h"

struct mem_use {
	enum mem_access_kind kind;
	uint16_t size; /* 0: the operand size Capstone reports */
};

#define R(sz) ((struct mem_use){ MA_R, sz })
#define W(sz) ((struct mem_use){ MA_W, sz })
#define RW(sz) ((struct mem_use){ MA_RW, sz })
#define NONE ((struct mem_use){ MA_NONE, 0 })

static struct mem_use far_pointer(const struct insn *in)
{
	return R((uint16_t)(in->opsize + 2)); /* offset then 16-bit selector */
}

/* ALU ops 00-3F: op r/m,reg writes r/m (but CMP); op reg,r/m reads it. */
static struct mem_use alu_op(uint8_t op)
{
	if ((op & 0x38) == 0x38 || (op & 2))
		return R(0);
	return RW(0);
}

static struct mem_use group_ff(uint8_t reg, const struct insn *in)
{
	switch (reg) {
	case 0:
	case 1:
		return RW(0);		/* INC, DEC */
	case 3:
	case 5:
		return far_pointer(in); /* CALL far, JMP far */
	default:
		return R(0);		/* CALL, JMP, PUSH */
	}
}

static struct mem_use one_byte(uint8_t op, uint8_t reg, const struct insn *in)
{
	if (op < 0x40 && (op & 7) < 4)
		return alu_op(op);
	switch (op) {
	case 0x62: return R((uint16_t)(2 * in->opsize)); /* BOUND */
	case 0x63: return RW(2);			   /* ARPL */
	case 0x69: case 0x6b: return R(0);		   /* IMUL r, r/m, imm */
	case 0x80: case 0x81: case 0x82: case 0x83:
		return reg == 7 ? R(0) : RW(0);		   /* group 1 (CMP reads) */
	case 0x84: case 0x85: return R(0);		   /* TEST */
	case 0x86: case 0x87: return RW(0);		   /* XCHG */
	case 0x88: case 0x89: return W(0);		   /* MOV r/m, r */
	case 0x8a: case 0x8b: return R(0);		   /* MOV r, r/m */
	case 0x8c: return W(2);				   /* MOV r/m16, Sreg */
	case 0x8d: return NONE;				   /* LEA */
	case 0x8e: return R(2);				   /* MOV Sreg, r/m16 */
	case 0x8f: return W(0);				   /* POP r/m */
	case 0xa0: case 0xa1: return R(0);		   /* MOV AL/EAX, moffs */
	case 0xa2: case 0xa3: return W(0);		   /* MOV moffs, AL/EAX */
	case 0xc0: case 0xc1: case 0xd0: case 0xd1: case 0xd2: case 0xd3:
		return RW(0);				   /* group 2 shifts */
	case 0xc4: case 0xc5: return far_pointer(in);	   /* LES, LDS */
	case 0xc6: case 0xc7: return W(0);		   /* MOV r/m, imm */
	case 0xf6: case 0xf7:
		return (reg == 2 || reg == 3) ? RW(0) : R(0); /* NOT/NEG; TEST, MUL.. */
	case 0xfe: return RW(0);			   /* INC/DEC r/m8 */
	case 0xff: return group_ff(reg, in);
	default: return R(0);
	}
}

/* x87 escape opcodes D8-DF with a memory operand (SDM Vol. 2, table A-7). */
static struct mem_use x87(uint8_t op, uint8_t reg, const struct insn *in)
{
	uint16_t env = in->opsize == 2 ? 14 : 28, save = in->opsize == 2 ? 94 : 108;

	switch (op) {
	case 0xd8: return R(4);
	case 0xda: return R(4);
	case 0xdc: return R(8);
	case 0xde: return R(2);
	case 0xd9: {
		static const struct mem_use d9[8] = { R(4), NONE, W(4), W(4), R(0), R(2), W(0), W(2) };
		struct mem_use u = d9[reg];
		if (reg == 4 || reg == 6)
			u.size = env;		/* FLDENV, FNSTENV */
		return u;
	}
	case 0xdb: {
		static const struct mem_use db[8] = { R(4), W(4), W(4), W(4), NONE, R(10), NONE, W(10) };
		return db[reg];
	}
	case 0xdd: {
		static const struct mem_use dd[8] = { R(8), W(8), W(8), W(8), R(0), NONE, W(0), W(2) };
		struct mem_use u = dd[reg];
		if (reg == 4 || reg == 6)
			u.size = save;		/* FRSTOR, FNSAVE */
		return u;
	}
	default: { /* 0xdf */
		static const struct mem_use df[8] = { R(2), W(2), W(2), W(2), R(10), R(8), W(10), W(8) };
		return df[reg];
	}
	}
}

static struct mem_use group_0f00(uint8_t reg)
{
	return reg < 2 ? W(2) : R(2); /* SLDT/STR write; LLDT/LTR/VERR/VERW read */
}

static struct mem_use group_0f01(uint8_t reg)
{
	switch (reg) {
	case 0: case 1: return W(6); /* SGDT, SIDT */
	case 2: case 3: return R(6); /* LGDT, LIDT */
	case 4: return W(2);	     /* SMSW */
	case 6: return R(2);	     /* LMSW */
	default: return NONE;	     /* INVLPG */
	}
}

static struct mem_use group_0fae(uint8_t reg)
{
	static const struct mem_use ae[8] = { W(512), R(512), R(4), W(4), NONE, NONE, NONE, R(1) };

	return ae[reg]; /* FXSAVE FXRSTOR LDMXCSR STMXCSR - - - CLFLUSH */
}

static struct mem_use two_byte(uint8_t op, uint8_t reg, const struct insn *in)
{
	switch (op) {
	case 0x00: return group_0f00(reg);
	case 0x01: return group_0f01(reg);
	case 0x11: case 0x13: case 0x17: case 0x29: case 0x2b:
		return W(0);			/* MOVUPS/MOVSS/MOVLPS/MOVHPS/MOVAPS/MOVNTPS m, x */
	case 0x18: case 0x19: case 0x1a: case 0x1b: case 0x1c: case 0x1d: case 0x1e: case 0x1f:
		return NONE;			/* PREFETCHh, hint NOPs */
	case 0x7e:
		return in->rep ? R(8) : W(0);	/* F3: MOVQ xmm, m64; else MOVD m32, mm/xmm */
	case 0x7f: case 0xd6: case 0xe7: case 0xc3:
		return W(0);			/* MOVQ/MOVDQA/MOVDQU m; MOVQ m64,xmm; MOVNTQ/DQ; MOVNTI */
	case 0xa3: return R(0);			/* BT */
	case 0xab: case 0xb3: case 0xbb: return RW(0); /* BTS, BTR, BTC */
	case 0xba: return reg == 4 ? R(0) : RW(0);   /* group 8: BT / BTS BTR BTC */
	case 0xa4: case 0xa5: case 0xac: case 0xad: return RW(0); /* SHLD, SHRD */
	case 0xae: return group_0fae(reg);
	case 0xb0: case 0xb1: case 0xc0: case 0xc1: return RW(0); /* CMPXCHG, XADD */
	case 0xb2: case 0xb4: case 0xb5: return far_pointer(in);  /* LSS, LFS, LGS */
	case 0xc7: return RW(8);		/* CMPXCHG8B */
	default:
		if (op >= 0x90 && op <= 0x9f)
			return W(1);		/* SETcc */
		return R(0);
	}
}

void decode_mem_access(struct insn *in)
{
	uint8_t reg = (uint8_t)((in->modrm >> 3) & 7);
	struct mem_use use;

	if (in->opc_0f)
		use = in->opc_len == 2 ? two_byte(in->opc, reg, in) : R(0);
	else if (in->opc >= 0xd8 && in->opc <= 0xdf)
		use = x87(in->opc, reg, in);
	else
		use = one_byte(in->opc, reg, in);
	in->mem_access = use.kind;
	if (use.size)
		in->mem_size = use.size;
}
