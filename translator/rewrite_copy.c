/*
 * rewrite_copy.c - instructions whose IA-32 encoding means the same in
 * 64-bit mode are copied, almost byte for byte:
 *  - legacy prefixes are kept, except segment overrides and the
 *    address-size prefix, which the address computation has absorbed;
 *  - a ModRM memory operand is replaced by [R8], the host address the TLB
 *    probe produced (or [RSI] when a REX prefix is impossible, see below);
 *  - ESP, which lives in R12, gets a REX.R/REX.B bit where it is named.
 *
 * Any REX prefix turns byte registers 4-7 from AH..BH into SPL..DIL, so an
 * instruction naming AH..BH cannot use R8 or R12: its memory operand goes
 * through RSI instead (saved in R9 around it), and a register-only form
 * that names both ESP and AH..BH runs with the guest ESP briefly swapped
 * into RSP (no REX needed then).
 */
#include <stddef.h>

#include "translator/internal.h"

/* How the instruction's ESP operand is made to name R12. */
enum esp_fix {
	ESP_NONE,  /* ESP is not named */
	ESP_REX_B, /* in ModRM.rm or the opcode's register bits */
	ESP_REX_R, /* in ModRM.reg */
	ESP_SWAP,  /* run with RSP = guest ESP */
	ESP_FAIL,  /* named somewhere we cannot rename it */
};

/* Is ModRM.reg an opcode extension rather than a register (group opcodes)? */
static bool reg_is_extension(const struct insn *in)
{
	if (!in->opc_0f) {
		switch (in->opc) {
		case 0x80: case 0x81: case 0x82: case 0x83: case 0x8f: case 0xc0: case 0xc1:
		case 0xc6: case 0xc7: case 0xd0: case 0xd1: case 0xd2: case 0xd3: case 0xf6:
		case 0xf7: case 0xfe: case 0xff:
			return true;
		default:
			return false;
		}
	}
	switch (in->opc) {
	case 0x00: case 0x01: case 0x71: case 0x72: case 0x73: case 0xae: case 0xba: case 0xc7:
		return in->opc_len == 2;
	default:
		return in->opc_len == 2 && in->opc >= 0x18 && in->opc <= 0x1f;
	}
}

static bool embeds_register(const struct insn *in)
{
	if (in->opc_0f)
		return in->opc_len == 2 && in->opc >= 0xc8 && in->opc <= 0xcf; /* BSWAP */
	return (in->opc >= 0xb8 && in->opc <= 0xbf) || (in->opc >= 0x91 && in->opc <= 0x97);
}

static enum esp_fix esp_fix_for(const struct insn *in)
{
	int mod = in->modrm >> 6, reg = (in->modrm >> 3) & 7, rm = in->modrm & 7;
	bool reg_names_register = !reg_is_extension(in);

	if (!in->esp_operand)
		return ESP_NONE;
	if (in->modrm_off < 0)
		return embeds_register(in) && (in->opc & 7) == 4 ? ESP_REX_B : ESP_FAIL;
	if (mod != 3)
		return reg == 4 && reg_names_register ? ESP_REX_R : ESP_FAIL;
	if (in->high_byte || (reg == 4 && rm == 4 && reg_names_register))
		return ESP_SWAP;
	if (rm == 4)
		return ESP_REX_B;
	return reg == 4 && reg_names_register ? ESP_REX_R : ESP_FAIL;
}

/* Offset of the first byte after ModRM, SIB and displacement. */
static unsigned tail_offset(const struct insn *in)
{
	int mod = in->modrm >> 6, rm = in->modrm & 7;
	unsigned off = (unsigned)in->modrm_off + 1;

	if (mod == 3)
		return off;
	if (in->addrsize == 2)
		return off + (mod == 1 ? 1 : mod == 2 ? 2 : rm == 6 ? 2 : 0);
	if (rm == 4) {
		bool no_base = (in->bytes[off] & 7) == 5;

		off++; /* SIB */
		if (mod == 0)
			return off + (no_base ? 4 : 0);
	}
	return off + (mod == 1 ? 1 : mod == 2 ? 4 : rm == 5 ? 4 : 0);
}

/*
 * The host runs everything with a 32-bit default operand size, so in a
 * 16-bit code segment the operand-size prefix means the opposite: emit it
 * exactly when the guest's operand size is 16. (For x87/MMX/SSE a 66 is a
 * mandatory prefix, not a size, and is kept as it is.)
 */
