/*
 * test_translator_decode.c - decode_insn() turns guest bytes into struct
 * insn correctly: encoding layout (prefixes, opcode, ModRM), effective
 * operand and address sizes in 32- and 16-bit code, the memory operand and
 * its segment (SDM Vol. 1 3.7.4: EBP/ESP bases default to SS), the register
 * operands that need care, how the memory operand is accessed (mem_access.c)
 * and the flags read and certainly written (flags.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "translator/internal.h"

static struct xlat *x;
static cs_insn *ci;
static struct insn in;

/* Only the Capstone handles of struct xlat are needed, opened as xlat.c does. */
static int setup(void **state)
{
	x = calloc(1, sizeof(*x));
	if (!x || cs_open(CS_ARCH_X86, CS_MODE_32, &x->cs32) != CS_ERR_OK ||
	    cs_open(CS_ARCH_X86, CS_MODE_16, &x->cs16) != CS_ERR_OK)
		return -1;
	cs_option(x->cs32, CS_OPT_DETAIL, CS_OPT_ON);
	cs_option(x->cs16, CS_OPT_DETAIL, CS_OPT_ON);
	ci = cs_malloc(x->cs32);
	return ci ? 0 : -1;
}

static int teardown(void **state)
{
	cs_free(ci, 1);
	cs_close(&x->cs32);
	cs_close(&x->cs16);
	free(x);
	return 0;
}

/* Decode @n bytes, which must be exactly one instruction. */
static const struct insn *decode_at(uint32_t mode, const uint8_t *bytes, unsigned n,
				    const char *file, int line)
{
	bool ok = decode_insn(x, ci, bytes, n, 0x1000, mode, &in);

	_assert_true(ok, "decode_insn", file, line);
	_assert_int_equal(in.len, n, file, line);
	_assert_int_equal(in.eip, 0x1000, file, line);
	_assert_true(in.cs == ci, "in.cs", file, line);
	return &in;
}
#define BYTES(...)     (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__})
#define DEC(mode, ...) decode_at(mode, BYTES(__VA_ARGS__), __FILE__, __LINE__)
#define MODE32	       0u
#define MODE16	       MODE_CODE16

/* ---- Encoding layout ---- */

static void test_decode_plain_insn_has_no_prefix(void **state)
{
	const struct insn *i = DEC(MODE32, 0x8b, 0x03); /* mov eax, [ebx] */

	assert_int_equal(i->id, X86_INS_MOV);
	assert_int_equal(i->prefix_len, 0);
	assert_int_equal(i->opc_len, 1);
	assert_false(i->opc_0f);
	assert_int_equal(i->opc, 0x8b);
	assert_int_equal(i->modrm_off, 1);
	assert_int_equal(i->modrm, 0x03);
	assert_int_equal(i->seg_override, -1);
	assert_false(i->lock || i->rep || i->repne || i->opsize_prefix || i->addrsize_prefix);
	assert_memory_equal(i->bytes, "\x8b\x03", 2);
}

static void test_decode_prefixes_counted_and_recorded(void **state)
{
	const struct insn *i;

	i = DEC(MODE32, 0x64, 0x66, 0x0f, 0xb6, 0x04, 0x24); /* movzx ax, byte fs:[esp] */
	assert_int_equal(i->prefix_len, 2);
	assert_true(i->opc_0f);
	assert_int_equal(i->opc_len, 2);
	assert_int_equal(i->opc, 0xb6);
	assert_int_equal(i->modrm_off, 4);
	assert_int_equal(i->modrm, 0x04);
	assert_int_equal(i->seg_override, S_FS);
	assert_true(i->opsize_prefix);

	i = DEC(MODE32, 0xf0, 0x01, 0x03); /* lock add [ebx], eax */
	assert_int_equal(i->prefix_len, 1);
	assert_true(i->lock);
	assert_int_equal(i->modrm_off, 2);

	i = DEC(MODE32, 0xf3, 0xa5); /* rep movsd */
	assert_true(i->rep);
	assert_false(i->repne);
	assert_int_equal(i->modrm_off, -1);

	i = DEC(MODE32, 0xf2, 0xae); /* repne scasb */
	assert_true(i->repne);
	assert_false(i->rep);

	i = DEC(MODE32, 0x26, 0x66, 0x67, 0x89, 0x07); /* mov es:[bx], ax */
	assert_int_equal(i->prefix_len, 3);
	assert_int_equal(i->modrm_off, 4);
	assert_true(i->opsize_prefix && i->addrsize_prefix);
}

