/*
 * classify.c - THE table: what the translator does with each guest
 * instruction. It lists the instructions that break Popek and Goldberg's
 * requirements on x86 (Robin & Irvine, USENIX Security 2000) next to the
 * privileged ones, each with the monitor function that emulates it, and the
 * ones that must be rewritten only because the host runs them in 64-bit
 * mode. Everything else is copied. The same table names the per-instruction
 * statistics the teaching view prints.
 */
#include <stddef.h>

#include "translator/internal.h"

#define COPY(ins) { X86_INS_##ins, ACT_COPY, NULL, NULL, false, PG_NONE, #ins }
#define REWRITE(ins, fn, ends) { X86_INS_##ins, ACT_REWRITE, fn, NULL, ends, PG_NONE, #ins }
#define CALLOUT(ins, fn, ends, pg) { X86_INS_##ins, ACT_CALLOUT, NULL, fn, ends, pg, #ins }
#define HELPER(ins, fn) { X86_INS_##ins, ACT_HELPER, NULL, fn, false, PG_HELPER, #ins }
#define UD(ins) { X86_INS_##ins, ACT_UD, NULL, emulate_ud, true, PG_NONE, #ins }

static const struct insn_class table[] = {
	/* ---- Sensitive, non-trapping: the Robin & Irvine list ---- */
	CALLOUT(SGDT, emulate_sgdt_sidt, false, PG_SENSITIVE),
	CALLOUT(SIDT, emulate_sgdt_sidt, false, PG_SENSITIVE),
	CALLOUT(SLDT, emulate_sldt, false, PG_SENSITIVE),
	CALLOUT(SMSW, emulate_smsw, false, PG_SENSITIVE),
	CALLOUT(PUSHF, emulate_pushf, false, PG_SENSITIVE),
	CALLOUT(PUSHFD, emulate_pushf, false, PG_SENSITIVE),
	CALLOUT(POPF, emulate_popf, true, PG_SENSITIVE),
	CALLOUT(POPFD, emulate_popf, true, PG_SENSITIVE),
	CALLOUT(LAR, emulate_lar, false, PG_SENSITIVE),
	CALLOUT(LSL, emulate_lsl, false, PG_SENSITIVE),
	CALLOUT(VERR, emulate_verr, false, PG_SENSITIVE),
	CALLOUT(VERW, emulate_verw, false, PG_SENSITIVE),
	CALLOUT(STR, emulate_str, false, PG_SENSITIVE),
	CALLOUT(LJMP, emulate_far_jmp, true, PG_SENSITIVE),
	CALLOUT(LCALL, emulate_far_call, true, PG_SENSITIVE),
	CALLOUT(RETF, emulate_far_ret, true, PG_SENSITIVE),
	CALLOUT(IRET, emulate_iret, true, PG_SENSITIVE),
	CALLOUT(IRETD, emulate_iret, true, PG_SENSITIVE),
	CALLOUT(INT, emulate_int, true, PG_SENSITIVE),
	CALLOUT(INT3, emulate_int, true, PG_SENSITIVE),
	CALLOUT(INTO, emulate_int, true, PG_SENSITIVE),
	CALLOUT(INT1, emulate_int, true, PG_SENSITIVE),
	CALLOUT(LDS, emulate_load_far_pointer, true, PG_SENSITIVE),
	CALLOUT(LES, emulate_load_far_pointer, true, PG_SENSITIVE),
	CALLOUT(LFS, emulate_load_far_pointer, true, PG_SENSITIVE),
	CALLOUT(LGS, emulate_load_far_pointer, true, PG_SENSITIVE),
	CALLOUT(LSS, emulate_load_far_pointer, true, PG_SENSITIVE),
	/* MOV to/from segment registers and PUSH/POP of them share ids with
	 * other forms; classify_by_opcode() sends them to their rows below. */

	/* ---- Privileged: trap at CPL > 0 (or CPL > IOPL) on hardware ---- */
	CALLOUT(LGDT, emulate_lgdt_lidt, false, PG_PRIVILEGED),
	CALLOUT(LIDT, emulate_lgdt_lidt, false, PG_PRIVILEGED),
	CALLOUT(LLDT, emulate_lldt, false, PG_PRIVILEGED),
	CALLOUT(LTR, emulate_ltr, false, PG_PRIVILEGED),
	CALLOUT(LMSW, emulate_lmsw, true, PG_PRIVILEGED),
	CALLOUT(CLTS, emulate_clts, true, PG_PRIVILEGED),
	CALLOUT(INVD, emulate_invd, false, PG_PRIVILEGED),
	CALLOUT(WBINVD, emulate_invd, false, PG_PRIVILEGED),
	CALLOUT(INVLPG, emulate_invlpg, false, PG_PRIVILEGED),
	CALLOUT(HLT, emulate_hlt, true, PG_PRIVILEGED),
	CALLOUT(RDMSR, emulate_rdmsr, false, PG_PRIVILEGED),
	CALLOUT(WRMSR, emulate_wrmsr, false, PG_PRIVILEGED),
	CALLOUT(RDPMC, emulate_rdpmc, false, PG_PRIVILEGED),
	CALLOUT(CLI, emulate_cli, false, PG_PRIVILEGED),
	CALLOUT(STI, emulate_sti, true, PG_PRIVILEGED),
	CALLOUT(IN, emulate_in, false, PG_PRIVILEGED),
	CALLOUT(OUT, emulate_out, false, PG_PRIVILEGED),
	CALLOUT(INSB, emulate_ins, false, PG_PRIVILEGED),
	CALLOUT(INSW, emulate_ins, false, PG_PRIVILEGED),
	CALLOUT(INSD, emulate_ins, false, PG_PRIVILEGED),
	CALLOUT(OUTSB, emulate_outs, false, PG_PRIVILEGED),
	CALLOUT(OUTSW, emulate_outs, false, PG_PRIVILEGED),
	CALLOUT(OUTSD, emulate_outs, false, PG_PRIVILEGED),
	CALLOUT(SYSENTER, emulate_sysenter, true, PG_SENSITIVE),
	CALLOUT(SYSEXIT, emulate_sysexit, true, PG_PRIVILEGED),
	CALLOUT(CPUID, emulate_cpuid, false, PG_SENSITIVE),
	CALLOUT(RDTSC, emulate_rdtsc, false, PG_SENSITIVE),

	/* ---- Changed meaning in 64-bit mode: rewritten ---- */
	REWRITE(PUSH, rewrite_push, false),
	REWRITE(POP, rewrite_pop, false),
	REWRITE(CALL, rewrite_call, true),
	REWRITE(RET, rewrite_ret, true),
	REWRITE(LEAVE, rewrite_leave, false),
	REWRITE(JMP, rewrite_jmp, true),
	REWRITE(LEA, rewrite_lea, false),
	REWRITE(XLATB, rewrite_xlat, false),
	REWRITE(NOP, rewrite_nop, false),
	REWRITE(PAUSE, rewrite_nop, false),
	REWRITE(ENDBR32, rewrite_nop, false), /* F3 0F 1E FB: a hint NOP on a P6 */
	REWRITE(JO, rewrite_jcc, true), REWRITE(JNO, rewrite_jcc, true),
	REWRITE(JB, rewrite_jcc, true), REWRITE(JAE, rewrite_jcc, true),
	REWRITE(JE, rewrite_jcc, true), REWRITE(JNE, rewrite_jcc, true),
	REWRITE(JBE, rewrite_jcc, true), REWRITE(JA, rewrite_jcc, true),
	REWRITE(JS, rewrite_jcc, true), REWRITE(JNS, rewrite_jcc, true),
	REWRITE(JP, rewrite_jcc, true), REWRITE(JNP, rewrite_jcc, true),
	REWRITE(JL, rewrite_jcc, true), REWRITE(JGE, rewrite_jcc, true),
	REWRITE(JLE, rewrite_jcc, true), REWRITE(JG, rewrite_jcc, true),
	REWRITE(LOOP, rewrite_loop, true),
	REWRITE(LOOPE, rewrite_loop, true),
	REWRITE(LOOPNE, rewrite_loop, true),
	REWRITE(JECXZ, rewrite_loop, true),
	REWRITE(JCXZ, rewrite_loop, true),

	/* ---- Not sensitive, but emulated in C ---- */
	HELPER(MOVSB, helper_string), HELPER(MOVSW, helper_string), HELPER(MOVSD, helper_string),
	HELPER(STOSB, helper_string), HELPER(STOSW, helper_string), HELPER(STOSD, helper_string),
	HELPER(LODSB, helper_string), HELPER(LODSW, helper_string), HELPER(LODSD, helper_string),
	HELPER(CMPSB, helper_string), HELPER(CMPSW, helper_string), HELPER(CMPSD, helper_string),
	HELPER(SCASB, helper_string), HELPER(SCASW, helper_string), HELPER(SCASD, helper_string),
	HELPER(DAA, helper_bcd), HELPER(DAS, helper_bcd), HELPER(AAA, helper_bcd),
	HELPER(AAS, helper_bcd), HELPER(AAM, helper_bcd), HELPER(AAD, helper_bcd),
	HELPER(PUSHAL, helper_pusha), HELPER(PUSHAW, helper_pusha),
	HELPER(POPAL, helper_popa), HELPER(POPAW, helper_popa),
	HELPER(BOUND, helper_bound),
	HELPER(SALC, helper_salc),
	HELPER(ENTER, helper_enter),
	HELPER(ARPL, helper_arpl),

	/* ---- Not instructions of the virtual CPU ---- */
	UD(UD2), UD(UD0), UD(SYSCALL), UD(SYSRET),

	/* ---- Copied (memory operands rewritten) ---- */
	COPY(ADD), COPY(OR), COPY(ADC), COPY(SBB), COPY(AND), COPY(SUB), COPY(XOR), COPY(CMP),
	COPY(TEST), COPY(MOV), COPY(MOVZX), COPY(MOVSX), COPY(XCHG), COPY(CMPXCHG),
	COPY(CMPXCHG8B), COPY(XADD), COPY(NEG), COPY(NOT), COPY(MUL), COPY(IMUL), COPY(DIV),
	COPY(IDIV), COPY(INC), COPY(DEC), COPY(SHL), COPY(SAL), COPY(SHR), COPY(SAR), COPY(ROL),
	COPY(ROR), COPY(RCL), COPY(RCR), COPY(SHLD), COPY(SHRD), COPY(BT), COPY(BTS), COPY(BTR),
	COPY(BTC), COPY(BSF), COPY(BSR), COPY(BSWAP), COPY(CBW), COPY(CWDE), COPY(CWD),
	COPY(CDQ), COPY(CLC), COPY(STC), COPY(CMC), COPY(CLD), COPY(STD), COPY(LAHF),
	COPY(SAHF),
	COPY(SETO), COPY(SETNO), COPY(SETB), COPY(SETAE), COPY(SETE), COPY(SETNE), COPY(SETBE),
	COPY(SETA), COPY(SETS), COPY(SETNS), COPY(SETP), COPY(SETNP), COPY(SETL), COPY(SETGE),
	COPY(SETLE), COPY(SETG),
	COPY(CMOVO), COPY(CMOVNO), COPY(CMOVB), COPY(CMOVAE), COPY(CMOVE), COPY(CMOVNE),
	COPY(CMOVBE), COPY(CMOVA), COPY(CMOVS), COPY(CMOVNS), COPY(CMOVP), COPY(CMOVNP),
	COPY(CMOVL), COPY(CMOVGE), COPY(CMOVLE), COPY(CMOVG),
	/* SSE/SSE2-era hints and cache control, independent of the FPU state. */
	COPY(SFENCE), COPY(LFENCE), COPY(MFENCE), COPY(CLFLUSH), COPY(MOVNTI),
	COPY(PREFETCHNTA), COPY(PREFETCHT0), COPY(PREFETCHT1), COPY(PREFETCHT2),
};

