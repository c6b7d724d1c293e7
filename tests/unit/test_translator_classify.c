/*
 * test_translator_classify.c - classify(), the table of what the translator
 * does with each guest instruction: the sensitive non-trapping ones (Robin &
 * Irvine, USENIX Security 2000) and the privileged ones always reach the
 * monitor, encodings whose meaning changes in 64-bit mode are never copied,
 * ordinary integer instructions are, and instructions a P6 does not have
 * raise #UD.
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

/* One instruction as a test case: its bytes and a label for messages. */
struct icase {
	const char *what;
	uint8_t bytes[8];
	uint8_t n;
};
#define I(what, ...)                                                                               \
	{                                                                                          \
		what, {__VA_ARGS__}, sizeof((uint8_t[]){__VA_ARGS__})                              \
	}
#define N_CASES(a) (sizeof(a) / sizeof((a)[0]))

/* Decode (32-bit code, CPL 0) and classify one case. */
static const struct insn_class *classify_case(const struct icase *c)
{
	if (!decode_insn(x, ci, c->bytes, c->n, 0x1000, 0, &in))
		fail_msg("%s: Capstone does not decode it", c->what);
	if (in.len != c->n)
		fail_msg("%s: decoded as %u bytes, not %u", c->what, in.len, c->n);
	return classify(&in, 0);
}

static const char *action_str(enum action a)
{
	static const char *const s[] = {"COPY",	  "REWRITE", "CALLOUT",
					"HELPER", "UD",	     "UNSUPPORTED"};
	return a <= ACT_UNSUPPORTED ? s[a] : "?";
}

/* ---- Sensitive and privileged instructions reach the monitor ---- */

/* Robin & Irvine's list: sensitive, yet they do not trap at CPL 3. */
static const struct icase robin_irvine[] = {
    I("sgdt [ebx]", 0x0f, 0x01, 0x03),
    I("sidt [ebx]", 0x0f, 0x01, 0x0b),
    I("sldt eax", 0x0f, 0x00, 0xc0),
    I("sldt [ebx]", 0x0f, 0x00, 0x03),
    I("smsw eax", 0x0f, 0x01, 0xe0),
    I("smsw [ebx]", 0x0f, 0x01, 0x23),
    I("pushfd", 0x9c),
    I("pushf (16-bit)", 0x66, 0x9c),
    I("popfd", 0x9d),
    I("popf (16-bit)", 0x66, 0x9d),
    I("lar eax, ecx", 0x0f, 0x02, 0xc1),
    I("lsl eax, [ebx]", 0x0f, 0x03, 0x03),
    I("verr ax", 0x0f, 0x00, 0xe0),
    I("verw [ebx]", 0x0f, 0x00, 0x2b),
    I("push es", 0x06),
    I("push cs", 0x0e),
    I("push ss", 0x16),
    I("push ds", 0x1e),
    I("push fs", 0x0f, 0xa0),
    I("push gs", 0x0f, 0xa8),
    I("pop es", 0x07),
    I("pop ss", 0x17),
    I("pop ds", 0x1f),
    I("pop fs", 0x0f, 0xa1),
    I("pop gs", 0x0f, 0xa9),
    I("call far ptr16:32", 0x9a, 0x78, 0x56, 0x34, 0x12, 0x08, 0x00),
    I("call far [ebx]", 0xff, 0x1b),
    I("jmp far ptr16:32", 0xea, 0x78, 0x56, 0x34, 0x12, 0x08, 0x00),
    I("jmp far [ebx]", 0xff, 0x2b),
    I("retf", 0xcb),
    I("retf 8", 0xca, 0x08, 0x00),
    I("iretd", 0xcf),
    I("int 0x80", 0xcd, 0x80),
    I("int3", 0xcc),
    I("into", 0xce),
    I("str eax", 0x0f, 0x00, 0xc8),
    I("str [ebx]", 0x0f, 0x00, 0x0b),
    I("mov ds, eax", 0x8e, 0xd8),
    I("mov ss, [ebx]", 0x8e, 0x13),
    I("mov eax, cs", 0x8c, 0xc8),
    I("mov [ebx], ds", 0x8c, 0x1b),
    I("les eax, [ebx]", 0xc4, 0x03),
    I("lds eax, [ebx]", 0xc5, 0x03),
    I("lss esp, [ebx]", 0x0f, 0xb2, 0x23),
    I("lfs eax, [ebx]", 0x0f, 0xb4, 0x03),
    I("lgs eax, [ebx]", 0x0f, 0xb5, 0x03),
};

