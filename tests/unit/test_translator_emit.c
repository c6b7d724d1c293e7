/*
 * test_translator_emit.c - every emit_* helper of translator/emit.h
 * round-trips through Capstone (64-bit mode): what it writes disassembles to
 * the intended instruction, with the intended operands, in the shortest
 * encoding (disp8/imm8 where they fit), and nothing else. Also the code
 * buffer's overflow rule: writes past the end are dropped and flagged.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <capstone/capstone.h>

#include "translator/emit.h"

static csh cs;

static const char *const r64[16] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
				    "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};
static const char *const r32[16] = {"eax", "ecx", "edx",  "ebx",  "esp",  "ebp",  "esi",  "edi",
				    "r8d", "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d"};
static const char *const r16[16] = {"ax",  "cx",  "dx",	  "bx",	  "sp",	  "bp",	  "si",	  "di",
				    "r8w", "r9w", "r10w", "r11w", "r12w", "r13w", "r14w", "r15w"};
static const char *const r8rex[16] = {"al",  "cl",  "dl",   "bl",   "spl",  "bpl",  "sil",  "dil",
				      "r8b", "r9b", "r10b", "r11b", "r12b", "r13b", "r14b", "r15b"};
static const unsigned cs_r64[16] = {
    X86_REG_RAX, X86_REG_RCX, X86_REG_RDX, X86_REG_RBX, X86_REG_RSP, X86_REG_RBP,
    X86_REG_RSI, X86_REG_RDI, X86_REG_R8,  X86_REG_R9,	X86_REG_R10, X86_REG_R11,
    X86_REG_R12, X86_REG_R13, X86_REG_R14, X86_REG_R15,
};
static const unsigned cs_r32[16] = {
    X86_REG_EAX,  X86_REG_ECX,	X86_REG_EDX,  X86_REG_EBX,  X86_REG_ESP,  X86_REG_EBP,
    X86_REG_ESI,  X86_REG_EDI,	X86_REG_R8D,  X86_REG_R9D,  X86_REG_R10D, X86_REG_R11D,
    X86_REG_R12D, X86_REG_R13D, X86_REG_R14D, X86_REG_R15D,
};
static const char *const cc_names[16] = {"jo", "jno", "jb", "jae", "je", "jne", "jbe", "ja",
					 "js", "jns", "jp", "jnp", "jl", "jge", "jle", "jg"};

/* The code buffer of one test: room for any instruction, plus guard bytes. */
#define BUF_SIZE 64
static uint8_t buf[BUF_SIZE + 16];
static struct code_buf cb;

static int setup(void **state)
{
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK)
		return -1;
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
	return 0;
}

static int teardown(void **state)
{
	cs_close(&cs);
	return 0;
}

/* An address @off bytes from the buffer, computed without pointer
 * arithmetic outside the array (targets are never dereferenced). */
static const uint8_t *at(intptr_t off)
{
	return (const uint8_t *)((uintptr_t)buf + (uintptr_t)off);
}

static void reset(void)
{
	memset(buf, 0xcc, sizeof(buf));
	cb_init(&cb, buf, BUF_SIZE);
}

/*
 * Disassemble [from, cb.ptr) as exactly one instruction at its real address
 * (so relative targets come out absolute). The caller frees the result.
 */
static cs_insn *dis_one_at(const uint8_t *from, const char *file, int line)
{
	size_t len = (size_t)(cb.ptr - from);
	cs_insn *insn = NULL;
	size_t n = cs_disasm(cs, from, len, (uint64_t)(uintptr_t)from, 1, &insn);

	if (n != 1) {
		fprintf(stderr, "%s:%d: %zu bytes do not disassemble\n", file, line, len);
		_fail(file, line);
	}
	if (insn->size != len) {
		fprintf(stderr, "%s:%d: %s %s is %u bytes, %zu emitted\n", file, line,
			insn->mnemonic, insn->op_str, insn->size, len);
		_fail(file, line);
	}
	_assert_true(!cb.overflow, "!cb.overflow", file, line);
	return insn;
}

/* The whole buffer is one instruction whose text is @text. */
static void check_text(const char *text, const char *file, int line)
{
	cs_insn *insn = dis_one_at(cb.start, file, line);
	char got[CS_MNEMONIC_SIZE + 160 + 2];

	snprintf(got, sizeof(got), "%s%s%s", insn->mnemonic, insn->op_str[0] ? " " : "",
		 insn->op_str);
	cs_free(insn, 1);
	_assert_string_equal(got, text, file, line);
}
#define ASSERT_TEXT(text) check_text(text, __FILE__, __LINE__)

/* Formatted variant: ASSERT_TEXTF("mov %s, %s", r32[d], r32[s]). */
#define ASSERT_TEXTF(...)                                                                          \
	do {                                                                                       \
		char want_[160];                                                                   \
		snprintf(want_, sizeof(want_), __VA_ARGS__);                                       \
		check_text(want_, __FILE__, __LINE__);                                             \
	} while (0)

