/*
 * options.h - btvmm's command line (QEMU's conventions) and the machine
 * configuration it produces. Internal to monitor/.
 */
#ifndef BTVMM_MONITOR_OPTIONS_H
#define BTVMM_MONITOR_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define DEFAULT_RAM_MB 128
#define DEFAULT_TB_MB 64
#define TB_SIZE_MIN (64u << 10)
#define TB_SIZE_MAX (1u << 30)

enum serial_backend {
	SERIAL_STDIO = 0, /* -serial stdio (the default with -nographic) */
	SERIAL_NONE,	  /* -serial none: output discarded */
};

struct vm_config {
	const char *kernel;	    /* -kernel FILE (required) */
	const char *initrd;	    /* -initrd FILE */
	const char *append;	    /* -append CMDLINE */
	uint64_t ram_size;	    /* -m SIZE, in bytes */
	uint64_t tb_size;	    /* -tb-size SIZE: translation cache arena, bytes */
	bool nographic;		    /* -nographic */
	enum serial_backend serial; /* -serial */
	bool no_reboot;		    /* -no-reboot: a reset (triple fault) exits instead */
	bool precise_flags;	    /* -precise-flags: exact arithmetic flags in every fault frame */
	uint32_t log_mask;	    /* -d CATEGORIES (LOG_* bits from log.h) */
	const char *log_file;	    /* -D LOGFILE */
};

enum options_result {
	OPTIONS_RUN = 0,   /* configuration complete: run the VM */
	OPTIONS_EXIT = 1,  /* --help or --version was printed: exit 0 */
	OPTIONS_ERROR = 2, /* a one-line error was printed to @err: exit 2 */
};

/*
 * Parse argv into *cfg. Prints --help/--version to @out and errors, as one
 * line starting "btvmm: ", to @err. Checks that -kernel/-initrd name readable
 * files. Does not keep pointers to anything but argv.
 */
enum options_result options_parse(int argc, char **argv, struct vm_config *cfg, FILE *out,
				  FILE *err);

/*
 * Parse a QEMU-style size: a number with an optional suffix B, K, M, G, T
 * (binary units, either case); a bare number means megabytes, as in QEMU's -m.
 * Returns 0 and sets *bytes, or -1 if the text is not a size or overflows.
 */
int parse_size(const char *text, uint64_t *bytes);

#endif /* BTVMM_MONITOR_OPTIONS_H */
