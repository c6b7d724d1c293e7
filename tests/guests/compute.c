/*
 * compute.c - ordinary compiled C: loops, memory, calls, recursion, indirect
 * jumps and calls, and 64-bit arithmetic through libgcc. Nothing here is
 * sensitive; it checks that the bulk of guest code (IDENT and rewritten
 * memory operands, chained blocks, indirect-branch lookup) computes right.
 * Expected values are from the algorithms' definitions (computed on the host
 * with Python where noted), never from a run of this guest.
 */
#include "check.h"

/* Inputs read through volatile so that gcc emits the arithmetic, not constants. */
static volatile uint64_t v_u64 = 0xffffffffffffffffull;
static volatile int64_t v_s64 = -1000000000000ll;
static volatile unsigned v_count[2] = {33, 40};
static volatile uint64_t v_ten = 10, v_seven = 7; /* variable divisors: libgcc calls */

/* ---- CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), table driven ---- */
static uint32_t crc_table[256];

static uint32_t crc32(const char *s, unsigned len)
{
	uint32_t crc = 0xffffffff;

	for (unsigned i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = (c & 1) ? 0xedb88320 ^ (c >> 1) : c >> 1;
		crc_table[i] = c;
	}
	for (unsigned i = 0; i < len; i++)
		crc = crc_table[(crc ^ (uint8_t)s[i]) & 0xff] ^ (crc >> 8);
	return crc ^ 0xffffffff;
}

static void check_crc32(void)
{
	/* The standard check value of CRC-32 (e.g. the "Catalogue of CRC algorithms"). */
	CHECK_EQ32("crc32_123456789", crc32("123456789", 9), 0xcbf43926);
}

/* ---- Sorting a pseudo-random array two ways ---- */
#define N_SORT 1000
static uint32_t sort_in[N_SORT], sort_ins[N_SORT], sort_quick[N_SORT];

static void insertion_sort(uint32_t *a, int n)
{
	for (int i = 1; i < n; i++) {
		uint32_t v = a[i];
		int j = i - 1;

		for (; j >= 0 && a[j] > v; j--)
			a[j + 1] = a[j];
		a[j + 1] = v;
	}
}

static void quick_sort(uint32_t *a, int lo, int hi)
{
	while (lo < hi) {
		uint32_t pivot = a[(lo + hi) / 2];
		int i = lo, j = hi;

		while (i <= j) {
			while (a[i] < pivot)
				i++;
			while (a[j] > pivot)
				j--;
			if (i <= j) {
				uint32_t t = a[i];

				a[i++] = a[j];
				a[j--] = t;
			}
		}
		quick_sort(a, lo, j); /* recurse on one side, loop on the other */
		lo = i;
	}
}

static bool is_sorted(const uint32_t *a, int n)
{
	for (int i = 1; i < n; i++)
		if (a[i - 1] > a[i])
			return false;
	return true;
}

static void check_sort(void)
{
	uint32_t x = 12345, sum_in = 0, sum_out = 0, hash = 0;

	for (int i = 0; i < N_SORT; i++) {
		x = x * 1103515245 + 12345; /* the ANSI C rand() LCG, modulo 2^32 */
		sort_in[i] = sort_ins[i] = sort_quick[i] = x >> 8;
		sum_in += x >> 8;
	}
	insertion_sort(sort_ins, N_SORT);
	quick_sort(sort_quick, 0, N_SORT - 1);
	for (int i = 0; i < N_SORT; i++) {
		sum_out += sort_quick[i];
		hash = hash * 31 + sort_quick[i];
	}
	CHECK_TRUE("insertion_sort_sorted", is_sorted(sort_ins, N_SORT));
	CHECK_TRUE("quick_sort_sorted", is_sorted(sort_quick, N_SORT));
	CHECK_MEM("sorts_agree", sort_ins, sort_quick, sizeof(sort_ins));
	CHECK_EQ32("sort_keeps_sum", sum_out, sum_in);
	/* hash = fold(h * 31 + v) over the sorted values, computed with Python. */
	CHECK_EQ32("sort_hash", hash, 0x72e4eb11);
}

