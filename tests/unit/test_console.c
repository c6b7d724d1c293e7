/*
 * test_console.c - the host console: raw mode on a pty and its restoration
 * (close, exit, fatal signal), Ctrl-A escapes, pipe and /dev/null input.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include <cmocka.h>

#include "devices/devices.h"

struct pty {
	int master;
	int slave;
	struct termios cooked; /* the slave's mode before the console touched it */
};

static int pty_setup(void **state)
{
	static struct pty pty;

	pty.master = posix_openpt(O_RDWR | O_NOCTTY);
	if (pty.master < 0 || grantpt(pty.master) < 0 || unlockpt(pty.master) < 0)
		return -1;
	pty.slave = open(ptsname(pty.master), O_RDWR | O_NOCTTY);
	if (pty.slave < 0 || tcgetattr(pty.slave, &pty.cooked) < 0)
		return -1;
	/* A typical interactive terminal, whatever the pty defaults are. */
	pty.cooked.c_lflag |= ICANON | ECHO | ISIG;
	pty.cooked.c_oflag |= OPOST | ONLCR;
	pty.cooked.c_iflag |= ICRNL;
	if (tcsetattr(pty.slave, TCSANOW, &pty.cooked) < 0)
		return -1;
	*state = &pty;
	return 0;
}

static int pty_teardown(void **state)
{
	struct pty *pty = *state;

	close(pty->slave);
	close(pty->master);
	return 0;
}

static bool is_cooked_as_before(const struct pty *pty)
{
	struct termios now;

	if (tcgetattr(pty->slave, &now) < 0)
		return false;
	return now.c_lflag == pty->cooked.c_lflag && now.c_oflag == pty->cooked.c_oflag &&
	       now.c_iflag == pty->cooked.c_iflag && now.c_cflag == pty->cooked.c_cflag &&
	       !(fcntl(pty->slave, F_GETFL) & O_NONBLOCK);
}

/* pty input reaches the slave asynchronously (the kernel's flip buffer work). */
static bool getc_wait(struct console *con, uint8_t *byte)
{
	int i;

	for (i = 0; i < 1000; i++) {
		if (console_getc(con, byte))
			return true;
		usleep(1000);
	}
	return false;
}

static void type_on(int fd, const char *s, size_t len)
{
	assert_int_equal(write(fd, s, len), (ssize_t)len);
}

static void test_console_tty_raw_then_close_restores(void **state)
{
	struct pty *pty = *state;
	struct console *con = console_open(pty->slave, pty->slave, NULL);
	struct termios raw;

	assert_non_null(con);
	assert_int_equal(tcgetattr(pty->slave, &raw), 0);
	assert_int_equal(raw.c_lflag & (ICANON | ECHO | ISIG), 0);
	assert_int_equal(raw.c_oflag & OPOST, 0);
	assert_int_equal(raw.c_iflag & ICRNL, 0);
	assert_true(fcntl(pty->slave, F_GETFL) & O_NONBLOCK);
	console_close(con);
	assert_true(is_cooked_as_before(pty));
}

/* Cooked mode would hold "a" back until a newline; raw mode hands it over. */
static void test_console_tty_delivers_bytes_without_newline(void **state)
{
	struct pty *pty = *state;
	struct console *con = console_open(pty->slave, pty->slave, NULL);
	uint8_t byte = 0;

	type_on(pty->master, "a\r", 2);
	assert_true(getc_wait(con, &byte));
	assert_int_equal(byte, 'a');
	assert_true(getc_wait(con, &byte));
	assert_int_equal(byte, '\r'); /* no ICRNL */
	console_close(con);
}

static void test_console_ctrl_a_x_sets_quit_request(void **state)
{
	struct pty *pty = *state;
	volatile int quit = 0;
	struct console *con = console_open(pty->slave, pty->slave, &quit);
	uint8_t byte;
	int i;

	type_on(pty->master, "\x01x", 2);
	for (i = 0; i < 1000 && !quit; i++) {
		assert_false(console_getc(con, &byte));
		usleep(1000);
	}
	assert_int_equal(quit, 1);
	console_close(con);
}

