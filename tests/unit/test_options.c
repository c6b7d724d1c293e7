/*
 * test_options.c - the command line (monitor/options.c) and -d categories
 * (monitor/log.c): every option parsed, defaults, and each error reported as
 * one line starting "btvmm: " with OPTIONS_ERROR.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "monitor/log.h"
#include "monitor/options.h"

#define MIB	 (1ull << 20)
#define MAX_ARGS 32

/* A readable file to pass as -kernel and -initrd. */
static char kernel_path[] = "/tmp/btvmm-test-kernel-XXXXXX";

struct run {
	struct vm_config cfg;
	enum options_result result;
	char *out, *err; /* what options_parse printed */
	size_t out_len, err_len;
};

/* Parse "btvmm" followed by the NULL-terminated arguments. */
static struct run *vparse(const char *first, va_list ap)
{
	struct run *r = calloc(1, sizeof(*r));
	char *argv[MAX_ARGS] = {(char *)"btvmm"};
	FILE *out = open_memstream(&r->out, &r->out_len);
	FILE *err = open_memstream(&r->err, &r->err_len);
	const char *arg;
	int argc = 1;

	for (arg = first; arg; arg = va_arg(ap, const char *)) {
		assert_true(argc < MAX_ARGS);
		argv[argc++] = (char *)arg;
	}
	r->result = options_parse(argc, argv, &r->cfg, out, err);
	fclose(out);
	fclose(err);
	return r;
}

static struct run *parse(const char *first, ...)
{
	struct run *r;
	va_list ap;

	va_start(ap, first);
	r = vparse(first, ap);
	va_end(ap);
	return r;
}

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
	free(r);
}

/* The run failed with exactly one "btvmm: " line containing @needle. */
static void assert_one_line_error(struct run *r, const char *needle)
{
	assert_int_equal(r->result, OPTIONS_ERROR);
	assert_int_equal(strncmp(r->err, "btvmm: ", 7), 0);
	assert_true(r->err_len > 0 && r->err[r->err_len - 1] == '\n');
	assert_ptr_equal(strchr(r->err, '\n'), r->err + r->err_len - 1);
	if (!strstr(r->err, needle))
		fail_msg("error \"%s\" lacks \"%s\"", r->err, needle);
	assert_int_equal(r->out_len, 0);
}

/* Parsing the arguments fails with one line containing @needle. */
static void expect_error(const char *needle, const char *first, ...)
{
	struct run *r;
	va_list ap;

	va_start(ap, first);
	r = vparse(first, ap);
	va_end(ap);
	assert_one_line_error(r, needle);
	run_free(r);
}

