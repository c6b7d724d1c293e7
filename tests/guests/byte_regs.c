/*
 * byte_regs.c - 8- and 16-bit operand sizes, part 1: the high byte
 * registers AH/BH/CH/DH (ModRM reg 4-7 with byte size, which a 64-bit host
 * reads as SPL/BPL/SIL/DIL as soon as a REX prefix is present), the 0x66
 * operand-size prefix on registers and memory, multiply and divide at 8,
 * 16 and 32 bits, and sign extension (CBW/CWDE/CWD/CDQ). Expected flags are
 * masked to the ones the SDM (Vol. 2) defines for each instruction.
 * Part 2, bit_ops.c, covers XLAT, BSWAP, the bit scans and tests, SHLD/SHRD
 * and LAHF/SAHF.
 */
#include "check.h"
#include "regs.h"

void check_bit_ops(void); /* bit_ops.c: prints its own checks */

static void check_mov_xchg(void)
{
	struct regs r = {.eax = 0x11223344, .ebx = 0, .ecx = 0, .edx = 0x55667788};

	RUN_INSN("movb %%ah, %%bl\n\tmovb %%dh, %%ch\n\tmovb %%al, %%dh\n\tmovb $0x99, %%ah", r);
	CHECK_EQ32("mov_ah_to_bl", r.ebx, 0x00000033);
	CHECK_EQ32("mov_dh_to_ch", r.ecx, 0x00007700);
	CHECK_EQ32("mov_al_to_dh", r.edx, 0x55664488);
	CHECK_EQ32("mov_imm_to_ah", r.eax, 0x11229944);

	r = (struct regs){.eax = 0x11223344, .ebx = 0xaabbccdd};
	RUN_INSN("xchgb %%ah, %%al\n\txchgb %%bh, %%bl", r);
	CHECK_EQ32("xchg_ah_al", r.eax, 0x11224433);
	CHECK_EQ32("xchg_bh_bl", r.ebx, 0xaabbddcc);

	r = (struct regs){.eax = 0x11223344, .edx = 0x55667788};
	RUN_INSN("xchgw %%ax, %%dx", r);
	CHECK_EQ32("xchg16_eax", r.eax, 0x11227788);
	CHECK_EQ32("xchg16_edx", r.edx, 0x55663344);
}

/* ADD/ADC/SUB/SBB define all six status flags. */
static void check_add_sub(void)
{
	struct regs r;

	/* 0x80 + 0x80 = 0x100: carry, signed overflow (-128 + -128), zero result. */
	r = (struct regs){.eax = 0x8000, .ebx = 0x8000};
	RUN_INSN("addb %%bh, %%ah", r);
	CHECK_EQ32("add8_ah_bh", r.eax, 0x0000);
	CHECK_FLAGS("add8_ah_bh_flags", r.flags, FL_CF | FL_OF | FL_ZF | FL_PF, FL_ARITH);

	/* 0x0f + 0x00 + CF = 0x10: carry out of bit 3 only (AF); 0x10 has odd parity. */
	r = (struct regs){.ecx = 0x0000, .edx = 0x0f00};
	RUN_INSN("stc\n\tadcb %%ch, %%dh", r);
	CHECK_EQ32("adc8_dh_ch", r.edx, 0x1000);
	CHECK_FLAGS("adc8_dh_ch_flags", r.flags, FL_AF, FL_ARITH);

	/* 0x00 - 0x01 = 0xff: borrow (CF, AF), negative, even parity. */
	r = (struct regs){.eax = 0x0000, .ebx = 0x0100};
	RUN_INSN("subb %%bh, %%ah", r);
	CHECK_EQ32("sub8_ah_bh", r.eax, 0xff00);
	CHECK_FLAGS("sub8_ah_bh_flags", r.flags, FL_CF | FL_AF | FL_SF | FL_PF, FL_ARITH);

	/* 0x80 - 0x00 - CF = 0x7f: -128 - 1 overflows; borrow in the low nibble. */
	r = (struct regs){.ecx = 0x8000, .edx = 0x0000};
	RUN_INSN("stc\n\tsbbb %%dh, %%ch", r);
	CHECK_EQ32("sbb8_ch_dh", r.ecx, 0x7f00);
	CHECK_FLAGS("sbb8_ch_dh_flags", r.flags, FL_OF | FL_AF, FL_ARITH);

	/* 16 bits: 0x7fff + 1 = 0x8000 overflows; EAX's upper half stays. */
	r = (struct regs){.eax = 0xaaaa7fff, .ebx = 0x00000001};
	RUN_INSN("addw %%bx, %%ax", r);
	CHECK_EQ32("add16", r.eax, 0xaaaa8000);
	CHECK_FLAGS("add16_flags", r.flags, FL_OF | FL_SF | FL_AF | FL_PF, FL_ARITH);

	/* 0xffff + 0 + CF = 0x10000: carry, zero; -1 + 0 + 1 = 0 does not overflow. */
	r = (struct regs){.ecx = 0x5555ffff, .edx = 0};
	RUN_INSN("stc\n\tadcw %%dx, %%cx", r);
	CHECK_EQ32("adc16", r.ecx, 0x55550000);
	CHECK_FLAGS("adc16_flags", r.flags, FL_CF | FL_ZF | FL_AF | FL_PF, FL_ARITH);

	r = (struct regs){.eax = 0x66660000, .ebx = 0};
	RUN_INSN("stc\n\tsbbw %%bx, %%ax", r);
	CHECK_EQ32("sbb16", r.eax, 0x6666ffff);
	CHECK_FLAGS("sbb16_flags", r.flags, FL_CF | FL_AF | FL_SF | FL_PF, FL_ARITH);
}