/* Privileged: they trap at CPL > 0 (or CPL > IOPL) on hardware. */
static const struct icase privileged[] = {
    I("lgdt [ebx]", 0x0f, 0x01, 0x13),
    I("lidt [ebx]", 0x0f, 0x01, 0x1b),
    I("lldt ax", 0x0f, 0x00, 0xd0),
    I("ltr ax", 0x0f, 0x00, 0xd8),
    I("lmsw ax", 0x0f, 0x01, 0xf0),
    I("clts", 0x0f, 0x06),
    I("invd", 0x0f, 0x08),
    I("wbinvd", 0x0f, 0x09),
    I("invlpg [ebx]", 0x0f, 0x01, 0x3b),
    I("hlt", 0xf4),
    I("cli", 0xfa),
    I("sti", 0xfb),
    I("in al, 0x60", 0xe4, 0x60),
    I("in eax, dx", 0xed),
    I("out 0x80, al", 0xe6, 0x80),
    I("out dx, ax", 0x66, 0xef),
    I("insb", 0x6c),
    I("rep insd", 0xf3, 0x6d),
    I("outsb", 0x6e),
    I("rep outsw", 0xf3, 0x66, 0x6f),
    I("mov cr3, eax", 0x0f, 0x22, 0xd8),
    I("mov eax, cr0", 0x0f, 0x20, 0xc0),
    I("mov dr7, eax", 0x0f, 0x23, 0xf8),
    I("mov eax, dr6", 0x0f, 0x21, 0xf0),
    I("rdmsr", 0x0f, 0x32),
    I("wrmsr", 0x0f, 0x30),
    I("rdpmc", 0x0f, 0x33),
    I("sysexit", 0x0f, 0x35),
};

static void check_reaches_monitor(const struct icase *cases, unsigned n, enum pg_class pg)
{
	for (unsigned k = 0; k < n; k++) {
		const struct insn_class *cls = classify_case(&cases[k]);

		if (cls->action != ACT_CALLOUT && cls->action != ACT_UNSUPPORTED)
			fail_msg("%s: %s, expected a callout", cases[k].what,
				 action_str(cls->action));
		if (cls->action == ACT_CALLOUT && !cls->callout)
			fail_msg("%s: callout without a function", cases[k].what);
		if (cls->pg != pg)
			fail_msg("%s: Popek-Goldberg class %d, expected %d", cases[k].what, cls->pg,
				 pg);
		if (!cls->name || !cls->name[0])
			fail_msg("%s: row without a name", cases[k].what);
	}
}

static void test_classify_robin_irvine_list_is_sensitive_callout(void **state)
{
	check_reaches_monitor(robin_irvine, N_CASES(robin_irvine), PG_SENSITIVE);
}

static void test_classify_privileged_instructions_are_callouts(void **state)
{
	check_reaches_monitor(privileged, N_CASES(privileged), PG_PRIVILEGED);
}

static void test_classify_control_changing_callouts_end_the_block(void **state)
{
	static const struct icase enders[] = {
	    I("popfd", 0x9d),
	    I("iretd", 0xcf),
	    I("int 0x80", 0xcd, 0x80),
	    I("retf", 0xcb),
	    I("hlt", 0xf4),
	    I("sti", 0xfb),
	    I("mov ss, eax", 0x8e, 0xd0),
	    I("mov cr0, eax", 0x0f, 0x22, 0xc0),
	    I("jmp far", 0xea, 0, 0, 0, 0, 8, 0),
	};

	for (unsigned k = 0; k < N_CASES(enders); k++)
		if (!classify_case(&enders[k])->ends_block)
			fail_msg("%s: does not end the block", enders[k].what);
}

/* ---- 64-bit mode changes these encodings: never copied ---- */

