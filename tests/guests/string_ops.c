/*
 * string_ops.c - the string instructions MOVS, STOS, LODS, CMPS and SCAS
 * (SDM Vol. 2B, "REP/REPE/REPZ/REPNE/REPNZ" and each instruction's page):
 * byte, word and dword forms, REP prefixes, both directions (DF), element by
 * element semantics on overlapping buffers, ECX = 0, where REPE/REPNE stop,
 * a source segment override, and the 16-bit address size (0x67: SI, DI, CX).
 * A translator that turns REP MOVS into memmove, or ignores 0x67, fails here.
 */
#include "check.h"

/* The registers a string instruction uses, before and after. */
struct strregs {
	uint32_t eax, ecx, esi, edi;
	uint32_t flags; /* EFLAGS after, read with PUSHF */
};

/*
 * Runs the instruction text with the registers of r, then stores EFLAGS in
 * r.flags and clears DF again (the C ABI needs DF = 0).
 */
#define RUN_STR(text, r)                                                                           \
	__asm__ volatile(text "\n\tpushfl\n\tpopl %[fl]\n\tcld"                                    \
			 : "+a"((r).eax), "+c"((r).ecx), "+S"((r).esi),                            \
			   "+D"((r).edi), [fl] "=r"((r).flags)                                     \
			 :                                                                         \
			 : "memory", "cc")

#define A(p)  ((uint32_t)(p)) /* a pointer as the 32-bit address it is */
#define GUARD 0xee	      /* fill byte that must survive outside the destination */

static const char src16[17] = "btvmm string ops"; /* 16 bytes and a NUL */
static uint8_t dst[32];

static void fill_dst(void)
{
	for (unsigned i = 0; i < sizeof(dst); i++)
		dst[i] = GUARD;
}

/* What dst holds after a 16-byte copy of src16: the copy, then the untouched guard. */
static const char want_copy[32] =
    "btvmm string ops"
    "\xee\xee\xee\xee\xee\xee\xee\xee\xee\xee\xee\xee\xee\xee\xee\xee";

static void check_copied(const char *name)
{
	CHECK_MEM(name, dst, want_copy, sizeof(want_copy));
}

static void check_movs_forward(void)
{
	struct strregs r;

	fill_dst();
	r = (struct strregs){.ecx = 16, .esi = A(src16), .edi = A(dst)};
	RUN_STR("rep movsb", r);
	check_copied("rep_movsb");
	CHECK_EQ32("rep_movsb_esi", r.esi, A(src16) + 16);
	CHECK_EQ32("rep_movsb_edi", r.edi, A(dst) + 16);
	CHECK_EQ32("rep_movsb_ecx", r.ecx, 0);

	fill_dst();
	r = (struct strregs){.ecx = 8, .esi = A(src16), .edi = A(dst)};
	RUN_STR("rep movsw", r);
	check_copied("rep_movsw");
	CHECK_EQ32("rep_movsw_edi", r.edi, A(dst) + 16);

	fill_dst();
	r = (struct strregs){.ecx = 4, .esi = A(src16), .edi = A(dst)};
	RUN_STR("rep movsl", r);
	check_copied("rep_movsd");
	CHECK_EQ32("rep_movsd_esi", r.esi, A(src16) + 16);
}

static void check_movs_backward(void)
{
	struct strregs r;

	/* DF = 1: start at the last dword; each step moves ESI and EDI down by 4. */
	fill_dst();
	r = (struct strregs){.ecx = 4, .esi = A(src16) + 12, .edi = A(dst) + 12};
	RUN_STR("std\n\trep movsl", r);
	check_copied("std_rep_movsd");
	CHECK_EQ32("std_rep_movsd_esi", r.esi, A(src16) - 4);
	CHECK_EQ32("std_rep_movsd_edi", r.edi, A(dst) - 4);

	r = (struct strregs){.esi = A(src16) + 5, .edi = A(dst) + 5};
	RUN_STR("std\n\tmovsb", r);
	CHECK_EQ32("std_movsb_esi", r.esi, A(src16) + 4);
	CHECK_EQ32("std_movsb_edi", r.edi, A(dst) + 4);
	CHECK_TRUE("std_movsb_df_was_set", r.flags & FL_DF);
}

