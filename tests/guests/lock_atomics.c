/*
 * lock_atomics.c - the read-modify-write instructions a guest kernel uses
 * for locks and counters (SDM Vol. 2: CMPXCHG, CMPXCHG8B, XADD, XCHG, and
 * the LOCK prefix, Vol. 3A 9.1.2.2): results in memory and registers,
 * success and failure of compare-exchange, flags, and 8/16-bit forms that
 * must leave the neighbouring bytes alone. The guest has one CPU, so this
 * checks semantics, not atomicity; a translator must still keep the LOCK
 * (or an equivalent) for the day the monitor runs guest code concurrently
 * with device threads.
 */
#include "check.h"
#include "regs.h"

static uint32_t mem;

/* CMPXCHG: compare EAX with the destination (flags as CMP EAX, dest); equal: dest = src, else EAX =
 * dest. */
static void check_cmpxchg(void)
{
	struct regs r = {.eax = 5, .ebx = (uint32_t)&mem, .ecx = 9};

	mem = 5;
	RUN_INSN("lock cmpxchgl %%ecx, (%%ebx)", r);
	CHECK_EQ32("cmpxchg_success_mem", mem, 9);
	CHECK_EQ32("cmpxchg_success_eax", r.eax, 5);
	CHECK_FLAGS("cmpxchg_success_flags", r.flags, FL_ZF | FL_PF, FL_ARITH);

	mem = 7;
	r.eax = 5;
	RUN_INSN("lock cmpxchgl %%ecx, (%%ebx)", r); /* 5 - 7 = -2: CF, AF, SF */
	CHECK_EQ32("cmpxchg_failure_mem", mem, 7);
	CHECK_EQ32("cmpxchg_failure_eax", r.eax, 7);
	CHECK_FLAGS("cmpxchg_failure_flags", r.flags, FL_CF | FL_AF | FL_SF, FL_ARITH);

	mem = 0x44332211;
	r = (struct regs){.eax = 0xffffff22, .ebx = (uint32_t)&mem + 1, .ecx = 0xee};
	RUN_INSN("lock cmpxchgb %%cl, (%%ebx)", r); /* AL = 0x22 matches byte 1 */
	CHECK_EQ32("cmpxchg8_success_mem", mem, 0x4433ee11);
	CHECK_TRUE("cmpxchg8_success_zf", r.flags & FL_ZF);

	r = (struct regs){.eax = 0xaaaa0000, .ebx = (uint32_t)&mem + 2, .ecx = 0xbeef};
	RUN_INSN("lock cmpxchgw %%cx, (%%ebx)", r); /* AX = 0 vs 0x4433: fails */
	CHECK_EQ32("cmpxchg16_failure_eax", r.eax, 0xaaaa4433);
	CHECK_EQ32("cmpxchg16_failure_mem", mem, 0x4433ee11);
	CHECK_FLAGS("cmpxchg16_failure_flags", r.flags, 0, FL_ZF);
}

/*
 * CMPXCHG8B: compare EDX:EAX with m64; equal: m64 = ECX:EBX and ZF = 1,
 * else EDX:EAX = m64 and ZF = 0. Only ZF is checked here: that the other
 * flags are unaffected is cmpxchg8b_flags.c's check, which QEMU 7.2 fails.
 */
static void check_cmpxchg8b(void)
{
	static uint64_t m64;
	uint32_t eax = 0x55667788, edx = 0x11223344, flags;

	m64 = 0x1122334455667788ull;
	__asm__ volatile("lock cmpxchg8b %[m]\n\tpushfl\n\tpopl %[fl]"
			 : "+a"(eax), "+d"(edx), [m] "+m"(m64), [fl] "=r"(flags)
			 : "b"(0xddccbbaa), "c"(0x99887766)
			 : "cc");
	CHECK_EQ64("cmpxchg8b_success_mem", m64, 0x99887766ddccbbaaull);
	CHECK_FLAGS("cmpxchg8b_success_zf", flags, FL_ZF, FL_ZF);

	eax = edx = 0;
	__asm__ volatile("lock cmpxchg8b %[m]\n\tpushfl\n\tpopl %[fl]"
			 : "+a"(eax), "+d"(edx), [m] "+m"(m64), [fl] "=r"(flags)
			 : "b"(0), "c"(0)
			 : "cc");
	CHECK_EQ64("cmpxchg8b_failure_edx_eax", ((uint64_t)edx << 32) | eax, 0x99887766ddccbbaaull);
	CHECK_EQ64("cmpxchg8b_failure_mem", m64, 0x99887766ddccbbaaull);
	CHECK_FLAGS("cmpxchg8b_failure_zf", flags, 0, FL_ZF);
}

