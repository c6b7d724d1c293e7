/*
 * diff_unicorn.c - the differential test: each instruction form of insn_table.h, with each
 * case of its operand preset, runs through btvmm's translator and through Unicorn (the
 * reference CPU); registers, the flags the Intel SDM defines, memory and exceptions must agree.
 *
 * One program, in five parts: the guest's memory map, the cases (presets), the btvmm side,
 * the Unicorn side, comparing and reporting. It is longer than our files usually are
 * because a CMake test is one executable and the parts share the case and outcome types.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unicorn/unicorn.h>

#include "monitor/internal.h"

/* ---- The guest's memory map: the same in both machines ---- */
#define GDT_BASE    0x1000	/* see gdt[]: btvmm delivers exceptions through it, and both */
#define GDT_LIMIT   (9 * 8 - 1) /* machines load segment registers from it */
#define IDT_BASE    0x2000	/* 256 interrupt gates, gate v to the stub at STUBS_BASE + v */
#define STUBS_BASE  0x2800	/* each stub is one HLT, so where btvmm stops names the vector */
#define DATA_BASE   0x4000	/* the compared data buffer, below 64 KB for 16-bit addressing */
#define DATA_SIZE   0x2000
#define DATA_PTR    0x5000 /* EBX of memory forms: a page boundary, so [ebx-1] splits */
#define SRC_PTR	    0x4400 /* ESI and EDI of string forms */
#define DST_PTR	    0x4800
#define CODE_BASE   0x10000 /* form k at CODE_BASE + k * CODE_SLOT, never rewritten, so */
#define CODE_SLOT   64	    /* neither machine can run a stale translation of it */
#define CODE_END    0x30000
#define STACK_BASE  0x7e000 /* the compared stack; ESP starts in its middle */
#define STACK_SIZE  0x2000
#define STACK_PTR   0x7f000
#define XPAGE_BASE  0x81000 /* forms placed across a page boundary: two pages each */
#define XPAGE_END   0x100000
#define UC_MEM_SIZE 0x100000
#define RAM_SIZE    (16u << 20)

/* ---- The vocabulary of insn_table.h (explained at its top) ---- */
#define FL_CF	 EFLAGS_CF
#define FL_PF	 EFLAGS_PF
#define FL_AF	 EFLAGS_AF
#define FL_ZF	 EFLAGS_ZF
#define FL_SF	 EFLAGS_SF
#define FL_OF	 EFLAGS_OF
#define FL_ALL	 EFLAGS_ARITH
#define FL_LOGIC (FL_ALL & ~FL_AF)
#define FL_MUL	 (FL_CF | FL_OF)
#define FL_NONE	 0u
#define FL_BT	 (FL_CF | FL_ZF)
#define FL_BSF	 FL_ZF
#define FL_DAA	 (FL_ALL & ~FL_OF)
#define FL_AAA	 (FL_CF | FL_AF)
#define FL_AAM	 (FL_SF | FL_ZF | FL_PF)

#define FR_RULE		    (1u << 31)
#define FR(kind, bits, src) (FR_RULE | (kind) << 16 | (bits) << 8 | (src))
enum { R_SHIFT = 1, R_SAR, R_ROT, R_SHD };
enum { CNT_ONE = 1, CNT_CL, CNT_IMM };

#define P_REGS	    0u
#define P_MEM	    (1u << 0)
#define P_IDX	    (1u << 1)
#define P_NZ	    (1u << 2)
#define P_BIT	    (1u << 3)
#define P_STR	    (1u << 4)
#define P_CX	    (1u << 5)
#define P_LOOP	    (1u << 6)
#define P_HI16	    (1u << 7)
#define P_FRAME	    (1u << 8)
#define P_BYTE	    (1u << 9)
#define P_SEL	    (1u << 10)
#define P_SMC	    (1u << 11)
#define P_RESET	    (1u << 13)
#define P_XPAGE_BIT (1u << 12)
#define P_XPAGE(n)  (P_XPAGE_BIT | (n) << 24) /* byte n of the code starts a page */

/* What differed in a case; known_deviations.h excuses some of it with the same bits. */
#define DIFF_FLAGS     0xfffu /* EFLAGS bits, where they are */
#define DIFF_REG(r)    (1u << (16 + (r)))
#define DIFF_EIP       (1u << 24)
#define DIFF_MEM       (1u << 25)
#define DIFF_EXC       (1u << 26)
#define IGN_FLAGS(m)   ((m)&DIFF_FLAGS)
#define IGN_REG(r)     DIFF_REG(r)
#define IGN_EIP	       DIFF_EIP
#define IGN_MEM	       DIFF_MEM
#define IGN_EXC	       DIFF_EXC
#define IGN_MISSING_GP (1u << 27) /* the whole case, if btvmm raised #GP and Unicorn ran on */
#define IGN_ALL	       0xffffffffu

struct deviation {
	const char *form;
	uint32_t ignore;
	const char *reason;
};

static const struct deviation deviations[] = {
#define DEVIATION(form, ignore, reason) {#form, ignore, reason},
#include "known_deviations.h"
#undef DEVIATION
    {NULL, 0, NULL}, /* the list may be empty */
};

struct form {
	const char *name, *hex;
	uint32_t flags;	 /* FL_* mask or FR() rule */
	uint32_t preset; /* P_* bits */
	uint8_t code[CODE_SLOT];
	unsigned len;  /* bytes before the HLT */
	uint32_t addr; /* where it runs: an address no other form uses */
	const struct deviation *dev;
	unsigned mismatches, excluded;
};

