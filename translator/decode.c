/*
 * decode.c - one guest instruction from Capstone's decoding into struct
 * insn: its encoding layout (prefixes, opcode, ModRM), its effective operand
 * and address sizes, its ModRM memory operand with the segment it uses
 * after overrides (SDM Vol. 1 3.7.4: EBP/ESP bases default to SS), the
 * register operands that need care when copied, and its flag effects.
 */
#include <string.h>

#include "translator/internal.h"

static bool is_legacy_prefix(uint8_t b)
{
	switch (b) {
	case 0xf0: case 0xf2: case 0xf3:		/* LOCK, REPNE, REP */
	case 0x26: case 0x2e: case 0x36: case 0x3e:	/* ES CS SS DS */
	case 0x64: case 0x65:				/* FS GS */
	case 0x66: case 0x67:				/* operand / address size */
		return true;
	default:
		return false;
	}
}

static int8_t seg_of_prefix(uint8_t b)
{
	switch (b) {
	case 0x26: return S_ES;
	case 0x2e: return S_CS;
	case 0x36: return S_SS;
	case 0x3e: return S_DS;
	case 0x64: return S_FS;
	case 0x65: return S_GS;
	default: return -1;
	}
}

static void decode_prefixes(struct insn *in)
{
	unsigned i;

	in->seg_override = -1;
	for (i = 0; i < in->len && is_legacy_prefix(in->bytes[i]); i++) {
		uint8_t b = in->bytes[i];

		if (seg_of_prefix(b) >= 0)
			in->seg_override = seg_of_prefix(b); /* the last one wins */
		in->lock |= b == 0xf0;
		in->repne |= b == 0xf2;
		in->rep |= b == 0xf3;
		in->opsize_prefix |= b == 0x66;
		in->addrsize_prefix |= b == 0x67;
	}
	in->prefix_len = (uint8_t)i;
}

static void decode_opcode(struct insn *in, const cs_x86 *x86)
{
	const uint8_t *op = in->bytes + in->prefix_len;

	in->opc_0f = op[0] == 0x0f;
	if (!in->opc_0f)
		in->opc_len = 1;
	else if (op[1] == 0x38 || op[1] == 0x3a)
		in->opc_len = 3;
	else
		in->opc_len = 2;
	in->opc = op[in->opc_len - 1];
	in->modrm_off = x86->encoding.modrm_offset ? (int8_t)x86->encoding.modrm_offset : -1;
	in->modrm = in->modrm_off >= 0 ? in->bytes[in->modrm_off] : 0;
}

/* Capstone register -> GPR number (0-7), for 32- and 16-bit registers. */
static int gpr_number(unsigned reg)
{
	static const unsigned r32[8] = { X86_REG_EAX, X86_REG_ECX, X86_REG_EDX, X86_REG_EBX,
					 X86_REG_ESP, X86_REG_EBP, X86_REG_ESI, X86_REG_EDI };
	static const unsigned r16[8] = { X86_REG_AX, X86_REG_CX, X86_REG_DX, X86_REG_BX,
					 X86_REG_SP, X86_REG_BP, X86_REG_SI, X86_REG_DI };

	for (int i = 0; i < 8; i++)
		if (reg == r32[i] || reg == r16[i])
			return i;
	return -1;
}

static bool decode_mem_operand(struct insn *in, const cs_x86_op *op)
{
	const x86_op_mem *m = &op->mem;
	int base = m->base == X86_REG_INVALID ? -1 : gpr_number(m->base);
	int index = m->index == X86_REG_INVALID ? -1 : gpr_number(m->index);

	if ((m->base != X86_REG_INVALID && base < 0) || (m->index != X86_REG_INVALID && index < 0))
		return false; /* EIP-relative or odd: not an IA-32 operand */
	in->has_mem = true;
	in->mem_base = (int8_t)base;
	in->mem_index = (int8_t)index;
	in->mem_scale = (uint8_t)(index >= 0 ? m->scale : 1);
	in->mem_disp = (int32_t)m->disp;
	in->mem_size = op->size;
	if (in->seg_override >= 0)
		in->mem_seg = (uint8_t)in->seg_override;
	else
		in->mem_seg = (base == R_ESP || base == R_EBP) ? S_SS : S_DS;
	return true;
}

static void decode_operands(struct insn *in, const cs_x86 *x86)
{
	for (int i = 0; i < x86->op_count; i++) {
		const cs_x86_op *op = &x86->operands[i];

		if (op->type == X86_OP_MEM && !in->has_mem)
			decode_mem_operand(in, op);
		if (op->type != X86_OP_REG)
			continue;
		if (op->reg == X86_REG_ESP || op->reg == X86_REG_SP)
			in->esp_operand = true;
		if (op->reg == X86_REG_AH || op->reg == X86_REG_BH || op->reg == X86_REG_CH ||
		    op->reg == X86_REG_DH)
			in->high_byte = true;
	}
}

