/*
 * pgfault.c - guest page fault: map 4 MiB of anonymous memory, write one
 * byte to each page (each write is a not-present fault that allocates and
 * zeroes a page), unmap; the time per page includes its share of the mmap
 * and munmap. Writes, not reads: a read would map the shared zero page.
 */
#include <sys/mman.h>

#include "bench.h"

#define REGION (4u << 20)
#define PAGE   4096u

int main(int argc, char **argv)
{
	long rounds = bench_iters(argc, argv, 100), r;
	unsigned check = 0, off;
	long long t0 = 0;

	for (r = -1; r < rounds; r++) { /* round -1 is a warm-up */
		volatile unsigned char *p;

		if (r == 0)
			t0 = now_ns();
		p = mmap(NULL, REGION, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			bench_fail("pgfault", "mmap failed");
		for (off = 0; off < REGION; off += PAGE)
			p[off] = (unsigned char)(off / PAGE % 251 + 1); /* never 0 */
		check += p[PAGE] + p[REGION - PAGE]; /* a page read back as 0 lost its data */
		munmap((void *)p, REGION);
	}
	bench_report("pgfault", now_ns() - t0, rounds * (REGION / PAGE), check);
	return 0;
}
