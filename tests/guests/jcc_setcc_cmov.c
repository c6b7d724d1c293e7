/*
 * jcc_setcc_cmov.c - the 16 condition codes (SDM Vol. 1 appendix B, "EFLAGS
 * Condition Codes") through every instruction that tests them: Jcc rel8 and
 * rel32, SETcc to a register and to memory, CMOVcc from a register (32- and
 * 16-bit) and from memory; then LOOP/LOOPE/LOOPNE and JECXZ/JCXZ. Each
 * condition is tried in all 32 combinations of CF, PF, ZF, SF and OF. The
 * flags are set with arithmetic and SAHF, not POPF, so this guest does not
 * depend on the POPF callout. A translator that rewrites branches or keeps
 * guest flags in host RFLAGS must get every row right.
 */
#include "check.h"
#include "regs.h"

/* What the forms of one condition produced, written by run_cond's asm. */
struct cond_result {
	uint32_t jcc_short, jcc_near; /* 1 if the branch was taken */
	uint32_t setcc_reg;	      /* ECX = 0x55555555, then SETcc CL */
	uint32_t setcc_mem;	      /* preset 0xaaaaaaaa, then SETcc on its low byte */
	uint32_t cmov_reg;	      /* ECX = 0x11111111, CMOVcc ECX, EDX = 0x22222222 */
	uint32_t cmov16_reg;	      /* the same with CX, DX */
	uint32_t cmov_mem;	      /* ECX = 0x11111111, CMOVcc ECX, [cmov_src] */
	uint32_t cmov_src;	      /* 0x33333333 */
};

/*
 * The flag state: OF comes from ADD EDX, EDX (0x40000000 + 0x40000000
 * overflows, 0 + 0 does not); SAHF then sets CF PF AF ZF SF from AH and
 * leaves OF. Only MOV, Jcc, SETcc and CMOVcc follow, none of which changes
 * a flag. ("%{disp32%}" is gas's {disp32}, forcing the rel32 form.)
 */
#define COND_ASM(cc)                                                                               \
	"addl %%edx, %%edx\n\tsahf\n\t"                                                            \
	"movl $1, 0(%%ebx)\n\tj" cc " 1f\n\tmovl $0, 0(%%ebx)\n1:\t"                               \
	"movl $1, 4(%%ebx)\n\t%{disp32%} j" cc " 2f\n\tmovl $0, 4(%%ebx)\n2:\t"                    \
	"movl $0x55555555, %%ecx\n\tset" cc " %%cl\n\tmovl %%ecx, 8(%%ebx)\n\t"                    \
	"set" cc " 12(%%ebx)\n\t"                                                                  \
	"movl $0x11111111, %%ecx\n\tmovl $0x22222222, %%edx\n\t"                                   \
	"cmov" cc " %%edx, %%ecx\n\tmovl %%ecx, 16(%%ebx)\n\t"                                     \
	"movl $0x11111111, %%ecx\n\tcmov" cc " %%dx, %%cx\n\tmovl %%ecx, 20(%%ebx)\n\t"            \
	"movl $0x11111111, %%ecx\n\tcmov" cc " 28(%%ebx), %%ecx\n\tmovl %%ecx, 24(%%ebx)"

/* The 16 conditions in encoding order: cc is the low nibble of 7x, 0F 8x, 0F 9x, 0F 4x. */
#define CONDITIONS(X)                                                                              \
	X(o) X(no) X(b) X(ae) X(e) X(ne) X(be) X(a) X(s) X(ns) X(p) X(np) X(l) X(ge) X(le) X(g)

