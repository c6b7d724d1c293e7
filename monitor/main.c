/*
 * main.c - btvmm's entry point: parse the QEMU-style command line, create
 * the VM, run it, and return the guest's verdict as the exit status.
 */
#include <stdio.h>

#include "monitor/internal.h"

int main(int argc, char **argv)
{
	struct vm_config cfg;
	struct vm *vm;
	int status;

	switch (options_parse(argc, argv, &cfg, stdout, stderr)) {
	case OPTIONS_EXIT:
		return 0;
	case OPTIONS_ERROR:
		return EXIT_USAGE;
	default:
		break;
	}
	log_mask = cfg.log_mask;
	if (log_open(cfg.log_file) < 0) {
		pr_err("cannot open log file %s", cfg.log_file);
		return EXIT_USAGE;
	}
	vm = vm_create(&cfg);
	if (!vm)
		return EXIT_USAGE;
	status = vm_run(vm);
	vm_destroy(vm);
	log_close();
	return status;
}