/* XADD: dest = dest + src, src = old dest; flags as ADD. XCHG with memory locks implicitly. */
static void check_xadd_xchg(void)
{
	struct regs r = {.ebx = (uint32_t)&mem, .ecx = 1};

	mem = 0xffffffff;
	RUN_INSN("lock xaddl %%ecx, (%%ebx)", r); /* 0xffffffff + 1: CF ZF AF PF */
	CHECK_EQ32("xadd_mem", mem, 0);
	CHECK_EQ32("xadd_old_value", r.ecx, 0xffffffff);
	CHECK_FLAGS("xadd_flags", r.flags, FL_CF | FL_ZF | FL_AF | FL_PF, FL_ARITH);

	mem = 0x12347fff;
	r.ecx = 0xaaaa0001;
	RUN_INSN("lock xaddw %%cx, (%%ebx)", r); /* 0x7fff + 1 overflows */
	CHECK_EQ32("xadd16_mem", mem, 0x12348000);
	CHECK_EQ32("xadd16_old_value", r.ecx, 0xaaaa7fff);
	CHECK_FLAGS("xadd16_flags", r.flags, FL_OF | FL_SF | FL_AF | FL_PF, FL_ARITH);

	mem = 0x11223344;
	r = (struct regs){.ebx = (uint32_t)&mem, .edx = 0x0000f000};
	RUN_INSN("lock xaddb %%dh, 3(%%ebx)", r); /* 0x11 + 0xf0 = 0x101: CF */
	CHECK_EQ32("xadd8_high_reg_mem", mem, 0x01223344);
	CHECK_EQ32("xadd8_high_reg_old", r.edx, 0x00001100);

	mem = 0xcafebabe;
	r = (struct regs){.ebx = (uint32_t)&mem, .ecx = 0x12345678};
	RUN_INSN("xchgl %%ecx, (%%ebx)", r);
	CHECK_EQ32("xchg_mem", mem, 0x12345678);
	CHECK_EQ32("xchg_reg", r.ecx, 0xcafebabe);

	r = (struct regs){.eax = 0x0000aa00, .ebx = (uint32_t)&mem};
	RUN_INSN("xchgb %%ah, 1(%%ebx)", r);
	CHECK_EQ32("xchg8_high_reg_mem", mem, 0x1234aa78);
	CHECK_EQ32("xchg8_high_reg", r.eax, 0x00005600);
}

/* LOCK on the arithmetic, logic and bit-test instructions with a memory destination. */
static void check_lock_rmw(void)
{
	struct regs r = {.ebx = (uint32_t)&mem};

	mem = 0x7fffffff;
	RUN_INSN(FLAGS_CF_PF_AF_SF "lock incl (%%ebx)", r); /* INC keeps CF */
	CHECK_EQ32("lock_inc", mem, 0x80000000);
	CHECK_FLAGS("lock_inc_flags", r.flags, FL_CF | FL_OF | FL_SF | FL_AF | FL_PF, FL_ARITH);

	mem = 0;
	RUN_INSN(FLAGS_NONE "lock decw 2(%%ebx)", r);
	CHECK_EQ32("lock_dec16", mem, 0xffff0000);
	CHECK_FLAGS("lock_dec16_flags", r.flags, FL_SF | FL_AF | FL_PF, FL_ARITH);

	mem = 10;
	RUN_INSN("lock addl $-3, (%%ebx)", r); /* 10 + 0xfffffffd = 0x1_00000007 */
	CHECK_EQ32("lock_add", mem, 7);
	CHECK_FLAGS("lock_add_flags", r.flags, FL_CF | FL_AF, FL_ARITH);

	mem = 0x0f0f0f0f;
	RUN_INSN("lock orl $0xf0000000, (%%ebx)", r);
	CHECK_EQ32("lock_or", mem, 0xff0f0f0f);
	CHECK_FLAGS("lock_or_flags", r.flags, FL_SF | FL_PF, FL_NOT_AF);
	RUN_INSN("lock andl $0x0000ffff, (%%ebx)", r);
	CHECK_EQ32("lock_and", mem, 0x00000f0f);
	RUN_INSN("lock xorl $0xffffffff, (%%ebx)", r);
	CHECK_EQ32("lock_xor", mem, 0xfffff0f0);
	RUN_INSN("lock notl (%%ebx)", r);
	CHECK_EQ32("lock_not", mem, 0x00000f0f);
	RUN_INSN("lock negl (%%ebx)", r); /* CF = (operand != 0) */
	CHECK_EQ32("lock_neg", mem, 0xfffff0f1);
	CHECK_FLAGS("lock_neg_cf", r.flags, FL_CF, FL_CF);

	mem = 5;
	RUN_INSN("stc\n\tlock adcl $1, (%%ebx)", r);
	CHECK_EQ32("lock_adc", mem, 7);
	RUN_INSN("stc\n\tlock sbbl $1, (%%ebx)", r);
	CHECK_EQ32("lock_sbb", mem, 5);
	RUN_INSN("lock subl $6, (%%ebx)", r);
	CHECK_EQ32("lock_sub", mem, 0xffffffff);

	mem = 0;
	RUN_INSN("lock orb $0x80, 2(%%ebx)", r);
	CHECK_EQ32("lock_or8", mem, 0x00800000);
}

static uint32_t bits[4];

static void check_lock_bt(void)
{
	struct regs r = {.ebx = (uint32_t)bits, .ecx = 100};

	RUN_INSN("lock btsl $3, (%%ebx)", r);
	CHECK_EQ32("lock_bts_imm", bits[0], 8);
	CHECK_FLAGS("lock_bts_imm_old_bit", r.flags, 0, FL_CF);
	RUN_INSN("lock btsl $3, (%%ebx)", r);
	CHECK_FLAGS("lock_bts_imm_again", r.flags, FL_CF, FL_CF);

	RUN_INSN("lock btsl %%ecx, (%%ebx)", r); /* bit 100: dword 3, bit 4 */
	CHECK_EQ32("lock_bts_reg_offset", bits[3], 0x10);
	RUN_INSN("lock btcl %%ecx, (%%ebx)", r);
	CHECK_EQ32("lock_btc_reg_offset", bits[3], 0);
	CHECK_FLAGS("lock_btc_reg_offset_old_bit", r.flags, FL_CF, FL_CF);
	RUN_INSN("lock btrl $3, (%%ebx)", r);
	CHECK_EQ32("lock_btr_imm", bits[0], 0);
}

void main(uint32_t magic, uint32_t info)
{
	check_cmpxchg();
	check_cmpxchg8b();
	check_xadd_xchg();
	check_lock_rmw();
	check_lock_bt();
	test_finish("lock_atomics");
}
