/*
 * check.h - the checks a test guest makes. Each prints one line on COM1,
 * "ok <name>" or "FAIL <name>: <detail>", and a failure makes the guest exit
 * with code 1. test_finish() prints "PASS <test>" or "FAIL <test>" and exits.
 */
#ifndef GUEST_CHECK_H
#define GUEST_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime.h"

/* EFLAGS bits (SDM Vol. 1 3.4.3), for the flag checks. */
#define FL_CF	  (1u << 0)
#define FL_PF	  (1u << 2)
#define FL_AF	  (1u << 4)
#define FL_ZF	  (1u << 6)
#define FL_SF	  (1u << 7)
#define FL_DF	  (1u << 10)
#define FL_OF	  (1u << 11)
#define FL_ARITH  (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF) /* the six status flags */
#define FL_NOT_AF (FL_ARITH & ~FL_AF) /* logic ops, 1-bit shifts, SHLD/SHRD: AF undefined */
#define FL_SZP	  (FL_SF | FL_ZF | FL_PF)

#define CHECK_EQ32(name, got, want) check_eq32(name, got, want)
#define CHECK_EQ64(name, got, want) check_eq64(name, got, want)
#define CHECK_TRUE(name, cond)	    check_true(name, cond, #cond)
/* Compares only the flags in mask: the ones the SDM defines for the instruction. */
#define CHECK_FLAGS(name, got, want, mask) check_flags(name, got, want, mask)
#define CHECK_MEM(name, got, want, len)	   check_mem(name, got, want, len)

void check_eq32(const char *name, uint32_t got, uint32_t want);
void check_eq64(const char *name, uint64_t got, uint64_t want);
void check_true(const char *name, bool cond, const char *text);
void check_flags(const char *name, uint32_t got, uint32_t want, uint32_t mask);
void check_mem(const char *name, const void *got, const void *want, size_t len);

/*
 * Prints "FAIL <name>: " and the formatted detail, and marks the test
 * failed. For checks the macros above do not cover.
 */
void check_fail(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Returns "<prefix>_<suffix>" in a static buffer (cut at 63 characters), for
 * checks named after a table row; valid until the next call.
 */
const char *check_name(const char *prefix, const char *suffix);

/* Prints "ok <name>". */
void check_ok(const char *name);

/* Prints the verdict line for test and exits; returns only without an exit device. */
void test_finish(const char *test);

#endif
