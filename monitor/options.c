/*
 * options.c - the command line, in QEMU's conventions (one-dash long options,
 * two dashes also accepted, -m sizes as qemu_strtosz_MiB reads them), driven
 * by one table that also prints --help.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "monitor/log.h"
#include "monitor/options.h"
#include "monitor/x86.h"
#include "shadow_mmu/shadow_mmu.h"

#ifndef PROJECT_VERSION
#define PROJECT_VERSION "0.1.0"
#endif

#define MIB (1ull << 20)

struct parser {
	struct vm_config *cfg;
	FILE *out; /* --help, --version, -d help */
	FILE *err; /* one-line errors */
};

typedef enum options_result (*option_handler_fn)(struct parser *p, const char *arg);

struct option_spec {
	const char *name;     /* without the leading dash */
	const char *arg_name; /* NULL: the option takes no argument */
	option_handler_fn handle;
	const char *help; /* NULL: an alias or a refusal, not listed by --help */
};

static const struct option_spec option_table[];

PRINTF_LIKE(2, 3) static enum options_result fail(struct parser *p, const char *fmt, ...)
{
	va_list ap;

	fputs("btvmm: ", p->err);
	va_start(ap, fmt);
	vfprintf(p->err, fmt, ap);
	va_end(ap);
	fputc('\n', p->err);
	return OPTIONS_ERROR;
}

/* Bits to shift by for a size suffix; a bare number is MiB, as in QEMU's -m. */
static int size_suffix_shift(const char *suffix)
{
	if (suffix[0] == '\0')
		return 20;
	if (suffix[1] != '\0')
		return -1;
	switch (tolower((unsigned char)suffix[0])) {
	case 'b':
		return 0;
	case 'k':
		return 10;
	case 'm':
		return 20;
	case 'g':
		return 30;
	case 't':
		return 40;
	default:
		return -1;
	}
}

int parse_size(const char *text, uint64_t *bytes)
{
	unsigned long long number;
	char *end;
	int shift;

	/* strtoull would accept "-1", " 1" and "+1": only digits may start a size. */
	if (!isdigit((unsigned char)text[0]))
		return -1;
	errno = 0;
	number = strtoull(text, &end, 10);
	if (errno)
		return -1;
	shift = size_suffix_shift(end);
	if (shift < 0 || number > (UINT64_MAX >> shift))
		return -1;
	*bytes = (uint64_t)number << shift;
	return 0;
}

static enum options_result opt_kernel(struct parser *p, const char *arg)
{
	p->cfg->kernel = arg;
	return OPTIONS_RUN;
}

static enum options_result opt_initrd(struct parser *p, const char *arg)
{
	p->cfg->initrd = arg;
	return OPTIONS_RUN;
}

static enum options_result opt_append(struct parser *p, const char *arg)
{
	p->cfg->append = arg;
	return OPTIONS_RUN;
}

static enum options_result opt_memory(struct parser *p, const char *arg)
{
	const char *text = arg;
	uint64_t bytes;

	/* QEMU also spells it -m size=128M. */
	if (strncmp(text, "size=", 5) == 0)
		text += 5;
	if (parse_size(text, &bytes) < 0)
		return fail(p, "-m %s: not a size (examples: 128, 512M, 1G)", arg);
	if (bytes < PHYS_RAM_MIN || bytes > PHYS_RAM_MAX || bytes % PAGE_SIZE)
		return fail(p,
			    "-m %s: RAM size must be a whole number of 4 KiB pages from %llu MiB "
			    "to %llu MiB",
			    arg, PHYS_RAM_MIN / MIB, PHYS_RAM_MAX / MIB);
	p->cfg->ram_size = bytes;
	return OPTIONS_RUN;
}

/* QEMU's -tb-size: the translation cache in MiB (here also with K/M/G). */
static enum options_result opt_tb_size(struct parser *p, const char *arg)
{
	uint64_t bytes;