static const struct icase changed_in_64bit[] = {
    I("inc eax (40)", 0x40),
    I("inc edi (47)", 0x47),
    I("dec eax (48)", 0x48),
    I("dec edi (4f)", 0x4f),
    I("inc ax (66 40)", 0x66, 0x40),
    I("push eax (50)", 0x50),
    I("push esp (54)", 0x54),
    I("pop ebx (5b)", 0x5b),
    I("pop edi (5f)", 0x5f),
    I("pushad (60)", 0x60),
    I("popad (61)", 0x61),
    I("bound eax, [ebx] (62)", 0x62, 0x03),
    I("arpl ax, cx (63)", 0x63, 0xc8),
    I("arpl [ebx], ax (63)", 0x63, 0x03),
    I("push es (06)", 0x06),
    I("pop es (07)", 0x07),
    I("push cs (0e)", 0x0e),
    I("push ss (16)", 0x16),
    I("pop ss (17)", 0x17),
    I("push ds (1e)", 0x1e),
    I("pop ds (1f)", 0x1f),
    I("daa (27)", 0x27),
    I("das (2f)", 0x2f),
    I("aaa (37)", 0x37),
    I("aas (3f)", 0x3f),
    I("les (c4)", 0xc4, 0x03),
    I("lds (c5)", 0xc5, 0x03),
    I("aam (d4)", 0xd4, 0x0a),
    I("aad (d5)", 0xd5, 0x0a),
    I("salc (d6)", 0xd6),
    I("call far (9a)", 0x9a, 0, 0, 0, 0, 8, 0),
    I("jmp far (ea)", 0xea, 0, 0, 0, 0, 8, 0),
    I("mov al, moffs (a0)", 0xa0, 0, 0x10, 0, 0),
    I("mov eax, moffs (a1)", 0xa1, 0, 0x10, 0, 0),
    I("mov moffs, al (a2)", 0xa2, 0, 0x10, 0, 0),
    I("mov moffs, eax (a3)", 0xa3, 0, 0x10, 0, 0),
    I("ret 4 (c2)", 0xc2, 0x04, 0x00),
    I("ret (c3)", 0xc3),
    I("retf 4 (ca)", 0xca, 0x04, 0x00),
    I("retf (cb)", 0xcb),
    I("call rel32 (e8)", 0xe8, 0, 0, 0, 0),
    I("jmp rel32 (e9)", 0xe9, 0, 0, 0, 0),
    I("jmp rel8 (eb)", 0xeb, 0x10),
    I("jo (70)", 0x70, 0x10),
    I("jne (75)", 0x75, 0x10),
    I("jg (7f)", 0x7f, 0x10),
    I("jne rel32 (0f 85)", 0x0f, 0x85, 0, 1, 0, 0),
    I("loopne (e0)", 0xe0, 0x10),
    I("loope (e1)", 0xe1, 0x10),
    I("loop (e2)", 0xe2, 0x10),
    I("jecxz (e3)", 0xe3, 0x10),
    I("call eax (ff /2)", 0xff, 0xd0),
    I("call [ebx] (ff /2)", 0xff, 0x13),
    I("call far [ebx] (ff /3)", 0xff, 0x1b),
    I("jmp eax (ff /4)", 0xff, 0xe0),
    I("jmp [ebx] (ff /4)", 0xff, 0x23),
    I("jmp far [ebx] (ff /5)", 0xff, 0x2b),
    I("push [ebx] (ff /6)", 0xff, 0x33),
    I("pop [ebx] (8f)", 0x8f, 0x03),
    I("pushfd (9c)", 0x9c),
    I("popfd (9d)", 0x9d),
    I("into (ce)", 0xce),
    I("leave (c9)", 0xc9),
    I("enter (c8)", 0xc8, 0x10, 0x00, 0x00),
    I("push imm32 (68)", 0x68, 1, 2, 3, 4),
    I("push imm8 (6a)", 0x6a, 0x01),
    I("xlatb (d7)", 0xd7),
    I("lea eax, [ebx+8] (8d)", 0x8d, 0x43, 0x08),
};

static void test_classify_64bit_changed_encodings_never_copied(void **state)
{
	for (unsigned k = 0; k < N_CASES(changed_in_64bit); k++) {
		const struct insn_class *cls = classify_case(&changed_in_64bit[k]);

		if (cls->action == ACT_COPY)
			fail_msg("%s: copied, but 64-bit mode gives it another meaning",
				 changed_in_64bit[k].what);
	}
}

/*
 * 82 /r (the group-1 alias of 80 /r, "add al, 5" here) is valid on a P6 but
 * invalid in 64-bit mode: copied as it is, it would make the host raise #UD.
 */