static void test_decode_opcode_length_one_two_three(void **state)
{
	const struct insn *i;

	i = DEC(MODE32, 0x90); /* nop: no ModRM */
	assert_int_equal(i->opc_len, 1);
	assert_int_equal(i->modrm_off, -1);
	i = DEC(MODE32, 0x0f, 0xa2); /* cpuid */
	assert_int_equal(i->opc_len, 2);
	assert_int_equal(i->opc, 0xa2);
	assert_int_equal(i->modrm_off, -1);
	i = DEC(MODE32, 0x66, 0x0f, 0x38, 0x00, 0xc1); /* pshufb xmm0, xmm1 */
	assert_int_equal(i->opc_len, 3);
	assert_true(i->opc_0f);
	assert_int_equal(i->opc, 0x00);
	assert_int_equal(i->modrm_off, 4);
	assert_int_equal(i->modrm, 0xc1);
}

static void test_decode_last_segment_prefix_wins(void **state)
{
	const struct insn *i = DEC(MODE32, 0x26, 0x64, 0x8b, 0x03);

	assert_int_equal(i->seg_override, S_FS);
	assert_int_equal(i->mem_seg, S_FS);
}

static void test_decode_rep_bsf_is_bsf_on_p6(void **state)
{
	/* F3 0F BC is TZCNT only with BMI1; a P6 ignores the F3. */
	const struct insn *i = DEC(MODE32, 0xf3, 0x0f, 0xbc, 0x03);

	assert_int_equal(i->id, X86_INS_BSF);
	assert_true(i->drop_rep);
	assert_int_equal(i->prefix_len, 1);
	assert_int_equal(i->opc, 0xbc);
	assert_int_equal(i->modrm_off, 3);
	assert_int_equal(i->modrm, 0x03);
	assert_true(i->has_mem);
	assert_int_equal(i->mem_access, MA_R);
	assert_int_equal(i->mem_size, 4);
	assert_memory_equal(i->bytes, "\xf3\x0f\xbc\x03", 4);
	assert_int_equal(DEC(MODE32, 0xf3, 0x0f, 0xbd, 0xc1)->id, X86_INS_BSR);
	assert_false(DEC(MODE32, 0x0f, 0xbc, 0xc1)->drop_rep);
}

static void test_decode_fpu_state_users_are_simd(void **state)
{
	assert_true(DEC(MODE32, 0xd9, 0x03)->simd);		/* fld dword [ebx] */
	assert_true(DEC(MODE32, 0x9b)->simd);			/* fwait */
	assert_true(DEC(MODE32, 0x0f, 0xae, 0x03)->simd);	/* fxsave [ebx] */
	assert_true(DEC(MODE32, 0x0f, 0x58, 0xc1)->simd);	/* addps */
	assert_true(DEC(MODE32, 0x66, 0x0f, 0xef, 0xc0)->simd); /* pxor xmm0, xmm0 */
	assert_false(DEC(MODE32, 0x01, 0xd8)->simd);
	assert_false(DEC(MODE32, 0x66, 0x89, 0xd8)->simd);
}

/* ---- Operand and address size ---- */

static void test_decode_sizes_in_32bit_code(void **state)
{
	const struct insn *i;

	i = DEC(MODE32, 0x8b, 0x03);
	assert_int_equal(i->opsize, 4);
	assert_int_equal(i->addrsize, 4);
	assert_int_equal(i->mem_size, 4);
	i = DEC(MODE32, 0x66, 0x8b, 0x03);
	assert_int_equal(i->opsize, 2);
	assert_int_equal(i->addrsize, 4);
	assert_int_equal(i->mem_size, 2);
	i = DEC(MODE32, 0x67, 0x8b, 0x07); /* mov eax, [bx] */
	assert_int_equal(i->opsize, 4);
	assert_int_equal(i->addrsize, 2);
	assert_int_equal(i->mem_base, R_EBX);
	i = DEC(MODE32, 0x66, 0x67, 0x8b, 0x07);
	assert_int_equal(i->opsize, 2);
	assert_int_equal(i->addrsize, 2);
}

static void test_decode_sizes_in_16bit_code(void **state)
{
	const struct insn *i;

	i = DEC(MODE16, 0x8b, 0x07); /* mov ax, [bx] */
	assert_int_equal(i->opsize, 2);
	assert_int_equal(i->addrsize, 2);
	assert_int_equal(i->mem_size, 2);
	assert_int_equal(i->mem_base, R_EBX);
	i = DEC(MODE16, 0x66, 0x8b, 0x07); /* mov eax, [bx] */
	assert_int_equal(i->opsize, 4);
	assert_int_equal(i->addrsize, 2);
	assert_int_equal(i->mem_size, 4);
	i = DEC(MODE16, 0x67, 0x8b, 0x03); /* mov ax, [ebx] */
	assert_int_equal(i->opsize, 2);
	assert_int_equal(i->addrsize, 4);
	assert_int_equal(i->mem_base, R_EBX);
	i = DEC(MODE16, 0x66, 0x67, 0x8b, 0x03);
	assert_int_equal(i->opsize, 4);
	assert_int_equal(i->addrsize, 4);
}