static struct form forms[] = {
#define INSN(name, hex, flags, preset) {#name, hex, flags, preset, {0}, 0, 0, NULL, 0, 0},
#include "insn_table.h"
#undef INSN
};
#define NFORMS (sizeof(forms) / sizeof(forms[0]))

/* ---- Operand values ---- */

/* Case c of a form puts vals[(i + r * j) % NVALS] in register r (i = c % NVALS, j = c /
 * NVALS): with NVALS prime, every pair of values meets in every pair of registers. */
#define NVALS 31
static const uint32_t vals[NVALS] = {
    0,		1,	    2,		7,	    8,		9,	    0x0f,	0x10,
    0x11,	0x1f,	    0x20,	0x21,	    0x7f,	0x80,	    0xff,	0x100,
    0x7fff,	0x8000,	    0xffff,	0x10000,    0x7fffffff, 0x80000000, 0x80000001, 0xfffffffe,
    0xffffffff, 0x12345678, 0x9e3779b9, 0xdeadbeef, 0x5bd1e995, 0xc2b2ae35, 0x0080ff7f,
};

/* Bit offsets for BT* m, r: signed, and at most a page from DATA_PTR either way. */
static const int32_t bit_offsets[NVALS] = {
    0,	1,  7,	8,  15,	 16,  31,  32,	33,   63,    64,    100,    255,   1000,   4095,  32767,
    -1, -7, -8, -9, -31, -32, -33, -64, -100, -1000, -4096, -32768, 12345, -12345, 20000,
};

/* Selectors for segment loads, LAR/LSL/VERR/VERW (see gdt[]): each kind of descriptor,
 * RPL 3, the LDT, and one past the GDT's limit. */
#define NSELS 14
static const uint16_t sels[NSELS] = {0x00, 0x10, 0x18, 0x20, 0x28, 0x30, 0x3b,
				     0x40, 0x48, 0x0b, 0x08, 0x13, 0x03, 0x1c};

/* Bytes the string buffers are made of: equal and unequal neighbours for CMPS/SCAS. */
static const uint8_t alphabet[4] = {0x00, 0x01, 0x80, 0xff};

static uint8_t data_template[DATA_SIZE], stack_template[STACK_SIZE];

struct case_in {
	unsigned index;
	uint32_t regs[8];
	uint32_t eflags;
	uint8_t data[DATA_SIZE];
	uint8_t stack[STACK_SIZE];
};

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static uint32_t mix(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x85ebca6bu;
	x ^= x >> 13;
	return x;
}

/* Fixed-seed xorshift: the buffers' background is the same in every run. */
static void fill_templates(void)
{
	uint32_t x = 0x2545f491u;

	for (unsigned k = 0; k < DATA_SIZE; k++, x ^= x << 13, x ^= x >> 17, x ^= x << 5)
		data_template[k] = (uint8_t)x;
	for (unsigned k = 0; k < STACK_SIZE; k++, x ^= x << 13, x ^= x >> 17, x ^= x << 5)
		stack_template[k] = (uint8_t)x;
}

/* CF PF AF ZF SF OF DF from seven bits of a hash of the case number. */
static uint32_t flag_state(unsigned c)
{
	static const uint32_t bit[7] = {EFLAGS_CF, EFLAGS_PF, EFLAGS_AF, EFLAGS_ZF,
					EFLAGS_SF, EFLAGS_OF, EFLAGS_DF};
	uint32_t s = (c * 2654435761u) >> 25, fl = EFLAGS_FIXED1;

	for (int b = 0; b < 7; b++)
		if (s & (1u << b))
			fl |= bit[b];
	return fl;
}

/* The words around DATA_PTR come from the same values as the registers. */
static void fill_window(struct case_in *in, unsigned i, unsigned j)
{
	for (int k = -4; k < 12; k++)
		put32(in->data + DATA_PTR - DATA_BASE + 4 * k, vals[(i + (k + 8) * j) % NVALS]);
}

/* BSF/BSR leave the destination undefined for a zero source: give every operand a bit. */
static void make_nonzero(struct case_in *in, unsigned i)
{
	for (int r = 0; r < 8; r++)
		if (!(in->regs[r] & 0xffff))
			in->regs[r] |= 1u << (i % 16);
	for (int k = -4; k < 12; k++) {
		uint8_t *p = in->data + DATA_PTR - DATA_BASE + 4 * k;

		if (!(get32(p) & 0xffff))
			put32(p, get32(p) | 1u << (i % 16));
	}
}

/* Source and destination strings of repeated bytes; the destination differs from the
 * source d bytes either side of DST_PTR, so REPE/REPNE stop early in both directions. */
static void fill_strings(struct case_in *in, unsigned c, unsigned i)
{
	uint8_t *src = in->data + SRC_PTR - DATA_BASE, *dst = in->data + DST_PTR - DATA_BASE;
	unsigned d = i % 8;

	for (int k = -8; k < 8; k++) {
		uint32_t w = alphabet[mix(c * 16 + (unsigned)(k + 8)) & 3] * 0x01010101u;

		put32(src + 4 * k, w);
		put32(dst + 4 * k, w);
	}
	dst[d] ^= 1;
	if (d)
		dst[-(int)d] ^= 1;
}