static void emit_kept_prefixes(struct code_buf *cb, const struct insn *in, bool code16)
{
	bool resize = code16 && !in->simd;

	for (unsigned i = 0; i < in->prefix_len; i++) {
		uint8_t p = in->bytes[i];

		if (p == 0xf3 && in->drop_rep)
			continue;
		if (p == 0xf0 || p == 0xf2 || p == 0xf3 || (p == 0x66 && !resize))
			emit_byte(cb, p);
	}
	if (resize && in->opsize == 2)
		emit_byte(cb, 0x66);
}

/*
 * Write the instruction for the host. @mem_base is the host register
 * holding the memory operand's address (when it has one), else NO_REG.
 */
static void emit_reencoded(struct code_buf *cb, const struct insn *in, enum esp_fix fix,
			   int mem_base, bool code16)
{
	uint8_t rex = 0;

	emit_kept_prefixes(cb, in, code16);
	if (fix == ESP_REX_B)
		rex |= 0x1;
	if (fix == ESP_REX_R)
		rex |= 0x4;
	if (mem_base >= 8)
		rex |= 0x1;
	if (rex)
		emit_byte(cb, 0x40 | rex);
	if (!in->opc_0f && in->opc == 0x82)
		emit_byte(cb, 0x80); /* 82 is group 1 on r/m8, an alias of 80 gone in 64-bit mode */
	else
		emit_bytes(cb, in->bytes + in->prefix_len, in->opc_len);
	if (in->modrm_off < 0)
		goto tail;
	if (mem_base != NO_REG)
		emit_byte(cb, (uint8_t)((in->modrm & 0x38) | (mem_base & 7))); /* mod 00: [base] */
	else
		emit_byte(cb, in->modrm);
tail:
	if (in->modrm_off < 0)
		emit_bytes(cb, in->bytes + in->prefix_len + in->opc_len,
			   in->len - in->prefix_len - in->opc_len);
	else
		emit_bytes(cb, in->bytes + tail_offset(in), in->len - tail_offset(in));
}

/* The access itself, once T_ADDR holds the host address. */
static void copy_body(struct block *b, struct code_buf *cb, const struct insn *in, const void *arg)
{
	enum esp_fix fix = esp_fix_for(in);

	if (!in->high_byte) {
		emit_reencoded(cb, in, fix, T_ADDR, b->code16);
		return;
	}
	/* mov r9, rsi ; mov rsi, r8 ; <insn with [rsi]> ; mov rsi, r9 */
	emit_mov_r64_r64(cb, T_IDX, RSI);
	emit_mov_r64_r64(cb, RSI, T_ADDR);
	emit_reencoded(cb, in, fix, RSI, b->code16);
	emit_mov_r64_r64(cb, RSI, T_IDX);
}

static void emit_register_form(struct block *b, const struct insn *in, enum esp_fix fix)
{
	if (fix == ESP_SWAP)
		emit_xchg_r64_r64(&b->hot, HOST_ESP, RSP);
	emit_reencoded(&b->hot, in, fix == ESP_SWAP ? ESP_NONE : fix, NO_REG, b->code16);
	if (fix == ESP_SWAP)
		emit_xchg_r64_r64(&b->hot, HOST_ESP, RSP);
}

/*
 * DIV and IDIV by zero raise #DE. The host would raise it too, but as a
 * SIGFPE, a signal round trip of thousands of cycles; a zero divisor is
 * instead caught inline, without touching the guest's flags (the fault must
 * leave them as they were): the divisor goes into ECX, the guest's ECX
 * waits in R9, and JRCXZ tests it. (Quotient overflow still arrives as a
 * SIGFPE; that is rarer still.)
 */
static bool is_divide(const struct insn *in)
{
	return !in->opc_0f && in->opc_len == 1 && (in->opc == 0xf6 || in->opc == 0xf7) &&
	       ((in->modrm >> 3) & 7) >= 6;
}

/* movzx ecx, divisor (or mov ecx, divisor): from [mem_base], or from the
 * guest register ModRM.rm names (ESP is R12; r/m8 4-7 are AH..BH). */
