/*
 * log.c - user-facing messages (pr_err/pr_warn/die, "btvmm: " on stderr) and
 * the -d debug log categories written to -D LOGFILE, after QEMU's qemu_log.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/log.h"

uint32_t log_mask;
FILE *log_file;

const struct log_category_name log_category_names[] = {
    {"in_asm", LOG_IN_ASM, "guest code of each translated block"},
    {"out_asm", LOG_OUT_ASM, "host code generated for each block"},
    {"exec", LOG_EXEC, "each block entered from the run loop"},
    {"callout", LOG_CALLOUT, "sensitive instructions, first time at each EIP"},
    {"int", LOG_INT, "exceptions and interrupts delivered to the guest"},
    {"mmu", LOG_MMU, "software TLB fills, guest page faults, flushes"},
    {"io", LOG_IO, "port and MMIO accesses"},
    {"cache", LOG_CACHE, "translation cache flushes and invalidations"},
    {"stats", LOG_STATS, "statistics report at exit"},
    {"unimp", LOG_UNIMP, "guest use of unimplemented device features"},
    {"perfmap", LOG_PERFMAP, "name each block's host code in /tmp/perf-PID.map for perf"},
    {NULL, 0, NULL},
};

/*
 * stderr is not a constant expression, so log_file cannot be initialised to
 * it statically; code that writes to log_file directly (disassembly dumps)
 * must never see NULL, so set the default before main() runs.
 */
__attribute__((constructor)) static void log_default_to_stderr(void)
{
	log_file = stderr;
}

static uint32_t category_mask(const char *name, size_t len)
{
	const struct log_category_name *cat;

	for (cat = log_category_names; cat->name; cat++) {
		if (strlen(cat->name) == len && strncmp(cat->name, name, len) == 0)
			return cat->mask;
	}
	return 0;
}

int log_parse_mask(const char *text, uint32_t *mask, const char **bad)
{
	uint32_t result = 0;
	const char *item = text;

	for (;;) {
		size_t len = strcspn(item, ",");
		uint32_t bit = category_mask(item, len);

		if (!bit) {
			*bad = item;
			return -1;
		}
		result |= bit;
		if (item[len] == '\0')
			break;
		item += len + 1;
	}
	*mask = result;
	return 0;
}

int log_open(const char *path)
{
	FILE *file;

	if (!path) {
		log_close();
		return 0;
	}
	file = fopen(path, "w");
	if (!file)
		return -errno;
	/* Line-buffered, so a log survives a guest that hangs the monitor. */
	setvbuf(file, NULL, _IOLBF, 0);
	log_close();
	log_file = file;
	return 0;
}

void log_close(void)
{
	if (log_file && log_file != stderr)
		fclose(log_file);
	log_file = stderr;
}

void log_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(log_file, fmt, ap);
	va_end(ap);
}

/* "btvmm: <kind><message>" as one line: the newline is added if missing. */
PRINTF_LIKE(2, 0) static void print_prefixed(const char *kind, const char *fmt, va_list ap)
{
	char msg[1024];
	size_t len;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	len = strlen(msg);
	fprintf(stderr, "btvmm: %s%s%s", kind, msg, len && msg[len - 1] == '\n' ? "" : "\n");
}

void pr_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	print_prefixed("", fmt, ap);
	va_end(ap);
}

void pr_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	print_prefixed("warning: ", fmt, ap);
	va_end(ap);
}

void pr_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	print_prefixed("", fmt, ap);
	va_end(ap);
}

void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	print_prefixed("", fmt, ap);
	va_end(ap);
	exit(1);
}

void die_perror(const char *what)
{
	int saved_errno = errno; /* stdio below may change it */

	pr_err("%s: %s", what, strerror(saved_errno));
	exit(1);
}