#define TABLE_SIZE (sizeof(table) / sizeof(table[0]))

/* Rows for forms that share a Capstone id with ordinary ones, and the
 * fallbacks. They count as rows TABLE_SIZE.. for the statistics. */
enum special_row {
	SP_MOV_TO_SEG, SP_MOV_FROM_SEG, SP_PUSH_SEG, SP_POP_SEG, SP_MOV_CR, SP_MOV_DR,
	SP_MOFFS, SP_INC_DEC_SHORT, SP_GROUP1_82, SP_JMP_INDIRECT, SP_CALL_FAR_IND, SP_JMP_FAR_IND,
	SP_FPU_SIMD, SP_FPU_TRAP, SP_NOT_ON_P6, SP_UNKNOWN, SP_TOO_LONG, SP_COUNT,
};

static const struct insn_class special[SP_COUNT] = {
	[SP_MOV_TO_SEG] = { X86_INS_MOV, ACT_CALLOUT, NULL, emulate_mov_to_seg, true,
			    PG_SENSITIVE, "MOV Sreg, r/m" },
	[SP_MOV_FROM_SEG] = { X86_INS_MOV, ACT_CALLOUT, NULL, emulate_mov_from_seg, false,
			      PG_SENSITIVE, "MOV r/m, Sreg" },
	[SP_PUSH_SEG] = { X86_INS_PUSH, ACT_CALLOUT, NULL, emulate_push_seg, false,
			  PG_SENSITIVE, "PUSH Sreg" },
	[SP_POP_SEG] = { X86_INS_POP, ACT_CALLOUT, NULL, emulate_pop_seg, true, PG_SENSITIVE,
			 "POP Sreg" },
	[SP_MOV_CR] = { X86_INS_MOV, ACT_CALLOUT, NULL, emulate_mov_cr, true, PG_PRIVILEGED,
			"MOV CRn" },
	[SP_MOV_DR] = { X86_INS_MOV, ACT_CALLOUT, NULL, emulate_mov_dr, true, PG_PRIVILEGED,
			"MOV DRn" },
	[SP_MOFFS] = { X86_INS_MOV, ACT_REWRITE, rewrite_moffs, NULL, false, PG_NONE,
		       "MOV moffs" },
	[SP_INC_DEC_SHORT] = { X86_INS_INC, ACT_REWRITE, rewrite_inc_dec, NULL, false, PG_NONE,
			       "INC/DEC r32" },
	/* 82 /n is group 1 on r/m8 and imm8, the same as 80 /n; 64-bit mode
	 * dropped it, so the copy is written with 80 (rewrite_copy.c). */
	[SP_GROUP1_82] = { X86_INS_ADD, ACT_REWRITE, rewrite_copy, NULL, false, PG_NONE,
			   "82 (group 1 alias)" },
	[SP_JMP_INDIRECT] = { X86_INS_JMP, ACT_REWRITE, rewrite_jmp_indirect, NULL, true,
			      PG_NONE, "JMP r/m" },
	[SP_CALL_FAR_IND] = { X86_INS_LCALL, ACT_CALLOUT, NULL, emulate_far_call, true,
			      PG_SENSITIVE, "CALL far m" },
	[SP_JMP_FAR_IND] = { X86_INS_LJMP, ACT_CALLOUT, NULL, emulate_far_jmp, true,
			     PG_SENSITIVE, "JMP far m" },
	[SP_FPU_SIMD] = { 0, ACT_COPY, NULL, NULL, false, PG_NONE, "x87/MMX/SSE" },
	[SP_FPU_TRAP] = { 0, ACT_CALLOUT, NULL, emulate_fpu_unavailable, true, PG_NONE,
			  "x87/MMX/SSE with CR0.TS/EM" },
	[SP_NOT_ON_P6] = { 0, ACT_UD, NULL, emulate_ud, true, PG_NONE, "not on this CPU" },
	/* Valid on later CPUs but not on a P6 (POPCNT, XGETBV, ...): #UD. */
	[SP_UNKNOWN] = { 0, ACT_UD, NULL, emulate_ud, true, PG_NONE, "not a P6 instruction" },
	[SP_TOO_LONG] = { 0, ACT_UD, NULL, emulate_too_long, true, PG_NONE,
			  "longer than 15 bytes" },
};

