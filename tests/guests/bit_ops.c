/*
 * bit_ops.c - byte_regs part 2 (see byte_regs.c): XLAT, BSWAP, BSF/BSR,
 * BT/BTS/BTR/BTC on registers and on bit strings in memory, SHLD/SHRD and
 * LAHF/SAHF. Flags are checked only where the SDM (Vol. 2) defines them.
 */
#include "check.h"
#include "regs.h"

void check_bit_ops(void);

static uint8_t xlat_table[256];

static void check_xlat_bswap(void)
{
	struct regs r = {.eax = 0x112233f0, .ebx = (uint32_t)xlat_table};

	for (int i = 0; i < 256; i++)
		xlat_table[i] = (uint8_t)(i ^ 0x5a);
	RUN_INSN("xlatb", r); /* AL = [EBX + AL], AL unsigned: 0xf0 ^ 0x5a */
	CHECK_EQ32("xlat", r.eax, 0x112233aa);

	r = (struct regs){.eax = 0x12345678, .ecx = 0x01020304};
	RUN_INSN("bswap %%eax\n\tbswap %%ecx", r);
	CHECK_EQ32("bswap_eax", r.eax, 0x78563412);
	CHECK_EQ32("bswap_ecx", r.ecx, 0x04030201);
}

/* BSF/BSR: ZF = (source == 0); the destination is undefined then. */
static void check_bit_scan(void)
{
	struct regs r = {.ebx = 0x00012000};

	RUN_INSN("bsfl %%ebx, %%eax\n\tbsrl %%ebx, %%ecx", r);
	CHECK_EQ32("bsf32", r.eax, 13);
	CHECK_EQ32("bsr32", r.ecx, 16);
	CHECK_FLAGS("bsr32_flags", r.flags, 0, FL_ZF);

	r = (struct regs){.ebx = 0};
	RUN_INSN("bsfl %%ebx, %%eax", r);
	CHECK_FLAGS("bsf32_zero_flags", r.flags, FL_ZF, FL_ZF);

	r = (struct regs){.eax = 0xaaaa0000, .ebx = 0x8000, .ecx = 0xbbbb0000, .edx = 1};
	RUN_INSN("bsfw %%bx, %%ax\n\tbsrw %%dx, %%cx", r);
	CHECK_EQ32("bsf16", r.eax, 0xaaaa000f);
	CHECK_EQ32("bsr16", r.ecx, 0xbbbb0000);
}

/*
 * BT*: CF = the selected bit (before it is changed), ZF unaffected, OF SF AF
 * PF undefined. A register base takes the offset mod the operand size; so
 * does an immediate with a memory base; a register offset with a memory base
 * is a signed bit index into a bit string that may lie outside the operand.
 */
static uint32_t bits[4];

static void check_bt_reg(void)
{
	struct regs r = {.eax = 0x20};

	RUN_INSN(FLAGS_ZF_PF "btl $5, %%eax", r);
	CHECK_FLAGS("bt_reg_set", r.flags, FL_CF | FL_ZF, FL_CF | FL_ZF);
	RUN_INSN(FLAGS_ZF_PF "btl $4, %%eax", r);
	CHECK_FLAGS("bt_reg_clear", r.flags, FL_ZF, FL_CF | FL_ZF);

	r = (struct regs){.eax = 0, .ecx = 31};
	RUN_INSN("btsl %%ecx, %%eax", r);
	CHECK_EQ32("bts_reg", r.eax, 0x80000000);
	CHECK_FLAGS("bts_reg_flags", r.flags, 0, FL_CF);

	r = (struct regs){.eax = 0x1234ffff};
	RUN_INSN("btrw $19, %%ax", r); /* 19 mod 16 = bit 3 */
	CHECK_EQ32("btr16_imm_mod16", r.eax, 0x1234fff7);
	CHECK_FLAGS("btr16_imm_mod16_flags", r.flags, FL_CF, FL_CF);

	r = (struct regs){.eax = 0, .ecx = 33};
	RUN_INSN("btcl %%ecx, %%eax", r); /* 33 mod 32 = bit 1 */
	CHECK_EQ32("btc_reg_mod32", r.eax, 2);
}

