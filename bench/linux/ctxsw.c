/*
 * ctxsw.c - context switch: two processes pass one byte back and forth over
 * two pipes. On the guest's single CPU each hand-off blocks one process and
 * wakes the other, so a round trip is two switches (each with a pipe write
 * and read, which lmbench would subtract; we report the whole cost, since a
 * VMM pays for the syscalls and the CR3 switch alike).
 */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

int main(int argc, char **argv)
{
	long n = bench_iters(argc, argv, 8000), i;
	int ping[2], pong[2];
	unsigned char b = 0;
	long long t0 = 0;
	pid_t pid;

	if (pipe(ping) || pipe(pong))
		bench_fail("ctxsw", "pipe failed");
	pid = fork();
	if (pid < 0)
		bench_fail("ctxsw", "fork failed");
	if (pid == 0) { /* echo each byte back, incremented */
		close(ping[1]); /* else our own copy keeps EOF from ever coming */
		close(pong[0]);
		while (read(ping[0], &b, 1) == 1) {
			b++;
			if (write(pong[1], &b, 1) != 1)
				_exit(1);
		}
		_exit(0);
	}
	close(ping[0]);
	close(pong[1]);
	for (i = -n / 10; i < n; i++) { /* negative i: warm-up */
		unsigned char want = b + 1;

		if (i == 0)
			t0 = now_ns();
		if (write(ping[1], &b, 1) != 1 || read(pong[0], &b, 1) != 1 || b != want)
			bench_fail("ctxsw", "ping-pong lost a byte");
	}
	bench_report("ctxsw", now_ns() - t0, 2 * n, b);
	close(ping[1]); /* the child sees EOF and exits */
	waitpid(pid, NULL, 0);
	return 0;
}