static const struct insn_class *classify_by_opcode(const struct insn *in)
{
	uint8_t op = in->opc, reg = (uint8_t)((in->modrm >> 3) & 7);

	if (in->opc_0f) {
		if (in->opc_len == 2 && (op == 0x20 || op == 0x22))
			return &special[SP_MOV_CR];
		if (in->opc_len == 2 && (op == 0x21 || op == 0x23))
			return &special[SP_MOV_DR];
		if (in->opc_len == 2 && (op == 0xa0 || op == 0xa8))
			return &special[SP_PUSH_SEG];
		if (in->opc_len == 2 && (op == 0xa1 || op == 0xa9))
			return &special[SP_POP_SEG];
		return NULL;
	}
	switch (op) {
	case 0x8c: return &special[SP_MOV_FROM_SEG];
	case 0x8e: return &special[SP_MOV_TO_SEG];
	case 0x06: case 0x0e: case 0x16: case 0x1e: return &special[SP_PUSH_SEG];
	case 0x07: case 0x17: case 0x1f: return &special[SP_POP_SEG];
	case 0xa0: case 0xa1: case 0xa2: case 0xa3: return &special[SP_MOFFS];
	case 0x82: return &special[SP_GROUP1_82];
	case 0xff:
		if (reg == 3)
			return &special[SP_CALL_FAR_IND];
		if (reg == 5)
			return &special[SP_JMP_FAR_IND];
		if (reg == 4)
			return &special[SP_JMP_INDIRECT];
		return NULL;
	default:
		if (op >= 0x40 && op <= 0x4f)
			return &special[SP_INC_DEC_SHORT];
		return NULL;
	}
}