static void apply_counts(uint32_t preset, unsigned i, unsigned j, struct case_in *in)
{
	if (preset & P_STR) {
		in->regs[R_ESI] = SRC_PTR;
		in->regs[R_EDI] = DST_PTR;
		in->regs[R_EAX] = alphabet[i & 3] * 0x01010101u;
	}
	if (preset & (P_STR | P_CX))
		in->regs[R_ECX] = j % 8;
	if (preset & P_LOOP)
		in->regs[R_ECX] = 1 + j % 8;
	if (preset & P_HI16) {
		/* Only CX, SI, DI (and AX of a 16-bit bit offset) may matter. */
		in->regs[R_ECX] |= vals[i] & 0xffff0000u;
		in->regs[R_ESI] =
		    (in->regs[R_ESI] & 0xffff) | (vals[(i + 1) % NVALS] & 0xffff0000u);
		in->regs[R_EDI] =
		    (in->regs[R_EDI] & 0xffff) | (vals[(i + 2) % NVALS] & 0xffff0000u);
	}
}

static void apply_preset(uint32_t preset, unsigned c, unsigned i, unsigned j, struct case_in *in)
{
	if (preset & P_NZ)
		make_nonzero(in, i);
	if (preset & (P_MEM | P_BIT))
		in->regs[R_EBX] = DATA_PTR;
	if (preset & P_IDX)
		in->regs[R_ECX] = (j % 8) - 4;
	if (preset & P_BIT)
		in->regs[R_EAX] = (uint32_t)bit_offsets[j];
	if ((preset & P_BIT) && (preset & P_HI16))
		in->regs[R_EAX] = vals[i] << 16 | (in->regs[R_EAX] & 0xffff);
	if (preset & P_STR)
		fill_strings(in, c, i);
	apply_counts(preset, i, j, in);
	if (preset & P_FRAME)
		in->regs[R_EBP] = in->regs[R_ESP] + 0x40;
	if (preset & P_SEL) {
		/* ECX, and the selector halves of far pointers at [ebx] (m16:16, m16:32) */
		in->regs[R_EBX] = DATA_PTR;
		in->regs[R_ECX] = sels[j % NSELS];
		memcpy(in->data + DATA_PTR - DATA_BASE + 2, &sels[i % NSELS], 2);
		memcpy(in->data + DATA_PTR - DATA_BASE + 4, &sels[i % NSELS], 2);
	}
	if (preset & P_BYTE) {
		in->regs[R_EAX] = (in->regs[R_EAX] & ~0xffu) | (c & 0xff);
		in->eflags &= ~(EFLAGS_CF | EFLAGS_AF);
		in->eflags |= (c & 0x100 ? EFLAGS_CF : 0) | (c & 0x200 ? EFLAGS_AF : 0);
	}
}

static unsigned case_count(const struct form *f)
{
	return f->preset & P_BYTE ? 1024 : NVALS * NVALS;
}

static void make_case(const struct form *f, unsigned c, struct case_in *in)
{
	unsigned i = c % NVALS, j = c / NVALS % NVALS;

	in->index = c;
	for (int r = 0; r < 8; r++)
		in->regs[r] = vals[(i + r * j) % NVALS];
	in->regs[R_ESP] = STACK_PTR + 2 - 4 * (j % 4) - 2 * (i % 2); /* some straddle a page */
	in->eflags = flag_state(c);
	memcpy(in->data, data_template, DATA_SIZE);
	memcpy(in->stack, stack_template, STACK_SIZE);
	fill_window(in, i, j);
	apply_preset(f->preset, c, i, j, in);
}

/*
 * The flags the SDM defines after this case (DF always). Returns false if the
 * case's result is undefined altogether (SHLD/SHRD by more than the width).
 */
static bool defined_flags(const struct form *f, const struct case_in *in, uint32_t *mask)
{
	unsigned kind = f->flags >> 16 & 0xff, bits = f->flags >> 8 & 0xff, src = f->flags & 0xff;
	unsigned count = src == CNT_CL ? in->regs[R_ECX] : src == CNT_ONE ? 1 : f->code[f->len - 1];

	*mask = (f->flags & FR_RULE ? FL_ALL : f->flags) | EFLAGS_DF;
	count &= 0x1f;
	if (!(f->flags & FR_RULE) || count == 0)
		return true; /* a masked count of 0 changes no flags */
	if (kind == R_SHD && count > bits)
		return false;
	if (kind != R_ROT)
		*mask &= ~FL_AF;
	if (count != 1)
		*mask &= ~FL_OF;
	if (kind == R_SHIFT && count >= bits)
		*mask &= ~FL_CF; /* SHL/SHR: "undefined ... count >= the size of the operand" */
	return true;
}

/* ---- What a machine ended with ---- */
#define NO_EXC	    (-1)
#define EXC_STOPPED (-2) /* btvmm stopped with a non-zero status (see detail) */
#define EXC_UCERR   (-3) /* Unicorn failed (detail: uc_err) */
#define EXC_TIMEOUT (-4) /* stopped by the watchdog: ran away */

struct outcome {
	uint32_t regs[8], eip, eflags;
	int vector; /* NO_EXC: ran to the HLT; else the exception, with EIP as pushed */
	int detail;
	uint32_t frame_lo, frame_len; /* btvmm's exception frame: not compared */
};

static void load_memory(uint8_t *mem, const struct case_in *in)
{
	memcpy(mem + DATA_BASE, in->data, DATA_SIZE);
	memcpy(mem + STACK_BASE, in->stack, STACK_SIZE);
}