static void test_classify_opcode_82_is_not_copied(void **state)
{
	static const struct icase alias[] = {
	    I("add al, 5 (82 /0)", 0x82, 0xc0, 0x05),
	    I("cmp byte [ebx], 5 (82 /7)", 0x82, 0x3b, 0x05),
	};

	for (unsigned k = 0; k < N_CASES(alias); k++)
		if (classify_case(&alias[k])->action == ACT_COPY)
			fail_msg("%s: copied, but 82 is invalid in 64-bit mode", alias[k].what);
}

/* ---- Ordinary instructions are copied ---- */

static const struct icase ordinary[] = {
    I("add eax, ebx", 0x01, 0xd8),
    I("add [ebx], eax", 0x01, 0x03),
    I("sub eax, [ebx+ecx*4+8]", 0x2b, 0x44, 0x8b, 0x08),
    I("xor eax, eax", 0x31, 0xc0),
    I("cmp eax, 5", 0x83, 0xf8, 0x05),
    I("and dword [ebx], 0xff", 0x81, 0x23, 0xff, 0, 0, 0),
    I("test al, 1", 0xa8, 0x01),
    I("adc al, [ebx]", 0x12, 0x03),
    I("mov eax, [ebx]", 0x8b, 0x03),
    I("mov [ebx], eax", 0x89, 0x03),
    I("mov eax, ebx", 0x89, 0xd8),
    I("mov ax, bx", 0x66, 0x89, 0xd8),
    I("mov ah, 1", 0xb4, 0x01),
    I("mov eax, imm32", 0xb8, 1, 2, 3, 4),
    I("mov dword [ebx], imm32", 0xc7, 0x03, 1, 2, 3, 4),
    I("movzx eax, byte [ebx]", 0x0f, 0xb6, 0x03),
    I("movsx eax, cx", 0x0f, 0xbf, 0xc1),
    I("inc dword [ebx] (ff /0)", 0xff, 0x03),
    I("dec ecx (ff /1)", 0xff, 0xc9),
    I("inc al (fe /0)", 0xfe, 0xc0),
    I("neg eax", 0xf7, 0xd8),
    I("mul ebx", 0xf7, 0xe3),
    I("idiv ecx", 0xf7, 0xf9),
    I("imul eax, ebx", 0x0f, 0xaf, 0xc3),
    I("imul eax, ebx, 10", 0x6b, 0xc3, 0x0a),
    I("shl eax, cl", 0xd3, 0xe0),
    I("sar dword [ebx], 3", 0xc1, 0x3b, 0x03),
    I("shld eax, ebx, 4", 0x0f, 0xa4, 0xd8, 0x04),
    I("bt eax, ecx", 0x0f, 0xa3, 0xc8),
    I("bts [ebx], eax", 0x0f, 0xab, 0x03),
    I("bsf eax, ecx", 0x0f, 0xbc, 0xc1),
    I("bswap eax", 0x0f, 0xc8),
    I("xchg eax, ebx", 0x87, 0xd8),
    I("cmpxchg [ebx], ecx", 0x0f, 0xb1, 0x0b),
    I("lock cmpxchg [ebx], ecx", 0xf0, 0x0f, 0xb1, 0x0b),
    I("lock xadd [ebx], eax", 0xf0, 0x0f, 0xc1, 0x03),
    I("lock cmpxchg8b [ebx]", 0xf0, 0x0f, 0xc7, 0x0b),
    I("sete al", 0x0f, 0x94, 0xc0),
    I("cmovne eax, [ebx]", 0x0f, 0x45, 0x03),
    I("cdq", 0x99),
    I("cwde", 0x98),
    I("cld", 0xfc),
    I("stc", 0xf9),
    I("lahf", 0x9f),
    I("sahf", 0x9e),
};

static void test_classify_ordinary_alu_and_mov_are_copied(void **state)
{
	for (unsigned k = 0; k < N_CASES(ordinary); k++) {
		const struct insn_class *cls = classify_case(&ordinary[k]);

		if (cls->action != ACT_COPY)
			fail_msg("%s: %s, expected COPY", ordinary[k].what,
				 action_str(cls->action));
		if (cls->pg != PG_NONE || cls->ends_block)
			fail_msg("%s: copied rows are innocuous and do not end blocks",
				 ordinary[k].what);
	}
}

/* ---- Not instructions of a P6: #UD ---- */