/*
 * REP MOVS moves one element at a time, so with overlapping buffers the
 * result is not memmove's: forward with dst = src + 1 replicates the first
 * byte; backward with dst = src + 1 shifts the string up by one.
 */
static void check_movs_overlap(void)
{
	char buf[13];
	struct strregs r;

	memcpy(buf, "ABCDEFGH", 9);
	r = (struct strregs){.ecx = 7, .esi = A(buf), .edi = A(buf) + 1};
	RUN_STR("rep movsb", r);
	CHECK_MEM("overlap_forward_movsb", buf, "AAAAAAAA", 9);

	memcpy(buf, "ABCDEFGH", 9);
	r = (struct strregs){.ecx = 7, .esi = A(buf) + 6, .edi = A(buf) + 7};
	RUN_STR("std\n\trep movsb", r);
	CHECK_MEM("overlap_backward_movsb", buf, "AABCDEFG", 9);

	memcpy(buf, "ABCDEFGHIJKL", 13);
	r = (struct strregs){.ecx = 2, .esi = A(buf), .edi = A(buf) + 4};
	RUN_STR("rep movsl", r);
	CHECK_MEM("overlap_forward_movsd", buf, "ABCDABCDABCD", 13);
}

/* ECX = 0: no iteration at all; no register, no memory, no flag changes. */
static void check_rep_zero(void)
{
	struct strregs r;

	fill_dst();
	r = (struct strregs){.ecx = 0, .esi = A(src16), .edi = A(dst)};
	RUN_STR("rep movsb", r);
	CHECK_EQ32("rep0_movsb_dst", dst[0], GUARD);
	CHECK_EQ32("rep0_movsb_esi", r.esi, A(src16));
	CHECK_EQ32("rep0_movsb_edi", r.edi, A(dst));

	r = (struct strregs){.eax = 0x12345678, .ecx = 0, .edi = A(dst)};
	RUN_STR("rep stosl", r);
	CHECK_EQ32("rep0_stosd_dst", dst[0], GUARD);

	/* CMP $1 with ECX = 0 gives 0xffffffff: CF, PF, AF, SF set, ZF clear. */
	r = (struct strregs){.ecx = 0, .esi = A(src16), .edi = A(src16)};
	RUN_STR("cmpl $1, %%ecx\n\trepe cmpsb", r);
	CHECK_FLAGS("rep0_cmpsb_flags_kept", r.flags, FL_CF | FL_PF | FL_AF | FL_SF, FL_ARITH);
	CHECK_EQ32("rep0_cmpsb_esi", r.esi, A(src16));
}

static void check_stos(void)
{
	static const uint8_t want_b[8] = {0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, GUARD};
	static const uint8_t want_w[8] = {0xef, 0xbe, 0xef, 0xbe, 0xef, 0xbe, GUARD, GUARD};
	static const uint8_t want_d[9] = {0xef, 0xbe, 0xad, 0xde, 0xef, 0xbe, 0xad, 0xde, GUARD};
	static const uint8_t want_down[6] = {GUARD, GUARD, GUARD, GUARD, 0x34, 0x12};
	struct strregs r;

	fill_dst();
	r = (struct strregs){.eax = 0x123456ab, .ecx = 7, .edi = A(dst)};
	RUN_STR("rep stosb", r);
	CHECK_MEM("rep_stosb", dst, want_b, 8);
	CHECK_EQ32("rep_stosb_edi", r.edi, A(dst) + 7);
	CHECK_EQ32("rep_stosb_eax_kept", r.eax, 0x123456ab);

	fill_dst();
	r = (struct strregs){.eax = 0xbeef, .ecx = 3, .edi = A(dst)};
	RUN_STR("rep stosw", r);
	CHECK_MEM("rep_stosw", dst, want_w, 8);
	CHECK_EQ32("rep_stosw_edi", r.edi, A(dst) + 6);

	fill_dst();
	r = (struct strregs){.eax = 0xdeadbeef, .ecx = 2, .edi = A(dst)};
	RUN_STR("rep stosl", r);
	CHECK_MEM("rep_stosd", dst, want_d, 9);
	CHECK_EQ32("rep_stosd_edi", r.edi, A(dst) + 8);

	fill_dst();
	r = (struct strregs){.eax = 0x1234, .edi = A(dst) + 4};
	RUN_STR("std\n\tstosw", r);
	CHECK_MEM("std_stosw", dst, want_down, 6);
	CHECK_EQ32("std_stosw_edi", r.edi, A(dst) + 2);
}