/* The GDT both machines use: the flat code and data segments the vCPU starts with,
 * then one descriptor of each kind the segment tests load. */
static const uint64_t gdt[GDT_LIMIT / 8 + 1] = {
    0,
    0x00cf9b000000ffffull, /* 0x08 flat code, the gates' target */
    0x00cf93000000ffffull, /* 0x10 flat data */
    0xff4093fff0005003ull, /* 0x18 data, base FFFFF000h (wraps to 0), limit 5003h */
    0x0040970000004fffull, /* 0x20 expand-down data, limit 4FFFh: offsets 5000h and up */
    0x00cf91000000ffffull, /* 0x28 read-only data */
    0x00cf99000000ffffull, /* 0x30 execute-only code: not loadable into DS */
    0x00cff3000000ffffull, /* 0x38 data, DPL 3 */
    0x00cf13000000ffffull, /* 0x40 not present */
};

/* The GDT, and an IDT for btvmm's exception delivery (Unicorn stops in a hook instead,
 * but gets the same bytes so that reads of low memory agree), and a HLT-filled code area. */
static void put_tables(uint8_t *mem)
{
	memcpy(mem + GDT_BASE, gdt, sizeof(gdt));
	/* A stray jump into the code area stops at a HLT instead of running on. */
	memset(mem + CODE_BASE, 0xf4, CODE_END - CODE_BASE);
	for (uint32_t v = 0; v < 256; v++) {
		uint32_t stub = STUBS_BASE + v;
		uint8_t *gate = mem + IDT_BASE + 8 * v;

		/* 32-bit interrupt gate, DPL 0, to 0x08:stub */
		put32(gate, (stub & 0xffff) | 0x08u << 16);
		put32(gate + 4, (stub & 0xffff0000u) | 0x8e00u);
		mem[stub] = 0xf4;
	}
}

/* ---- The watchdog: a case that runs away (a wrong jump into a loop) is stopped ---- */

#define WATCHDOG_NS 1000000000L /* no case takes this long, not even under valgrind */

enum { RUN_IDLE, RUN_BTVMM, RUN_UNICORN };

static struct watchdog {
	struct vm *vm;
	uc_engine *uc;
	atomic_uint seq;  /* bumped whenever a machine starts a case */
	atomic_int phase; /* RUN_* */
	atomic_bool fired;
} watchdog;

/* Every WATCHDOG_NS: if the same run is still going, stop it the way each machine
 * allows from another thread (btvmm checks exit_request at every block). */
static void *watchdog_main(void *unused)
{
	struct timespec period = {WATCHDOG_NS / 1000000000L, WATCHDOG_NS % 1000000000L};
	unsigned last = 0;

	for (;;) {
		nanosleep(&period, NULL);
		unsigned seq = atomic_load(&watchdog.seq);
		int phase = atomic_load(&watchdog.phase);

		if (seq == last && phase != RUN_IDLE) {
			atomic_store(&watchdog.fired, true);
			if (phase == RUN_BTVMM) {
				watchdog.vm->quit_request = 1;
				watchdog.vm->vcpu->exit_request = 1;
			} else {
				uc_emu_stop(watchdog.uc);
			}
		}
		last = seq;
	}
	return unused;
}

static int watchdog_start(struct vm *vm, uc_engine *uc)
{
	pthread_t thread;

	watchdog.vm = vm;
	watchdog.uc = uc;
	if (pthread_create(&thread, NULL, watchdog_main, NULL))
		return -1;
	return pthread_detach(thread) ? -1 : 0;
}

static void watchdog_enter(int phase)
{
	atomic_store(&watchdog.fired, false);
	atomic_fetch_add(&watchdog.seq, 1);
	atomic_store(&watchdog.phase, phase);
}

/* Returns true if the run just finished was stopped by the watchdog. */
static bool watchdog_leave(void)
{
	atomic_store(&watchdog.phase, RUN_IDLE);
	return atomic_load(&watchdog.fired);
}

/* ---- The btvmm side ---- */

static void btvmm_reset_cpu(struct vm *vm)
{
	struct vcpu *v = vm->vcpu;

	vcpu_reset_multiboot(v, &(struct boot_entry){.protocol = BOOT_MULTIBOOT});
	v->gdtr = (struct dtable){GDT_BASE, GDT_LIMIT};
	v->idtr = (struct dtable){IDT_BASE, 256 * 8 - 1};
	v->cr4 = CR4_OSFXSR | CR4_OSXMMEXCPT; /* SSE enabled, as an OS would */
	smmu_write_cr4(&v->mmu, v->cr4);
	vcpu_update_mode(v);
}

static struct vm *btvmm_create(void)
{
	struct vm_config cfg = {.ram_size = RAM_SIZE, .serial = SERIAL_NONE};
	struct vm *vm = vm_create(&cfg);

	if (!vm)
		return NULL;
	put_tables(vm->phys.ram);
	btvmm_reset_cpu(vm);
	return vm;
}

/*
 * vm_prepare_rerun() without its translation flush: the flush clears an 8 MB
 * page index (about 165 us), and a form's code does not change between its
 * cases, so it is done once per form and each case only clears the stop.
 */
static void btvmm_rearm(struct vm *vm)
{
	vm->quit_request = 0;
	vm->stop = false;
	vm->exit_status = 0;
	vm->vcpu->halted = false;
	vm->vcpu->exception.valid = false;
}