static void test_console_ctrl_a_ctrl_a_sends_one_ctrl_a(void **state)
{
	struct pty *pty = *state;
	volatile int quit = 0;
	struct console *con = console_open(pty->slave, pty->slave, &quit);
	uint8_t byte;

	type_on(pty->master, "<\x01\x01>", 4);
	assert_true(getc_wait(con, &byte));
	assert_int_equal(byte, '<');
	assert_true(getc_wait(con, &byte));
	assert_int_equal(byte, 0x01);
	assert_true(getc_wait(con, &byte));
	assert_int_equal(byte, '>');
	assert_false(console_getc(con, &byte));
	assert_int_equal(quit, 0);
	console_close(con);
}

static void test_console_unknown_escape_is_dropped(void **state)
{
	struct pty *pty = *state;
	struct console *con = console_open(pty->slave, pty->slave, NULL);
	uint8_t byte;

	type_on(pty->master, "\x01zq", 3);
	assert_true(getc_wait(con, &byte));
	assert_int_equal(byte, 'q');
	console_close(con);
}

static void test_console_ctrl_a_h_prints_help(void **state)
{
	struct pty *pty = *state;
	struct console *con = console_open(pty->slave, pty->slave, NULL);
	struct pollfd pfd = {.fd = pty->master, .events = POLLIN};
	char out[256] = {0};
	uint8_t byte;
	int i;

	type_on(pty->master, "\x01h", 2);
	for (i = 0; i < 1000 && poll(&pfd, 1, 1) == 0; i++)
		assert_false(console_getc(con, &byte)); /* help is for the user, not the guest */
	assert_int_equal(poll(&pfd, 1, 0), 1);
	assert_true(read(pty->master, out, sizeof(out) - 1) > 0);
	assert_non_null(strstr(out, "C-a x"));
	console_close(con);
}

static void test_console_putc_writes_each_byte(void **state)
{
	int out[2];
	struct console *con;
	char buf[4] = {0};

	assert_int_equal(pipe(out), 0);
	con = console_open(-1, out[1], NULL);
	assert_non_null(con);
	console_putc(con, 'o');
	console_putc(con, 'k');
	console_putc(con, '\n');
	assert_int_equal(read(out[0], buf, sizeof(buf)), 3);
	assert_string_equal(buf, "ok\n"); /* no translation on the way out */
	console_close(con);
	close(out[0]);
	close(out[1]);
}

static void test_console_pipe_input_never_blocks(void **state)
{
	int in[2];
	struct console *con;
	uint8_t byte;

	assert_int_equal(pipe(in), 0);
	con = console_open(in[0], -1, NULL);
	assert_non_null(con);
	assert_false(console_getc(con, &byte)); /* writer open, nothing written */
	type_on(in[1], "p", 1);
	assert_true(console_getc(con, &byte));
	assert_int_equal(byte, 'p');
	console_close(con);
	assert_false(fcntl(in[0], F_GETFL) & O_NONBLOCK);
	close(in[0]);
	close(in[1]);
}

static void test_console_pipe_eof_means_no_more_input(void **state)
{
	int in[2];
	struct console *con;
	uint8_t byte;

	assert_int_equal(pipe(in), 0);
	con = console_open(in[0], -1, NULL);
	type_on(in[1], "hi", 2);
	close(in[1]);
	assert_true(console_getc(con, &byte));
	assert_int_equal(byte, 'h');
	assert_true(console_getc(con, &byte));
	assert_int_equal(byte, 'i');
	assert_false(console_getc(con, &byte));
	/* After EOF the fd is not read again: closing it must not matter. */
	close(in[0]);
	assert_false(console_getc(con, &byte));
	console_poll(con);
	console_close(con);
}

static void test_console_dev_null_input_is_eof(void **state)
{
	int fd = open("/dev/null", O_RDONLY);
	struct console *con = console_open(fd, -1, NULL);
	uint8_t byte;

	assert_non_null(con);
	assert_false(console_getc(con, &byte));
	console_close(con);
	close(fd);
}