static void emit_load_divisor(struct code_buf *cb, const struct insn *in, int mem_base)
{
	int size = in->opc == 0xf6 ? 1 : in->opsize;
	int rm = in->modrm & 7;
	bool rex_b = mem_base != NO_REG ? mem_base >= 8 : (size > 1 && rm == 4);
	uint8_t modrm = mem_base != NO_REG ? (uint8_t)(1 << 3 | (mem_base & 7))
					   : (uint8_t)(0xc0 | 1 << 3 | rm);

	if (rex_b)
		emit_byte(cb, 0x41);
	if (size == 4) {
		emit_byte(cb, 0x8b); /* mov ecx, r/m32 */
	} else {
		emit_byte(cb, 0x0f);
		emit_byte(cb, size == 1 ? 0xb6 : 0xb7); /* movzx ecx, r/m8 or r/m16 */
	}
	emit_byte(cb, modrm);
}

/*	mov r9, rcx ; mov ecx, divisor ; jrcxz zero ; mov rcx, r9 ; jmp div
 * zero:	jmp <cold: mov rcx, r9 ; raise #DE>
 * div:	(the division itself follows) */
static void emit_zero_divisor_check(struct block *b, struct code_buf *cb, const struct insn *in,
				    int mem_base, uint32_t stub)
{
	uint8_t *to_zero, *to_div;

	emit_mov_r64_r64(cb, T_IDX, RCX);
	emit_load_divisor(cb, in, mem_base);
	emit_byte(cb, 0xe3); /* jrcxz rel8 */
	to_zero = cb->ptr;
	emit_byte(cb, 0);
	emit_mov_r64_r64(cb, RCX, T_IDX);
	to_div = emit_jmp_rel8(cb);
	patch_rel8(to_zero, cb->ptr);
	block_jmp_to_cold(b, cb, CC_E, false, stub);
	patch_rel8(to_div, cb->ptr);
}

static uint32_t emit_divide_error_stub(struct block *b)
{
	uint32_t off = cb_offset(&b->cold);

	emit_mov_r64_r64(&b->cold, RCX, T_IDX); /* the guest's ECX */
	emit_mov_r32_imm32(&b->cold, T_IDX, MEMINFO_DIVIDE);
	emit_mov_r32_imm32(&b->cold, T_TMP, b->insns[b->cur].eip);
	block_call_abs(b, &b->cold, b->x->thunks.raise_fault);
	return off;
}

/* The memory form's body: the check on the loaded divisor, then the copy. */
static void divide_body(struct block *b, struct code_buf *cb, const struct insn *in,
			const void *arg)
{
	emit_zero_divisor_check(b, cb, in, T_ADDR, *(const uint32_t *)arg);
	copy_body(b, cb, in, NULL);
}

bool rewrite_copy(struct block *b, const struct insn *in)
{
	enum esp_fix fix = esp_fix_for(in);
	uint32_t de_stub = 0;
	struct mem_op op;

	if (fix == ESP_FAIL)
		return false;
	if (is_divide(in))
		de_stub = emit_divide_error_stub(b);
	if (!in->has_mem) {
		if (is_divide(in))
			emit_zero_divisor_check(b, &b->hot, in, NO_REG, de_stub);
		emit_register_form(b, in, fix);
		return true;
	}
	if (in->mem_access == MA_NONE)
		return true; /* a hint (PREFETCH, NOP m): nothing to do */
	op = (struct mem_op){ .seg = in->mem_seg, .size = in->mem_size,
			      .access = (uint8_t)in->mem_access };
	emit_effective_address(&b->hot, in, T_ADDR);
	if (is_divide(in))
		return emit_guarded_access(b, in, &op, divide_body, &de_stub);
	return emit_guarded_access(b, in, &op, copy_body, NULL);
}

/* For rewrites that run a copied instruction's access elsewhere. */
void emit_copied_insn(struct block *b, struct code_buf *cb, const struct insn *in)
{
	copy_body(b, cb, in, NULL);
}

/* call [r15 + fpu_ensure]: loads the guest's FPU state unless it is live
 * already (an indirect call to a RET then); keeps the flags. */
void emit_fpu_ensure(struct block *b)
{
	emit_modrm_mem(&b->hot, OPC_GRP5, 2,
		       hmem_bd(HOST_VCPU, (int32_t)offsetof(struct vcpu, fpu_ensure)));
}