static void check_lods(void)
{
	static const uint8_t bytes[8] = {0xab, 0xcd, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06};
	struct strregs r;

	/* LODSB replaces AL only; the rest of EAX stays. */
	r = (struct strregs){.eax = 0x11223344, .esi = A(bytes)};
	RUN_STR("lodsb", r);
	CHECK_EQ32("lodsb_eax", r.eax, 0x112233ab);
	CHECK_EQ32("lodsb_esi", r.esi, A(bytes) + 1);

	r = (struct strregs){.eax = 0x11223344, .esi = A(bytes)};
	RUN_STR("lodsw", r);
	CHECK_EQ32("lodsw_eax", r.eax, 0x1122cdab);
	CHECK_EQ32("lodsw_esi", r.esi, A(bytes) + 2);

	r = (struct strregs){.eax = 0x11223344, .esi = A(bytes) + 4};
	RUN_STR("std\n\tlodsl", r);
	CHECK_EQ32("std_lodsd_eax", r.eax, 0x06050403);
	CHECK_EQ32("std_lodsd_esi", r.esi, A(bytes));

	/* REP LODS is legal: AL ends with the last byte loaded. */
	r = (struct strregs){.ecx = 3, .esi = A(bytes)};
	RUN_STR("rep lodsb", r);
	CHECK_EQ32("rep_lodsb_al", r.eax & 0xff, 0x01);
	CHECK_EQ32("rep_lodsb_ecx", r.ecx, 0);
}

/*
 * CMPS computes [ESI] - [EDI] and sets all six status flags as CMP does.
 * REPE stops after the first mismatch, REPNE after the first match; ECX,
 * ESI and EDI then count every compared element, the one that stopped the
 * loop included.
 */
static const char s_abc[] = "abcdefgh", s_abx[] = "abcdXfgh", s_xyc[] = "xycdefgh";
static const uint16_t w_1234 = 0x1234, w_1235 = 0x1235;
static const uint32_t d_min = 0x80000000, d_one = 1;

static void check_cmps(void)
{
	struct strregs r;

	/* Stops at index 4: 'e' - 'X' = 0x65 - 0x58 = 0x0d; borrow out of bit 3 sets AF. */
	r = (struct strregs){.ecx = 8, .esi = A(s_abc), .edi = A(s_abx)};
	RUN_STR("repe cmpsb", r);
	CHECK_EQ32("repe_cmpsb_ecx", r.ecx, 3);
	CHECK_EQ32("repe_cmpsb_esi", r.esi, A(s_abc) + 5);
	CHECK_EQ32("repe_cmpsb_edi", r.edi, A(s_abx) + 5);
	CHECK_FLAGS("repe_cmpsb_flags", r.flags, FL_AF, FL_ARITH);

	r = (struct strregs){.ecx = 8, .esi = A(s_abc), .edi = A(s_abc)};
	RUN_STR("repe cmpsb", r);
	CHECK_EQ32("repe_cmpsb_equal_ecx", r.ecx, 0);
	CHECK_FLAGS("repe_cmpsb_equal_flags", r.flags, FL_ZF | FL_PF, FL_ARITH);

	/* 'a'/'x' and 'b'/'y' differ, 'c' = 'c' stops it after 3 elements. */
	r = (struct strregs){.ecx = 8, .esi = A(s_abc), .edi = A(s_xyc)};
	RUN_STR("repne cmpsb", r);
	CHECK_EQ32("repne_cmpsb_ecx", r.ecx, 5);
	CHECK_EQ32("repne_cmpsb_esi", r.esi, A(s_abc) + 3);
	CHECK_FLAGS("repne_cmpsb_flags", r.flags, FL_ZF | FL_PF, FL_ARITH);

	/* 0x1234 - 0x1235 = 0xffff: borrow (CF, AF), negative, low byte 0xff has even parity. */
	r = (struct strregs){.esi = A(&w_1234), .edi = A(&w_1235)};
	RUN_STR("cmpsw", r);
	CHECK_FLAGS("cmpsw_flags", r.flags, FL_CF | FL_AF | FL_SF | FL_PF, FL_ARITH);
	CHECK_EQ32("cmpsw_edi", r.edi, A(&w_1235) + 2);

	/* 0x80000000 - 1 = 0x7fffffff: negative minus positive gives positive, so OF. */
	r = (struct strregs){.esi = A(&d_min), .edi = A(&d_one)};
	RUN_STR("std\n\tcmpsl", r);
	CHECK_FLAGS("std_cmpsd_flags", r.flags, FL_OF | FL_AF | FL_PF, FL_ARITH);
	CHECK_EQ32("std_cmpsd_esi", r.esi, A(&d_min) - 4);
	CHECK_EQ32("std_cmpsd_edi", r.edi, A(&d_one) - 4);
}