	if (parse_size(arg, &bytes) < 0 || bytes < TB_SIZE_MIN || bytes > TB_SIZE_MAX)
		return fail(p, "-tb-size %s: the translation cache must be 64K to 1G", arg);
	p->cfg->tb_size = bytes;
	return OPTIONS_RUN;
}

static enum options_result opt_nographic(struct parser *p, const char *arg)
{
	p->cfg->nographic = true;
	return OPTIONS_RUN;
}

static enum options_result opt_serial(struct parser *p, const char *arg)
{
	/* "mon:stdio" is what QEMU users type; console.c's Ctrl-A x plays the
	 * monitor's part, so it means the same as stdio here. */
	if (strcmp(arg, "stdio") == 0 || strcmp(arg, "mon:stdio") == 0)
		p->cfg->serial = SERIAL_STDIO;
	else if (strcmp(arg, "none") == 0)
		p->cfg->serial = SERIAL_NONE;
	else
		return fail(p, "-serial %s: unsupported backend (use stdio or none)", arg);
	return OPTIONS_RUN;
}

static enum options_result opt_no_reboot(struct parser *p, const char *arg)
{
	p->cfg->no_reboot = true;
	return OPTIONS_RUN;
}

/* btvmm's own (QEMU has no equivalent): see "Flags" in docs/design.md. */
static enum options_result opt_precise_flags(struct parser *p, const char *arg)
{
	p->cfg->precise_flags = true;
	return OPTIONS_RUN;
}

static void print_log_categories(FILE *out)
{
	const struct log_category_name *cat;

	fprintf(out, "Log categories for -d (comma-separated):\n");
	for (cat = log_category_names; cat->name; cat++)
		fprintf(out, "  %-10s %s\n", cat->name, cat->help);
}

static enum options_result opt_log_categories(struct parser *p, const char *arg)
{
	const char *bad;

	if (strcmp(arg, "help") == 0) {
		print_log_categories(p->out);
		return OPTIONS_EXIT;
	}
	if (log_parse_mask(arg, &p->cfg->log_mask, &bad) < 0)
		return fail(p, "-d: unknown log category '%.*s' (try -d help)",
			    (int)strcspn(bad, ","), bad);
	return OPTIONS_RUN;
}

static enum options_result opt_log_file(struct parser *p, const char *arg)
{
	p->cfg->log_file = arg;
	return OPTIONS_RUN;
}

static enum options_result opt_help(struct parser *p, const char *arg)
{
	const struct option_spec *opt;
	char left[32];

	fprintf(p->out, "Usage: btvmm -kernel FILE [options]\n"
			"Runs a 32-bit x86 guest kernel by binary translation.\n\n");
	for (opt = option_table; opt->name; opt++) {
		if (!opt->help)
			continue;
		snprintf(left, sizeof(left), "-%s%s%s", opt->name, opt->arg_name ? " " : "",
			 opt->arg_name ? opt->arg_name : "");
		fprintf(p->out, "  %-22s %s\n", left, opt->help);
	}
	fprintf(p->out, "\nOptions may also be written with two dashes (--kernel).\n");
	return OPTIONS_EXIT;
}

static enum options_result opt_version(struct parser *p, const char *arg)
{
	fprintf(p->out, "btvmm %s\n", PROJECT_VERSION);
	return OPTIONS_EXIT;
}

/* Accepting it silently would let a user believe the guest runs on VT-x. */
static enum options_result opt_enable_kvm(struct parser *p, const char *arg)
{
	return fail(p,
		    "-enable-kvm: btvmm has no hardware virtualization; it is a binary translator");
}

