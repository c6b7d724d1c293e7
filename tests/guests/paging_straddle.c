/*
 * paging_straddle.c - accesses that straddle two linear pages mapped to
 * frames that are not neighbours in physical memory (SDM Vol. 3A 4.3: each
 * byte goes through its own page's translation). Page A maps FRAME_A and
 * page B maps FRAME_B, and the frame just below FRAME_B holds a decoy, so
 * a translation that wrongly reaches A's bytes through B's frame reads the
 * decoy instead (or writes over it).
 *  - one instruction, first used inside a page, then across the boundary,
 *    in both orders (a per-instruction translation cache must not answer
 *    the straddling access from the page it cached);
 *  - REP MOVS/STOS, upwards and downwards (DF=1), with an element that
 *    straddles.
 */
#include "check.h"
#include "pgtable.h"

#define PAGE_A	0x40000000u
#define PAGE_B	(PAGE_A + PAGE_SIZE)
#define FRAME_A 0x00800000u
#define FRAME_B 0x00a00000u
#define DECOY	(FRAME_B - PAGE_SIZE) /* the frame below FRAME_B */

/* The same load and store instruction on every call: what the
 * per-instruction cache sees. */
static __attribute__((noinline)) uint32_t load32(uint32_t addr)
{
	uint32_t v;

	__asm__ volatile("movl (%1), %0" : "=r"(v) : "r"(addr) : "memory");
	return v;
}

static __attribute__((noinline)) uint16_t load16(uint32_t addr)
{
	uint16_t v;

	__asm__ volatile("movw (%1), %0" : "=r"(v) : "r"(addr) : "memory");
	return v;
}

static __attribute__((noinline)) void store32(uint32_t addr, uint32_t v)
{
	__asm__ volatile("movl %1, (%0)" : : "r"(addr), "r"(v) : "memory");
}

/* Both frames and the decoy: A ends with a0 a1 a2 a3 ... fc fd fe ff
 * (byte i of the page is i & 0xff), B starts with b0 b1 b2 ..., and the
 * decoy is all 0xee. */
static void fill_frames(void)
{
	for (uint32_t i = 0; i < PAGE_SIZE; i++) {
		WR8(FRAME_A + i, (uint8_t)i);
		WR8(FRAME_B + i, (uint8_t)(0xb0 + (i & 0xf)));
		WR8(DECOY + i, 0xee);
	}
}

static void check_decoy_untouched(const char *name)
{
	uint32_t bad = 0;

	for (uint32_t i = 0; i < PAGE_SIZE; i++)
		bad += RD8(DECOY + i) != 0xee;
	CHECK_EQ32(name, bad, 0);
}

/* Each function's first access inside a page only fills the TLB; its
 * second, from the TLB, fills the instruction's own cache. */
static void check_one_instruction(void)
{
	fill_frames();
	load32(PAGE_B + 0x10);
	CHECK_EQ32("load32_inside_b", load32(PAGE_B + 0x10), 0xb3b2b1b0);
	CHECK_EQ32("load32_straddle_after_b", load32(PAGE_B - 1), 0xb2b1b0ff);
	CHECK_EQ32("load32_straddle_after_b_again", load32(PAGE_B - 3), 0xb0fffefd);
	load16(PAGE_B + 0x20);
	CHECK_EQ32("load16_inside_b", load16(PAGE_B + 0x20), 0xb1b0);
	CHECK_EQ32("load16_straddle_after_b", load16(PAGE_B - 1), 0xb0ff);
	load32(PAGE_A + 0x10);
	CHECK_EQ32("load32_inside_a", load32(PAGE_A + 0x10), 0x13121110);
	CHECK_EQ32("load32_straddle_after_a", load32(PAGE_B - 2), 0xb1b0fffe);
	store32(PAGE_B + 0x40, 0x11223344);
	store32(PAGE_B + 0x40, 0x11223344);
	store32(PAGE_B - 2, 0xc3c2c1c0);
	CHECK_EQ32("store32_straddle_low_half", RD32(FRAME_A + PAGE_SIZE - 4), 0xc1c0fdfc);
	CHECK_EQ32("store32_straddle_high_half", RD32(FRAME_B), 0xb3b2c3c2);
	check_decoy_untouched("store32_straddle_decoy_untouched");
}

/* rep stos/movs of 32-bit elements, with DF as given, from @dst. */
static void rep_stosl(uint32_t dst, uint32_t value, uint32_t count, int down)
{
	__asm__ volatile("pushfl\n\t"
			 "testl %3, %3\n\t"
			 "jz 1f\n\t"
			 "std\n"
			 "1:\n\t"
			 "rep stosl\n\t"
			 "popfl"
			 : "+D"(dst), "+c"(count)
			 : "a"(value), "r"(down)
			 : "memory", "cc");
}

static void rep_movsl(uint32_t dst, uint32_t src, uint32_t count, int down)
{
	__asm__ volatile("pushfl\n\t"
			 "testl %3, %3\n\t"
			 "jz 1f\n\t"
			 "std\n"
			 "1:\n\t"
			 "rep movsl\n\t"
			 "popfl"
			 : "+D"(dst), "+S"(src), "+c"(count)
			 : "r"(down)
			 : "memory", "cc");
}

static void check_strings(void)
{
	static uint32_t src[3] = {0x44434241, 0x48474645, 0x4c4b4a49};

	fill_frames();
	rep_stosl(PAGE_B - 6, 0x99887766, 3, 0); /* B-6, B-2 (straddles), B+2 */
	CHECK_EQ32("stos_up_a_tail", RD32(FRAME_A + PAGE_SIZE - 4), 0x77669988);
	CHECK_EQ32("stos_up_b_head", RD32(FRAME_B), 0x77669988);
	CHECK_EQ32("stos_up_b_next", RD32(FRAME_B + 4), 0xb7b69988);
	check_decoy_untouched("stos_up_decoy_untouched");

	fill_frames();
	rep_stosl(PAGE_B - 2, 0x99887766, 2, 1); /* B-2 (straddles), then B-6 */
	CHECK_EQ32("stos_down_a_tail", RD32(FRAME_A + PAGE_SIZE - 4), 0x77669988);
	CHECK_EQ32("stos_down_b_head", RD32(FRAME_B), 0xb3b29988);
	check_decoy_untouched("stos_down_decoy_untouched");

	fill_frames();
	rep_movsl(PAGE_B - 2, (uint32_t)&src[1], 2, 1); /* src[1] to B-2, src[0] to B-6 */
	CHECK_EQ32("movs_down_a_tail", RD32(FRAME_A + PAGE_SIZE - 4), 0x46454443);
	CHECK_EQ32("movs_down_b_head", RD32(FRAME_B), 0xb3b24847);
	check_decoy_untouched("movs_down_decoy_untouched");

	fill_frames();
	rep_movsl((uint32_t)src, PAGE_B - 2, 1, 1); /* a straddling source, downwards */
	CHECK_EQ32("movs_down_straddling_source", src[0], 0xb1b0fffe);
}

void main(uint32_t magic, uint32_t info)
{
	uint32_t *pd = pgdir_create();

	pgdir_identity(pd, 16u << 20, PTE_KRW);
	pgdir_map(pd, PAGE_A, FRAME_A, PTE_KRW);
	pgdir_map(pd, PAGE_B, FRAME_B, PTE_KRW);
	paging_start(pd, 1);
	check_one_instruction();
	check_strings();
	test_finish("paging_straddle");
}