static void test_decode_16bit_addressing_forms(void **state)
{
	const struct insn *i;

	i = DEC(MODE16, 0x8b, 0x42, 0x04); /* [bp + si + 4] */
	assert_int_equal(i->mem_base, R_EBP);
	assert_int_equal(i->mem_index, R_ESI);
	assert_int_equal(i->mem_scale, 1);
	assert_int_equal(i->mem_disp, 4);
	assert_int_equal(i->mem_seg, S_SS);
	i = DEC(MODE16, 0x8b, 0x00); /* [bx + si] */
	assert_int_equal(i->mem_base, R_EBX);
	assert_int_equal(i->mem_index, R_ESI);
	assert_int_equal(i->mem_seg, S_DS);
	i = DEC(MODE16, 0x8b, 0x46, 0xfe); /* [bp - 2] */
	assert_int_equal(i->mem_base, R_EBP);
	assert_int_equal(i->mem_index, -1);
	assert_int_equal(i->mem_disp, -2);
	assert_int_equal(i->mem_seg, S_SS);
	i = DEC(MODE16, 0x8b, 0x06, 0x34, 0x12); /* [0x1234] */
	assert_int_equal(i->mem_base, -1);
	assert_int_equal(i->mem_index, -1);
	assert_int_equal(i->mem_disp, 0x1234);
	assert_int_equal(i->mem_seg, S_DS);
}

/* ---- Memory operand and segment ---- */

struct seg_case {
	uint8_t bytes[8];
	uint8_t n;
	int8_t base, index;
	uint8_t seg;
};
#define SEGCASE(base, index, seg, ...)                                                             \
	{                                                                                          \
		{__VA_ARGS__}, sizeof((uint8_t[]){__VA_ARGS__}), base, index, seg                  \
	}

static void test_decode_default_segment_from_base(void **state)
{
	static const struct seg_case cases[] = {
	    SEGCASE(R_EBX, -1, S_DS, 0x8b, 0x03),	      /* [ebx] */
	    SEGCASE(R_EBP, -1, S_SS, 0x8b, 0x45, 0x08),	      /* [ebp + 8] */
	    SEGCASE(R_ESP, -1, S_SS, 0x8b, 0x04, 0x24),	      /* [esp] */
	    SEGCASE(R_ESP, R_EBP, S_SS, 0x8b, 0x04, 0x2c),    /* [esp + ebp] */
	    SEGCASE(R_EAX, R_EBP, S_DS, 0x8b, 0x04, 0x28),    /* [eax + ebp]: index EBP is DS */
	    SEGCASE(-1, -1, S_DS, 0x8b, 0x05, 0, 0x10, 0, 0), /* [0x1000] */
	    SEGCASE(-1, R_EBP, S_DS, 0x8b, 0x04, 0x2d, 0, 0, 0, 0), /* [ebp*1 + 0] */
	    SEGCASE(R_EBP, -1, S_ES, 0x26, 0x8b, 0x45, 0x00),	    /* es:[ebp] */
	    SEGCASE(R_EBX, -1, S_SS, 0x36, 0x8b, 0x03),		    /* ss:[ebx] */
	    SEGCASE(R_EBX, -1, S_CS, 0x2e, 0x8b, 0x03),		    /* cs:[ebx] */
	    SEGCASE(R_ESP, -1, S_GS, 0x65, 0x8b, 0x04, 0x24),	    /* gs:[esp] */
	};

	for (unsigned k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		const struct insn *i =
		    decode_at(MODE32, cases[k].bytes, cases[k].n, __FILE__, __LINE__);

		if (!i->has_mem || i->mem_base != cases[k].base || i->mem_index != cases[k].index ||
		    i->mem_seg != cases[k].seg)
			fail_msg("case %u: has_mem %d base %d index %d seg %d", k, i->has_mem,
				 i->mem_base, i->mem_index, i->mem_seg);
	}
}