static int make_kernel_file(void **state)
{
	int fd = mkstemp(kernel_path);

	if (fd < 0)
		return -1;
	if (write(fd, "x", 1) != 1) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int remove_kernel_file(void **state)
{
	unlink(kernel_path);
	return 0;
}

static void test_defaults_with_only_kernel(void **state)
{
	struct run *r = parse("-kernel", kernel_path, NULL);

	assert_int_equal(r->result, OPTIONS_RUN);
	assert_string_equal(r->cfg.kernel, kernel_path);
	assert_null(r->cfg.initrd);
	assert_null(r->cfg.append);
	assert_int_equal(r->cfg.ram_size, DEFAULT_RAM_MB * MIB);
	assert_false(r->cfg.nographic);
	assert_int_equal(r->cfg.serial, SERIAL_STDIO);
	assert_false(r->cfg.no_reboot);
	assert_false(r->cfg.precise_flags);
	assert_int_equal(r->cfg.log_mask, 0);
	assert_null(r->cfg.log_file);
	assert_int_equal(r->err_len, 0);
	run_free(r);
}

static void test_every_option_parsed(void **state)
{
	struct run *r = parse("-kernel", kernel_path, "-initrd", kernel_path, "-append",
			      "console=ttyS0 quiet", "-m", "256", "-nographic", "-serial", "none",
			      "-no-reboot", "-precise-flags", "-d", "in_asm,mmu", "-D", "/tmp/log",
			      NULL);

	assert_int_equal(r->result, OPTIONS_RUN);
	assert_string_equal(r->cfg.initrd, kernel_path);
	assert_string_equal(r->cfg.append, "console=ttyS0 quiet");
	assert_int_equal(r->cfg.ram_size, 256 * MIB);
	assert_true(r->cfg.nographic);
	assert_int_equal(r->cfg.serial, SERIAL_NONE);
	assert_true(r->cfg.no_reboot);
	assert_true(r->cfg.precise_flags);
	assert_int_equal(r->cfg.log_mask, LOG_IN_ASM | LOG_MMU);
	assert_string_equal(r->cfg.log_file, "/tmp/log");
	run_free(r);
}

static void test_double_dash_options_accepted(void **state)
{
	struct run *r =
	    parse("--kernel", kernel_path, "--m", "1G", "--serial", "stdio", "--no-reboot", NULL);

	assert_int_equal(r->result, OPTIONS_RUN);
	assert_string_equal(r->cfg.kernel, kernel_path);
	assert_int_equal(r->cfg.ram_size, 1024 * MIB);
	assert_true(r->cfg.no_reboot);
	run_free(r);
}

static void test_memory_size_forms_accepted(void **state)
{
	static const struct {
		const char *text;
		uint64_t bytes;
	} cases[] = {
	    {"128", 128 * MIB}, {"128M", 128 * MIB},	{"128m", 128 * MIB}, {"1G", 1024 * MIB},
	    {"4096K", 4 * MIB}, {"size=64M", 64 * MIB}, {"3G", 3072 * MIB},  {"2", 2 * MIB},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct run *r = parse("-kernel", kernel_path, "-m", cases[i].text, NULL);

		assert_int_equal(r->result, OPTIONS_RUN);
		assert_int_equal(r->cfg.ram_size, cases[i].bytes);
		run_free(r);
	}
}

static void test_parse_size_units(void **state)
{
	uint64_t bytes;

	assert_int_equal(parse_size("128", &bytes), 0);
	assert_int_equal(bytes, 128 * MIB);
	assert_int_equal(parse_size("512k", &bytes), 0);
	assert_int_equal(bytes, 512 * 1024);
	assert_int_equal(parse_size("2g", &bytes), 0);
	assert_int_equal(bytes, 2048 * MIB);
	assert_int_equal(parse_size("1T", &bytes), 0);
	assert_int_equal(bytes, 1ull << 40);
	assert_int_equal(parse_size("4096B", &bytes), 0);
	assert_int_equal(bytes, 4096);
	assert_int_equal(parse_size("0", &bytes), 0);
	assert_int_equal(bytes, 0);
}

static void test_parse_size_rejects_non_sizes(void **state)
{
	static const char *const bad[] = {
	    "",
	    "abc",
	    "-1",
	    "+1",
	    " 1",
	    "12X",
	    "1MM",
	    "1.5G",
	    "M",
	    "99999999999999999999",
	    "17179869184G", /* 2^34 GiB overflows 64 bits */
	};
	uint64_t bytes = 42;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse_size(bad[i], &bytes) != -1)
			fail_msg("parse_size accepted \"%s\"", bad[i]);
	}
	assert_int_equal(bytes, 42);
}

static void test_memory_size_errors_name_the_range(void **state)
{
	expect_error("-m abc: not a size", "-kernel", kernel_path, "-m", "abc", NULL);
	expect_error("from 2 MiB to 3072 MiB", "-kernel", kernel_path, "-m", "1", NULL);
	expect_error("from 2 MiB to 3072 MiB", "-kernel", kernel_path, "-m", "4G", NULL);
	expect_error("4 KiB pages", "-kernel", kernel_path, "-m", "2049K", NULL);
}

static void test_unknown_option_is_named(void **state)
{
	expect_error("unknown option '-foo' (try --help)", "-kernel", kernel_path, "-foo", NULL);
	expect_error("unexpected argument 'disk.img'", "-kernel", kernel_path, "disk.img", NULL);
	expect_error("unknown option '-'", "-", NULL);
}

static void test_missing_argument_is_reported(void **state)
{
	expect_error("option '-m' needs an argument", "-kernel", kernel_path, "-m", NULL);
	expect_error("option '--kernel' needs an argument", "--kernel", NULL);
}

static void test_missing_kernel_is_reported(void **state)
{
	expect_error("-kernel FILE is required", "-m", "64", NULL);
}

