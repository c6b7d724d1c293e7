/*
 * check.c - the checks of check.h and the verdict of a test guest.
 */
#include <stdarg.h>

#include "check.h"

const char *check_name(const char *prefix, const char *suffix)
{
	static char buf[64];
	unsigned n = 0;

	while (*prefix && n < sizeof(buf) - 1)
		buf[n++] = *prefix++;
	if (n < sizeof(buf) - 1)
		buf[n++] = '_';
	while (*suffix && n < sizeof(buf) - 1)
		buf[n++] = *suffix++;
	buf[n] = 0;
	return buf;
}

void check_ok(const char *name)
{
	kprintf("ok %s\n", name);
}

void check_fail(const char *name, const char *fmt, ...)
{
	va_list ap;

	guest_exit_code = 1;
	kprintf("FAIL %s: ", name);
	va_start(ap, fmt);
	vkprintf(fmt, ap);
	va_end(ap);
	kprintf("\n");
}

void check_eq32(const char *name, uint32_t got, uint32_t want)
{
	if (got == want)
		check_ok(name);
	else
		check_fail(name, "got 0x%08x, want 0x%08x", got, want);
}

void check_eq64(const char *name, uint64_t got, uint64_t want)
{
	if (got == want)
		check_ok(name);
	else
		check_fail(name, "got 0x%016llx, want 0x%016llx", got, want);
}

void check_true(const char *name, bool cond, const char *text)
{
	if (cond)
		check_ok(name);
	else
		check_fail(name, "%s is false", text);
}

void check_flags(const char *name, uint32_t got, uint32_t want, uint32_t mask)
{
	if ((got & mask) == (want & mask))
		check_ok(name);
	else
		check_fail(name, "flags 0x%03x, want 0x%03x (mask 0x%03x)", got & mask, want & mask,
			   mask);
}

void check_mem(const char *name, const void *got, const void *want, size_t len)
{
	const uint8_t *g = got, *w = want;

	for (size_t i = 0; i < len; i++) {
		if (g[i] != w[i]) {
			check_fail(name, "byte %u is 0x%02x, want 0x%02x", (unsigned)i, g[i], w[i]);
			return;
		}
	}
	check_ok(name);
}

void test_finish(const char *test)
{
	kprintf("%s %s\n", guest_exit_code ? "FAIL" : "PASS", test);
	guest_exit(guest_exit_code);
}