static bool is_moffs(const struct insn *in)
{
	return !in->opc_0f && in->opc >= 0xa0 && in->opc <= 0xa3;
}

/*
 * Does the instruction use the x87/MMX/SSE state? Capstone's groups say so
 * for most; x87 escapes (D8-DF), FWAIT and FXSAVE/FXRSTOR/LDMXCSR/STMXCSR
 * (0F AE /0-/3) are recognised by their opcodes, since some lack a group.
 */
static bool uses_fpu_state(const cs_insn *ci, const struct insn *in)
{
	uint8_t reg = (in->modrm >> 3) & 7;

	/* In SSE's groups but independent of CR0.TS/EM and CR4.OSFXSR
	 * (SDM Vol. 3A 13.1): hints, fences, cache control. */
	switch (ci->id) {
	case X86_INS_PAUSE: case X86_INS_SFENCE: case X86_INS_LFENCE: case X86_INS_MFENCE:
	case X86_INS_PREFETCHNTA: case X86_INS_PREFETCHT0: case X86_INS_PREFETCHT1:
	case X86_INS_PREFETCHT2: case X86_INS_CLFLUSH: case X86_INS_MOVNTI:
		return false;
	default:
		break;
	}
	for (int i = 0; i < ci->detail->groups_count; i++) {
		uint8_t g = ci->detail->groups[i];

		if (g == X86_GRP_FPU || g == X86_GRP_MMX || g == X86_GRP_SSE1 || g == X86_GRP_SSE2)
			return true;
	}
	if (!in->opc_0f)
		return (in->opc >= 0xd8 && in->opc <= 0xdf) || in->opc == 0x9b;
	return in->opc_len == 2 && in->opc == 0xae && (in->modrm >> 6) != 3 && reg <= 3;
}

static bool is_rep_prefix(uint8_t b)
{
	return b == 0xf2 || b == 0xf3;
}

/*
 * The CPU reads 66/F2/F3 in any order: the last F2/F3 selects an SSE
 * instruction, over any 66. Capstone 4 honours only the one just before the
 * opcode (F3 2E 0F 2C E4 is CVTTSS2SI ESP,XMM4 to the CPU, CVTTPS2PI
 * MM4,XMM4 to Capstone, and the host, running the copy, clobbered RSP).
 * Reorder the prefixes, which changes nothing for the CPU, so that Capstone
 * sees what the host will run: in the 0F map 66 then F2/F3 last, elsewhere
 * F2/F3 then 66 last (Capstone takes 66 F3 A5 for REP MOVSD). Every F2/F3
 * becomes the last one, so no CPU can read a pair differently either.
 */
static void canonical_prefixes(uint8_t *b, unsigned n)
{
	uint8_t out[16], rep = 0;
	unsigned p = 0, k = 0;
	bool map_0f;

	for (; p < n && is_legacy_prefix(b[p]); p++)
		if (is_rep_prefix(b[p]))
			rep = b[p];
	if (p == n)
		return;
	map_0f = b[p] == 0x0f;
	for (unsigned i = 0; i < p; i++)
		if (b[i] != 0x66 && !is_rep_prefix(b[i]))
			out[k++] = b[i];
	for (int pass = 0; pass < 2; pass++) {
		bool opsize = (pass == 0) == map_0f; /* this pass places the 66s */

		for (unsigned i = 0; i < p; i++)
			if (opsize ? b[i] == 0x66 : is_rep_prefix(b[i]))
				out[k++] = opsize ? 0x66 : rep;
	}
	memcpy(b, out, p);
}

static bool simd_group(const cs_insn *ci)
{
	for (int i = 0; i < ci->detail->groups_count; i++) {
		uint8_t g = ci->detail->groups[i];

		if (g == X86_GRP_MMX || g == X86_GRP_SSE1 || g == X86_GRP_SSE2 ||
		    g == X86_GRP_SSE3 || g == X86_GRP_SSSE3 || g == X86_GRP_SSE41 ||
		    g == X86_GRP_SSE42 || g == X86_GRP_SSE4A || g == X86_GRP_3DNOW)
			return true;
	}
	return false;
}

/*
 * Capstone 4 ignores the mandatory prefixes in 16-bit mode (66 0F 7F /m is
 * MOVQ m64,mm to it, MOVDQA m128,xmm to the CPU: a 16-byte store probed as
 * 8). An MMX/SSE instruction of 16-bit code with 66/F2/F3 is decoded in
 * 32-bit mode with the address size toggled instead (a 67 added, or its 67s
 * dropped): the same operands. Returns the decoding's length minus the
 * instruction's, or 0 (then @ci is garbage: decode again).
 */