/* btvmm stopped in stub @vector: the frame gives EIP, EFLAGS and ESP at the fault. */
static void btvmm_read_frame(const uint8_t *ram, int vector, struct outcome *o)
{
	uint32_t esp = o->regs[R_ESP], size = exception_has_error_code(vector) ? 16 : 12;

	if (esp > RAM_SIZE - size) {
		o->vector = EXC_STOPPED;
		return;
	}
	o->vector = vector;
	o->frame_lo = esp;
	o->frame_len = size;
	esp += size - 12;
	o->eip = get32(ram + esp);
	o->eflags = get32(ram + esp + 8);
	o->regs[R_ESP] = esp + 12;
}

static void btvmm_run(struct vm *vm, const struct form *f, const struct case_in *in,
		      struct outcome *o)
{
	struct vcpu *v = vm->vcpu;
	bool timed_out;
	int status;

	load_memory(vm->phys.ram, in);
	memcpy(v->regs, in->regs, sizeof(v->regs));
	v->eip = f->addr;
	v->eflags = in->eflags;
	btvmm_rearm(vm);
	watchdog_enter(RUN_BTVMM);
	status = vcpu_run(v);
	timed_out = watchdog_leave();

	*o = (struct outcome){.eip = v->eip - 1, .eflags = v->eflags, .vector = NO_EXC};
	memcpy(o->regs, v->regs, sizeof(o->regs));
	if (timed_out) {
		o->vector = EXC_TIMEOUT;
		o->eip = v->eip;
	} else if (status != 0) {
		o->vector = EXC_STOPPED; /* unsupported instruction or triple fault */
		o->detail = status;
	} else if (v->eip > STUBS_BASE && v->eip <= STUBS_BASE + 256)
		btvmm_read_frame(vm->phys.ram, (int)(v->eip - STUBS_BASE - 1), o);
	if (o->vector != NO_EXC)
		btvmm_reset_cpu(vm);
}

/* ---- The Unicorn side ---- */

struct uc_side {
	uc_engine *uc;
	uint8_t *mem;
	uc_context *clean;
	int intno;
	uint32_t int_eip;
};

static int uc_regs[10] = {UC_X86_REG_EAX, UC_X86_REG_ECX,   UC_X86_REG_EDX, UC_X86_REG_EBX,
			  UC_X86_REG_ESP, UC_X86_REG_EBP,   UC_X86_REG_ESI, UC_X86_REG_EDI,
			  UC_X86_REG_EIP, UC_X86_REG_EFLAGS};

/* Unicorn calls this for every exception and INT n, with EIP where the guest would
 * see it pushed (the faulting instruction, or the next one for INT/INTO/INT3). */
static void uc_on_interrupt(uc_engine *uc, uint32_t intno, void *opaque)
{
	struct uc_side *u = opaque;

	u->intno = (int)intno;
	uc_reg_read(uc, UC_X86_REG_EIP, &u->int_eip);
	uc_emu_stop(uc);
}

/* The state btvmm's vCPU starts in: GDTR, IDTR, CR0 = PE|ET, CR4 = OSFXSR|OSXMMEXCPT,
 * MXCSR as at reset (Unicorn starts with 0: every SSE exception unmasked), the selectors. */
static int uc_system_state(uc_engine *uc)
{
	static const int seg_ids[6] = {UC_X86_REG_CS, UC_X86_REG_SS, UC_X86_REG_DS,
				       UC_X86_REG_ES, UC_X86_REG_FS, UC_X86_REG_GS};
	uc_x86_mmr gdtr = {.base = GDT_BASE, .limit = GDT_LIMIT};
	uc_x86_mmr idtr = {.base = IDT_BASE, .limit = 256 * 8 - 1};
	uint32_t cr0 = CR0_PE | CR0_ET, cr4 = CR4_OSFXSR | CR4_OSXMMEXCPT, mxcsr = 0x1f80;
	int err = 0;

	err |= uc_reg_write(uc, UC_X86_REG_CR4, &cr4);
	err |= uc_reg_write(uc, UC_X86_REG_MXCSR, &mxcsr);
	err |= uc_reg_write(uc, UC_X86_REG_GDTR, &gdtr);
	err |= uc_reg_write(uc, UC_X86_REG_IDTR, &idtr);
	err |= uc_reg_write(uc, UC_X86_REG_CR0, &cr0);
	for (int s = 0; s < 6; s++) {
		uint32_t sel = s ? 0x10 : 0x08;

		err |= uc_reg_write(uc, seg_ids[s], &sel);
	}
	return err ? -1 : 0;
}

static int uc_side_init(struct uc_side *u)
{
	uc_hook hook;

	u->mem = aligned_alloc(4096, UC_MEM_SIZE);
	if (!u->mem || uc_open(UC_ARCH_X86, UC_MODE_32, &u->uc) != UC_ERR_OK)
		return -1;
	memset(u->mem, 0, UC_MEM_SIZE);
	put_tables(u->mem);
	if (uc_mem_map_ptr(u->uc, 0, UC_MEM_SIZE, UC_PROT_ALL, u->mem) != UC_ERR_OK ||
	    uc_hook_add(u->uc, &hook, UC_HOOK_INTR, (void *)uc_on_interrupt, u, 1, 0) !=
		UC_ERR_OK ||
	    uc_context_alloc(u->uc, &u->clean) != UC_ERR_OK || uc_system_state(u->uc) < 0)
		return -1;
	return uc_context_save(u->uc, u->clean) == UC_ERR_OK ? 0 : -1;
}