static void test_unreadable_files_are_named(void **state)
{
	expect_error("-kernel /nonexistent/vmlinuz: No such file or directory", "-kernel",
		     "/nonexistent/vmlinuz", NULL);
	expect_error("-kernel /tmp: Is a directory", "-kernel", "/tmp", NULL);
	expect_error("-initrd /nonexistent/initrd: No such file", "-kernel", kernel_path, "-initrd",
		     "/nonexistent/initrd", NULL);
}

static void test_bad_log_category_is_named(void **state)
{
	expect_error("unknown log category 'bogus' (try -d help)", "-kernel", kernel_path, "-d",
		     "in_asm,bogus,mmu", NULL);
	expect_error("unknown log category ''", "-kernel", kernel_path, "-d", "in_asm,", NULL);
}

static void test_bad_serial_backend_is_refused(void **state)
{
	expect_error("-serial pty: unsupported backend", "-kernel", kernel_path, "-serial", "pty",
		     NULL);
}

static void test_enable_kvm_is_refused(void **state)
{
	expect_error("no hardware virtualization", "-kernel", kernel_path, "-enable-kvm", NULL);
}

static void test_help_lists_every_option(void **state)
{
	static const char *const names[] = {"-kernel FILE", "-initrd", "-append",    "-m SIZE",
					    "-nographic",   "-serial", "-no-reboot", "-d",
					    "-D LOGFILE",   "-help",   "-version"};
	struct run *r = parse("--help", NULL);
	size_t i;

	assert_int_equal(r->result, OPTIONS_EXIT);
	assert_int_equal(r->err_len, 0);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strstr(r->out, names[i]))
			fail_msg("--help lacks %s", names[i]);
	}
	run_free(r);
	r = parse("-h", NULL);
	assert_int_equal(r->result, OPTIONS_EXIT);
	assert_non_null(strstr(r->out, "Usage: btvmm"));
	run_free(r);
}

static void test_version_prints_one_line(void **state)
{
	const char *spellings[] = {"--version", "-version"};
	size_t i;

	for (i = 0; i < 2; i++) {
		struct run *r = parse(spellings[i], NULL);

		assert_int_equal(r->result, OPTIONS_EXIT);
		assert_int_equal(strncmp(r->out, "btvmm 0.", 8), 0);
		assert_ptr_equal(strchr(r->out, '\n'), r->out + r->out_len - 1);
		run_free(r);
	}
}

static void test_log_help_lists_categories(void **state)
{
	const struct log_category_name *cat;
	struct run *r = parse("-d", "help", NULL);

	assert_int_equal(r->result, OPTIONS_EXIT);
	for (cat = log_category_names; cat->name; cat++)
		assert_non_null(strstr(r->out, cat->name));
	run_free(r);
}

static void test_log_parse_mask_reports_bad_item(void **state)
{
	const char *text = "cache,stats,nope,int";
	const char *bad = NULL;
	uint32_t mask = 0;

	assert_int_equal(log_parse_mask("exec,callout,int,io,unimp", &mask, &bad), 0);
	assert_int_equal(mask, LOG_EXEC | LOG_CALLOUT | LOG_INT | LOG_IO | LOG_UNIMP);
	assert_int_equal(log_parse_mask(text, &mask, &bad), -1);
	assert_ptr_equal(bad, text + strlen("cache,stats,"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults_with_only_kernel),
	    cmocka_unit_test(test_every_option_parsed),
	    cmocka_unit_test(test_double_dash_options_accepted),
	    cmocka_unit_test(test_memory_size_forms_accepted),
	    cmocka_unit_test(test_parse_size_units),
	    cmocka_unit_test(test_parse_size_rejects_non_sizes),
	    cmocka_unit_test(test_memory_size_errors_name_the_range),
	    cmocka_unit_test(test_unknown_option_is_named),
	    cmocka_unit_test(test_missing_argument_is_reported),
	    cmocka_unit_test(test_missing_kernel_is_reported),
	    cmocka_unit_test(test_unreadable_files_are_named),
	    cmocka_unit_test(test_bad_log_category_is_named),
	    cmocka_unit_test(test_bad_serial_backend_is_refused),
	    cmocka_unit_test(test_enable_kvm_is_refused),
	    cmocka_unit_test(test_help_lists_every_option),
	    cmocka_unit_test(test_version_prints_one_line),
	    cmocka_unit_test(test_log_help_lists_categories),
	    cmocka_unit_test(test_log_parse_mask_reports_bad_item),
	};

	return cmocka_run_group_tests(tests, make_kernel_file, remove_kernel_file);
}