/* INC/DEC set OF, SF, ZF, AF, PF and leave CF alone. */
static void check_inc_dec(void)
{
	struct regs r;

	r = (struct regs){.eax = 0x7f00};
	RUN_INSN("stc\n\tincb %%ah", r);
	CHECK_EQ32("inc8_ah", r.eax, 0x8000);
	CHECK_FLAGS("inc8_ah_flags", r.flags, FL_CF | FL_OF | FL_SF | FL_AF, FL_ARITH);

	r = (struct regs){.edx = 0x1234ff56};
	RUN_INSN("stc\n\tincb %%dh", r);
	CHECK_EQ32("inc8_dh_wraps", r.edx, 0x12340056);
	CHECK_FLAGS("inc8_dh_flags", r.flags, FL_CF | FL_ZF | FL_AF | FL_PF, FL_ARITH);

	r = (struct regs){.ebx = 0x77770000};
	RUN_INSN("clc\n\tdecw %%bx", r);
	CHECK_EQ32("dec16_bx", r.ebx, 0x7777ffff);
	CHECK_FLAGS("dec16_bx_flags", r.flags, FL_SF | FL_AF | FL_PF, FL_ARITH);
}

static void check_extend(void)
{
	struct regs r = {.eax = 0x1122f344, .edx = 0x55667788};

	RUN_INSN("movzbl %%ah, %%ebx\n\tmovsbl %%ah, %%ecx\n\tmovsbw %%ah, %%dx", r);
	CHECK_EQ32("movzx_ah", r.ebx, 0x000000f3);
	CHECK_EQ32("movsx_ah", r.ecx, 0xfffffff3);
	CHECK_EQ32("movsx16_ah", r.edx, 0x5566fff3);

	r = (struct regs){.eax = 0x1122f344};
	RUN_INSN("movzwl %%ax, %%ebx\n\tmovswl %%ax, %%ecx", r);
	CHECK_EQ32("movzx_ax", r.ebx, 0x0000f344);
	CHECK_EQ32("movsx_ax", r.ecx, 0xfffff344);

	r = (struct regs){.eax = 0x12345680};
	RUN_INSN("cbtw", r); /* CBW */
	CHECK_EQ32("cbw", r.eax, 0x1234ff80);
	r = (struct regs){.eax = 0x12348000};
	RUN_INSN("cwtl", r); /* CWDE */
	CHECK_EQ32("cwde", r.eax, 0xffff8000);
	r = (struct regs){.eax = 0x00008000, .edx = 0x12345678};
	RUN_INSN("cwtd", r); /* CWD: DX only */
	CHECK_EQ32("cwd", r.edx, 0x1234ffff);
	r = (struct regs){.eax = 0x80000000, .edx = 0};
	RUN_INSN("cltd", r); /* CDQ */
	CHECK_EQ32("cdq_negative", r.edx, 0xffffffff);
	r = (struct regs){.eax = 0x7fffffff, .edx = 0x12345678};
	RUN_INSN("cltd", r);
	CHECK_EQ32("cdq_positive", r.edx, 0);
}