/* What Unicorn ended with: @regs as uc_regs[] lists them, and why it stopped. */
static void uc_outcome(struct uc_side *u, const uint32_t regs[10], uc_err err, bool timed_out,
		       struct outcome *o)
{
	*o = (struct outcome){.eip = regs[8], .eflags = regs[9], .vector = NO_EXC};
	memcpy(o->regs, regs, sizeof(o->regs));
	if (timed_out) {
		o->vector = EXC_TIMEOUT;
	} else if (u->intno >= 0) {
		o->vector = u->intno;
		o->eip = u->int_eip;
	} else if (err == UC_ERR_INSN_INVALID) {
		o->vector = EXC_UD;
	} else if (err != UC_ERR_OK) {
		o->vector = EXC_UCERR;
		o->detail = err;
	}
	/* An exception the hook swallowed stays QEMU's "previous exception", and the next
	 * one would become #DF: start again from the clean CPU state. */
	if (o->vector != NO_EXC)
		uc_context_restore(u->uc, u->clean);
}

static void uc_run(struct uc_side *u, const struct form *f, const struct case_in *in,
		   struct outcome *o)
{
	uint32_t regs[10], start = f->addr;
	void *ptrs[10];
	bool timed_out;
	uc_err err;

	for (int k = 0; k < 10; k++)
		ptrs[k] = &regs[k];
	memcpy(regs, in->regs, sizeof(in->regs));
	regs[8] = start;
	regs[9] = in->eflags;
	load_memory(u->mem, in);
	uc_reg_write_batch(u->uc, uc_regs, ptrs, 10);
	u->intno = -1;
	watchdog_enter(RUN_UNICORN);
	err = uc_emu_start(u->uc, start, start + f->len, 0, 0);
	timed_out = watchdog_leave();
	uc_reg_read_batch(u->uc, uc_regs, ptrs, 10);
	uc_outcome(u, regs, err, timed_out, o);
}

/* ---- Comparing and reporting ---- */

struct machines {
	struct vm *vm;
	struct uc_side uc;
	bool verbose;
	unsigned max_cases; /* -n: at most this many cases per form (0: all) */
	int only_case;	    /* -c: just this case (-1: all) */
};

struct totals {
	unsigned forms, cases, mismatches, excluded;
	unsigned exceptions; /* cases where both machines raised the same exception */
};

static uint32_t first_difference(const uint8_t *a, const uint8_t *b, uint32_t base, uint32_t size)
{
	for (uint32_t k = 0; k < size; k++)
		if (a[base + k] != b[base + k])
			return base + k;
	return 0;
}

/* The first memory byte that differs (0 if none); btvmm's exception frame excepted. */
static uint32_t memory_difference(struct machines *m, const struct outcome *b)
{
	uint8_t *ram = m->vm->phys.ram, *um = m->uc.mem;

	if (b->frame_len && b->frame_lo >= STACK_BASE &&
	    b->frame_lo + b->frame_len <= STACK_BASE + STACK_SIZE)
		memcpy(ram + b->frame_lo, um + b->frame_lo, b->frame_len);
	if (memcmp(ram + DATA_BASE, um + DATA_BASE, DATA_SIZE))
		return first_difference(ram, um, DATA_BASE, DATA_SIZE);
	if (memcmp(ram + STACK_BASE, um + STACK_BASE, STACK_SIZE))
		return first_difference(ram, um, STACK_BASE, STACK_SIZE);
	return 0;
}

static uint32_t compare(struct machines *m, const struct outcome *b, const struct outcome *u,
			uint32_t flag_mask, uint32_t *mem_at)
{
	uint32_t d = (b->eflags ^ u->eflags) & flag_mask;

	for (int r = 0; r < 8; r++)
		if (b->regs[r] != u->regs[r])
			d |= DIFF_REG(r);
	if (b->eip != u->eip)
		d |= DIFF_EIP;
	if (b->vector != u->vector || b->vector == EXC_TIMEOUT)
		d |= DIFF_EXC; /* every form must end: running away is wrong even in both */
	*mem_at = memory_difference(m, b);
	if (*mem_at)
		d |= DIFF_MEM;
	return d;
}

struct line {
	char buf[1024];
	size_t len;
};

static void __attribute__((format(printf, 2, 3))) add(struct line *l, const char *fmt, ...)
{
	va_list ap;

	if (l->len >= sizeof(l->buf))
		return;
	va_start(ap, fmt);
	l->len += (size_t)vsnprintf(l->buf + l->len, sizeof(l->buf) - l->len, fmt, ap);
	va_end(ap);
}

static const char *const reg_names[8] = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"};

static void add_vector(struct line *l, const struct outcome *o)
{
	if (o->vector == NO_EXC)
		add(l, "none");
	else if (o->vector == EXC_STOPPED)
		add(l, "stopped(status %d)", o->detail);
	else if (o->vector == EXC_UCERR)
		add(l, "error(%s)", uc_strerror((uc_err)o->detail));
	else if (o->vector == EXC_TIMEOUT)
		add(l, "ran away (stopped by the watchdog)");
	else
		add(l, "vector %d", o->vector);
}