static const struct icase not_on_p6[] = {
    /* In 32-bit code C5 with ModRM.mod = 3 is a VEX prefix, not LDS. */
    I("vzeroupper (c5 f8 77, AVX)", 0xc5, 0xf8, 0x77),
    I("vbroadcastss (c4 VEX, AVX)", 0xc4, 0xe2, 0x79, 0x18, 0x03),
    I("haddps (SSE3)", 0xf2, 0x0f, 0x7c, 0xc1),
    I("pshufb (SSSE3)", 0x66, 0x0f, 0x38, 0x00, 0xc1),
    I("palignr (SSSE3)", 0x66, 0x0f, 0x3a, 0x0f, 0xc1, 0x08),
    I("vmcall (VMX)", 0x0f, 0x01, 0xc1),
    I("ud2", 0x0f, 0x0b),
    I("syscall", 0x0f, 0x05),
    I("sysret", 0x0f, 0x07),
    /* LOCK on a register destination (XOR Gb, Eb): #UD on hardware. */
    I("lock xor al, [ebx]", 0xf0, 0x32, 0x03),
};

static void test_classify_later_extensions_raise_ud(void **state)
{
	for (unsigned k = 0; k < N_CASES(not_on_p6); k++) {
		const struct insn_class *cls = classify_case(&not_on_p6[k]);

		if (cls->action != ACT_UD)
			fail_msg("%s: %s, expected UD", not_on_p6[k].what, action_str(cls->action));
		if (!cls->callout || !cls->ends_block)
			fail_msg("%s: #UD must call out and end the block", not_on_p6[k].what);
	}
}

/*
 * Capstone 4 gives these no instruction group, so only the "unknown" row
 * keeps them from being copied: it must be #UD, as on a P6, not a stop.
 */
static void test_classify_ungrouped_later_instructions_raise_ud(void **state)
{
	static const struct icase ungrouped[] = {
	    I("ud1 (0f b9)", 0x0f, 0xb9),
	    I("popcnt (f3 0f b8)", 0xf3, 0x0f, 0xb8, 0xc1),
	    I("movbe (0f 38 f0)", 0x0f, 0x38, 0xf0, 0x03),
	    I("rdrand (0f c7 /6)", 0x0f, 0xc7, 0xf0),
	    I("xgetbv (0f 01 d0)", 0x0f, 0x01, 0xd0),
	};

	for (unsigned k = 0; k < N_CASES(ungrouped); k++) {
		const struct insn_class *cls = classify_case(&ungrouped[k]);

		if (cls->action != ACT_UD)
			fail_msg("%s: %s, expected UD", ungrouped[k].what, action_str(cls->action));
	}
}

/*
 * On a P6, F3 0F BC is BSF and F3 0F BD is BSR (the REP prefix is ignored);
 * only BMI/ABM processors read them as TZCNT/LZCNT. Linux's __ffs() is
 * "rep; bsf" and GCC emits it for __builtin_ctz, so the guest must be able
 * to run it - with BSF's semantics, not TZCNT's, so the host must not see
 * the F3 either.
 */
static void test_classify_rep_bsf_runs_as_bsf(void **state)
{
	static const struct icase rep_bsf[] = {
	    I("rep bsf eax, ecx (tzcnt encoding)", 0xf3, 0x0f, 0xbc, 0xc1),
	    I("rep bsf eax, [ebx]", 0xf3, 0x0f, 0xbc, 0x03),
	    I("rep bsr eax, ecx (lzcnt encoding)", 0xf3, 0x0f, 0xbd, 0xc1),
	};

	for (unsigned k = 0; k < N_CASES(rep_bsf); k++) {
		const struct insn_class *cls = classify_case(&rep_bsf[k]);

		if (cls->action == ACT_UD || cls->action == ACT_UNSUPPORTED)
			fail_msg("%s: %s, but a P6 runs it as BSF/BSR", rep_bsf[k].what,
				 action_str(cls->action));
		if ((in.id != X86_INS_BSF && in.id != X86_INS_BSR) || !in.drop_rep)
			fail_msg("%s: not decoded as BSF/BSR without its F3", rep_bsf[k].what);
		/* BSF defines ZF from the source; TZCNT would also write CF. */
		if (!(in.flags_written & FL_ZF))
			fail_msg("%s: ZF not written", rep_bsf[k].what);
	}
}

