/*
 * memcomp.c - memory-bound compute, fixed work, over 16 MiB buffers (64 times
 * a 256 KiB cache, 4096 guest pages): each round chases 2^20 dependent
 * pointers through a random single cycle, then streams one buffer into
 * another. The chase touches a random page on nearly every load, so a VMM's
 * software TLB misses as a real TLB would; the stream is the sequential case.
 * The checksum must be the same under every VM.
 */
#include <stdint.h>

#include "bench.h"

#define WORDS (4u << 20) /* 16 MiB of uint32_t */
#define CHASE (1u << 20)

static uint32_t next_idx[WORDS], stream_out[WORDS];

/* Sattolo's shuffle: a random permutation that is a single cycle, so the
 * chase can never fall into a short loop that stays in cache. */
static void make_cycle(void)
{
	uint32_t x = 12345, i, j, t;

	for (i = 0; i < WORDS; i++)
		next_idx[i] = i;
	for (i = WORDS - 1; i > 0; i--) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5; /* xorshift32 */
		j = x % i;
		t = next_idx[i], next_idx[i] = next_idx[j], next_idx[j] = t;
	}
}

static uint32_t round_of_work(uint32_t *pos, uint32_t r)
{
	uint32_t p = *pos, i, sum = 0;

	for (i = 0; i < CHASE; i++)
		p = next_idx[p];
	*pos = p;
	for (i = 0; i < WORDS; i++)
		sum += stream_out[i] = next_idx[i] + r;
	return p ^ sum;
}

int main(int argc, char **argv)
{
	long rounds = bench_iters(argc, argv, 3), r;
	uint32_t pos = 0, check = 0;
	long long t0;

	make_cycle();
	round_of_work(&pos, 0); /* warm-up: every page faulted in, not counted */
	t0 = now_ns();
	for (r = 0; r < rounds; r++)
		check = check * 31 + round_of_work(&pos, (uint32_t)r);
	bench_report("memcomp", now_ns() - t0, rounds, check);
	return 0;
}