static void add_inputs(struct line *l, const struct form *f, const struct case_in *in)
{
	add(l, "in");
	for (int r = 0; r < 8; r++)
		add(l, " %s=%08x", reg_names[r], in->regs[r]);
	add(l, " efl=%03x", in->eflags);
	if (f->preset & (P_MEM | P_BIT | P_IDX))
		add(l, " [ebx]=%08x", get32(in->data + DATA_PTR - DATA_BASE));
}

static void report(struct machines *m, const struct form *f, const struct case_in *in,
		   const struct outcome *b, const struct outcome *u, uint32_t d, uint32_t mem_at,
		   const char *what)
{
	struct line l = {.len = 0};

	add(&l, "%s %s #%u (%s): ", what, f->name, in->index, f->hex);
	add_inputs(&l, f, in);
	add(&l, ": btvmm/unicorn");
	for (int r = 0; r < 8; r++)
		if (d & DIFF_REG(r))
			add(&l, " %s=%08x/%08x", reg_names[r], b->regs[r], u->regs[r]);
	if (d & DIFF_FLAGS)
		add(&l, " efl=%03x/%03x (differ %03x)", b->eflags & 0xfff, u->eflags & 0xfff,
		    d & DIFF_FLAGS);
	if (d & DIFF_EIP)
		add(&l, " eip=%08x/%08x", b->eip, u->eip);
	if (d & DIFF_MEM)
		add(&l, " mem[%#x]=%02x/%02x", mem_at, m->vm->phys.ram[mem_at], m->uc.mem[mem_at]);
	if (d & DIFF_EXC) {
		add(&l, " exception ");
		add_vector(&l, b);
		add(&l, "/");
		add_vector(&l, u);
	}
	printf("%s\n", l.buf);
}

#define REPORT_PER_FORM 4 /* mismatch lines per form without -v */

/* Write a form's code into both machines and make both forget translations of what was
 * there (only of these bytes, for Unicorn: a flush of all its translations costs 50 ms). */
static void place_form(struct machines *m, const struct form *f)
{
	memcpy(m->vm->phys.ram + f->addr, f->code, f->len + 1);
	memcpy(m->uc.mem + f->addr, f->code, f->len + 1);
	vm_prepare_rerun(m->vm);
	uc_ctl_remove_cache(m->uc.uc, f->addr, f->addr + f->len + 1);
}

/* Did one machine go where the other did not? Then it may have written anywhere. */
static bool ran_astray(const struct outcome *b, const struct outcome *u)
{
	return b->vector != u->vector || b->vector < NO_EXC;
}

/* Does known_deviations.h excuse difference @d? */
static bool excused(const struct form *f, uint32_t d, const struct outcome *b,
		    const struct outcome *u)
{
	if (!f->dev)
		return false;
	if ((f->dev->ignore & IGN_MISSING_GP) && b->vector == EXC_GP && u->vector == NO_EXC)
		return true;
	return !(d & ~f->dev->ignore);
}

static void reset_cpus(struct machines *m)
{
	btvmm_reset_cpu(m->vm);
	uc_context_restore(m->uc.uc, m->uc.clean);
}

/* After a run astray: low memory, code and both CPUs as they were before the form. */
static void restore_machines(struct machines *m, const struct form *f)
{
	put_tables(m->vm->phys.ram);
	put_tables(m->uc.mem);
	/* Unicorn may have translated stray code in another form's slot */
	uc_ctl_remove_cache(m->uc.uc, CODE_BASE, CODE_END);
	place_form(m, f);
	reset_cpus(m);
}

/* Undo what a case may have changed beyond what the next case sets. */
static void clean_up(struct machines *m, const struct form *f, const struct outcome *b,
		     const struct outcome *u)
{
	if (ran_astray(b, u))
		restore_machines(m, f);
	else if (f->preset & (P_SEL | P_RESET))
		reset_cpus(m); /* undo segment loads, GDTR, CR0 */
	else if (f->preset & P_SMC)
		place_form(m, f); /* undo the code's changes to itself */
}

static void run_case(struct machines *m, struct form *f, const struct case_in *in,
		     uint32_t flag_mask, struct totals *t)
{
	struct outcome b, u;
	uint32_t d, mem_at;

	btvmm_run(m->vm, f, in, &b);
	uc_run(&m->uc, f, in, &u);
	d = compare(m, &b, &u, flag_mask, &mem_at);
	clean_up(m, f, &b, &u);
	t->cases++;
	if (b.vector >= 0 && b.vector == u.vector)
		t->exceptions++;
	if (!d)
		return;
	if (excused(f, d, &b, &u)) {
		f->excluded++;
		t->excluded++;
		if (m->verbose)
			report(m, f, in, &b, &u, d, mem_at, "excluded");
		return;
	}
	if (f->mismatches++ < REPORT_PER_FORM || m->verbose)
		report(m, f, in, &b, &u, d, mem_at, "MISMATCH");
	t->mismatches++;
}

static void run_form(struct machines *m, struct form *f, struct totals *t)
{
	static struct case_in in;
	unsigned n = case_count(f);
	uint32_t mask;

	if (m->max_cases && m->max_cases < n)
		n = m->max_cases;
	place_form(m, f);
	for (unsigned c = 0; c < n; c++) {
		if (m->only_case >= 0 && c != (unsigned)m->only_case)
			continue;
		make_case(f, c, &in);
		if (defined_flags(f, &in, &mask))
			run_case(m, f, &in, mask, t);
	}
	if (f->mismatches > REPORT_PER_FORM && !m->verbose)
		printf("MISMATCH %s: %u mismatches in all (-v shows each)\n", f->name,
		       f->mismatches);
	t->forms++;
}

