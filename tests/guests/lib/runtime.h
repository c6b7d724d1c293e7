/*
 * runtime.h - the services lib/ gives every test guest: COM1 output, a tiny
 * kprintf, and the exit port. Checks are in check.h.
 */
#ifndef GUEST_RUNTIME_H
#define GUEST_RUNTIME_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* Called by boot.S before main(): programs COM1 for 115200 8N1, no interrupts. */
void serial_init(void);

/* Sends one byte on COM1, polling until the transmitter can take it. */
void serial_putc(char c);

/* Sends a NUL-terminated string as is: no "\n" -> "\r\n" translation. */
void serial_puts(const char *s);

/*
 * Formatted output on COM1. Understands %s %c %d %u %x, the "ll" length for
 * d/u/x, the '0' flag and a field width (so %08x and %016llx), and %%.
 * Lines end with "\n" only: the runner compares bytes.
 */
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vkprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/*
 * The status the guest exits with when main() returns: 0 means every check
 * passed. check.c sets it to 1 on the first failure.
 */
extern uint32_t guest_exit_code;

/*
 * Writes code to the isa-debug-exit port (0xf4); the monitor then exits with
 * status (code << 1) | 1. Returns only if there is no such device.
 */
void guest_exit(uint32_t code);

/* The four functions GCC may call even in freestanding code (lib/string.c). */
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);

/* main() of the test; boot.S calls it with the Multiboot EAX and EBX. */
void main(uint32_t magic, uint32_t info);

#endif
