/*
 * console.c - the host terminal behind the emulated UART: raw mode, nonblocking
 * input, QEMU's Ctrl-A escapes, and restoring the terminal on every way out of
 * the process. Follows POSIX termios (cfmakeraw) and sigaction.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "devices/devices.h"

#define ESCAPE_CHAR 0x01 /* Ctrl-A, as in QEMU -nographic */
/*
 * Input the guest has not taken yet. When it is full, further input is read
 * and dropped (as a UART overrun would drop it) so that Ctrl-A x still quits
 * a guest that has stopped reading.
 */
#define CONSOLE_BUF_SIZE   4096
#define CONSOLE_READ_CHUNK 256
#define MAX_SAVED_FDS	   4

/*
 * What console_open() changed on an input fd, kept outside struct console
 * so the atexit and fatal-signal handlers can undo it without locks or
 * allocation. A slot is filled before in_use is set, and in_use is set before
 * the fd is changed, so a signal can never restore half-saved state.
 */
struct saved_fd {
	volatile sig_atomic_t in_use;
	int fd;
	int flags;	  /* fcntl(F_GETFL) before we set O_NONBLOCK */
	bool has_termios; /* fd is a terminal and termios holds its mode */
	struct termios termios;
};

static struct saved_fd saved_fds[MAX_SAVED_FDS];

struct console {
	int in_fd;
	int out_fd;
	volatile int *quit_request;
	struct saved_fd *saved; /* NULL when in_fd < 0 */
	bool escape;		/* the previous input byte was Ctrl-A */
	bool eof;		/* in_fd reached end of file: never read it again */
	uint32_t head, tail;	/* guest-bound bytes are buf[head..tail) */
	uint8_t buf[CONSOLE_BUF_SIZE];
};

static const int fatal_signals[] = {SIGTERM, SIGHUP, SIGQUIT, SIGINT, SIGSEGV, SIGABRT};

static const char help_text[] = "\r\n"
				"C-a h    print this help\r\n"
				"C-a x    exit btvmm\r\n"
				"C-a C-a  send C-a to the guest\r\n";

/* Async-signal-safe: tcsetattr() and fcntl() are on POSIX's list. */
static void restore_fd(const struct saved_fd *saved)
{
	if (saved->has_termios)
		tcsetattr(saved->fd, TCSANOW, &saved->termios);
	fcntl(saved->fd, F_SETFL, saved->flags);
}

void console_restore_terminals(void)
{
	int i;

	for (i = 0; i < MAX_SAVED_FDS; i++)
		if (saved_fds[i].in_use)
			restore_fd(&saved_fds[i]);
}

/*
 * SA_RESETHAND has already put back SIG_DFL, and the signal is blocked while
 * we run: raise() leaves it pending, and it is delivered with its default
 * action (terminate, core dump) as soon as we return. A SIGSEGV from a real
 * fault is thus reported as itself, with the terminal sane.
 */
static void fatal_signal_handler(int sig)
{
	int saved_errno = errno;

	console_restore_terminals();
	raise(sig);
	errno = saved_errno;
}

/*
 * Install only where the disposition is still SIG_DFL: a handler that is
 * already there (the monitor's, on its sigaltstack) or SIG_IGN (nohup) wins,
 * and that handler calls console_restore_terminals() itself. SA_ONSTACK lets
 * ours run on the monitor's alternate stack too, should one exist.
 */
static void install_exit_hooks(void)
{
	static bool atexit_done;
	struct sigaction old, sa = {.sa_handler = fatal_signal_handler};
	size_t i;

	if (!atexit_done && atexit(console_restore_terminals) == 0)
		atexit_done = true;
	sa.sa_flags = SA_ONSTACK | SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++) {
		if (sigaction(fatal_signals[i], NULL, &old) < 0)
			continue;
		if (!(old.sa_flags & SA_SIGINFO) && old.sa_handler == SIG_DFL)
			sigaction(fatal_signals[i], &sa, NULL);
	}
}

static struct saved_fd *claim_slot(void)
{
	int i;

	for (i = 0; i < MAX_SAVED_FDS; i++)
		if (!saved_fds[i].in_use)
			return &saved_fds[i];
	return NULL;
}

/*
 * Raw mode is cfmakeraw() in both directions. Input: no line editing, no
 * echo, and no ISIG, so Ctrl-C reaches the guest (Ctrl-A x is the way out).
 * Output: no OPOST either. A serial line is 8-bit clean; the guest's own tty
 * layer already turns "\n" into "\r\n", and a host ONLCR on top would also
 * turn a full-screen program's bare "\n" (cursor down) into "\r\n". The price:
 * the monitor must end its own messages with "\r\n" while a console is open.
 */
static int make_raw(struct saved_fd *saved)
{
	struct termios raw = saved->termios;

	cfmakeraw(&raw);
	return tcsetattr(saved->fd, TCSANOW, &raw);
}

/* Save @fd's mode into a free slot, then make it raw (if a tty) and nonblocking. */
static struct saved_fd *take_over_fd(int fd)
{
	struct saved_fd *saved = claim_slot();

