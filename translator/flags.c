/*
 * flags.c - which arithmetic flags each instruction reads and certainly
 * writes, and their liveness over a block. Code the translator inserts
 * (TLB probes, checks) clobbers the host flags, which hold the guest's; it
 * saves them only where a later guest instruction could still read them.
 *
 * Writes come from Capstone's EFLAGS detail. Reads do not: Capstone 4 omits
 * them for ADC, SBB, RCL, RCR, CMC, LAHF, ... so they follow the SDM here.
 */
#include "translator/internal.h"

/* Flags tested by each condition code (SDM Vol. 1 B.1). */
static uint8_t cond_flags(unsigned cc)
{
	static const uint8_t tested[8] = {
		FL_OF, FL_CF, FL_ZF, FL_CF | FL_ZF, FL_SF, FL_PF, FL_SF | FL_OF,
		FL_ZF | FL_SF | FL_OF,
	};
	return tested[(cc & 0xf) >> 1];
}

static uint8_t capstone_written(uint64_t ef)
{
	static const struct { uint64_t bits; uint8_t fl; } map[] = {
		{ X86_EFLAGS_MODIFY_CF | X86_EFLAGS_RESET_CF | X86_EFLAGS_SET_CF |
			  X86_EFLAGS_UNDEFINED_CF, FL_CF },
		{ X86_EFLAGS_MODIFY_PF | X86_EFLAGS_RESET_PF | X86_EFLAGS_SET_PF |
			  X86_EFLAGS_UNDEFINED_PF, FL_PF },
		{ X86_EFLAGS_MODIFY_AF | X86_EFLAGS_RESET_AF | X86_EFLAGS_SET_AF |
			  X86_EFLAGS_UNDEFINED_AF, FL_AF },
		{ X86_EFLAGS_MODIFY_ZF | X86_EFLAGS_RESET_ZF | X86_EFLAGS_SET_ZF |
			  X86_EFLAGS_UNDEFINED_ZF, FL_ZF },
		{ X86_EFLAGS_MODIFY_SF | X86_EFLAGS_RESET_SF | X86_EFLAGS_SET_SF |
			  X86_EFLAGS_UNDEFINED_SF, FL_SF },
		{ X86_EFLAGS_MODIFY_OF | X86_EFLAGS_RESET_OF | X86_EFLAGS_SET_OF |
			  X86_EFLAGS_UNDEFINED_OF, FL_OF },
	};
	uint8_t fl = 0;

	for (unsigned i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (ef & map[i].bits)
			fl |= map[i].fl;
	return fl;
}

/* Flags read by instructions that are not condition-code users. */
static uint8_t special_reads(unsigned id)
{
	switch (id) {
	case X86_INS_ADC: case X86_INS_SBB: case X86_INS_RCL: case X86_INS_RCR:
	case X86_INS_CMC: case X86_INS_SALC:
		return FL_CF;
	case X86_INS_LAHF:
		return FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF;
	case X86_INS_INTO:
		return FL_OF;
	case X86_INS_DAA: case X86_INS_DAS:
		return FL_CF | FL_AF;
	case X86_INS_AAA: case X86_INS_AAS:
		return FL_AF;
	case X86_INS_FCMOVB: case X86_INS_FCMOVNB:
		return FL_CF;
	case X86_INS_FCMOVE: case X86_INS_FCMOVNE:
		return FL_ZF;
	case X86_INS_FCMOVBE: case X86_INS_FCMOVNBE:
		return FL_CF | FL_ZF;
	case X86_INS_FCMOVU: case X86_INS_FCMOVNU:
		return FL_PF;
	default:
		return 0;
	}
}

static bool uses_condition(const struct insn *in)
{
	if (!in->opc_0f)
		return (in->opc >= 0x70 && in->opc <= 0x7f) || in->opc == 0xe0 || in->opc == 0xe1;
	return in->opc_len == 2 && ((in->opc >= 0x80 && in->opc <= 0x9f) ||
				    (in->opc >= 0x40 && in->opc <= 0x4f));
}

/*
 * A shift or rotate by a count that may be zero leaves the flags alone, so
 * it cannot be counted as writing them: the earlier values flow through.
 */
static bool count_may_be_zero(const struct insn *in)
{
	const uint8_t *imm = in->bytes + in->len - 1;

	/* RCL/RCR of 8/16-bit operands rotate by count mod 9 or 17: a
	 * non-zero immediate can still be an effective zero. */
	if (in->id == X86_INS_RCL || in->id == X86_INS_RCR)
		return true;
	if (!in->opc_0f)
		return in->opc == 0xd2 || in->opc == 0xd3 ||
		       ((in->opc == 0xc0 || in->opc == 0xc1) && (*imm & 0x1f) == 0);
	return in->opc == 0xa5 || in->opc == 0xad ||
	       ((in->opc == 0xa4 || in->opc == 0xac) && (*imm & 0x1f) == 0);
}

static uint8_t condition_of(const struct insn *in)
{
	if (!in->opc_0f && in->opc == 0xe1)
		return CC_E; /* LOOPE */
	if (!in->opc_0f && in->opc == 0xe0)
		return CC_NE; /* LOOPNE */
	return in->opc & 0xf;
}

static bool in_fpu_group(const cs_insn *ci)
{
	for (int i = 0; i < ci->detail->groups_count; i++)
		if (ci->detail->groups[i] == X86_GRP_FPU)
			return true;
	return false;
}

/*
 * For x87 instructions Capstone's eflags field holds FPU flags (a union),
 * so it says nothing about EFLAGS: only FCOMI/FUCOMI and their popping
 * forms write EFLAGS (ZF PF CF, and clear OF SF AF), FCMOVcc read them.
 */
static uint8_t fpu_written(unsigned id)
{
	switch (id) {
	case X86_INS_FCOMI: case X86_INS_FCOMIP: case X86_INS_FUCOMI: case X86_INS_FUCOMIP:
		return FL_ALL;
	default:
		return 0;
	}
}

void insn_flags(struct insn *in)
{
	uint64_t ef = in->cs->detail->x86.eflags;

	if (in_fpu_group(in->cs)) {
		in->flags_written = fpu_written(in->id);
		in->flags_read = special_reads(in->id);
		return;
	}
	in->flags_written = capstone_written(ef);
	in->flags_read = special_reads(in->id);
	in->reads_df = (ef & X86_EFLAGS_TEST_DF) != 0;
	if (uses_condition(in))
		in->flags_read |= cond_flags(condition_of(in));
	if (count_may_be_zero(in)) {
		in->flags_read |= in->flags_written;
		in->flags_written = 0;
	}
}

/* Backward pass: the flags live after each instruction. Everything is live
 * when the block ends, since its successor is not known here. With precise
 * flags, every instruction counts as reading them all (a fault there puts
 * them in its frame), so they are live everywhere. */
void flags_liveness(struct block *b)
{
	bool precise = b->x && b->x->precise_flags;
	uint8_t live = FL_ALL;

	for (unsigned i = b->n_insns; i-- > 0;) {
		if (precise)
			b->insns[i].flags_read = FL_ALL;
		b->live_out[i] = live;
		live = live_in(b, i);
	}
}