/* TEST: CF = OF = 0, SF ZF PF from the AND; AF undefined. */
static void check_test(void)
{
	struct regs r = {.eax = 0xf000, .ebx = 0x8000};

	RUN_INSN("testb %%ah, %%bh", r);
	CHECK_FLAGS("test8_ah_bh", r.flags, FL_SF, FL_NOT_AF);
	r = (struct regs){.ecx = 0x7fff};
	RUN_INSN(FLAGS_CF_PF_AF_SF "testw $0x8000, %%cx", r);
	CHECK_FLAGS("test16_imm", r.flags, FL_ZF | FL_PF, FL_NOT_AF);
}

/*
 * Shifts: CF is the last bit shifted out, OF is defined for 1-bit shifts
 * only, SF ZF PF follow the result, AF is undefined. The count is masked to
 * 5 bits even for 8- and 16-bit operands, and a masked count of 0 changes no
 * flag at all.
 */
static void check_shifts(void)
{
	struct regs r;

	r = (struct regs){.eax = 0xc100};
	RUN_INSN("shlb $1, %%ah", r); /* 0xc1 << 1 = 0x182: CF = 1, OF = MSB ^ CF = 0 */
	CHECK_EQ32("shl8_ah_1", r.eax, 0x8200);
	CHECK_FLAGS("shl8_ah_1_flags", r.flags, FL_CF | FL_SF | FL_PF, FL_NOT_AF);

	r = (struct regs){.ebx = 0x8f00};
	RUN_INSN("shrb $3, %%bh", r); /* 10001111 >> 3: last bit out is bit 2 = 1 */
	CHECK_EQ32("shr8_bh_3", r.ebx, 0x1100);
	CHECK_FLAGS("shr8_bh_3_flags", r.flags, FL_CF | FL_PF, FL_CF | FL_SZP);

	r = (struct regs){.ecx = 7, .edx = 0x8000};
	RUN_INSN("sarb %%cl, %%dh", r); /* sign fills; last bit out is bit 6 = 0 */
	CHECK_EQ32("sar8_dh_cl", r.edx, 0xff00);
	CHECK_FLAGS("sar8_dh_cl_flags", r.flags, FL_SF | FL_PF, FL_CF | FL_SZP);

	r = (struct regs){.eax = 0x12348001};
	RUN_INSN("sarw $1, %%ax", r); /* SAR by 1 clears OF */
	CHECK_EQ32("sar16_1", r.eax, 0x1234c000);
	CHECK_FLAGS("sar16_1_flags", r.flags, FL_CF | FL_SF | FL_PF, FL_NOT_AF);

	r = (struct regs){.ebx = 0x0003, .ecx = 15};
	RUN_INSN("shlw %%cl, %%bx", r); /* last bit out is bit 16 - 15 = 1 */
	CHECK_EQ32("shl16_cl_15", r.ebx, 0x8000);
	CHECK_FLAGS("shl16_cl_15_flags", r.flags, FL_CF | FL_SF | FL_PF, FL_CF | FL_SZP);

	/* Count 9 on a byte is not masked (9 < 32): every bit goes; CF undefined. */
	r = (struct regs){.eax = 0xff, .ecx = 9};
	RUN_INSN("shlb %%cl, %%al", r);
	CHECK_EQ32("shl8_cl_9", r.eax, 0);
	CHECK_FLAGS("shl8_cl_9_flags", r.flags, FL_ZF | FL_PF, FL_SZP);

	/* Count 32 masks to 0: nothing changes, not even the flags. */
	r = (struct regs){.eax = 0x81, .ecx = 32};
	RUN_INSN(FLAGS_CF_PF_AF_SF "shlb %%cl, %%al", r);
	CHECK_EQ32("shl8_cl_32", r.eax, 0x81);
	CHECK_FLAGS("shl8_cl_32_flags", r.flags, FL_CF | FL_PF | FL_AF | FL_SF, FL_ARITH);
}