/* ---- Raw encoders ---- */

static void test_raw_encoders_write_little_endian(void **state)
{
	static const uint8_t want[] = {0x12, 0xaa, 0xbb, 0x34, 0x12, 0x78, 0x56, 0x34, 0x12,
				       0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01};

	reset();
	emit_byte(&cb, 0x12);
	emit_bytes(&cb, (const uint8_t[]){0xaa, 0xbb}, 2);
	emit_u16(&cb, 0x1234);
	emit_u32(&cb, 0x12345678);
	emit_u64(&cb, 0x0123456789abcdefull);
	assert_int_equal(cb_offset(&cb), sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	assert_false(cb.overflow);
}

static void test_emit_opc_prefixes_come_before_rex(void **state)
{
	/* 66 must precede REX, and REX must immediately precede the opcode. */
	reset();
	emit_modrm_reg(&cb, OPC_MOV_EvGv | P_66, R9, R10);
	assert_memory_equal(buf, ((const uint8_t[]){0x66, 0x45, 0x89, 0xca}), 4);
	ASSERT_TEXT("mov r10w, r9w");
	for (int d = 0; d < 16; d++) {
		for (int s = 0; s < 16; s++) {
			reset();
			emit_mov_r16_r16(&cb, d, s);
			ASSERT_TEXTF("mov %s, %s", r16[d], r16[s]);
		}
	}
}

static void test_emit_modrm_reg_bytereg_forces_rex(void **state)
{
	/* Without P_BYTEREG, rm 6 is DH; with it, SIL (REX 40). */
	reset();
	emit_modrm_reg(&cb, OPC_MOVZBL, RAX, RSI);
	ASSERT_TEXT("movzx eax, dh");
	reset();
	emit_modrm_reg(&cb, OPC_MOVZBL | P_BYTEREG, RAX, RSI);
	assert_int_equal(buf[0], 0x40);
	ASSERT_TEXT("movzx eax, sil");
	reset();
	emit_modrm_reg(&cb, OPC_MOVZBL | P_BYTEREG, RAX, RBX);
	assert_int_equal(cb_offset(&cb), 3); /* BL needs no REX */
	ASSERT_TEXT("movzx eax, bl");
	/* The same for a byte register in ModRM.reg. */
	reset();
	emit_modrm_reg(&cb, OPC_MOV_EbGb, RDI, RAX);
	ASSERT_TEXT("mov al, bh");
	reset();
	emit_modrm_reg(&cb, OPC_MOV_EbGb | P_BYTEREG, RDI, RAX);
	ASSERT_TEXT("mov al, dil");
}

/* ---- Memory operands ---- */

/* A helper that takes a register and a memory operand, as one signature. */
typedef void (*mem_emit_fn)(struct code_buf *cb, int reg, struct hmem m);

static void w_mov_r32_m32(struct code_buf *c, int r, struct hmem m)
{
	emit_mov_r32_m32(c, r, m);
}
static void w_mov_m32_r32(struct code_buf *c, int r, struct hmem m)
{
	emit_mov_m32_r32(c, m, r);
}
static void w_mov_r64_m64(struct code_buf *c, int r, struct hmem m)
{
	emit_mov_r64_m64(c, r, m);
}
static void w_mov_m64_r64(struct code_buf *c, int r, struct hmem m)
{
	emit_mov_m64_r64(c, m, r);
}
static void w_mov_m32_imm32(struct code_buf *c, int r, struct hmem m)
{
	emit_mov_m32_imm32(c, m, 0xdeadbeefu);
}
static void w_mov_m8_imm8(struct code_buf *c, int r, struct hmem m)
{
	emit_mov_m8_imm8(c, m, 0xa5);
}
static void w_movzx_r32_m8(struct code_buf *c, int r, struct hmem m)
{
	emit_movzx_r32_m8(c, r, m);
}
static void w_lea_r32(struct code_buf *c, int r, struct hmem m)
{
	emit_lea_r32(c, r, m);
}
static void w_lea_r64(struct code_buf *c, int r, struct hmem m)
{
	emit_lea_r64(c, r, m);
}
static void w_cmp_r32_m32(struct code_buf *c, int r, struct hmem m)
{
	emit_cmp_r32_m32(c, r, m);
}
static void w_cmp_m8_imm8(struct code_buf *c, int r, struct hmem m)
{
	emit_cmp_m8_imm8(c, m, 0x7f);
}
static void w_cmp_r64_m64(struct code_buf *c, int r, struct hmem m)
{
	emit_cmp_r64_m64(c, r, m);
}
static void w_add_r64_m64(struct code_buf *c, int r, struct hmem m)
{
	emit_add_r64_m64(c, r, m);
}
static void w_fxsave64(struct code_buf *c, int r, struct hmem m)
{
	emit_fxsave64(c, m);
}
static void w_fxrstor64(struct code_buf *c, int r, struct hmem m)
{
	emit_fxrstor64(c, m);
}

/* What a memory helper should produce. */
struct mem_helper {
	const char *name;
	mem_emit_fn emit;
	const char *mnemonic;
	int reg_bits; /* 0: no register operand; 32 or 64 */
	int reg_op;   /* operand index of the register (if any) */
	int mem_op;   /* operand index of the memory operand */
	int mem_size; /* operand size Capstone reports (0: do not check) */
	int imm_size; /* 0, 1 or 4 */
	uint32_t imm; /* expected immediate (truncated to imm_size) */
};

static const struct mem_helper mem_helpers[] = {
    {"mov_r32_m32", w_mov_r32_m32, "mov", 32, 0, 1, 4, 0, 0},
    {"mov_m32_r32", w_mov_m32_r32, "mov", 32, 1, 0, 4, 0, 0},
    {"mov_r64_m64", w_mov_r64_m64, "mov", 64, 0, 1, 8, 0, 0},
    {"mov_m64_r64", w_mov_m64_r64, "mov", 64, 1, 0, 8, 0, 0},
    {"mov_m32_imm32", w_mov_m32_imm32, "mov", 0, -1, 0, 4, 4, 0xdeadbeefu},
    {"mov_m8_imm8", w_mov_m8_imm8, "mov", 0, -1, 0, 1, 1, 0xa5},
    {"movzx_r32_m8", w_movzx_r32_m8, "movzx", 32, 0, 1, 1, 0, 0},
    {"lea_r32", w_lea_r32, "lea", 32, 0, 1, 0, 0, 0},
    {"lea_r64", w_lea_r64, "lea", 64, 0, 1, 0, 0, 0},
    {"cmp_r32_m32", w_cmp_r32_m32, "cmp", 32, 0, 1, 4, 0, 0},
    {"cmp_m8_imm8", w_cmp_m8_imm8, "cmp", 0, -1, 0, 1, 1, 0x7f},
    {"cmp_r64_m64", w_cmp_r64_m64, "cmp", 64, 0, 1, 8, 0, 0},
    {"add_r64_m64", w_add_r64_m64, "add", 64, 0, 1, 8, 0, 0},
    {"fxsave64", w_fxsave64, "fxsave64", 0, -1, 0, 0, 0, 0},
    {"fxrstor64", w_fxrstor64, "fxrstor64", 0, -1, 0, 0, 0, 0},
};
#define N_MEM_HELPERS (sizeof(mem_helpers) / sizeof(mem_helpers[0]))

static bool fits8(int32_t d)
{
	return d >= -128 && d <= 127;
}

/* The displacement size the shortest correct encoding of @m uses. */
static int expected_disp_size(struct hmem m)
{
	if (m.base == NO_REG)
		return 4; /* [index*s + disp32] or [disp32]: mod 00, SIB base 101 */
	if (m.disp == 0 && (m.base & 7) != 5)
		return 0;
	return fits8(m.disp) ? 1 : 4; /* RBP/R13 with disp 0 need a disp8 of 0 */
}

static void describe(char *out, size_t n, const struct mem_helper *h, int reg, struct hmem m)
{
	snprintf(out, n, "%s reg %d [base %d index %d shift %d disp %d]", h->name, reg, m.base,
		 m.index, m.shift, m.disp);
}

/* Emit @h with @reg and @m, and check the decoded instruction field by field. */
static void check_mem_helper(const struct mem_helper *h, int reg, struct hmem m)
{
	char what[128];
	cs_insn *insn;
	const cs_x86 *x;
	const x86_op_mem *mem;

	describe(what, sizeof(what), h, reg, m);
	reset();
	h->emit(&cb, reg, m);
	insn = dis_one_at(cb.start, what, 0);
	x = &insn->detail->x86;
	if (strcmp(insn->mnemonic, h->mnemonic) != 0)
		fail_msg("%s: got %s %s", what, insn->mnemonic, insn->op_str);
	if (x->operands[h->mem_op].type != X86_OP_MEM)
		fail_msg("%s: operand %d is not memory (%s)", what, h->mem_op, insn->op_str);
	mem = &x->operands[h->mem_op].mem;
	if (mem->base != (m.base == NO_REG ? X86_REG_INVALID : cs_r64[m.base]) ||
	    mem->index != (m.index == NO_REG ? X86_REG_INVALID : cs_r64[m.index]) ||
	    mem->disp != m.disp || (m.index != NO_REG && mem->scale != 1 << m.shift) ||
	    mem->segment != X86_REG_INVALID)
		fail_msg("%s: decoded as %s %s", what, insn->mnemonic, insn->op_str);
	if (x->encoding.disp_size != expected_disp_size(m))
		fail_msg("%s: disp%d, expected disp%d (%s)", what, x->encoding.disp_size * 8,
			 expected_disp_size(m) * 8, insn->op_str);
	if (h->mem_size && x->operands[h->mem_op].size != h->mem_size)
		fail_msg("%s: operand size %d (%s)", what, x->operands[h->mem_op].size,
			 insn->op_str);
	if (h->reg_bits &&
	    (x->operands[h->reg_op].type != X86_OP_REG ||
	     x->operands[h->reg_op].reg != (h->reg_bits == 64 ? cs_r64 : cs_r32)[reg]))
		fail_msg("%s: register operand wrong (%s)", what, insn->op_str);
	if (h->imm_size && (x->encoding.imm_size != h->imm_size ||
			    (h->imm_size == 1 ? (uint8_t)x->operands[1].imm
					      : (uint32_t)x->operands[1].imm) != h->imm))
		fail_msg("%s: immediate wrong (%s)", what, insn->op_str);
	cs_free(insn, 1);
}

static const int32_t disps[] = {0,   1,	   -1,	       8,	  127,	    -128,
				128, -129, 0x12345678, INT32_MIN, INT32_MAX};
#define N_DISPS (sizeof(disps) / sizeof(disps[0]))

static void test_mem_helpers_base_disp_all_registers(void **state)
{
	for (unsigned h = 0; h < N_MEM_HELPERS; h++)
		for (int base = 0; base < 16; base++)
			for (unsigned d = 0; d < N_DISPS; d++)
				for (int reg = 0; reg < 16; reg++)
					check_mem_helper(&mem_helpers[h], reg,
							 hmem_bd(base, disps[d]));
}

static void test_mem_helpers_base_index_scale_disp(void **state)
{
	static const int bases[] = {RAX, RSP, RBP, R12, R13, R15};
	static const int indexes[] = {RCX, RBP, RDI, R8, R12, R13, R15};

	for (unsigned h = 0; h < N_MEM_HELPERS; h++)
		for (unsigned b = 0; b < 6; b++)
			for (unsigned i = 0; i < 7; i++)
				for (int s = 0; s < 4; s++)
					for (unsigned d = 0; d < N_DISPS; d++)
						check_mem_helper(
						    &mem_helpers[h], R9,
						    hmem_bisd(bases[b], indexes[i], s, disps[d]));
}

static void test_mem_helpers_no_base_is_absolute_not_rip(void **state)
{
	static const int indexes[] = {NO_REG, RAX, RBP, R8, R12, R13};

	for (unsigned h = 0; h < N_MEM_HELPERS; h++)
		for (unsigned i = 0; i < 6; i++)
			for (int s = 0; s < 4; s++)
				for (unsigned d = 0; d < N_DISPS; d++)
					check_mem_helper(&mem_helpers[h], R11,
							 hmem_bisd(NO_REG, indexes[i],
								   indexes[i] == NO_REG ? 0 : s,
								   disps[d]));
}

static void test_mem_operand_text_special_bases(void **state)
{
	/* RSP/R12 need a SIB; RBP/R13 with no displacement need a disp8 of 0. */
	reset();
	emit_mov_r32_m32(&cb, RAX, hmem_bd(RSP, 0));
	assert_memory_equal(buf, ((const uint8_t[]){0x8b, 0x04, 0x24}), 3);
	ASSERT_TEXT("mov eax, dword ptr [rsp]");
	reset();
	emit_mov_r32_m32(&cb, RAX, hmem_bd(R12, 8));
	assert_memory_equal(buf, ((const uint8_t[]){0x41, 0x8b, 0x44, 0x24, 0x08}), 5);
	ASSERT_TEXT("mov eax, dword ptr [r12 + 8]");
	reset();
	emit_mov_r32_m32(&cb, RAX, hmem_bd(RBP, 0));
	assert_memory_equal(buf, ((const uint8_t[]){0x8b, 0x45, 0x00}), 3);
	ASSERT_TEXT("mov eax, dword ptr [rbp]");
	reset();
	emit_mov_m64_r64(&cb, hmem_bd(R13, 0), R8);
	assert_memory_equal(buf, ((const uint8_t[]){0x4d, 0x89, 0x45, 0x00}), 4);
	ASSERT_TEXT("mov qword ptr [r13], r8");
	reset();
	emit_lea_r64(&cb, R13, hmem_bisd(R12, R13, 3, -128));
	ASSERT_TEXT("lea r13, [r12 + r13*8 - 0x80]");
	reset();
	emit_lea_r32(&cb, RCX, hmem_bisd(NO_REG, RDX, 2, 0x1000));
	ASSERT_TEXT("lea ecx, [rdx*4 + 0x1000]");
	reset();
	emit_mov_r64_m64(&cb, R15, hmem_bd(NO_REG, 0x40));
	ASSERT_TEXT("mov r15, qword ptr [0x40]");
}

static void test_mem_disp_boundaries_pick_disp8_or_disp32(void **state)
{
	static const struct {
		int32_t disp;
		unsigned len; /* mov eax, [rbx + disp]: 8B modrm disp */
	} cases[] = {{0, 2}, {127, 3}, {-128, 3}, {128, 6}, {-129, 6}};

	for (unsigned i = 0; i < 5; i++) {
		reset();
		emit_mov_r32_m32(&cb, RAX, hmem_bd(RBX, cases[i].disp));
		assert_int_equal(cb_offset(&cb), cases[i].len);
	}
	reset();
	emit_mov_r32_m32(&cb, RAX, hmem_bd(RBX, 128));
	ASSERT_TEXT("mov eax, dword ptr [rbx + 0x80]");
	reset();
	emit_mov_r32_m32(&cb, RAX, hmem_bd(RBX, -128));
	ASSERT_TEXT("mov eax, dword ptr [rbx - 0x80]");
}

/* ---- Register forms ---- */

static void test_mov_register_forms_all_registers(void **state)
{
	for (int d = 0; d < 16; d++) {
		for (int s = 0; s < 16; s++) {
			reset();
			emit_mov_r32_r32(&cb, d, s);
			ASSERT_TEXTF("mov %s, %s", r32[d], r32[s]);
			reset();
			emit_mov_r64_r64(&cb, d, s);
			ASSERT_TEXTF("mov %s, %s", r64[d], r64[s]);
			reset();
			emit_movzx_r32_r16(&cb, d, s);
			ASSERT_TEXTF("movzx %s, %s", r32[d], r16[s]);
		}
	}
}

static void test_mov_immediates_pick_shortest_form(void **state)
{
	for (int d = 0; d < 16; d++) {
		reset();
		emit_mov_r32_imm32(&cb, d, 0x12345678);
		ASSERT_TEXTF("mov %s, 0x12345678", r32[d]);
		reset();
		emit_mov_r64_imm64(&cb, d, 0x123456789abcdef0ull);
		ASSERT_TEXTF("movabs %s, 0x123456789abcdef0", r64[d]);
		/* Values that fit in 32 bits zero-extend through a 32-bit move. */
		reset();
		emit_mov_r64_imm64(&cb, d, 0xffffffffu);
		assert_int_equal(cb_offset(&cb), d >= 8 ? 6 : 5);
		ASSERT_TEXTF("mov %s, 0xffffffff", r32[d]);
	}
	/* 0x100000000 does not fit: it must not be truncated to a 32-bit move. */
	reset();
	emit_mov_r64_imm64(&cb, RAX, 0x100000000ull);
	ASSERT_TEXT("movabs rax, 0x100000000");
}

static const char *const arith_names[8] = {"add", "or", "adc", "sbb", "and", "sub", "xor", "cmp"};

static void check_arith(int bits, int ext, int dst, int32_t imm)
{
	char what[96];
	cs_insn *insn;
	const cs_x86 *x;
	int want_size = fits8(imm) ? 1 : 4;

	snprintf(what, sizeof(what), "arith r%d ext %d dst %d imm %d", bits, ext, dst, imm);
	reset();
	if (bits == 32)
		emit_arith_r32_imm(&cb, ext, dst, imm);
	else
		emit_arith_r64_imm(&cb, ext, dst, imm);
	insn = dis_one_at(cb.start, what, 0);
	x = &insn->detail->x86;
	if (strcmp(insn->mnemonic, arith_names[ext]) != 0 || x->op_count != 2 ||
	    x->operands[0].reg != (bits == 64 ? cs_r64 : cs_r32)[dst])
		fail_msg("%s: got %s %s", what, insn->mnemonic, insn->op_str);
	if (x->encoding.imm_size != want_size)
		fail_msg("%s: imm%d, expected imm%d", what, x->encoding.imm_size * 8,
			 want_size * 8);
	/* Both forms sign-extend: the operand value is imm itself. */
	if ((int64_t)x->operands[1].imm != imm && (uint32_t)x->operands[1].imm != (uint32_t)imm)
		fail_msg("%s: immediate %lld", what, (long long)x->operands[1].imm);
	cs_free(insn, 1);
}

static void test_arith_imm_picks_imm8_or_imm32(void **state)
{
	static const int exts[] = {ARITH_ADD, ARITH_OR, ARITH_AND, ARITH_SUB, ARITH_XOR, ARITH_CMP};
	static const int32_t imms[] = {0, 1, -1, 127, -128, 128, -129, 0x12345678, INT32_MIN};

	for (unsigned e = 0; e < 6; e++)
		for (int d = 0; d < 16; d++)
			for (unsigned i = 0; i < 9; i++) {
				check_arith(32, exts[e], d, imms[i]);
				check_arith(64, exts[e], d, imms[i]);
			}
	reset();
	emit_arith_r64_imm(&cb, ARITH_SUB, RSP, 128);
	ASSERT_TEXT("sub rsp, 0x80");
	reset();
	emit_arith_r32_imm(&cb, ARITH_ADD, R12, 127);
	ASSERT_TEXT("add r12d, 0x7f");
}

static void test_and_r32_imm_sign_extension_boundary(void **state)
{
	/* 0xffffff80 is -128: the imm8 form encodes it exactly. */
	reset();
	emit_and_r32_imm(&cb, RAX, 0xffffff80u);
	assert_int_equal(cb_offset(&cb), 3);
	assert_int_equal(buf[0], OPC_ARITH_EvIb);
	reset();
	emit_and_r32_imm(&cb, RAX, 0xff); /* 255 does not fit a signed imm8 */
	assert_int_equal(buf[0], OPC_ARITH_EvIz);
	ASSERT_TEXT("and eax, 0xff");
	for (int d = 0; d < 16; d++) {
		reset();
		emit_and_r32_imm(&cb, d, 0xfffff000u);
		ASSERT_TEXTF("and %s, 0xfffff000", r32[d]);
	}
}

static void test_two_register_alu_forms(void **state)
{
	static const int exts[] = {ARITH_ADD, ARITH_OR, ARITH_AND, ARITH_SUB, ARITH_XOR, ARITH_CMP};

	for (int a = 0; a < 16; a++) {
		for (int b = 0; b < 16; b++) {
			reset();
			emit_cmp_r64_r64(&cb, a, b);
			ASSERT_TEXTF("cmp %s, %s", r64[a], r64[b]);
			reset();
			emit_or_r64_r64(&cb, a, b);
			ASSERT_TEXTF("or %s, %s", r64[a], r64[b]);
			for (unsigned e = 0; e < 6; e++) {
				reset();
				emit_alu_r32_r32(&cb, exts[e], a, b);
				ASSERT_TEXTF("%s %s, %s", arith_names[exts[e]], r32[a], r32[b]);
			}
		}
	}
}

static void test_xchg_r64_swaps_the_named_registers(void **state)
{
	for (int a = 0; a < 16; a++) {
		for (int b = 0; b < 16; b++) {
			const cs_x86 *x;
			cs_insn *insn;
			unsigned o0, o1;

			reset();
			emit_xchg_r64_r64(&cb, a, b);
			insn = dis_one_at(cb.start, __FILE__, __LINE__);
			x = &insn->detail->x86;
			assert_string_equal(insn->mnemonic, "xchg");
			o0 = x->operands[0].reg;
			o1 = x->operands[1].reg;
			/* xchg is symmetric: either operand order is the same instruction */
			assert_true((o0 == cs_r64[a] && o1 == cs_r64[b]) ||
				    (o0 == cs_r64[b] && o1 == cs_r64[a]));
			cs_free(insn, 1);
		}
	}
}

static void test_shift_not_push_pop_all_registers(void **state)
{
	for (int r = 0; r < 16; r++) {
		reset();
		emit_shr_r32_imm(&cb, r, 5);
		ASSERT_TEXTF("shr %s, 5", r32[r]);
		reset();
		emit_shl_r64_imm(&cb, r, 12);
		ASSERT_TEXTF("shl %s, 0xc", r64[r]);
		reset();
		emit_not_r64(&cb, r);
		ASSERT_TEXTF("not %s", r64[r]);
		reset();
		emit_push_r64(&cb, r);
		ASSERT_TEXTF("push %s", r64[r]);
		reset();
		emit_pop_r64(&cb, r);
		ASSERT_TEXTF("pop %s", r64[r]);
		reset();
		emit_jmp_r64(&cb, r);
		ASSERT_TEXTF("jmp %s", r64[r]);
		reset();
		emit_call_r64(&cb, r);
		ASSERT_TEXTF("call %s", r64[r]);
	}
}

static void test_single_byte_helpers(void **state)
{
	reset();
	emit_pushfq(&cb);
	ASSERT_TEXT("pushfq");
	reset();
	emit_popfq(&cb);
	ASSERT_TEXT("popfq");
	reset();
	emit_lahf(&cb);
	ASSERT_TEXT("lahf");
	reset();
	emit_sahf(&cb);
	ASSERT_TEXT("sahf");
	reset();
	emit_ret(&cb);
	ASSERT_TEXT("ret");
	reset();
	emit_ud2(&cb);
	ASSERT_TEXT("ud2");
}

static void test_byte_register_helpers_use_rex_only_when_needed(void **state)
{
	for (int r = 0; r < 16; r++) {
		/* AL..BL need no REX; SPL..DIL need a bare REX (else AH..BH); R8B.. REX.B. */
		unsigned rex_len = r < 4 ? 0 : 1;

		reset();
		emit_seto_r8(&cb, r);
		assert_int_equal(cb_offset(&cb), 3 + rex_len);
		if (r >= 4)
			assert_int_equal(buf[0], r < 8 ? 0x40 : 0x41);
		ASSERT_TEXTF("seto %s", r8rex[r]);
		reset();
		emit_add_r8_imm8(&cb, r, 0x7f);
		assert_int_equal(cb_offset(&cb), 3 + rex_len);
		ASSERT_TEXTF("add %s, 0x7f", r8rex[r]);
	}
}

/* ---- Control transfers ---- */

static void check_rel_target(const uint8_t *insn_start, const void *target, const char *mnem,
			     const char *file, int line)
{
	cs_insn *insn = dis_one_at(insn_start, file, line);

	_assert_string_equal(insn->mnemonic, mnem, file, line);
	_assert_int_equal(insn->detail->x86.operands[0].imm, (uintptr_t)target, file, line);
	cs_free(insn, 1);
}
#define ASSERT_TARGET(start, target, mnem) check_rel_target(start, target, mnem, __FILE__, __LINE__)

static void test_jmp_call_rel32_target_and_field(void **state)
{
	uint8_t *field;

	reset();
	field = emit_jmp_rel32(&cb, buf + 40);
	assert_ptr_equal(field, buf + 1);
	ASSERT_TARGET(buf, buf + 40, "jmp");
	reset();
	field = emit_call_rel32(&cb, buf); /* backwards */
	assert_ptr_equal(field, buf + 1);
	ASSERT_TARGET(buf, buf, "call");
	/* NULL leaves a zero field: the jump goes to the next instruction. */
	reset();
	field = emit_jmp_rel32(&cb, NULL);
	assert_memory_equal(field, "\0\0\0\0", 4);
	ASSERT_TARGET(buf, buf + 5, "jmp");
	/* patch_rel32 re-targets it, far away in either direction. */
	patch_rel32(field, at(0x7fff0000));
	ASSERT_TARGET(buf, at(0x7fff0000), "jmp");
	patch_rel32(field, at(-0x70000000));
	ASSERT_TARGET(buf, at(-0x70000000), "jmp");
}

static void test_jcc_rel32_all_conditions(void **state)
{
	for (int cc = 0; cc < 16; cc++) {
		uint8_t *field;

		reset();
		field = emit_jcc_rel32(&cb, cc, buf + 50);
		assert_int_equal(cb_offset(&cb), 6);
		assert_ptr_equal(field, buf + 2);
		ASSERT_TARGET(buf, buf + 50, cc_names[cc]);
		patch_rel32(field, buf + 7);
		ASSERT_TARGET(buf, buf + 7, cc_names[cc]);
	}
}

static void test_rel8_jumps_and_patch_rel8_range(void **state)
{
	uint8_t *field;

	for (int cc = 0; cc < 16; cc++) {
		reset();
		field = emit_jcc_rel8(&cb, cc);
		assert_ptr_equal(field, buf + 1);
		assert_true(patch_rel8(field, buf + 30));
		ASSERT_TARGET(buf, buf + 30, cc_names[cc]);
	}
	reset();
	field = emit_jmp_rel8(&cb);
	/* rel8 is counted from the end of the field (buf + 2). */
	assert_true(patch_rel8(field, at(2 + 127)));
	ASSERT_TARGET(buf, at(2 + 127), "jmp");
	assert_true(patch_rel8(field, at(2 - 128)));
	ASSERT_TARGET(buf, at(2 - 128), "jmp");
	/* Out of range: refused, and the field keeps its old value. */
	assert_false(patch_rel8(field, at(2 + 128)));
	assert_false(patch_rel8(field, at(2 - 129)));
	assert_int_equal(*field, 0x80);
	ASSERT_TARGET(buf, at(2 - 128), "jmp");

	reset();
	field = emit_jecxz_rel8(&cb);
	assert_ptr_equal(field, buf + 2);
	assert_true(patch_rel8(field, buf + 20));
	ASSERT_TARGET(buf, buf + 20, "jecxz"); /* 67 E3: ECX, not RCX */
}

static void test_lea_rip_all_registers(void **state)
{
	for (int r = 0; r < 16; r++) {
		const x86_op_mem *mem;
		cs_insn *insn;
		uint8_t *field;

		reset();
		field = emit_lea_rip(&cb, r);
		assert_ptr_equal(field, cb.ptr - 4);
		patch_rel32(field, buf + 60);
		insn = dis_one_at(cb.start, __FILE__, __LINE__);
		assert_string_equal(insn->mnemonic, "lea");
		assert_int_equal(insn->detail->x86.operands[0].reg, cs_r64[r]);
		mem = &insn->detail->x86.operands[1].mem;
		assert_int_equal(mem->base, X86_REG_RIP);
		assert_int_equal(mem->index, X86_REG_INVALID);
		/* RIP-relative: from the end of the instruction. */
		assert_ptr_equal(buf + insn->size + mem->disp, buf + 60);
		cs_free(insn, 1);
	}
}

/* ---- Overflow ---- */

static void test_overflow_sets_flag_and_never_writes_past_end(void **state)
{
	reset();
	cb_init(&cb, buf, 3);
	emit_mov_r32_imm32(&cb, RAX, 0x11223344); /* 5 bytes into 3 */
	assert_true(cb.overflow);
	assert_true(cb.ptr <= cb.end);
	for (unsigned i = 3; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0xcc);

	reset();
	cb_init(&cb, buf, 1);
	emit_ret(&cb); /* fits exactly */
	assert_false(cb.overflow);
	assert_ptr_equal(cb.ptr, cb.end);
	emit_ret(&cb);
	assert_true(cb.overflow);
	assert_ptr_equal(cb.ptr, cb.end);
	assert_int_equal(buf[1], 0xcc);

	reset();
	cb_init(&cb, buf, 3);
	assert_null(emit_jmp_rel32(&cb, buf));
	assert_true(cb.overflow);
	reset();
	cb_init(&cb, buf, 4);
	assert_null(emit_lea_rip(&cb, RAX));
	reset();
	cb_init(&cb, buf, 1);
	assert_null(emit_jcc_rel8(&cb, CC_E));
	assert_true(cb.overflow);
}

/* A mix of every kind of helper, for the truncation test below. */
static void emit_sequence(struct code_buf *c)
{
	emit_mov_r64_imm64(c, R11, 0x1122334455667788ull);
	emit_mov_r32_m32(c, R9, hmem_bisd(R13, R12, 3, 0x12345));
	emit_jcc_rel32(c, CC_NE, NULL);
	emit_seto_r8(c, RSI);
	emit_lea_rip(c, R8);
	emit_fxsave64(c, hmem_bd(RSP, -8));
	emit_arith_r64_imm(c, ARITH_SUB, RSP, 0x1000);
	emit_bytes(c, (const uint8_t *)"\x90\x90\x90", 3);
	emit_u64(c, 0);
	emit_jmp_rel8(c);
}

static void test_overflow_at_every_size_stays_inside_buffer(void **state)
{
	uint8_t ref[BUF_SIZE], out[BUF_SIZE + 16];
	struct code_buf full, part;
	uint32_t total;

	cb_init(&full, ref, sizeof(ref));
	emit_sequence(&full);
	assert_false(full.overflow);
	total = cb_offset(&full);
	for (uint32_t size = 0; size <= total + 2; size++) {
		memset(out, 0xcc, sizeof(out));
		cb_init(&part, out, size);
		emit_sequence(&part);
		assert_int_equal(part.overflow, size < total);
		assert_true(part.ptr <= part.end);
		/* Without overflow the output is exact (after one, the buffer's
		 * contents are garbage the assembler discards)... */
		if (!part.overflow)
			assert_memory_equal(out, ref, total);
		/* ... and nothing beyond the end is ever touched. */
		for (uint32_t i = size; i < sizeof(out); i++)
			assert_int_equal(out[i], 0xcc);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_raw_encoders_write_little_endian),
	    cmocka_unit_test(test_emit_opc_prefixes_come_before_rex),
	    cmocka_unit_test(test_emit_modrm_reg_bytereg_forces_rex),
	    cmocka_unit_test(test_mem_helpers_base_disp_all_registers),
	    cmocka_unit_test(test_mem_helpers_base_index_scale_disp),
	    cmocka_unit_test(test_mem_helpers_no_base_is_absolute_not_rip),
	    cmocka_unit_test(test_mem_operand_text_special_bases),
	    cmocka_unit_test(test_mem_disp_boundaries_pick_disp8_or_disp32),
	    cmocka_unit_test(test_mov_register_forms_all_registers),
	    cmocka_unit_test(test_mov_immediates_pick_shortest_form),
	    cmocka_unit_test(test_arith_imm_picks_imm8_or_imm32),
	    cmocka_unit_test(test_and_r32_imm_sign_extension_boundary),
	    cmocka_unit_test(test_two_register_alu_forms),
	    cmocka_unit_test(test_xchg_r64_swaps_the_named_registers),
	    cmocka_unit_test(test_shift_not_push_pop_all_registers),
	    cmocka_unit_test(test_single_byte_helpers),
	    cmocka_unit_test(test_byte_register_helpers_use_rex_only_when_needed),
	    cmocka_unit_test(test_jmp_call_rel32_target_and_field),
	    cmocka_unit_test(test_jcc_rel32_all_conditions),
	    cmocka_unit_test(test_rel8_jumps_and_patch_rel8_range),
	    cmocka_unit_test(test_lea_rip_all_registers),
	    cmocka_unit_test(test_overflow_sets_flag_and_never_writes_past_end),
	    cmocka_unit_test(test_overflow_at_every_size_stays_inside_buffer),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
