/*
 * fork.c - fork + wait: the child exits at once, the parent reaps it. Covers
 * copying the address space (copy-on-write: a new page directory, marking
 * PTEs read-only), scheduling the child, its exit, and waitpid.
 */
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

static void one(void)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		bench_fail("fork", "fork failed");
	if (pid == 0)
		_exit(7);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 7)
		bench_fail("fork", "child did not exit with 7");
}

int main(int argc, char **argv)
{
	long n = bench_iters(argc, argv, 1000), i;
	long long t0;

	for (i = 0; i < n / 10; i++)
		one();
	t0 = now_ns();
	for (i = 0; i < n; i++)
		one();
	bench_report("fork", now_ns() - t0, n, 0);
	return 0;
}