/*
 * Rotates change CF (and OF for 1-bit counts) only. RCL/RCR rotate through
 * CF, so an 8-bit RCL rotates 9 bits (count taken mod 9 after the 5-bit
 * mask) and a 16-bit RCR 17 bits (mod 17).
 */
static void check_rotates(void)
{
	struct regs r;

	r = (struct regs){.eax = 0x1200};
	RUN_INSN(FLAGS_CF_PF_AF_SF "rolb $4, %%ah", r); /* CF = LSB of result; PF AF SF kept */
	CHECK_EQ32("rol8_ah_4", r.eax, 0x2100);
	CHECK_FLAGS("rol8_ah_4_flags", r.flags, FL_CF | FL_PF | FL_AF | FL_SF, FL_ARITH & ~FL_OF);

	r = (struct regs){.ebx = 0x0100};
	RUN_INSN("rorb $1, %%bh", r); /* OF = XOR of the result's two top bits */
	CHECK_EQ32("ror8_bh_1", r.ebx, 0x8000);
	CHECK_FLAGS("ror8_bh_1_flags", r.flags, FL_CF | FL_OF, FL_CF | FL_OF);

	r = (struct regs){.ecx = 1, .edx = 0x8001};
	RUN_INSN("rolw %%cl, %%dx", r); /* OF = MSB of result ^ CF = 0 ^ 1 */
	CHECK_EQ32("rol16_dx_1", r.edx, 0x0003);
	CHECK_FLAGS("rol16_dx_1_flags", r.flags, FL_CF | FL_OF, FL_CF | FL_OF);

	r = (struct regs){.eax = 0x80};
	RUN_INSN("stc\n\trclb $1, %%al", r); /* old CF enters bit 0, bit 7 goes to CF */
	CHECK_EQ32("rcl8_al_1", r.eax, 0x01);
	CHECK_FLAGS("rcl8_al_1_flags", r.flags, FL_CF | FL_OF, FL_CF | FL_OF);

	r = (struct regs){.eax = 0x0100};
	RUN_INSN("stc\n\trcrb $1, %%ah", r); /* old CF enters bit 7, bit 0 goes to CF */
	CHECK_EQ32("rcr8_ah_1", r.eax, 0x8000);
	CHECK_FLAGS("rcr8_ah_1_flags", r.flags, FL_CF | FL_OF, FL_CF | FL_OF);

	r = (struct regs){.ebx = 0x5a, .ecx = 9};
	RUN_INSN("stc\n\trclb %%cl, %%bl", r); /* 9 mod 9 = 0: BL and CF unchanged */
	CHECK_EQ32("rcl8_bl_9", r.ebx, 0x5a);
	CHECK_FLAGS("rcl8_bl_9_flags", r.flags, FL_CF, FL_CF);

	r = (struct regs){.eax = 0x0001, .ecx = 16};
	RUN_INSN("clc\n\trcrw %%cl, %%ax", r); /* right 16 of 17 bits = left 1 */
	CHECK_EQ32("rcr16_ax_16", r.eax, 0x0002);
	CHECK_FLAGS("rcr16_ax_16_flags", r.flags, 0, FL_CF);
}