static void test_decode_sib_scale_and_disp(void **state)
{
	const struct insn *i;

	i = DEC(MODE32, 0x8b, 0x84, 0x8b, 0x78, 0x56, 0x34, 0x12); /* [ebx + ecx*4 + 0x12345678] */
	assert_true(i->has_mem);
	assert_int_equal(i->mem_base, R_EBX);
	assert_int_equal(i->mem_index, R_ECX);
	assert_int_equal(i->mem_scale, 4);
	assert_int_equal(i->mem_disp, 0x12345678);
	i = DEC(MODE32, 0x8b, 0x04, 0xfd, 0xf0, 0xff, 0xff, 0xff); /* [edi*8 - 0x10] */
	assert_int_equal(i->mem_base, -1);
	assert_int_equal(i->mem_index, R_EDI);
	assert_int_equal(i->mem_scale, 8);
	assert_int_equal(i->mem_disp, -16);
	i = DEC(MODE32, 0x8b, 0x43, 0xfc); /* [ebx - 4] */
	assert_int_equal(i->mem_disp, -4);
	assert_int_equal(i->mem_index, -1);
	assert_int_equal(i->mem_scale, 1);
	i = DEC(MODE32, 0x8b, 0x04, 0x24); /* [esp]: base ESP, no index */
	assert_int_equal(i->mem_base, R_ESP);
	assert_int_equal(i->mem_index, -1);
	assert_int_equal(i->mem_disp, 0);
}

static void test_decode_moffs_is_memory_operand(void **state)
{
	const struct insn *i;

	i = DEC(MODE32, 0xa1, 0x00, 0x10, 0x00, 0x00); /* mov eax, [0x1000] */
	assert_true(i->has_mem);
	assert_int_equal(i->mem_base, -1);
	assert_int_equal(i->mem_disp, 0x1000);
	assert_int_equal(i->mem_seg, S_DS);
	assert_int_equal(i->mem_access, MA_R);
	assert_int_equal(i->mem_size, 4);
	i = DEC(MODE32, 0x64, 0xa2, 0x00, 0x20, 0x00, 0x00); /* mov fs:[0x2000], al */
	assert_true(i->has_mem);
	assert_int_equal(i->mem_seg, S_FS);
	assert_int_equal(i->mem_access, MA_W);
	assert_int_equal(i->mem_size, 1);
}

static void test_decode_register_and_string_forms_have_no_mem(void **state)
{
	const struct insn *i;

	i = DEC(MODE32, 0x8b, 0xc3); /* mov eax, ebx */
	assert_false(i->has_mem);
	assert_int_equal(i->mem_access, MA_NONE);
	i = DEC(MODE32, 0xa4); /* movsb: implicit operands are the helper's business */
	assert_false(i->has_mem);
	i = DEC(MODE32, 0x50); /* push eax */
	assert_false(i->has_mem);
}

static void test_decode_esp_and_high_byte_operands(void **state)
{
	assert_true(DEC(MODE32, 0x89, 0xe0)->esp_operand);	 /* mov eax, esp */
	assert_true(DEC(MODE32, 0x66, 0x89, 0xe0)->esp_operand); /* mov ax, sp */
	assert_true(DEC(MODE32, 0x54)->esp_operand);		 /* push esp */
	assert_true(DEC(MODE32, 0x83, 0xc4, 0x10)->esp_operand); /* add esp, 0x10 */
	assert_false(
	    DEC(MODE32, 0x8b, 0x04, 0x24)->esp_operand); /* [esp] is a base, not an operand */
	assert_false(DEC(MODE32, 0x89, 0xd8)->esp_operand);
	assert_true(DEC(MODE32, 0x88, 0xe0)->high_byte);	/* mov al, ah */
	assert_true(DEC(MODE32, 0x8a, 0x3b)->high_byte);	/* mov bh, [ebx] */
	assert_true(DEC(MODE32, 0x00, 0xec)->high_byte);	/* add ah, ch */
	assert_false(DEC(MODE32, 0x88, 0xc0)->high_byte);	/* mov al, al */
	assert_false(DEC(MODE32, 0x66, 0x89, 0xe0)->high_byte); /* SP is not AH */
}

/* ---- Memory access kinds (mem_access.c) ---- */

struct access_case {
	const char *what;
	uint8_t bytes[8];
	uint8_t n;
	enum mem_access_kind kind;
	uint16_t size;
};
#define ACC(what, kind, size, ...)                                                                 \
	{                                                                                          \
		what, {__VA_ARGS__}, sizeof((uint8_t[]){__VA_ARGS__}), kind, size                  \
	}

