/*
 * bench.h - what every guest benchmark in bench/linux/ shares: the clock, the
 * iteration count, and the one line bench/linux.sh parses.
 *
 * Each program times itself inside the guest, so the numbers exclude boot and
 * the harness's own overhead; the harness checks separately that the guest's
 * clock keeps pace with the host's (a VMM's virtual TSC could drift).
 */
#ifndef BENCH_H
#define BENCH_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* CLOCK_MONOTONIC through the vDSO: no syscall on either side of the loop. */
static inline long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* argv[1], if given, overrides the default count (for calibration by hand). */
static inline long bench_iters(int argc, char **argv, long dflt)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 0) : dflt;

	return n > 0 ? n : dflt;
}

/* A failure is a line the harness recognises too, not just a status. */
static inline void bench_fail(const char *row, const char *what)
{
	printf("BENCH-ERROR %s %s\n", row, what);
	fflush(stdout);
	exit(1);
}

/*
 * The report: ns per operation (one decimal: syscalls cost tens of ns), the
 * count, the whole timed span, and an optional checksum that must be the same
 * under every VM (a wrong answer is a translation bug, not a fast one).
 */
static inline void bench_report(const char *row, long long ns, long ops, unsigned check)
{
	printf("BENCH %s ns_per_op=%.1f iters=%ld total_ns=%lld check=%08x\n", row,
	       (double)ns / (double)ops, ops, ns, check);
	fflush(stdout);
}

#endif