static int simd16_as_32(csh cs32, const uint8_t *b, unsigned len, uint64_t address,
			cs_insn *ci)
{
	uint8_t tmp[17];
	const uint8_t *code = tmp;
	unsigned p = 0, n = 0, n67 = 0, nmand = 0;
	size_t size;

	for (; p < len && is_legacy_prefix(b[p]); p++) {
		n67 += b[p] == 0x67;
		nmand += b[p] == 0x66 || is_rep_prefix(b[p]);
	}
	if (p == len || b[p] != 0x0f || !nmand)
		return 0;
	if (!n67)
		tmp[n++] = 0x67;
	for (unsigned i = 0; i < len; i++)
		if (i >= p || b[i] != 0x67)
			tmp[n++] = b[i];
	size = n;
	if (!cs_disasm_iter(cs32, &code, &size, &address, ci) || ci->size != n || !simd_group(ci))
		return 0;
	return (int)n - (int)len;
}

/*
 * F3 0F BC/BD are TZCNT/LZCNT on CPUs with BMI1/ABM - this host among them -
 * but a P6 ignores the F3 and runs BSF/BSR. Decode them without the F3
 * (and keep the host from seeing it, see drop_rep).
 */
static bool p6_bit_scan(const uint8_t *bytes, size_t size, uint64_t address, cs_insn *ci, csh cs)
{
	uint8_t copy[16];
	const uint8_t *code = copy;
	unsigned f3 = 0, n = 0;

	if (ci->id != X86_INS_TZCNT && ci->id != X86_INS_LZCNT)
		return false;
	while (f3 < ci->size && bytes[f3] != 0xf3)
		f3++;
	for (unsigned i = 0; i < ci->size; i++)
		if (i != f3)
			copy[n++] = bytes[i];
	size = n;
	return cs_disasm_iter(cs, &code, &size, &address, ci);
}

/*
 * Decode the instruction at @bytes (guest EIP @eip, @avail bytes readable)
 * into *in. Returns false if Capstone does not know the bytes.
 */
bool decode_insn(struct xlat *x, cs_insn *ci, const uint8_t *bytes, unsigned avail,
		 uint32_t eip, uint32_t mode, struct insn *in)
{
	bool code16 = mode & MODE_CODE16;
	uint8_t canon[15];
	const uint8_t *code = canon;
	size_t size = avail > 15 ? 15 : avail;
	uint64_t address = eip;
	int shift = 0; /* ModRM's offset in in->bytes minus Capstone's */

	csh cs = code16 ? x->cs16 : x->cs32;

	memset(in, 0, sizeof(*in));
	memcpy(canon, bytes, size);
	canonical_prefixes(canon, (unsigned)size);
	if (!cs_disasm_iter(cs, &code, &size, &address, ci))
		return false;
	in->len = (uint8_t)ci->size;
	memcpy(in->bytes, canon, in->len);
	if (code16) {
		shift = -simd16_as_32(x->cs32, in->bytes, in->len, eip, ci);
		code = in->bytes, size = in->len, address = eip;
		if (!shift && !cs_disasm_iter(cs, &code, &size, &address, ci))
			return false;
	}
	if (p6_bit_scan(in->bytes, in->len, eip, ci, cs))
		in->drop_rep = true, shift = 1; /* the F3 moved ModRM */
	in->cs = ci;
	in->eip = eip;
	in->id = ci->id;
	decode_prefixes(in);
	decode_opcode(in, &ci->detail->x86);
	if (shift && in->modrm_off >= 0)
		in->modrm_off = (int8_t)(in->modrm_off + shift), in->modrm = in->bytes[in->modrm_off];
	in->code16 = code16;
	in->opsize = (uint8_t)((code16 != in->opsize_prefix) ? 2 : 4);
	in->addrsize = (uint8_t)((code16 != in->addrsize_prefix) ? 2 : 4);
	in->mem_base = in->mem_index = -1;
	in->simd = uses_fpu_state(ci, in);
	decode_operands(in, &ci->detail->x86);
	/* Only a ModRM memory operand (or MOV's moffs) counts: Capstone also
	 * lists implicit ones (string instructions), which rewrites handle. */
	if (in->has_mem && !(in->modrm_off >= 0 && (in->modrm >> 6) != 3) && !is_moffs(in))
		in->has_mem = false;
	if (in->has_mem)
		decode_mem_access(in);
	insn_flags(in);
	return true;
}