/* ---- Sieve of Eratosthenes ---- */
#define SIEVE_N 100000
static uint8_t composite[SIEVE_N];

static void check_sieve(void)
{
	unsigned count = 0;

	for (unsigned i = 2; i < SIEVE_N; i++) {
		if (composite[i])
			continue;
		count++;
		for (unsigned j = i * 2; j < SIEVE_N; j += i)
			composite[j] = 1;
	}
	CHECK_EQ32("primes_below_100000", count, 9592); /* pi(10^5) = 9592 */
}

/* ---- 64-bit arithmetic: libgcc division, IMUL/MUL pairs, SHLD/SHRD ---- */
static void check_arith64(void)
{
	uint64_t u = v_u64;
	int64_t s = v_s64;

	CHECK_EQ64("udivdi3", u / v_ten, 0x1999999999999999ull);
	CHECK_EQ64("umoddi3", u % v_ten, 5); /* 2^64 - 1 = 18446744073709551615 */
	/* C division truncates toward zero: -10^12 = 7 * -142857142857 - 1. */
	CHECK_EQ64("divdi3", (uint64_t)(s / (int64_t)v_seven), (uint64_t)-142857142857ll);
	CHECK_EQ64("moddi3", (uint64_t)(s % (int64_t)v_seven), (uint64_t)-1ll);
	/* (2^36 - 1) * 0xabcdef = 0xabcdef << 36 - 0xabcdef */
	CHECK_EQ64("mul64", (u >> 28) * 0xabcdef, 0xabcdeefff543211ull);
	CHECK_EQ64("shl64_var", (u >> 63) << v_count[1], 1ull << 40);
	CHECK_EQ64("shr64_var", u >> v_count[0], 0x7fffffffull);
	/* Arithmetic shift rounds toward -inf: floor(-10^12 / 2^33) = floor(-116.4) = -117. */
	CHECK_EQ64("sar64_var", (uint64_t)(s >> v_count[0]), (uint64_t)-117ll);
}

/* ---- Recursion ---- */
static unsigned fib(unsigned n)
{
	return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

static void check_recursion(void)
{
	CHECK_EQ32("fib_25", fib(25), 75025);
}

/* ---- Indirect calls (function pointers) and indirect jumps (switch table) ---- */
static uint32_t op_add(uint32_t a, uint32_t b)
{
	return a + b;
}

static uint32_t op_sub(uint32_t a, uint32_t b)
{
	return a - b;
}

static uint32_t op_xor(uint32_t a, uint32_t b)
{
	return a ^ b;
}

static uint32_t op_mul(uint32_t a, uint32_t b)
{
	return a * b;
}

/* volatile: else gcc unrolls the loop and calls each function directly */
static uint32_t (*volatile const ops[4])(uint32_t, uint32_t) = {op_add, op_sub, op_xor, op_mul};

/* Dense cases: gcc -O2 compiles this to an indirect JMP through a table. */
static uint32_t dispatch(unsigned op, uint32_t v)
{
	switch (op) {
	case 0:
		return v + 1;
	case 1:
		return v * 3;
	case 2:
		return v ^ 0x5a5a5a5a;
	case 3:
		return v >> 1;
	case 4:
		return v << 2;
	case 5:
		return ~v;
	case 6:
		return v - 7;
	case 7:
		return v | 0x80000000;
	default:
		return 0;
	}
}

static void check_indirect(void)
{
	uint32_t acc = 1, sw = 0;

	for (unsigned i = 0; i < 100; i++)
		acc = ops[i % 4](acc, i + 1);
	for (unsigned i = 0; i < 1000; i++)
		sw = dispatch(i % 8, sw + i);
	CHECK_EQ32("function_pointers", acc, 0x128820f0); /* computed with Python */
	CHECK_EQ32("switch_jump_table", sw, 0x88f38948);  /* computed with Python */
}

void main(uint32_t magic, uint32_t info)
{
	check_crc32();
	check_sort();
	check_sieve();
	check_arith64();
	check_recursion();
	check_indirect();
	test_finish("compute");
}
