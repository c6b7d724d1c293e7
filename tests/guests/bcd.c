/*
 * bcd.c - the BCD adjust instructions DAA, DAS, AAA, AAS, AAM and AAD (SDM
 * Vol. 2A), invalid in 64-bit mode, so a translator to 64-bit host code must
 * emulate them. A table of inputs (AX, CF, AF) and the results the SDM's
 * pseudocode gives (the current text: AAA adds 106H to AX, AAS subtracts 6
 * from AX, so a carry or borrow out of AL reaches AH), including AAM/AAD with
 * a base other than 10 (D4 ib / D5 ib). Only defined flags are compared:
 * DAA/DAS: CF AF SF ZF PF; AAA/AAS: CF AF; AAM/AAD: SF ZF PF.
 */
#include "check.h"
#include "regs.h"

enum bcd_op { DAA, DAS, AAA, AAS, AAM10, AAM16, AAM7, AAD10, AAD16 };

struct bcd_case {
	const char *name;
	enum bcd_op op;
	uint16_t ax_in;
	uint32_t flags_in; /* CF and AF before the instruction */
	uint16_t ax_out;
	uint32_t flags_out;
};

/*
 * Derived from the SDM pseudocode (and checked by hand where commented).
 * Columns: name, instruction, AX in, flags in, AX out, defined flags out.
 */
static const struct bcd_case cases[] = {
    {"daa_5579", DAA, 0x5579, 0, 0x5579, 0},
    {"daa_557d", DAA, 0x557d, 0, 0x5583, FL_AF | FL_SF},
    /* 0x79 + 0x35 = 0xae: both digits adjusted, 79 + 35 = 114: AL 0x14, CF. */
    {"daa_55ae", DAA, 0x55ae, 0, 0x5514, FL_CF | FL_PF | FL_AF},
    {"daa_5500", DAA, 0x5500, FL_CF | FL_AF, 0x5566, FL_CF | FL_PF | FL_AF},
    {"daa_559a", DAA, 0x559a, 0, 0x5500, FL_CF | FL_PF | FL_AF | FL_ZF},
    {"daa_55ff", DAA, 0x55ff, FL_AF, 0x5565, FL_CF | FL_PF | FL_AF},
    {"daa_5512", DAA, 0x5512, FL_AF, 0x5518, FL_PF | FL_AF},
    /* The SDM's DAS example: 0x35 - 0x47 = 0xee with CF and AF; result 0x88 (35 - 47 = -12). */
    {"das_55ee", DAS, 0x55ee, FL_CF | FL_AF, 0x5588, FL_CF | FL_PF | FL_AF | FL_SF},
    /* AF set and AL < 6: the borrow of AL - 6 sets CF even though old CF = 0. */
    {"das_5503", DAS, 0x5503, FL_AF, 0x55fd, FL_CF | FL_AF | FL_SF},
    {"das_559a", DAS, 0x559a, 0, 0x5534, FL_CF | FL_AF},
    {"das_5545", DAS, 0x5545, 0, 0x5545, 0},
    {"das_5566", DAS, 0x5566, FL_CF, 0x5506, FL_CF | FL_PF},
    /* 5 + 6 = 0x0b -> AH 1, AL 1 (decimal 11). */
    {"aaa_000b", AAA, 0x000b, 0, 0x0101, FL_CF | FL_AF},
    {"aaa_0012", AAA, 0x0012, FL_AF, 0x0108, FL_CF | FL_AF},
    /* No adjustment, but AL's high nibble is still cleared. */
    {"aaa_0735", AAA, 0x0735, 0, 0x0705, 0},
    /* AX + 106H: AL 0xfa + 6 carries into AH, which therefore goes up by 2. */
    {"aaa_01fa", AAA, 0x01fa, 0, 0x0300, FL_CF | FL_AF},
    {"aas_05ff", AAS, 0x05ff, FL_AF, 0x0409, FL_CF | FL_AF},
    /* AX - 6 borrows from AH, which therefore goes down by 2. */
    {"aas_0502", AAS, 0x0502, FL_AF, 0x030c, FL_CF | FL_AF},
    {"aas_0237", AAS, 0x0237, 0, 0x0207, 0},
    /* 63 = 6 * 10 + 3. */
    {"aam10_003f", AAM10, 0x003f, 0, 0x0603, FL_PF},
    /* D4 10: base 16 splits AL into its nibbles. */
    {"aam16_00ff", AAM16, 0x00ff, 0, 0x0f0f, FL_PF},
    {"aam10_0050", AAM10, 0x0050, 0, 0x0800, FL_PF | FL_ZF},
    {"aam7_0007", AAM7, 0x0007, 0, 0x0100, FL_PF | FL_ZF},
    /* 6 * 10 + 5 = 65 = 0x41. */
    {"aad10_0605", AAD10, 0x0605, 0, 0x0041, FL_PF},
    /* D5 10: base 16 joins the nibbles. */
    {"aad16_0f0f", AAD16, 0x0f0f, 0, 0x00ff, FL_PF | FL_SF},
    /* 26 * 10 + 11 = 271 = 0x10f: only the low byte is kept. */
    {"aad10_1a0b", AAD10, 0x1a0b, 0, 0x000f, FL_PF},
    {"aad10_0000", AAD10, 0x0000, 0, 0x0000, FL_PF | FL_ZF},
};

/* SAHF loads CF and AF (and SF ZF PF) from BL, swapped into AH and back. */
#define WITH_FLAGS_FROM_BL(insn) "xchgb %%bl, %%ah\n\tsahf\n\txchgb %%bl, %%ah\n\t" insn

static void run_bcd(enum bcd_op op, struct regs *r)
{
	switch (op) {
	case DAA:
		RUN_INSN(WITH_FLAGS_FROM_BL("daa"), *r);
		break;
	case DAS:
		RUN_INSN(WITH_FLAGS_FROM_BL("das"), *r);
		break;
	case AAA:
		RUN_INSN(WITH_FLAGS_FROM_BL("aaa"), *r);
		break;
	case AAS:
		RUN_INSN(WITH_FLAGS_FROM_BL("aas"), *r);
		break;
	case AAM10:
		RUN_INSN("aam", *r);
		break;
	case AAM16:
		RUN_INSN("aam $16", *r);
		break;
	case AAM7:
		RUN_INSN("aam $7", *r);
		break;
	case AAD10:
		RUN_INSN("aad", *r);
		break;
	case AAD16:
		RUN_INSN("aad $16", *r);
		break;
	}
}

static uint32_t defined_flags(enum bcd_op op)
{
	switch (op) {
	case DAA:
	case DAS:
		return FL_CF | FL_AF | FL_SZP;
	case AAA:
	case AAS:
		return FL_CF | FL_AF;
	default:
		return FL_SZP;
	}
}

/* One line per case: AX (with EAX's upper half kept) and the defined flags. */
static void check_case(const struct bcd_case *c)
{
	struct regs r = {.eax = 0xabcd0000 | c->ax_in, .ebx = c->flags_in};
	uint32_t mask = defined_flags(c->op);

	run_bcd(c->op, &r);
	if (r.eax == (0xabcd0000 | c->ax_out) && (r.flags & mask) == c->flags_out)
		check_ok(c->name);
	else
		check_fail(c->name, "EAX 0x%08x flags 0x%03x, want EAX 0xabcd%04x flags 0x%03x",
			   r.eax, r.flags & mask, c->ax_out, c->flags_out);
}

void main(uint32_t magic, uint32_t info)
{
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_case(&cases[i]);
	test_finish("bcd");
}