static void test_classify_lock_on_register_destination_is_ud(void **state)
{
	/* Capstone itself refuses F0 01 C0: the translator then uses the
	 * "no instruction" row, which is #UD as well. */
	assert_false(decode_insn(x, ci, (const uint8_t[]){0xf0, 0x01, 0xc0}, 3, 0x1000, 0, &in));
	assert_int_equal(classify_invalid(false)->action, ACT_UD);
	assert_non_null(classify_invalid(false)->callout);
	/* Lockable instructions with a memory destination keep their LOCK. */
	static const struct icase lockable[] = {
	    I("lock add [ebx], eax", 0xf0, 0x01, 0x03),
	    I("lock xor [ebx], al", 0xf0, 0x30, 0x03),
	    I("lock bts dword [ebx], 5", 0xf0, 0x0f, 0xba, 0x2b, 0x05),
	    I("lock inc byte [ebx]", 0xf0, 0xfe, 0x03),
	    I("lock not dword [ebx]", 0xf0, 0xf7, 0x13),
	    I("lock xchg [ebx], eax", 0xf0, 0x87, 0x03),
	};
	for (unsigned k = 0; k < N_CASES(lockable); k++)
		if (classify_case(&lockable[k])->action != ACT_COPY)
			fail_msg("%s: not copied", lockable[k].what);
}

/* ---- x87/MMX/SSE and the FPU control bits ---- */

static const struct insn_class *classify_case_mode(const struct icase *c, uint32_t mode)
{
	classify_case(c);
	return classify(&in, mode);
}

static void test_classify_fpu_follows_cr0_ts_em_and_osfxsr(void **state)
{
	static const struct icase x87 = I("fld dword [ebx]", 0xd9, 0x03);
	static const struct icase sse = I("addps xmm0, xmm1", 0x0f, 0x58, 0xc1);
	static const struct icase mmx = I("pxor mm0, mm1", 0x0f, 0xef, 0xc1);
	const struct insn_class *cls;

	/* FPU usable: copied. */
	assert_int_equal(classify_case_mode(&x87, 0)->action, ACT_COPY);
	assert_int_equal(classify_case_mode(&mmx, 0)->action, ACT_COPY);
	assert_int_equal(classify_case_mode(&sse, 0)->action, ACT_COPY);
	/* CR0.TS or EM: #NM through the monitor. */
	cls = classify_case_mode(&x87, MODE_FPU_TRAP);
	assert_int_equal(cls->action, ACT_CALLOUT);
	assert_ptr_equal(cls->callout, emulate_fpu_unavailable);
	assert_ptr_equal(classify_case_mode(&sse, MODE_FPU_TRAP)->callout, emulate_fpu_unavailable);
	/* CR4.OSFXSR clear: SSE is #UD, x87 and MMX are not affected. */
	assert_int_equal(classify_case_mode(&sse, MODE_NO_SSE)->action, ACT_UD);
	assert_int_equal(classify_case_mode(&x87, MODE_NO_SSE)->action, ACT_COPY);
	assert_int_equal(classify_case_mode(&mmx, MODE_NO_SSE)->action, ACT_COPY);
}

/*
 * BUG: PAUSE (F3 90, REP NOP on older CPUs), the fences, PREFETCHh, MOVNTI
 * and CLFLUSH are in Capstone's SSE1/SSE2 groups but use no x87/SSE state:
 * CR0.TS/EM and CR4.OSFXSR do not affect them (SDM Vol. 3A 2.5, 13.1). With
 * OSFXSR clear - after reset, and in any guest that never enables SSE -
 * classify() makes PAUSE a #UD, and with TS or EM set a #NM. Linux spins
 * with "rep; nop" (cpu_relax), its early serial console among others.
 */
static void test_classify_pause_and_fences_ignore_fpu_mode(void **state)
{
	static const struct icase hints[] = {
	    I("pause", 0xf3, 0x90),
	    I("sfence", 0x0f, 0xae, 0xf8),
	    I("lfence", 0x0f, 0xae, 0xe8),
	    I("mfence", 0x0f, 0xae, 0xf0),
	    I("prefetchnta [ebx]", 0x0f, 0x18, 0x03),
	    I("movnti [ebx], eax", 0x0f, 0xc3, 0x03),
	    I("clflush [ebx]", 0x0f, 0xae, 0x3b),
	};
	static const uint32_t modes[] = {MODE_NO_SSE, MODE_FPU_TRAP, MODE_NO_SSE | MODE_FPU_TRAP};

	for (unsigned k = 0; k < N_CASES(hints); k++) {
		const struct insn_class *usual = classify_case_mode(&hints[k], 0);

		if (usual->action == ACT_UD || usual->action == ACT_UNSUPPORTED)
			fail_msg("%s: %s with the FPU enabled", hints[k].what,
				 action_str(usual->action));
		for (unsigned j = 0; j < N_CASES(modes); j++) {
			const struct insn_class *cls = classify_case_mode(&hints[k], modes[j]);

			if (cls != usual)
				fail_msg("%s: mode %#x makes it %s (%s)", hints[k].what, modes[j],
					 action_str(cls->action), cls->name);
		}
	}
}