	if (!saved) {
		errno = EMFILE;
		return NULL;
	}
	saved->fd = fd;
	saved->flags = fcntl(fd, F_GETFL);
	if (saved->flags < 0)
		return NULL;
	saved->has_termios = isatty(fd) && tcgetattr(fd, &saved->termios) == 0;
	__atomic_signal_fence(__ATOMIC_SEQ_CST); /* slot complete before in_use */
	saved->in_use = 1;

	if ((saved->has_termios && make_raw(saved) < 0) ||
	    fcntl(fd, F_SETFL, saved->flags | O_NONBLOCK) < 0) {
		int err = errno;

		restore_fd(saved);
		saved->in_use = 0;
		errno = err;
		return NULL;
	}
	return saved;
}

/*
 * @in_fd < 0: no input ever arrives. @out_fd < 0: output is discarded.
 * O_NONBLOCK lives on the open file description, which a terminal's fds 0, 1
 * and 2 usually share: writes to out_fd can then fail with EAGAIN, which
 * console_putc() waits out with poll().
 */
struct console *console_open(int in_fd, int out_fd, volatile int *quit_request)
{
	struct console *con = calloc(1, sizeof(*con));

	if (!con)
		return NULL;
	con->in_fd = in_fd;
	con->out_fd = out_fd;
	con->quit_request = quit_request;
	if (in_fd >= 0) {
		con->saved = take_over_fd(in_fd);
		if (!con->saved) {
			free(con);
			return NULL;
		}
		install_exit_hooks();
	}
	return con;
}

void console_close(struct console *con)
{
	if (!con)
		return;
	if (con->saved) {
		restore_fd(con->saved);
		con->saved->in_use = 0;
	}
	free(con);
}

/* Write all of @buf, waiting (not spinning) while out_fd is full. */
static void write_all(struct console *con, const void *buf, size_t len)
{
	struct pollfd pfd = {.fd = con->out_fd, .events = POLLOUT};
	const uint8_t *p = buf;

	while (len && con->out_fd >= 0) {
		ssize_t n = write(con->out_fd, p, len);

		if (n > 0) {
			p += n;
			len -= (size_t)n;
		} else if (n < 0 && errno == EAGAIN) {
			poll(&pfd, 1, -1);
		} else if (!(n < 0 && errno == EINTR)) {
			return; /* EIO, EPIPE: the terminal is gone; drop the output */
		}
	}
}

/* Unbuffered: a guest that crashes the monitor still has all its output shown. */
void console_putc(struct console *con, uint8_t byte)
{
	write_all(con, &byte, 1);
}

static void queue_for_guest(struct console *con, uint8_t byte)
{
	if (con->tail == CONSOLE_BUF_SIZE && con->head > 0) {
		memmove(con->buf, con->buf + con->head, con->tail - con->head);
		con->tail -= con->head;
		con->head = 0;
	}
	if (con->tail < CONSOLE_BUF_SIZE)
		con->buf[con->tail++] = byte;
}

/* The byte after Ctrl-A. Unknown escapes are dropped, as QEMU drops them. */
static void handle_escape(struct console *con, uint8_t byte)
{
	switch (byte) {
	case 'x':
		if (con->quit_request)
			*con->quit_request = 1;
		break;
	case 'h':
		write_all(con, help_text, sizeof(help_text) - 1);
		break;
	case ESCAPE_CHAR:
		queue_for_guest(con, ESCAPE_CHAR);
		break;
	default:
		break;
	}
}

static void take_host_byte(struct console *con, uint8_t byte)
{
	if (con->escape) {
		con->escape = false;
		handle_escape(con, byte);
	} else if (byte == ESCAPE_CHAR) {
		con->escape = true;
	} else {
		queue_for_guest(con, byte);
	}
}

/*
 * One read() of whatever is ready. Returns false when nothing was (EAGAIN),
 * or at end of input: 0 from read(), or EIO from a hung-up terminal. After
 * end of input in_fd is never read again, so a /dev/null stdin costs nothing.
 */
static bool read_host_input(struct console *con)
{
	uint8_t chunk[CONSOLE_READ_CHUNK];
	size_t room = CONSOLE_BUF_SIZE - (con->tail - con->head), want = sizeof(chunk);
	ssize_t n, i;

	if (con->in_fd < 0 || con->eof)
		return false;
	/* Leave in the kernel what does not fit, unless nothing fits (see CONSOLE_BUF_SIZE). */
	if (room && room < want)
		want = room;
	do {
		n = read(con->in_fd, chunk, want);
	} while (n < 0 && errno == EINTR);
	if (n <= 0) {
		con->eof = n == 0 || errno != EAGAIN;
		return false;
	}
	for (i = 0; i < n; i++)
		take_host_byte(con, chunk[i]);
	return true;
}

/* Bounded, so a host pasting without pause cannot keep the vCPU out. */
void console_poll(struct console *con)
{
	int i;

	for (i = 0; i < CONSOLE_BUF_SIZE / CONSOLE_READ_CHUNK; i++)
		if (!read_host_input(con))
			break;
}

bool console_getc(struct console *con, uint8_t *byte)
{
	/* A chunk may hold only escapes; read until a guest byte or nothing is ready. */
	while (con->head == con->tail) {
		con->head = con->tail = 0;
		if (!read_host_input(con))
			return false;
	}
	*byte = con->buf[con->head++];
	return true;
}

bool console_input_ended(const struct console *con)
{
	return !con || con->in_fd < 0 || con->eof;
}