/* ---- Setting up ---- */

/* "01 d8" -> bytes, then the HLT that ends every form. */
static int parse_form(struct form *f)
{
	const char *p = f->hex;
	unsigned n = 0;

	while (*p) {
		char *end;
		unsigned long b = strtoul(p, &end, 16);

		if (end == p || b > 0xff || n + 1 >= CODE_SLOT)
			return -1;
		f->code[n++] = (uint8_t)b;
		p = end + strspn(end, " ");
	}
	f->len = n;
	f->code[n] = 0xf4;
	return n ? 0 : -1;
}

static int link_deviations(void)
{
	for (size_t d = 0; deviations[d].form; d++) {
		size_t k = 0;

		while (k < NFORMS && strcmp(forms[k].name, deviations[d].form))
			k++;
		if (k == NFORMS || forms[k].dev) {
			fprintf(stderr, "diff: known_deviations.h: %s: %s form\n",
				deviations[d].form,
				k == NFORMS ? "no such" : "second entry for one");
			return -1;
		}
		forms[k].dev = &deviations[d];
	}
	return 0;
}

/* Form k at CODE_BASE + k * CODE_SLOT, or for P_XPAGE(n) at the end of a page of its
 * own, with byte n first on the next page. */
static int place_addresses(void)
{
	uint32_t xpage = XPAGE_BASE;

	if (CODE_BASE + NFORMS * CODE_SLOT > CODE_END)
		return -1;
	for (size_t k = 0; k < NFORMS; k++) {
		struct form *f = &forms[k];
		uint32_t split = f->preset >> 24;

		f->addr = CODE_BASE + (uint32_t)k * CODE_SLOT;
		if (!(f->preset & P_XPAGE_BIT))
			continue;
		if (xpage + 2 * PAGE_SIZE > XPAGE_END || split == 0 || split > f->len)
			return -1;
		f->addr = xpage + PAGE_SIZE - split;
		xpage += 2 * PAGE_SIZE;
	}
	return 0;
}

static int prepare_forms(void)
{
	for (size_t k = 0; k < NFORMS; k++) {
		if (parse_form(&forms[k]) < 0) {
			fprintf(stderr, "diff: %s: bad code bytes \"%s\"\n", forms[k].name,
				forms[k].hex);
			return -1;
		}
	}
	if (place_addresses() < 0) {
		fprintf(stderr, "diff: no room for the forms' code (or a bad P_XPAGE)\n");
		return -1;
	}
	return link_deviations();
}

static bool selected(const struct form *f, int argc, char **argv, int first)
{
	if (first >= argc)
		return true;
	for (int a = first; a < argc; a++)
		if (strstr(f->name, argv[a]))
			return true;
	return false;
}

/* A deviation that excused nothing in a full run is stale: the bug was fixed. */
static void note_stale(const struct machines *m, int argc, char **argv, int first)
{
	for (size_t k = 0; k < NFORMS; k++) {
		const struct form *f = &forms[k];

		if (f->dev && !f->excluded && !m->max_cases && m->only_case < 0 &&
		    selected(f, argc, argv, first))
			printf("note: %s: known deviation no longer seen; remove it from "
			       "known_deviations.h\n",
			       f->name);
	}
}

static int parse_args(int argc, char **argv, struct machines *m)
{
	int a = 1;

	for (; a < argc && argv[a][0] == '-'; a++) {
		if (!strcmp(argv[a], "-v")) {
			m->verbose = true;
		} else if (!strcmp(argv[a], "-n") && a + 1 < argc) {
			m->max_cases = (unsigned)strtoul(argv[++a], NULL, 0);
		} else if (!strcmp(argv[a], "-c") && a + 1 < argc) {
			m->only_case = (int)strtol(argv[++a], NULL, 0);
		} else if (!strcmp(argv[a], "-d") && a + 1 < argc) {
			log_mask = (uint32_t)strtoul(argv[++a], NULL, 0); /* btvmm's LOG_* bits */
		} else {
			fprintf(stderr,
				"usage: %s [-v] [-n CASES_PER_FORM] [-c CASE] [-d LOG_MASK] "
				"[NAME...]\n",
				argv[0]);
			exit(2);
		}
	}
	return a;
}

int main(int argc, char **argv)
{
	struct machines m = {.only_case = -1};
	struct totals t = {0};
	int first = parse_args(argc, argv, &m);

	fill_templates();
	if (prepare_forms() < 0)
		return 2;
	m.vm = btvmm_create();
	if (!m.vm || uc_side_init(&m.uc) < 0 || watchdog_start(m.vm, m.uc.uc) < 0) {
		fprintf(stderr, "diff: cannot create the machines\n");
		return 2;
	}
	for (size_t k = 0; k < NFORMS; k++)
		if (selected(&forms[k], argc, argv, first))
			run_form(&m, &forms[k], &t);
	note_stale(&m, argc, argv, first);
	printf("diff: %u cases raised the same exception in both machines\n", t.exceptions);
	printf("diff: %u forms, %u cases, %u mismatches, %u excluded\n", t.forms, t.cases,
	       t.mismatches, t.excluded);
	uc_context_free(m.uc.clean);
	uc_close(m.uc.uc);
	free(m.uc.mem);
	vm_destroy(m.vm);
	return t.mismatches ? 1 : 0;
}