/* A guest that stopped reading must not be able to keep the user from quitting. */
static void test_console_poll_sees_quit_while_guest_not_reading(void **state)
{
	static char flood[6000];
	volatile int quit = 0;
	int in[2], i;
	struct console *con;
	uint8_t byte;

	assert_int_equal(pipe(in), 0);
	con = console_open(in[0], -1, &quit);
	memset(flood, 'y', sizeof(flood));
	flood[sizeof(flood) - 2] = 0x01;
	flood[sizeof(flood) - 1] = 'x';
	type_on(in[1], flood, sizeof(flood));
	for (i = 0; i < 4; i++)
		console_poll(con);
	assert_int_equal(quit, 1);
	assert_true(console_getc(con, &byte)); /* what fitted is still there for the guest */
	assert_int_equal(byte, 'y');
	console_close(con);
	close(in[0]);
	close(in[1]);
}

static void test_console_restore_terminals_undoes_raw_mode(void **state)
{
	struct pty *pty = *state;
	struct console *con = console_open(pty->slave, pty->slave, NULL);

	assert_false(is_cooked_as_before(pty));
	console_restore_terminals();
	assert_true(is_cooked_as_before(pty));
	console_close(con);
}

/* Runs @child_body in a child; returns its wait status. */
static int run_child(struct pty *pty, int (*child_body)(struct pty *pty))
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(child_body(pty));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static int open_then_sigterm(struct pty *pty)
{
	if (!console_open(pty->slave, pty->slave, NULL))
		return 2;
	raise(SIGTERM);
	return 3; /* not reached: SIGTERM's default action ends us */
}

static int open_then_exit(struct pty *pty)
{
	static struct console *volatile con; /* still reachable at exit: not a leak */

	con = console_open(pty->slave, pty->slave, NULL);
	if (!con)
		return 2;
	exit(0); /* atexit handlers run; console_close is never called */
}

static void test_console_sigterm_restores_terminal_and_dies(void **state)
{
	struct pty *pty = *state;
	int status = run_child(pty, open_then_sigterm);

	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGTERM);
	assert_true(is_cooked_as_before(pty));
}

static void test_console_exit_restores_terminal(void **state)
{
	struct pty *pty = *state;
	int status = run_child(pty, open_then_exit);

	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_true(is_cooked_as_before(pty));
}

static void custom_handler(int sig)
{
}

/* An existing handler (the monitor's) is left in place; SIG_DFL ones get ours. */
static int check_existing_handler_kept(struct pty *pty)
{
	struct sigaction sa = {.sa_handler = custom_handler}, now;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGQUIT, SIG_DFL);
	if (!console_open(pty->slave, pty->slave, NULL))
		return 2;
	sigaction(SIGHUP, NULL, &now);
	if (now.sa_handler != custom_handler)
		return 4;
	sigaction(SIGQUIT, NULL, &now);
	if (now.sa_handler == SIG_DFL || !(now.sa_flags & SA_RESETHAND))
		return 5;
	return 0;
}

static void test_console_keeps_existing_signal_handlers(void **state)
{
	struct pty *pty = *state;
	int status = run_child(pty, check_existing_handler_kept);

	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

#define PTY_TEST(fn) cmocka_unit_test_setup_teardown(fn, pty_setup, pty_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    PTY_TEST(test_console_tty_raw_then_close_restores),
	    PTY_TEST(test_console_tty_delivers_bytes_without_newline),
	    PTY_TEST(test_console_ctrl_a_x_sets_quit_request),
	    PTY_TEST(test_console_ctrl_a_ctrl_a_sends_one_ctrl_a),
	    PTY_TEST(test_console_unknown_escape_is_dropped),
	    PTY_TEST(test_console_ctrl_a_h_prints_help),
	    cmocka_unit_test(test_console_putc_writes_each_byte),
	    cmocka_unit_test(test_console_pipe_input_never_blocks),
	    cmocka_unit_test(test_console_pipe_eof_means_no_more_input),
	    cmocka_unit_test(test_console_dev_null_input_is_eof),
	    cmocka_unit_test(test_console_poll_sees_quit_while_guest_not_reading),
	    PTY_TEST(test_console_restore_terminals_undoes_raw_mode),
	    PTY_TEST(test_console_sigterm_restores_terminal_and_dies),
	    PTY_TEST(test_console_exit_restores_terminal),
	    PTY_TEST(test_console_keeps_existing_signal_handlers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
