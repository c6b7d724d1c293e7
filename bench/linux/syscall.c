/*
 * syscall.c - guest system call round trip: getppid through syscall(), so
 * glibc cannot answer from a cache and every iteration enters the kernel
 * (static i386 glibc does so with SYSENTER through the vDSO).
 */
#define _GNU_SOURCE
#include <sys/syscall.h>
#include <unistd.h>

#include "bench.h"

int main(int argc, char **argv)
{
	long n = bench_iters(argc, argv, 1000000), i;
	long ppid = syscall(SYS_getppid);
	long long t0;

	for (i = 0; i < n / 10; i++) /* warm up: translate the path once */
		syscall(SYS_getppid);
	t0 = now_ns();
	for (i = 0; i < n; i++)
		if (syscall(SYS_getppid) != ppid)
			bench_fail("syscall", "getppid changed");
	bench_report("syscall", now_ns() - t0, n, 0);
	return 0;
}