/* Groups of instruction-set extensions the virtual P6 has. */
static bool in_cpu_model(const cs_insn *ci)
{
	const cs_detail *d = ci->detail;

	for (int i = 0; i < d->groups_count; i++) {
		uint8_t g = d->groups[i];

		if (g == X86_GRP_FPU || g == X86_GRP_MMX || g == X86_GRP_SSE1 || g == X86_GRP_SSE2)
			continue;
		if (g >= X86_GRP_VM && g != X86_GRP_CMOV && g != X86_GRP_MODE32 &&
		    g != X86_GRP_NOT64BITMODE && g != X86_GRP_16BITMODE)
			return false;
	}
	return true;
}

static bool is_sse(const cs_insn *ci)
{
	for (int i = 0; i < ci->detail->groups_count; i++)
		if (ci->detail->groups[i] == X86_GRP_SSE1 || ci->detail->groups[i] == X86_GRP_SSE2)
			return true;
	return false;
}

/* x87, MMX and SSE instructions: copied, unless CR0.TS/EM make them fault
 * (#NM, or #UD for MMX/SSE with EM) or CR4.OSFXSR is clear for SSE. */
static const struct insn_class *classify_fpu(const struct insn *in, uint32_t mode)
{
	if (mode & MODE_FPU_TRAP)
		return &special[SP_FPU_TRAP];
	if ((mode & MODE_NO_SSE) && is_sse(in->cs))
		return &special[SP_NOT_ON_P6];
	return &special[SP_FPU_SIMD];
}