/* run_<cc>(ah, of_seed, res): one function per condition, since cc is part of the opcode. */
#define COND_FUNC(cc)                                                                              \
	static void run_##cc(uint32_t ah, uint32_t of_seed, struct cond_result *res)               \
	{                                                                                          \
		__asm__ volatile(COND_ASM(#cc)                                                     \
				 : "+a"(ah), "+d"(of_seed)                                         \
				 : "b"(res)                                                        \
				 : "ecx", "cc", "memory");                                         \
	}
CONDITIONS(COND_FUNC)

#define COND_ENTRY(cc) {#cc, run_##cc},
static const struct {
	const char *name;
	void (*run)(uint32_t ah, uint32_t of_seed, struct cond_result *res);
} conds[16] = {CONDITIONS(COND_ENTRY)};

static void run_cond(unsigned cc, uint32_t flags, struct cond_result *res)
{
	res->setcc_mem = 0xaaaaaaaa;
	res->cmov_src = 0x33333333;
	/* SAHF takes SF ZF AF PF CF from AH; ADD EDX, EDX overflows for 0x40000000. */
	conds[cc].run(flags << 8, (flags & FL_OF) ? 0x40000000 : 0, res);
}

/*
 * The SDM's definition of condition cc (Vol. 1 appendix B): bits 3-1 pick
 * the test, bit 0 negates it.
 */
static bool cond_holds(unsigned cc, uint32_t f)
{
	bool cf = f & FL_CF, pf = f & FL_PF, zf = f & FL_ZF, sf = f & FL_SF, of = f & FL_OF;
	const bool test[8] = {
	    of,		    /* O */
	    cf,		    /* B, C, NAE */
	    zf,		    /* E, Z */
	    cf || zf,	    /* BE, NA */
	    sf,		    /* S */
	    pf,		    /* P, PE */
	    sf != of,	    /* L, NGE */
	    zf || sf != of, /* LE, NG */
	};

	return test[cc >> 1] != (cc & 1);
}

/* The forms, in struct cond_result order, and what each gives when the condition is t. */
enum form { JCC_SHORT, JCC_NEAR, SETCC_REG, SETCC_MEM, CMOV_REG, CMOV16_REG, CMOV_MEM, N_FORMS };

static const char *const form_names[N_FORMS] = {"jcc_short", "jcc_near",   "setcc_reg", "setcc_mem",
						"cmov_reg",  "cmov16_reg", "cmov_mem"};

static uint32_t form_want(enum form f, bool t)
{
	switch (f) {
	case JCC_SHORT:
	case JCC_NEAR:
		return t;
	case SETCC_REG:
		return 0x55555500 | t; /* only CL changes, to exactly 0 or 1 */
	case SETCC_MEM:
		return 0xaaaaaa00 | t; /* only the addressed byte changes */
	case CMOV_REG:
		return t ? 0x22222222 : 0x11111111; /* false: ECX unchanged */
	case CMOV16_REG:
		return t ? 0x11112222 : 0x11111111;
	case CMOV_MEM:
		return t ? 0x33333333 : 0x11111111;
	default:
		return 0;
	}
}

static uint32_t form_got(enum form f, const struct cond_result *r)
{
	const uint32_t got[N_FORMS] = {r->jcc_short, r->jcc_near,   r->setcc_reg, r->setcc_mem,
				       r->cmov_reg,  r->cmov16_reg, r->cmov_mem};

	return got[f];
}

/* The i-th of the 32 combinations of CF, PF, ZF, SF, OF. */
static uint32_t flag_state(unsigned i)
{
	return ((i & 1) ? FL_CF : 0) | ((i & 2) ? FL_PF : 0) | ((i & 4) ? FL_ZF : 0) |
	       ((i & 8) ? FL_SF : 0) | ((i & 16) ? FL_OF : 0);
}

/* One line per (form, condition); a failure names the first flag state that went wrong. */
static void check_conditions(void)
{
	static struct cond_result res[16][32];

	for (unsigned c = 0; c < 16; c++)
		for (unsigned i = 0; i < 32; i++)
			run_cond(c, flag_state(i), &res[c][i]);
	for (unsigned f = 0; f < N_FORMS; f++) {
		for (unsigned c = 0; c < 16; c++) {
			const char *name = check_name(form_names[f], conds[c].name);
			unsigned i;

			for (i = 0; i < 32; i++) {
				uint32_t got = form_got(f, &res[c][i]);
				uint32_t want = form_want(f, cond_holds(c, flag_state(i)));

				if (got != want) {
					check_fail(name, "flags 0x%03x: got 0x%08x, want 0x%08x",
						   flag_state(i), got, want);
					break;
				}
			}
			if (i == 32)
				check_ok(name);
		}
	}
}

/*
 * LOOP decrements ECX and branches while it is not 0; LOOPE/LOOPNE also
 * stop on ZF = 0 / ZF = 1; none changes a flag. JECXZ branches on ECX = 0.
 * With the 0x67 prefix they use CX instead (JCXZ is 67 E3).
 */
static const uint32_t fives[5] = {5, 5, 5, 7, 5}, to_five[4] = {1, 2, 5, 4};

static void check_loops(void)
{
	struct regs r = {.eax = 0, .ecx = 5};

	RUN_INSN("1:\n\tincl %%eax\n\tloop 1b", r);
	CHECK_EQ32("loop_iterations", r.eax, 5);
	CHECK_EQ32("loop_ecx", r.ecx, 0);

	/* Elements 5, 5, 5 compare equal; 7 ends it after 4 iterations. */
	r = (struct regs){.ebx = (uint32_t)fives, .ecx = 5};
	RUN_INSN("1:\n\tmovl (%%ebx), %%edx\n\taddl $4, %%ebx\n\tcmpl $5, %%edx\n\tloope 1b", r);
	CHECK_EQ32("loope_stops_on_zf0_ecx", r.ecx, 1);
	CHECK_EQ32("loope_stops_on_zf0_ebx", r.ebx, (uint32_t)&fives[4]);

	r = (struct regs){.ebx = (uint32_t)fives, .ecx = 3};
	RUN_INSN("1:\n\tmovl (%%ebx), %%edx\n\taddl $4, %%ebx\n\tcmpl $5, %%edx\n\tloope 1b", r);
	CHECK_EQ32("loope_stops_on_ecx0", r.ebx, (uint32_t)&fives[3]);
	CHECK_TRUE("loope_stops_on_ecx0_zf", r.flags & FL_ZF);

	/* 1 and 2 differ from 5; the 5 ends it after 3 iterations. */
	r = (struct regs){.ebx = (uint32_t)to_five, .ecx = 4};
	RUN_INSN("1:\n\tmovl (%%ebx), %%edx\n\taddl $4, %%ebx\n\tcmpl $5, %%edx\n\tloopne 1b", r);
	CHECK_EQ32("loopne_stops_on_zf1_ecx", r.ecx, 1);
	CHECK_EQ32("loopne_stops_on_zf1_ebx", r.ebx, (uint32_t)&to_five[3]);

	r = (struct regs){.eax = 0, .ecx = 0x12340003};
	RUN_INSN("1:\n\tincl %%eax\n\t.byte 0x67 /* addr16: CX */\n\tloop 1b", r);
	CHECK_EQ32("a16_loop_iterations", r.eax, 3);
	CHECK_EQ32("a16_loop_ecx", r.ecx, 0x12340000);

	r = (struct regs){.ecx = 0};
	RUN_INSN("movl $1, %%eax\n\tjecxz 1f\n\tmovl $0, %%eax\n1:", r);
	CHECK_EQ32("jecxz_taken", r.eax, 1);
	r = (struct regs){.ecx = 0x10000};
	RUN_INSN("movl $1, %%eax\n\tjecxz 1f\n\tmovl $0, %%eax\n1:", r);
	CHECK_EQ32("jecxz_not_taken", r.eax, 0);
	RUN_INSN("movl $1, %%eax\n\tjcxz 1f\n\tmovl $0, %%eax\n1:", r);
	CHECK_EQ32("jcxz_taken_cx0", r.eax, 1);
}

void main(uint32_t magic, uint32_t info)
{
	check_conditions();
	check_loops();
	test_finish("jcc_setcc_cmov");
}