static void check_bt_mem(void)
{
	struct regs r = {.ebx = (uint32_t)bits, .ecx = 70};

	memset(bits, 0, sizeof(bits));
	RUN_INSN("btsl %%ecx, (%%ebx)", r); /* dword 70 / 32 = 2, bit 70 % 32 = 6 */
	CHECK_EQ32("bts_mem_offset_70", bits[2], 0x40);
	RUN_INSN("btl %%ecx, (%%ebx)", r);
	CHECK_FLAGS("bt_mem_offset_70", r.flags, FL_CF, FL_CF);

	r.ecx = 100;
	RUN_INSN("btsl %%ecx, (%%ebx)", r); /* dword 3, bit 4 */
	CHECK_EQ32("bts_mem_offset_100", bits[3], 0x10);

	r = (struct regs){.ebx = (uint32_t)&bits[2], .ecx = (uint32_t)-33};
	RUN_INSN("btcl %%ecx, (%%ebx)", r); /* floor(-33 / 32) = -2 dwords, bit 31 */
	CHECK_EQ32("btc_mem_negative_offset", bits[0], 0x80000000);
	CHECK_FLAGS("btc_mem_negative_offset_flags", r.flags, 0, FL_CF);

	/* 16-bit: the offset is CX, signed; ECX's upper half is ignored. */
	memset(bits, 0, sizeof(bits));
	r = (struct regs){.ebx = (uint32_t)bits, .ecx = 0xffff0011};
	RUN_INSN("btsw %%cx, (%%ebx)", r); /* word 1, bit 1: bit 17 of bits[0] */
	CHECK_EQ32("bts16_mem", bits[0], 0x00020000);
	r = (struct regs){.ebx = (uint32_t)&bits[2], .ecx = 0x0000ffff};
	RUN_INSN("btsw %%cx, (%%ebx)", r); /* offset -1: bit 15 of the word before */
	CHECK_EQ32("bts16_mem_negative", bits[1], 0x80000000);

	/* An immediate offset with a memory base is taken mod 32: bit 3 of bits[0]. */
	memset(bits, 0, sizeof(bits));
	r = (struct regs){.ebx = (uint32_t)bits};
	RUN_INSN("btsl $35, (%%ebx)", r);
	CHECK_EQ32("bts_mem_imm_mod32", bits[0], 0x8);
	CHECK_EQ32("bts_mem_imm_mod32_next", bits[1], 0);

	bits[0] = 0xffffffff;
	RUN_INSN("btrl $0, (%%ebx)", r);
	CHECK_EQ32("btr_mem_imm", bits[0], 0xfffffffe);
}

/* SHLD/SHRD: CF = last bit out, OF only for a 1-bit count, SF ZF PF from the result. */
static void check_double_shift(void)
{
	struct regs r = {.eax = 0x12345678, .ebx = 0x9abcdef0};

	RUN_INSN("shldl $8, %%ebx, %%eax", r); /* last bit out: bit 24 of EAX = 0 */
	CHECK_EQ32("shld32_imm", r.eax, 0x3456789a);
	CHECK_FLAGS("shld32_imm_flags", r.flags, FL_PF, FL_CF | FL_SZP);

	r = (struct regs){.eax = 0x12345678, .ebx = 0x9abcdef0, .ecx = 4};
	RUN_INSN("shrdl %%cl, %%ebx, %%eax", r); /* last bit out: bit 3 of EAX = 1 */
	CHECK_EQ32("shrd32_cl", r.eax, 0x01234567);
	CHECK_FLAGS("shrd32_cl_flags", r.flags, FL_CF, FL_CF | FL_SZP);

	r = (struct regs){.eax = 0x55551234, .ebx = 0xabcd};
	RUN_INSN("shldw $4, %%bx, %%ax", r); /* last bit out: bit 12 of AX = 1 */
	CHECK_EQ32("shld16_imm", r.eax, 0x5555234a);
	CHECK_FLAGS("shld16_imm_flags", r.flags, FL_CF, FL_CF | FL_SZP);

	r = (struct regs){.eax = 1, .ebx = 1};
	RUN_INSN("shrdl $1, %%ebx, %%eax", r); /* sign changes: OF */
	CHECK_EQ32("shrd32_1", r.eax, 0x80000000);
	CHECK_FLAGS("shrd32_1_flags", r.flags, FL_CF | FL_OF | FL_SF | FL_PF, FL_NOT_AF);

	bits[0] = 0x12345678;
	r = (struct regs){.eax = 0xf0000000, .ebx = (uint32_t)bits};
	RUN_INSN("shldl $4, %%eax, (%%ebx)", r);
	CHECK_EQ32("shld32_mem", bits[0], 0x2345678f);
}

/* LAHF: AH = SF:ZF:0:AF:0:PF:1:CF. SAHF loads those five flags; OF is untouched. */
static void check_lahf_sahf(void)
{
	struct regs r = {.eax = 0};

	RUN_INSN(FLAGS_CF_PF_AF_SF "lahf", r);
	CHECK_EQ32("lahf", r.eax, 0x9700);

	/* 0x7fffffff + 1 sets OF (with SF AF PF); SAHF with AH = 0 clears all but OF. */
	r = (struct regs){.eax = 0, .ebx = 0x7fffffff};
	RUN_INSN("addl $1, %%ebx\n\tsahf", r);
	CHECK_FLAGS("sahf_keeps_of", r.flags, FL_OF, FL_ARITH);

	r = (struct regs){.eax = 0xd500};
	RUN_INSN(FLAGS_NONE "sahf", r);
	CHECK_FLAGS("sahf_sets", r.flags, FL_SF | FL_ZF | FL_AF | FL_PF | FL_CF, FL_ARITH);
}

void check_bit_ops(void)
{
	check_xlat_bswap();
	check_bit_scan();
	check_bt_reg();
	check_bt_mem();
	check_double_shift();
	check_lahf_sahf();
}