static const struct insn_class *by_id[X86_INS_ENDING];

static void build_index(void)
{
	for (unsigned i = TABLE_SIZE; i-- > 0;)
		by_id[table[i].id] = &table[i];
}

/* Instructions that accept LOCK (SDM Vol. 2, LOCK), with a memory destination. */
static bool lock_allowed(const struct insn *in)
{
	switch (in->id) {
	case X86_INS_ADD: case X86_INS_ADC: case X86_INS_AND: case X86_INS_BTC:
	case X86_INS_BTR: case X86_INS_BTS: case X86_INS_CMPXCHG: case X86_INS_CMPXCHG8B:
	case X86_INS_DEC: case X86_INS_INC: case X86_INS_NEG: case X86_INS_NOT:
	case X86_INS_OR: case X86_INS_SBB: case X86_INS_SUB: case X86_INS_XOR:
	case X86_INS_XADD: case X86_INS_XCHG:
		return in->has_mem && (in->mem_access & MA_W);
	default:
		return false;
	}
}

const struct insn_class *classify(const struct insn *in, uint32_t mode)
{
	const struct insn_class *cls;

	if (!by_id[X86_INS_ADD])
		build_index();
	if (in->lock && !lock_allowed(in))
		return &special[SP_NOT_ON_P6]; /* LOCK on anything else raises #UD */
	cls = classify_by_opcode(in);
	if (cls)
		return cls;
	if (!in_cpu_model(in->cs))
		return &special[SP_NOT_ON_P6];
	/* Before the id table: SSE2's MOVSD/CMPSD share ids with the strings. */
	if (in->simd)
		return classify_fpu(in, mode);
	if (in->id < X86_INS_ENDING && by_id[in->id])
		return by_id[in->id];
	return &special[SP_UNKNOWN];
}

const struct insn_class *classify_invalid(bool too_long)
{
	return &special[too_long ? SP_TOO_LONG : SP_NOT_ON_P6];
}

/* A row's number, for statistics: the table's rows, then the special ones. */
unsigned classify_row_index(const struct insn_class *cls)
{
	if (cls >= table && cls < table + TABLE_SIZE)
		return (unsigned)(cls - table);
	return (unsigned)(TABLE_SIZE + (size_t)(cls - special));
}

const struct insn_class *classify_row(unsigned index)
{
	if (index < TABLE_SIZE)
		return &table[index];
	return index < TABLE_SIZE + SP_COUNT ? &special[index - TABLE_SIZE] : NULL;
}

unsigned classify_row_count(void)
{
	return (unsigned)(TABLE_SIZE + SP_COUNT);
}