/* ---- The teaching view of the table ---- */

static bool one_of(const char *s, const char *const *set, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (strcmp(s, set[i]) == 0)
			return true;
	return false;
}

static void test_class_table_rows_have_sensible_names(void **state)
{
	static const char *const actions[] = {"copied", "rewritten", "callout",
					      "helper", "#UD",	     "unsupported"};
	static const char *const pgs[] = {"innocuous", "privileged", "sensitive, non-trapping",
					  "innocuous (64-bit host)"};
	unsigned count = xlat_class_count();
	struct xlat_class_info info;
	bool seen_sgdt = false, seen_hlt = false, seen_mov_sreg = false;

	assert_true(count > 50);
	assert_int_equal(count, classify_row_count());
	for (unsigned i = 0; i < count; i++) {
		xlat_class_get(i, &info);
		if (!info.name || !info.name[0] || strcmp(info.name, "?") == 0)
			fail_msg("row %u has no name", i);
		if (!one_of(info.action, actions, 6) || !one_of(info.pg, pgs, 4))
			fail_msg("row %u (%s): action '%s', class '%s'", i, info.name, info.action,
				 info.pg);
		if (strcmp(info.name, "SGDT") == 0) {
			seen_sgdt = true;
			assert_string_equal(info.action, "callout");
			assert_string_equal(info.pg, "sensitive, non-trapping");
		}
		if (strcmp(info.name, "HLT") == 0) {
			seen_hlt = true;
			assert_string_equal(info.pg, "privileged");
		}
		seen_mov_sreg |= strcmp(info.name, "MOV Sreg, r/m") == 0;
	}
	assert_true(seen_sgdt && seen_hlt && seen_mov_sreg);
	xlat_class_get(count, &info); /* past the end */
	assert_string_equal(info.name, "?");
}

static void test_class_row_index_round_trips(void **state)
{
	static const struct icase some[] = {
	    I("sgdt", 0x0f, 0x01, 0x03), I("mov ds, eax", 0x8e, 0xd8),	    I("add", 0x01, 0xd8),
	    I("inc eax", 0x40),		 I("vzeroupper", 0xc5, 0xf8, 0x77),
	};

	for (unsigned k = 0; k < N_CASES(some); k++) {
		const struct insn_class *cls = classify_case(&some[k]);
		unsigned idx = classify_row_index(cls);

		assert_true(idx < classify_row_count());
		assert_ptr_equal(classify_row(idx), cls);
	}
	assert_ptr_equal(classify_row(classify_row_index(classify_invalid(false))), classify_invalid(false));
	assert_null(classify_row(classify_row_count()));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_classify_robin_irvine_list_is_sensitive_callout),
	    cmocka_unit_test(test_classify_privileged_instructions_are_callouts),
	    cmocka_unit_test(test_classify_control_changing_callouts_end_the_block),
	    cmocka_unit_test(test_classify_64bit_changed_encodings_never_copied),
	    cmocka_unit_test(test_classify_opcode_82_is_not_copied),
	    cmocka_unit_test(test_classify_ordinary_alu_and_mov_are_copied),
	    cmocka_unit_test(test_classify_later_extensions_raise_ud),
	    cmocka_unit_test(test_classify_ungrouped_later_instructions_raise_ud),
	    cmocka_unit_test(test_classify_rep_bsf_runs_as_bsf),
	    cmocka_unit_test(test_classify_lock_on_register_destination_is_ud),
	    cmocka_unit_test(test_classify_fpu_follows_cr0_ts_em_and_osfxsr),
	    cmocka_unit_test(test_classify_pause_and_fences_ignore_fpu_mode),
	    cmocka_unit_test(test_class_table_rows_have_sensible_names),
	    cmocka_unit_test(test_class_row_index_round_trips),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