/* MUL/IMUL: CF = OF = 1 iff the upper half is significant; the rest undefined. */
static void check_mul(void)
{
	struct regs r;

	r = (struct regs){.eax = 0x12340080, .ebx = 0x0300};
	RUN_INSN("mulb %%bh", r); /* 0x80 * 3 = 0x180 in AX */
	CHECK_EQ32("mul8_bh", r.eax, 0x12340180);
	CHECK_FLAGS("mul8_bh_flags", r.flags, FL_CF | FL_OF, FL_CF | FL_OF);

	r = (struct regs){.eax = 0x80, .ebx = 0x0200};
	RUN_INSN("imulb %%bh", r); /* -128 * 2 = -256 = 0xff00 */
	CHECK_EQ32("imul8_bh", r.eax, 0xff00);
	CHECK_FLAGS("imul8_bh_flags", r.flags, FL_CF | FL_OF, FL_CF | FL_OF);

	r = (struct regs){.eax = 0xff, .ebx = 0x0500};
	RUN_INSN("imulb %%bh", r); /* -1 * 5 = -5 = 0xfffb: fits in AL */
	CHECK_EQ32("imul8_fits", r.eax, 0xfffb);
	CHECK_FLAGS("imul8_fits_flags", r.flags, 0, FL_CF | FL_OF);

	r = (struct regs){.eax = 0xaaaa1234, .ebx = 0x0100, .edx = 0xbbbb5555};
	RUN_INSN("mulw %%bx", r); /* 0x1234 * 0x100 = 0x123400 in DX:AX */
	CHECK_EQ32("mul16_ax", r.eax, 0xaaaa3400);
	CHECK_EQ32("mul16_dx", r.edx, 0xbbbb0012);

	r = (struct regs){.eax = 0xffff, .ecx = 0x8000, .edx = 0xcccc1111};
	RUN_INSN("imulw %%cx", r); /* -1 * -32768 = 32768: does not fit in 16 bits */
	CHECK_EQ32("imul16_dx_ax", (r.edx << 16) | (r.eax & 0xffff), 0x00008000);
	CHECK_FLAGS("imul16_flags", r.flags, FL_CF | FL_OF, FL_CF | FL_OF);

	r = (struct regs){.ebx = 0x1000, .ecx = 0x99990000};
	RUN_INSN("imulw $-3, %%bx, %%cx", r); /* -12288 = 0xd000 fits */
	CHECK_EQ32("imul16_imm", r.ecx, 0x9999d000);
	CHECK_FLAGS("imul16_imm_flags", r.flags, 0, FL_CF | FL_OF);

	r = (struct regs){.eax = 0xffffffff, .ebx = 0xffffffff};
	RUN_INSN("mull %%ebx", r); /* (2^32 - 1)^2 = 0xfffffffe00000001 */
	CHECK_EQ64("mul32", ((uint64_t)r.edx << 32) | r.eax, 0xfffffffe00000001ull);
	CHECK_FLAGS("mul32_flags", r.flags, FL_CF | FL_OF, FL_CF | FL_OF);

	r = (struct regs){.eax = 0xfffffffe, .ebx = 0x40000000};
	RUN_INSN("imull %%ebx", r); /* -2 * 2^30 = -2^31: just fits in EAX */
	CHECK_EQ64("imul32", ((uint64_t)r.edx << 32) | r.eax, 0xffffffff80000000ull);
	CHECK_FLAGS("imul32_flags", r.flags, 0, FL_CF | FL_OF);

	r = (struct regs){.eax = 0x10000, .ebx = 0x10000};
	RUN_INSN("imull %%ebx, %%eax", r); /* 2^32 truncated to 0 */
	CHECK_EQ32("imul32_2op", r.eax, 0);
	CHECK_FLAGS("imul32_2op_flags", r.flags, FL_CF | FL_OF, FL_CF | FL_OF);
}

/* DIV/IDIV: quotient and remainder; IDIV truncates toward 0. All flags undefined. */
static void check_div(void)
{
	struct regs r;

	r = (struct regs){.eax = 0x0107, .ebx = 0x1000};
	RUN_INSN("divb %%bh", r); /* 263 / 16 = 16 rem 7: AL = 0x10, AH = 7 */
	CHECK_EQ32("div8_bh", r.eax, 0x0710);

	r = (struct regs){.eax = 0xff00, .ebx = 0x0700};
	RUN_INSN("idivb %%bh", r); /* -256 / 7 = -36 rem -4 */
	CHECK_EQ32("idiv8_bh", r.eax, 0xfcdc);

	r = (struct regs){.eax = 0x11110000, .ecx = 3, .edx = 0x22220001};
	RUN_INSN("divw %%cx", r); /* 0x10000 / 3 = 0x5555 rem 1 */
	CHECK_EQ32("div16_ax", r.eax, 0x11115555);
	CHECK_EQ32("div16_dx", r.edx, 0x22220001);

	r = (struct regs){.eax = 0xfff9, .ecx = 2, .edx = 0xffff};
	RUN_INSN("idivw %%cx", r); /* -7 / 2 = -3 rem -1 */
	CHECK_EQ32("idiv16", (r.edx << 16) | (r.eax & 0xffff), 0xfffffffd);

	r = (struct regs){.eax = 0, .ebx = 3, .edx = 1};
	RUN_INSN("divl %%ebx", r); /* 2^32 / 3 = 0x55555555 rem 1 */
	CHECK_EQ32("div32_eax", r.eax, 0x55555555);
	CHECK_EQ32("div32_edx", r.edx, 1);

	r = (struct regs){.eax = 0xfffffff9, .ebx = 2, .edx = 0xffffffff};
	RUN_INSN("idivl %%ebx", r);
	CHECK_EQ32("idiv32_eax", r.eax, 0xfffffffd);
	CHECK_EQ32("idiv32_edx", r.edx, 0xffffffff);
}

