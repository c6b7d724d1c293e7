/*
 * exec.c - fork + execve + wait of /bench/true (a static glibc program that
 * only returns 0), as lmbench's lat_proc exec does: loading an ELF, building
 * a fresh address space, glibc's static start-up, exit and reaping. Code is
 * translated into pages that exec keeps reusing, so a VMM's invalidation of
 * translations for reused pages is on this path too.
 */
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

static void one(const char *path)
{
	char *const args[] = {(char *)path, NULL}, *const env[] = {NULL};
	int status;
	pid_t pid = fork();

	if (pid < 0)
		bench_fail("exec", "fork failed");
	if (pid == 0) {
		execve(path, args, env);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		bench_fail("exec", "the program did not exit with 0");
}

int main(int argc, char **argv)
{
	long n = bench_iters(argc, argv, 300), i;
	const char *path = argc > 2 ? argv[2] : "/bench/true";
	long long t0;

	for (i = 0; i < n / 10; i++)
		one(path);
	t0 = now_ns();
	for (i = 0; i < n; i++)
		one(path);
	bench_report("exec", now_ns() - t0, n, 0);
	return 0;
}