static const struct option_spec option_table[] = {
    {"kernel", "FILE", opt_kernel, "Multiboot or Linux bzImage kernel to boot (required)"},
    {"initrd", "FILE", opt_initrd, "initial ramdisk (Linux) or module (Multiboot)"},
    {"append", "CMDLINE", opt_append, "kernel command line"},
    {"m", "SIZE", opt_memory, "guest RAM: MiB, or with a K/M/G suffix (default 128M)"},
    {"tb-size", "SIZE", opt_tb_size, "translation cache size, MiB or with a suffix (default 64M)"},
    {"nographic", NULL, opt_nographic, "no display; the serial port is the console"},
    {"serial", "BACKEND", opt_serial, "COM1 back end: stdio (default) or none"},
    {"no-reboot", NULL, opt_no_reboot, "exit instead of resetting on a guest reboot"},
    {"precise-flags", NULL, opt_precise_flags,
     "exact arithmetic flags in fault frames even where dead (slower)"},
    {"d", "CAT[,CAT...]", opt_log_categories, "enable debug log categories (-d help lists them)"},
    {"D", "LOGFILE", opt_log_file, "write the debug log to LOGFILE (default stderr)"},
    {"help", NULL, opt_help, "print this help and exit (also -h)"},
    {"h", NULL, opt_help, NULL},
    {"version", NULL, opt_version, "print the version and exit"},
    {"enable-kvm", NULL, opt_enable_kvm, NULL},
    {NULL, NULL, NULL, NULL},
};

/* "-kernel" and "--kernel" both name the "kernel" entry. */
static const struct option_spec *find_option(const char *word)
{
	const struct option_spec *opt;
	const char *name;

	if (word[0] != '-')
		return NULL;
	name = word[1] == '-' ? word + 2 : word + 1;
	for (opt = option_table; opt->name; opt++) {
		if (strcmp(opt->name, name) == 0)
			return opt;
	}
	return NULL;
}

/* Fail unless @path can be opened for reading and is not a directory. */
static enum options_result check_readable(struct parser *p, const char *option, const char *path)
{
	struct stat st;
	int fd, error = 0;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return fail(p, "%s %s: %s", option, path, strerror(errno));
	if (fstat(fd, &st) < 0)
		error = errno;
	else if (S_ISDIR(st.st_mode))
		error = EISDIR;
	close(fd);
	if (error)
		return fail(p, "%s %s: %s", option, path, strerror(error));
	return OPTIONS_RUN;
}

/* What can only be checked once every option has been seen. */
static enum options_result check_config(struct parser *p)
{
	if (!p->cfg->kernel)
		return fail(p, "no kernel given: -kernel FILE is required (try --help)");
	if (check_readable(p, "-kernel", p->cfg->kernel) != OPTIONS_RUN)
		return OPTIONS_ERROR;
	if (p->cfg->initrd && check_readable(p, "-initrd", p->cfg->initrd) != OPTIONS_RUN)
		return OPTIONS_ERROR;
	return OPTIONS_RUN;
}

static void set_defaults(struct vm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->ram_size = (uint64_t)DEFAULT_RAM_MB * MIB;
	cfg->tb_size = (uint64_t)DEFAULT_TB_MB * MIB;
	cfg->serial = SERIAL_STDIO;
}

enum options_result options_parse(int argc, char **argv, struct vm_config *cfg, FILE *out,
				  FILE *err)
{
	struct parser p = {.cfg = cfg, .out = out, .err = err};
	enum options_result result;
	int i;

	set_defaults(cfg);
	for (i = 1; i < argc; i++) {
		const struct option_spec *opt = find_option(argv[i]);
		const char *arg = NULL;

		if (!opt && argv[i][0] == '-')
			return fail(&p, "unknown option '%s' (try --help)", argv[i]);
		if (!opt)
			return fail(&p, "unexpected argument '%s' (try --help)", argv[i]);
		if (opt->arg_name) {
			if (i + 1 >= argc)
				return fail(&p, "option '%s' needs an argument: %s", argv[i],
					    opt->arg_name);
			arg = argv[++i];
		}
		result = opt->handle(&p, arg);
		if (result != OPTIONS_RUN)
			return result;
	}
	return check_config(&p);
}