/* 8- and 16-bit operations on memory: only the addressed bytes change. */
static uint32_t mem[2];

static void check_memory(void)
{
	struct regs r = {.eax = 1, .ebx = (uint32_t)mem};

	mem[0] = 0x5555ffff;
	RUN_INSN("addw %%ax, (%%ebx)", r);
	CHECK_EQ32("add16_mem", mem[0], 0x55550000);
	CHECK_FLAGS("add16_mem_flags", r.flags, FL_CF | FL_ZF | FL_AF | FL_PF, FL_ARITH);

	mem[0] = 0;
	RUN_INSN("movw $0x1234, 2(%%ebx)", r);
	CHECK_EQ32("mov16_imm_mem", mem[0], 0x12340000);

	mem[0] = 0x55557fff;
	RUN_INSN(FLAGS_NONE "incw (%%ebx)", r);
	CHECK_EQ32("inc16_mem", mem[0], 0x55558000);
	CHECK_FLAGS("inc16_mem_flags", r.flags, FL_OF | FL_SF | FL_AF | FL_PF, FL_ARITH);

	mem[0] = 0x11223344;
	RUN_INSN("negw 2(%%ebx)", r); /* 0 - 0x1122 = 0xeede; CF = (source != 0) */
	CHECK_EQ32("neg16_mem", mem[0], 0xeede3344);
	CHECK_FLAGS("neg16_mem_flags", r.flags, FL_CF | FL_SF | FL_AF | FL_PF, FL_ARITH);

	mem[0] = 0;
	RUN_INSN("subb $1, 3(%%ebx)", r);
	CHECK_EQ32("sub8_mem", mem[0], 0xff000000);

	mem[0] = 0x11223344;
	RUN_INSN("rolw $8, (%%ebx)", r);
	CHECK_EQ32("rol16_mem", mem[0], 0x11224433);

	mem[1] = 0x7777fffe; /* the word at mem + 4 is -2 */
	r.eax = 0x12344000;
	RUN_INSN("imulw 4(%%ebx), %%ax", r); /* 0x4000 * -2 = -32768: just fits */
	CHECK_EQ32("imul16_mem", r.eax, 0x12348000);
	CHECK_FLAGS("imul16_mem_flags", r.flags, 0, FL_CF | FL_OF);

	mem[0] = 0x000000ff;
	r.eax = 0xff;
	RUN_INSN("mulb (%%ebx)", r); /* 255 * 255 = 0xfe01 */
	CHECK_EQ32("mul8_mem", r.eax, 0xfe01);

	mem[1] = 0x00000010;
	r = (struct regs){.eax = 0x0105, .ebx = (uint32_t)mem, .edx = 0};
	RUN_INSN("divw 4(%%ebx)", r); /* 261 / 16 = 16 rem 5 */
	CHECK_EQ32("div16_mem_ax", r.eax, 0x0010);
	CHECK_EQ32("div16_mem_dx", r.edx, 0x0005);
}

void main(uint32_t magic, uint32_t info)
{
	check_mov_xchg();
	check_add_sub();
	check_inc_dec();
	check_extend();
	check_test();
	check_shifts();
	check_rotates();
	check_mul();
	check_div();
	check_memory();
	check_bit_ops();
	test_finish("byte_regs");
}