/* SCAS computes EAX/AX/AL - [EDI], flags as CMP. */
static const char s_hello[] = "hello";
static const uint32_t sevens[5] = {7, 7, 7, 9, 7};
static const uint16_t w_one = 1;

static void check_scas(void)
{
	struct strregs r;

	/* The strlen idiom: ECX = -1, six bytes scanned ("hello" and its NUL). */
	r = (struct strregs){.eax = 0, .ecx = 0xffffffff, .edi = A(s_hello)};
	RUN_STR("repne scasb", r);
	CHECK_EQ32("repne_scasb_ecx", r.ecx, 0xffffffff - 6);
	CHECK_EQ32("repne_scasb_edi", r.edi, A(s_hello) + 6);
	CHECK_TRUE("repne_scasb_zf", r.flags & FL_ZF);

	/* Stops at the 9 after four elements: 7 - 9 = -2 = 0xfffffffe (CF, AF, SF; odd parity). */
	r = (struct strregs){.eax = 7, .ecx = 5, .edi = A(sevens)};
	RUN_STR("repe scasl", r);
	CHECK_EQ32("repe_scasd_ecx", r.ecx, 1);
	CHECK_EQ32("repe_scasd_edi", r.edi, A(sevens) + 16);
	CHECK_FLAGS("repe_scasd_flags", r.flags, FL_CF | FL_AF | FL_SF, FL_ARITH);

	/* AX = 0x8000 (the upper half of EAX is ignored): 0x8000 - 1 = 0x7fff, OF. */
	r = (struct strregs){.eax = 0xffff8000, .edi = A(&w_one)};
	RUN_STR("scasw", r);
	CHECK_FLAGS("scasw_flags", r.flags, FL_OF | FL_AF | FL_PF, FL_ARITH);
	CHECK_EQ32("scasw_edi", r.edi, A(&w_one) + 2);

	r = (struct strregs){.eax = 'l', .edi = A(s_hello) + 3};
	RUN_STR("std\n\tscasb", r);
	CHECK_TRUE("std_scasb_zf", r.flags & FL_ZF);
	CHECK_EQ32("std_scasb_edi", r.edi, A(s_hello) + 2);

	/* Same preset as rep0_cmpsb: ECX = 0 leaves the flags of CMP $1. */
	r = (struct strregs){.ecx = 0, .edi = A(s_hello)};
	RUN_STR("cmpl $1, %%ecx\n\trepne scasb", r);
	CHECK_FLAGS("rep0_scasb_flags_kept", r.flags, FL_CF | FL_PF | FL_AF | FL_SF, FL_ARITH);
}

/*
 * A segment override applies to the source (DS:ESI) only; ES:EDI cannot be
 * overridden. All our data segments are flat, so the result is the same;
 * what is checked is that the prefix is decoded and honoured.
 */
