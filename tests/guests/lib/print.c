/*
 * print.c - kprintf, the small subset of printf the test guests need
 * (see runtime.h for the conversions it understands).
 */
#include <stdarg.h>
#include <stdbool.h>

#include "runtime.h"

/* Prints v in the given base, at least width digits, padded with pad. */
static void print_num(unsigned long long v, unsigned base, int width, char pad)
{
	char buf[24];
	int n = 0;

	do {
		buf[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (width-- > n)
		serial_putc(pad);
	while (n)
		serial_putc(buf[--n]);
}

/* Prints one conversion, conv being its letter. Returns false if unknown. */
static bool print_conv(char conv, bool is_ll, int width, char pad, va_list *ap)
{
	long long s;
	unsigned long long u;

	switch (conv) {
	case 's':
		serial_puts(va_arg(*ap, const char *));
		return true;
	case 'c':
		serial_putc((char)va_arg(*ap, int));
		return true;
	case 'd':
		s = is_ll ? va_arg(*ap, long long) : va_arg(*ap, int);
		if (s < 0) {
			serial_putc('-');
			width--;
		}
		print_num(s < 0 ? -(unsigned long long)s : (unsigned long long)s, 10, width, pad);
		return true;
	case 'u':
	case 'x':
		u = is_ll ? va_arg(*ap, unsigned long long) : va_arg(*ap, unsigned);
		print_num(u, conv == 'u' ? 10 : 16, width, pad);
		return true;
	case '%':
		serial_putc('%');
		return true;
	}
	return false;
}

void vkprintf(const char *fmt, va_list args)
{
	va_list ap;

	va_copy(ap, args); /* print_conv needs a pointer to a va_list object */
	for (; *fmt; fmt++) {
		char pad = ' ';
		int width = 0;
		bool is_ll = false;

		if (*fmt != '%') {
			serial_putc(*fmt);
			continue;
		}
		if (*++fmt == '0')
			pad = *fmt++;
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		if (fmt[0] == 'l' && fmt[1] == 'l') {
			is_ll = true;
			fmt += 2;
		}
		if (!print_conv(*fmt, is_ll, width, pad, &ap))
			serial_puts("<bad format>");
		if (!*fmt)
			break;
	}
	va_end(ap);
}

void kprintf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vkprintf(fmt, ap);
	va_end(ap);
}