static const struct access_case access_cases[] = {
    ACC("add [ebx], eax", MA_RW, 4, 0x01, 0x03),
    ACC("add eax, [ebx]", MA_R, 4, 0x03, 0x03),
    ACC("sub byte [ebx], al", MA_RW, 1, 0x28, 0x03),
    ACC("xor ax, [ebx]", MA_R, 2, 0x66, 0x33, 0x03),
    ACC("cmp [ebx], eax", MA_R, 4, 0x39, 0x03),
    ACC("cmp eax, [ebx]", MA_R, 4, 0x3b, 0x03),
    ACC("test [ebx], eax", MA_R, 4, 0x85, 0x03),
    ACC("add dword [ebx], 5 (83 /0)", MA_RW, 4, 0x83, 0x03, 0x05),
    ACC("cmp dword [ebx], 5 (83 /7)", MA_R, 4, 0x83, 0x3b, 0x05),
    ACC("cmp byte [ebx], 5 (80 /7)", MA_R, 1, 0x80, 0x3b, 0x05),
    ACC("cmp [ebx], imm32 (81 /7)", MA_R, 4, 0x81, 0x3b, 1, 2, 3, 4),
    ACC("and [ebx], imm32 (81 /4)", MA_RW, 4, 0x81, 0x23, 1, 2, 3, 4),
    ACC("mov [ebx], eax", MA_W, 4, 0x89, 0x03),
    ACC("mov [ebx], ax", MA_W, 2, 0x66, 0x89, 0x03),
    ACC("mov [ebx], al", MA_W, 1, 0x88, 0x03),
    ACC("mov eax, [ebx]", MA_R, 4, 0x8b, 0x03),
    ACC("mov dword [ebx], imm32", MA_W, 4, 0xc7, 0x03, 1, 2, 3, 4),
    ACC("mov byte [ebx], imm8", MA_W, 1, 0xc6, 0x03, 0x12),
    ACC("mov [ebx], ds", MA_W, 2, 0x8c, 0x1b),
    ACC("mov ds, [ebx]", MA_R, 2, 0x8e, 0x1b),
    ACC("movzx eax, byte [ebx]", MA_R, 1, 0x0f, 0xb6, 0x03),
    ACC("sete [ebx]", MA_W, 1, 0x0f, 0x94, 0x03),
    ACC("setb [ebx]", MA_W, 1, 0x0f, 0x92, 0x03),
    ACC("rol dword [ebx], 1", MA_RW, 4, 0xd1, 0x03),
    ACC("shl byte [ebx], cl", MA_RW, 1, 0xd2, 0x23),
    ACC("sar dword [ebx], 3", MA_RW, 4, 0xc1, 0x3b, 0x03),
    ACC("cmpxchg [ebx], ecx", MA_RW, 4, 0x0f, 0xb1, 0x0b),
    ACC("xadd [ebx], ecx", MA_RW, 4, 0x0f, 0xc1, 0x0b),
    ACC("xchg [ebx], eax", MA_RW, 4, 0x87, 0x03),
    ACC("cmpxchg8b [ebx]", MA_RW, 8, 0x0f, 0xc7, 0x0b),
    ACC("not dword [ebx]", MA_RW, 4, 0xf7, 0x13),
    ACC("mul dword [ebx]", MA_R, 4, 0xf7, 0x23),
    ACC("inc byte [ebx]", MA_RW, 1, 0xfe, 0x03),
    ACC("inc dword [ebx]", MA_RW, 4, 0xff, 0x03),
    ACC("push dword [ebx]", MA_R, 4, 0xff, 0x33),
    ACC("jmp dword [ebx]", MA_R, 4, 0xff, 0x23),
    ACC("jmp far [ebx] (m16:32)", MA_R, 6, 0xff, 0x2b),
    ACC("pop dword [ebx]", MA_W, 4, 0x8f, 0x03),
    ACC("fxsave [ebx]", MA_W, 512, 0x0f, 0xae, 0x03),
    ACC("fxrstor [ebx]", MA_R, 512, 0x0f, 0xae, 0x0b),
    ACC("stmxcsr [ebx]", MA_W, 4, 0x0f, 0xae, 0x1b),
    ACC("fld dword [ebx]", MA_R, 4, 0xd9, 0x03),
    ACC("fst dword [ebx]", MA_W, 4, 0xd9, 0x13),
    ACC("fstp dword [ebx]", MA_W, 4, 0xd9, 0x1b),
    ACC("fst qword [ebx]", MA_W, 8, 0xdd, 0x13),
    ACC("fstp qword [ebx]", MA_W, 8, 0xdd, 0x1b),
    ACC("fstp tbyte [ebx]", MA_W, 10, 0xdb, 0x3b),
    ACC("fnstcw [ebx]", MA_W, 2, 0xd9, 0x3b),
    ACC("fnstsw [ebx]", MA_W, 2, 0xdd, 0x3b),
    ACC("fnstenv [ebx]", MA_W, 28, 0xd9, 0x33),
    ACC("fnsave [ebx]", MA_W, 108, 0xdd, 0x33),
    ACC("fistp qword [ebx]", MA_W, 8, 0xdf, 0x3b),
    ACC("lea eax, [ebx + 8]", MA_NONE, 0, 0x8d, 0x43, 0x08),
    ACC("nop dword [eax]", MA_NONE, 0, 0x0f, 0x1f, 0x00),
    ACC("prefetchnta [ebx]", MA_NONE, 0, 0x0f, 0x18, 0x03),
    ACC("bt [ebx], eax", MA_R, 4, 0x0f, 0xa3, 0x03),
    ACC("bts [ebx], eax", MA_RW, 4, 0x0f, 0xab, 0x03),
    ACC("btr [ebx], eax", MA_RW, 4, 0x0f, 0xb3, 0x03),
    ACC("bt dword [ebx], 5", MA_R, 4, 0x0f, 0xba, 0x23, 0x05),
    ACC("bts dword [ebx], 5", MA_RW, 4, 0x0f, 0xba, 0x2b, 0x05),
    ACC("les eax, [ebx]", MA_R, 6, 0xc4, 0x03),
    ACC("lds ax, [ebx]", MA_R, 4, 0x66, 0xc5, 0x03),
    ACC("lss esp, [ebx]", MA_R, 6, 0x0f, 0xb2, 0x23),
    ACC("bound eax, [ebx]", MA_R, 8, 0x62, 0x03),
    ACC("bound ax, [ebx]", MA_R, 4, 0x66, 0x62, 0x03),
    ACC("sgdt [ebx]", MA_W, 6, 0x0f, 0x01, 0x03),
    ACC("lidt [ebx]", MA_R, 6, 0x0f, 0x01, 0x1b),
    ACC("smsw [ebx]", MA_W, 2, 0x0f, 0x01, 0x23),
    ACC("str [ebx]", MA_W, 2, 0x0f, 0x00, 0x0b),
    ACC("lldt [ebx]", MA_R, 2, 0x0f, 0x00, 0x13),
    ACC("invlpg [ebx]", MA_NONE, 0, 0x0f, 0x01, 0x3b),
    ACC("movups [ebx], xmm0", MA_W, 16, 0x0f, 0x11, 0x03),
    ACC("movaps xmm0, [ebx]", MA_R, 16, 0x0f, 0x28, 0x03),
    ACC("movd [ebx], mm0", MA_W, 4, 0x0f, 0x7e, 0x03),
    ACC("movq xmm0, [ebx] (F3 0F 7E)", MA_R, 8, 0xf3, 0x0f, 0x7e, 0x03),
    ACC("shld [ebx], eax, cl", MA_RW, 4, 0x0f, 0xa5, 0x03),
    ACC("arpl [ebx], ax", MA_RW, 2, 0x63, 0x03),
};