static void check_seg_override(void)
{
	struct strregs r;

	fill_dst();
	r = (struct strregs){.ecx = 16, .esi = A(src16), .edi = A(dst)};
	RUN_STR("rep\n\t.byte 0x3e /* ds: */\n\tmovsb", r);
	check_copied("ds_rep_movsb");

	r = (struct strregs){.esi = A(src16)};
	RUN_STR(".byte 0x64 /* fs: */\n\tlodsl", r);
	CHECK_EQ32("fs_lodsd", r.eax, 0x6d767462); /* "btvm" little-endian */

	r = (struct strregs){.ecx = 8, .esi = A(s_abc), .edi = A(s_abx)};
	RUN_STR(".byte 0x65 /* gs: */\n\trepe cmpsb", r);
	CHECK_EQ32("gs_repe_cmpsb_ecx", r.ecx, 3);
}

/*
 * Address size 0x67: the instruction uses SI, DI and CX, leaves the upper
 * halves of ESI, EDI and ECX alone, and SI/DI wrap at 64 KiB. The buffers
 * must lie below 64 KiB, so they are in conventional memory, which no
 * Multiboot loader structure of QEMU's or btvmm's (0x9000 up) occupies.
 */
#define LOW_SRC 0x4000
#define LOW_DST 0x4100

static void check_addr16(void)
{
	uint8_t *low_dst = (uint8_t *)LOW_DST;
	struct strregs r;

	memcpy((void *)LOW_SRC, src16, 16);
	memset(low_dst, GUARD, 32);
	r = (struct strregs){
	    .ecx = 0x77770010, .esi = 0xabcd0000 | LOW_SRC, .edi = 0x55aa0000 | LOW_DST};
	RUN_STR(".byte 0x67 /* addr16 */\n\trep movsb", r);
	CHECK_MEM("a16_rep_movsb", low_dst, want_copy, sizeof(want_copy));
	CHECK_EQ32("a16_rep_movsb_esi", r.esi, 0xabcd0000 | (LOW_SRC + 16));
	CHECK_EQ32("a16_rep_movsb_edi", r.edi, 0x55aa0000 | (LOW_DST + 16));
	CHECK_EQ32("a16_rep_movsb_ecx", r.ecx, 0x77770000);

	/* DF = 1: words go to DI = 0x4102 then 0x4100; DI ends at 0x40fe. */
	r = (struct strregs){.eax = 0xbeef, .ecx = 0xffff0002, .edi = 0x99990000 | (LOW_DST + 2)};
	RUN_STR("std\n\t.byte 0x67 /* addr16 */\n\trep stosw", r);
	CHECK_EQ32("a16_std_rep_stosw_mem", *(uint32_t *)LOW_DST, 0xbeefbeef);
	CHECK_EQ32("a16_std_rep_stosw_edi", r.edi, 0x99990000 | (LOW_DST - 2));
	CHECK_EQ32("a16_std_rep_stosw_ecx", r.ecx, 0xffff0000);

	/* SI = 0xffff: the next byte is at 0x0000, and ESI becomes 0x12340000. */
	__asm__ volatile("movb $0x5a, 0xffff\n\tmovb $0xa5, 0x0" : : : "memory");
	r = (struct strregs){.esi = 0x1234ffff};
	RUN_STR(".byte 0x67 /* addr16 */\n\tlodsb", r);
	CHECK_EQ32("a16_lodsb_at_ffff", r.eax, 0x5a);
	CHECK_EQ32("a16_lodsb_si_wraps", r.esi, 0x12340000);
	RUN_STR(".byte 0x67 /* addr16 */\n\tlodsb", r);
	CHECK_EQ32("a16_lodsb_at_0", r.eax, 0xa5);
	CHECK_EQ32("a16_lodsb_esi", r.esi, 0x12340001);
}

void main(uint32_t magic, uint32_t info)
{
	check_movs_forward();
	check_movs_backward();
	check_movs_overlap();
	check_rep_zero();
	check_stos();
	check_lods();
	check_cmps();
	check_scas();
	check_seg_override();
	check_addr16();
	test_finish("string_ops");
}
