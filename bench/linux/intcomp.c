/*
 * intcomp.c - integer compute, fixed work: each round runs a table-driven
 * CRC32 over 64 KiB, a sieve of Eratosthenes to 100000 and a recursive
 * quicksort of 16384 pseudo-random ints. Together they are loads, shifts,
 * compares, data-dependent branches, calls and returns on data that stays in
 * cache: what a translator's straight-line code and block chaining decide.
 * Each round's input depends on the round, so nothing can be hoisted, and the
 * checksum must be the same under every VM.
 */
#include <stdint.h>
#include <string.h>

#include "bench.h"

#define CRC_BYTES  (64 * 1024)
#define SIEVE_MAX  100000
#define SORT_COUNT 16384

static uint32_t crc_table[256];
static uint8_t crc_buf[CRC_BYTES];
static uint8_t composite[SIEVE_MAX + 1];
static int32_t sort_buf[SORT_COUNT];

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
		crc_table[i] = c;
	}
}

static uint32_t crc32(const uint8_t *p, size_t n)
{
	uint32_t c = ~0u;

	while (n--)
		c = crc_table[(c ^ *p++) & 0xff] ^ (c >> 8);
	return ~c;
}

static uint32_t sieve(void)
{
	uint32_t count = 0;

	memset(composite, 0, sizeof(composite));
	for (uint32_t i = 2; i <= SIEVE_MAX; i++) {
		if (composite[i])
			continue;
		count++;
		for (uint32_t j = i * 2; j <= SIEVE_MAX; j += i)
			composite[j] = 1;
	}
	return count;
}

static void quicksort(int32_t *a, long lo, long hi)
{
	while (lo < hi) {
		int32_t pivot = a[lo + (hi - lo) / 2], t;
		long i = lo, j = hi;

		while (i <= j) {
			while (a[i] < pivot)
				i++;
			while (a[j] > pivot)
				j--;
			if (i <= j) {
				t = a[i], a[i] = a[j], a[j] = t;
				i++, j--;
			}
		}
		/* Recurse into the smaller half, loop on the larger: bounded stack. */
		if (j - lo < hi - i) {
			quicksort(a, lo, j);
			lo = i;
		} else {
			quicksort(a, i, hi);
			hi = j;
		}
	}
}

static uint32_t round_of_work(uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 1, check;
	long i;

	for (i = 0; i < CRC_BYTES; i++) {
		x = x * 1103515245u + 12345u;
		crc_buf[i] = (uint8_t)(x >> 16);
	}
	check = crc32(crc_buf, CRC_BYTES);
	check ^= sieve() * (seed + 1);
	for (i = 0; i < SORT_COUNT; i++)
		sort_buf[i] = (int32_t)(x = x * 1103515245u + 12345u);
	quicksort(sort_buf, 0, SORT_COUNT - 1);
	for (i = 1; i < SORT_COUNT; i++)
		if (sort_buf[i - 1] > sort_buf[i])
			bench_fail("intcomp", "quicksort left the array unsorted");
	return check + (uint32_t)sort_buf[SORT_COUNT / 2];
}

int main(int argc, char **argv)
{
	long rounds = bench_iters(argc, argv, 150), r;
	uint32_t check = 0;
	long long t0;

	crc_init();
	round_of_work(~0u); /* warm-up, not counted */
	t0 = now_ns();
	for (r = 0; r < rounds; r++)
		check = check * 31 + round_of_work((uint32_t)r);
	bench_report("intcomp", now_ns() - t0, rounds, check);
	return 0;
}