static void test_decode_mem_access_kinds_and_sizes(void **state)
{
	for (unsigned k = 0; k < sizeof(access_cases) / sizeof(access_cases[0]); k++) {
		const struct access_case *c = &access_cases[k];
		const struct insn *i = decode_at(MODE32, c->bytes, c->n, c->what, 0);

		if (!i->has_mem)
			fail_msg("%s: no memory operand", c->what);
		if (i->mem_access != c->kind)
			fail_msg("%s: access %d, expected %d", c->what, i->mem_access, c->kind);
		if (c->kind != MA_NONE && i->mem_size != c->size)
			fail_msg("%s: size %u, expected %u", c->what, i->mem_size, c->size);
	}
}

static void test_decode_mem_size_follows_16bit_mode(void **state)
{
	const struct insn *i;

	i = DEC(MODE16, 0xc4, 0x07); /* les ax, [bx]: m16:16 */
	assert_int_equal(i->mem_access, MA_R);
	assert_int_equal(i->mem_size, 4);
	i = DEC(MODE16, 0x66, 0xc4, 0x07); /* les eax, [bx]: m16:32 */
	assert_int_equal(i->mem_size, 6);
	i = DEC(MODE16, 0x62, 0x07); /* bound ax, [bx] */
	assert_int_equal(i->mem_size, 4);
	i = DEC(MODE16, 0xd9, 0x37); /* fnstenv [bx]: 14-byte image */
	assert_int_equal(i->mem_access, MA_W);
	assert_int_equal(i->mem_size, 14);
}

/* ---- Flags read and written (flags.c) ---- */

static void test_flags_alu_writes_all_reads_none(void **state)
{
	const struct insn *i = DEC(MODE32, 0x01, 0xd8); /* add eax, ebx */

	assert_int_equal(i->flags_written, FL_ALL);
	assert_int_equal(i->flags_read, 0);
	i = DEC(MODE32, 0x39, 0x03); /* cmp [ebx], eax */
	assert_int_equal(i->flags_written, FL_ALL);
	assert_int_equal(i->flags_read, 0);
	i = DEC(MODE32, 0x89, 0xd8); /* mov: no flags */
	assert_int_equal(i->flags_written, 0);
	assert_int_equal(i->flags_read, 0);
}

