/*
 * log.h - errors, warnings and the -d log categories (QEMU's -d, DynamoRIO's
 * LOG(...)). die() is for unrecoverable host errors at start-up only; guest
 * misbehaviour never dies, it becomes a guest exception or a clean exit.
 */
#ifndef BTVMM_MONITOR_LOG_H
#define BTVMM_MONITOR_LOG_H

#include <stdint.h>
#include <stdio.h>

#define NORETURN	  __attribute__((noreturn))
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))

/* -d categories. */
enum log_category {
	LOG_IN_ASM = 1u << 0,  /* guest code of each translated block */
	LOG_OUT_ASM = 1u << 1, /* host code of each translated block */
	LOG_EXEC = 1u << 2,    /* each block entered from the run loop */
	LOG_CALLOUT = 1u << 3, /* sensitive instructions, first time at each EIP */
	LOG_INT = 1u << 4,     /* exceptions and interrupts delivered */
	LOG_MMU = 1u << 5,     /* TLB fills, faults, flushes */
	LOG_IO = 1u << 6,      /* port and MMIO accesses */
	LOG_CACHE = 1u << 7,   /* translation cache: flushes, invalidations */
	LOG_STATS = 1u << 8,   /* statistics report at exit */
	LOG_UNIMP = 1u << 9,   /* unimplemented device features */
	LOG_PERFMAP = 1u << 10, /* /tmp/perf-PID.map: host code of each block, for perf */
};

extern uint32_t log_mask;
/* Where log_printf writes: stderr until log_open() opens -D FILE; never NULL. */
extern FILE *log_file;

struct log_category_name {
	const char *name;
	uint32_t mask;
	const char *help;
};
/* The table -d accepts, ending with a NULL name. */
extern const struct log_category_name log_category_names[];

/* Parse "in_asm,out_asm,..." into a mask. Returns 0, or -1 naming the bad
 * category in *bad (which points into @text and runs to the next comma). */
int log_parse_mask(const char *text, uint32_t *mask, const char **bad);

/* Open -D FILE (or use stderr). Returns 0 or -errno. */
int log_open(const char *path);
/* Close a -D FILE, if one is open, and go back to stderr. */
void log_close(void);

static inline int log_enabled(uint32_t category)
{
	return (log_mask & category) != 0;
}

void log_printf(const char *fmt, ...) PRINTF_LIKE(1, 2);
#define log_mask_printf(cat, ...)                                                                  \
	do {                                                                                       \
		if (log_enabled(cat))                                                              \
			log_printf(__VA_ARGS__);                                                   \
	} while (0)

/* "btvmm: ..." on stderr, as one line (a missing final newline is added). */
void pr_err(const char *fmt, ...) PRINTF_LIKE(1, 2);
void pr_warn(const char *fmt, ...) PRINTF_LIKE(1, 2);
void pr_info(const char *fmt, ...) PRINTF_LIKE(1, 2);

/* Unrecoverable host error at start-up: message, then exit(1). */
void die(const char *fmt, ...) NORETURN PRINTF_LIKE(1, 2);
/* Same, with strerror(errno) appended. */
void die_perror(const char *what) NORETURN;

#endif /* BTVMM_MONITOR_LOG_H */
