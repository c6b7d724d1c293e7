/*
 * events.c - time and asynchronous events. Translated code never looks at
 * the clock; a timer thread sleeps until the next device deadline (the
 * PIT's next IRQ 0 edge) or until console input arrives, then raises the
 * vCPU's exit_request, which every block checks. The vCPU thread then
 * services the devices itself (devices are only ever touched from it).
 * HLT sleeps here too, in the vCPU thread, until the same events.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "monitor/internal.h"

#define NO_DEADLINE UINT64_MAX

struct events {
	pthread_t thread;
	bool thread_running;
	int wake[2];		       /* pipe: wakes the timer thread */
	_Atomic uint64_t deadline;     /* CLOCK_MONOTONIC ns of the next device event */
	atomic_bool input_ready;       /* console input waits for the vCPU to take it */
	atomic_bool input_ended;       /* the vCPU saw the console's input end */
	atomic_bool quit;
	int input_fd;		       /* -1: no console input */
	volatile uint32_t *exit_request;
};

uint64_t events_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static struct timespec timeout_until(uint64_t deadline, uint64_t now)
{
	uint64_t ns = deadline > now ? deadline - now : 0;

	return (struct timespec){ .tv_sec = (time_t)(ns / 1000000000u),
				  .tv_nsec = (long)(ns % 1000000000u) };
}

/* Readable with nothing to read (EOF on a pipe or file), or hung up: the
 * input will never have more, so stop watching it rather than spin. */
static bool input_finished(int fd, short revents)
{
	int pending = 0;

	if (revents & (POLLHUP | POLLERR | POLLNVAL))
		return !(revents & POLLIN) || (ioctl(fd, FIONREAD, &pending) == 0 && pending == 0);
	return ioctl(fd, FIONREAD, &pending) == 0 && pending == 0;
}

/* Wait for the wake pipe, console input (unless @skip_input) or @deadline.
 * Returns true if console input is readable; sets *input_fd to -1 when the
 * input is finished. */
static bool wait_events(int wake_fd, int *input_fd, bool skip_input, uint64_t deadline)
{
	struct pollfd fds[2] = { { .fd = wake_fd, .events = POLLIN },
				 { .fd = *input_fd, .events = POLLIN } };
	nfds_t n = (*input_fd >= 0 && !skip_input) ? 2 : 1;
	struct timespec ts = timeout_until(deadline, events_now_ns());
	char drain[64];

	if (ppoll(fds, n, deadline == NO_DEADLINE ? NULL : &ts, NULL) <= 0)
		return false;
	if (wake_fd >= 0 && (fds[0].revents & POLLIN))
		while (read(wake_fd, drain, sizeof(drain)) == (ssize_t)sizeof(drain))
			;
	if (n < 2 || !fds[1].revents)
		return false;
	if (input_finished(*input_fd, fds[1].revents)) {
		*input_fd = -1;
		return false;
	}
	return true;
}

static void *timer_thread(void *arg)
{
	struct events *ev = arg;
	uint64_t fired = NO_DEADLINE; /* the deadline already signalled */

	while (!atomic_load(&ev->quit)) {
		uint64_t deadline = atomic_load(&ev->deadline);

		if (atomic_load(&ev->input_ended))
			ev->input_fd = -1;
		if (deadline == fired)
			deadline = NO_DEADLINE; /* wait for the vCPU to re-arm */
		if (wait_events(ev->wake[0], &ev->input_fd, atomic_load(&ev->input_ready), deadline)) {
			atomic_store(&ev->input_ready, true);
			*ev->exit_request = 1;
		}
		deadline = atomic_load(&ev->deadline);
		if (deadline != NO_DEADLINE && events_now_ns() >= deadline && deadline != fired) {
			fired = deadline;
			*ev->exit_request = 1;
		}
	}
	return NULL;
}

static void poke(struct events *ev)
{
	char c = 0;

	if (write(ev->wake[1], &c, 1) < 0 && errno != EAGAIN)
		pr_warn("cannot wake the timer thread");
}

struct events *events_create(volatile uint32_t *exit_request, int input_fd)
{
	struct events *ev = calloc(1, sizeof(*ev));

	if (!ev || pipe2(ev->wake, O_NONBLOCK | O_CLOEXEC) < 0) {
		free(ev);
		return NULL;
	}
	atomic_init(&ev->deadline, NO_DEADLINE);
	ev->input_fd = input_fd;
	ev->exit_request = exit_request;
	if (pthread_create(&ev->thread, NULL, timer_thread, ev) != 0) {
		events_destroy(ev);
		return NULL;
	}
	ev->thread_running = true;
	return ev;
}

void events_destroy(struct events *ev)
{
	if (!ev)
		return;
	if (ev->thread_running) {
		atomic_store(&ev->quit, true);
		poke(ev);
		pthread_join(ev->thread, NULL);
	}
	close(ev->wake[0]);
	close(ev->wake[1]);
	free(ev);
}

void events_set_deadline(struct events *ev, uint64_t deadline)
{
	uint64_t old = atomic_exchange(&ev->deadline, deadline);

	if (deadline != old)
		poke(ev); /* the thread may be sleeping towards the old one */
}

void events_input_ended(struct events *ev)
{
	if (!atomic_exchange(&ev->input_ended, true))
		poke(ev);
}

bool events_take_input(struct events *ev)
{
	if (!atomic_exchange(&ev->input_ready, false))
		return false;
	poke(ev); /* watch the console again */
	return true;
}

void events_sleep(struct events *ev, uint64_t deadline)
{
	int input_fd = ev->input_fd; /* the timer thread owns the field */

	if (wait_events(-1, &input_fd, false, deadline))
		atomic_store(&ev->input_ready, true);
}