static void test_flags_inc_dec_keep_cf(void **state)
{
	assert_int_equal(DEC(MODE32, 0x40)->flags_written, FL_ALL & ~FL_CF);	   /* inc eax */
	assert_int_equal(DEC(MODE32, 0xff, 0x0b)->flags_written, FL_ALL & ~FL_CF); /* dec [ebx] */
	assert_int_equal(DEC(MODE32, 0x40)->flags_read, 0);
}

static void test_flags_carry_users_read_cf(void **state)
{
	const struct insn *i = DEC(MODE32, 0x11, 0xd8); /* adc eax, ebx */

	assert_int_equal(i->flags_read, FL_CF);
	assert_int_equal(i->flags_written, FL_ALL);
	i = DEC(MODE32, 0x19, 0xd8); /* sbb eax, ebx */
	assert_int_equal(i->flags_read, FL_CF);
	assert_int_equal(i->flags_written, FL_ALL);
	i = DEC(MODE32, 0xf5); /* cmc */
	assert_int_equal(i->flags_read, FL_CF);
	assert_int_equal(i->flags_written, FL_CF);
	i = DEC(MODE32, 0xf8); /* clc */
	assert_int_equal(i->flags_read, 0);
	assert_int_equal(i->flags_written, FL_CF);
	assert_int_equal(DEC(MODE32, 0xce)->flags_read, FL_OF); /* into */
}

static void test_flags_rcl_rcr_always_pass_through(void **state)
{
	static const struct {
		uint8_t bytes[3];
		uint8_t n;
	} forms[] = {
	    {{0xd1, 0xd0}, 2},	     /* rcl eax, 1 */
	    {{0xd1, 0xd8}, 2},	     /* rcr eax, 1 */
	    {{0xc1, 0xd0, 0x05}, 3}, /* rcl eax, 5 */
	    {{0xc0, 0xd8, 0x09}, 3}, /* rcr al, 9: count mod 9 is 0 */
	    {{0xd3, 0xd0}, 2},	     /* rcl eax, cl */
	};

	for (unsigned k = 0; k < 5; k++) {
		const struct insn *i =
		    decode_at(MODE32, forms[k].bytes, forms[k].n, __FILE__, __LINE__);

		assert_int_equal(i->flags_written, 0);
		assert_true(i->flags_read & FL_CF);
		assert_true(i->flags_read & FL_OF);
	}
}

static void test_flags_variable_shifts_write_nothing_for_sure(void **state)
{
	const struct insn *i;

	i = DEC(MODE32, 0xd3, 0xe0); /* shl eax, cl: CL may be 0 */
	assert_int_equal(i->flags_written, 0);
	assert_int_equal(i->flags_read & (FL_CF | FL_ZF | FL_SF | FL_OF | FL_PF),
			 FL_CF | FL_ZF | FL_SF | FL_OF | FL_PF);
	i = DEC(MODE32, 0x0f, 0xa5, 0xd8); /* shld eax, ebx, cl */
	assert_int_equal(i->flags_written, 0);
	assert_true(i->flags_read & FL_CF);
	i = DEC(MODE32, 0xc1, 0xe0, 0x20); /* shl eax, 32: masked to 0 */
	assert_int_equal(i->flags_written, 0);
	i = DEC(MODE32, 0xc1, 0xe0, 0x00); /* shl eax, 0 */
	assert_int_equal(i->flags_written, 0);
	/* A non-zero count writes them. */
	i = DEC(MODE32, 0xc1, 0xe0, 0x01);
	assert_int_equal(i->flags_written & (FL_CF | FL_ZF | FL_SF | FL_PF),
			 FL_CF | FL_ZF | FL_SF | FL_PF);
	assert_int_equal(i->flags_read, 0);
	i = DEC(MODE32, 0xd1, 0xe0); /* shl eax, 1 */
	assert_int_equal(i->flags_written & (FL_CF | FL_ZF | FL_SF | FL_PF | FL_OF),
			 FL_CF | FL_ZF | FL_SF | FL_PF | FL_OF);
	assert_int_equal(i->flags_read, 0);
}

/* Flags each condition code tests (SDM Vol. 1 B.1). */
static const uint8_t cond_reads[16] = {
    FL_OF,
    FL_OF,
    FL_CF,
    FL_CF,
    FL_ZF,
    FL_ZF,
    FL_CF | FL_ZF,
    FL_CF | FL_ZF,
    FL_SF,
    FL_SF,
    FL_PF,
    FL_PF,
    FL_SF | FL_OF,
    FL_SF | FL_OF,
    FL_ZF | FL_SF | FL_OF,
    FL_ZF | FL_SF | FL_OF,
};

static void test_flags_condition_users_read_their_flags(void **state)
{
	for (uint8_t cc = 0; cc < 16; cc++) {
		const struct insn *i;

		i = DEC(MODE32, (uint8_t)(0x70 + cc), 0x10); /* jcc rel8 */
		if (i->flags_read != cond_reads[cc] || i->flags_written)
			fail_msg("jcc short cc %u: reads %#x", cc, i->flags_read);
		i = DEC(MODE32, 0x0f, (uint8_t)(0x80 + cc), 0, 1, 0, 0); /* jcc rel32 */
		if (i->flags_read != cond_reads[cc])
			fail_msg("jcc near cc %u: reads %#x", cc, i->flags_read);
		i = DEC(MODE32, 0x0f, (uint8_t)(0x90 + cc), 0xc0); /* setcc al */
		if (i->flags_read != cond_reads[cc] || i->flags_written)
			fail_msg("setcc cc %u: reads %#x", cc, i->flags_read);
		i = DEC(MODE32, 0x0f, (uint8_t)(0x40 + cc), 0xc1); /* cmovcc eax, ecx */
		if (i->flags_read != cond_reads[cc] || i->flags_written)
			fail_msg("cmovcc cc %u: reads %#x", cc, i->flags_read);
	}
	assert_int_equal(DEC(MODE32, 0xe1, 0xfe)->flags_read, FL_ZF); /* loope */
	assert_int_equal(DEC(MODE32, 0xe0, 0xfe)->flags_read, FL_ZF); /* loopne */
	assert_int_equal(DEC(MODE32, 0xe2, 0xfe)->flags_read, 0);     /* loop */
	assert_int_equal(DEC(MODE32, 0xe3, 0xfe)->flags_read, 0);     /* jecxz */
}

static void test_flags_lahf_reads_five_sahf_writes_five(void **state)
{
	const struct insn *i = DEC(MODE32, 0x9f);

	assert_int_equal(i->flags_read, FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF);
	assert_int_equal(i->flags_written, 0);
	i = DEC(MODE32, 0x9e);
	assert_int_equal(i->flags_written, FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF);
	assert_int_equal(i->flags_read, 0);
}

static void test_flags_string_ops_read_df(void **state)
{
	assert_true(DEC(MODE32, 0xa4)->reads_df);	/* movsb */
	assert_true(DEC(MODE32, 0xf3, 0xab)->reads_df); /* rep stosd */
	assert_false(DEC(MODE32, 0x89, 0xd8)->reads_df);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_decode_plain_insn_has_no_prefix),
	    cmocka_unit_test(test_decode_prefixes_counted_and_recorded),
	    cmocka_unit_test(test_decode_opcode_length_one_two_three),
	    cmocka_unit_test(test_decode_last_segment_prefix_wins),
	    cmocka_unit_test(test_decode_rep_bsf_is_bsf_on_p6),
	    cmocka_unit_test(test_decode_fpu_state_users_are_simd),
	    cmocka_unit_test(test_decode_sizes_in_32bit_code),
	    cmocka_unit_test(test_decode_sizes_in_16bit_code),
	    cmocka_unit_test(test_decode_16bit_addressing_forms),
	    cmocka_unit_test(test_decode_default_segment_from_base),
	    cmocka_unit_test(test_decode_sib_scale_and_disp),
	    cmocka_unit_test(test_decode_moffs_is_memory_operand),
	    cmocka_unit_test(test_decode_register_and_string_forms_have_no_mem),
	    cmocka_unit_test(test_decode_esp_and_high_byte_operands),
	    cmocka_unit_test(test_decode_mem_access_kinds_and_sizes),
	    cmocka_unit_test(test_decode_mem_size_follows_16bit_mode),
	    cmocka_unit_test(test_flags_alu_writes_all_reads_none),
	    cmocka_unit_test(test_flags_inc_dec_keep_cf),
	    cmocka_unit_test(test_flags_carry_users_read_cf),
	    cmocka_unit_test(test_flags_rcl_rcr_always_pass_through),
	    cmocka_unit_test(test_flags_variable_shifts_write_nothing_for_sure),
	    cmocka_unit_test(test_flags_condition_users_read_their_flags),
	    cmocka_unit_test(test_flags_lahf_reads_five_sahf_writes_five),
	    cmocka_unit_test(test_flags_string_ops_read_df),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
