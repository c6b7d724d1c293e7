/*
 * vm.c - creating and destroying the virtual machine: guest RAM, the PC's
 * devices, the vCPU with its shadow MMU, the translation cache and the
 * translator, then the kernel, in the order listed in vm_create().
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "monitor/internal.h"

#define COM1_BASE 0x3f8
#define DEBUG_EXIT_PORT 0xf4

void vm_request_stop(struct vm *vm, int status, const char *why)
{
	if (why)
		fprintf(stderr, "%s\n", why);
	if (!vm->stop)
		vm->exit_status = status;
	vm->stop = true;
	if (vm->vcpu)
		vm->vcpu->exit_request = 1;
}

/* isa-debug-exit: the guest asked to end with @status. */
static void on_debug_exit(void *opaque, int status)
{
	vm_request_stop(opaque, status, NULL);
}

/* Shadow MMU hooks: device memory, and writes that hit translated code. */
static bool on_mmio(void *opaque, uint64_t gpa, uint8_t *data, uint32_t len, bool is_write)
{
	struct vm *vm = opaque;

	log_mask_printf(LOG_IO, "mmio %s %#llx/%u\n", is_write ? "write" : "read",
			(unsigned long long)gpa, len);
	return mmio_access(vm->bus, gpa, data, len, is_write);
}

static void on_code_write(void *opaque, uint32_t gpa_page)
{
	struct vm *vm = opaque;
	unsigned n = tb_invalidate_page(vm->cache, gpa_page);

	smmu_unprotect_code_page(&vm->vcpu->mmu, gpa_page);
	vm->vcpu->mem_pending.smc = true;
	log_mask_printf(LOG_CACHE, "write to code page %#x: %u blocks invalidated\n", gpa_page, n);
}

/* The 8259's INTR output: the vCPU takes the interrupt at its next
 * instruction boundary with IF set (run.c). */
static void on_cpu_intr(void *opaque, int num, int level)
{
	struct vm *vm = opaque;

	vm->intr_level = level;
	if (level && vm->vcpu)
		vm->vcpu->exit_request = 1;
}

/* The i8042's or port 0x92's reset line. */
static void on_reset_line(void *opaque)
{
	struct vm *vm = opaque;

	vm->reset_requested = true;
	if (vm->vcpu)
		vm->vcpu->exit_request = 1;
}

static struct irq_line isa_irq(struct vm *vm, int irq)
{
	return (struct irq_line){ .set_irq = pic8259_set_irq, .opaque = vm->pic, .num = irq };
}

static int create_devices(struct vm *vm)
{
	int in_fd = vm->cfg.serial == SERIAL_STDIO ? STDIN_FILENO : -1;
	int out_fd = vm->cfg.serial == SERIAL_STDIO ? STDOUT_FILENO : -1;

	vm->bus = io_bus_create();					  /* port and MMIO table */
	if (!vm->bus)
		return -1;
	vm->pic = pic8259_create(vm->bus, (struct irq_line){ on_cpu_intr, vm, 0 });
									  /* 8259 pair, 0x20/0xa0 */
	if (!vm->pic)
		return -1;
	vm->pit = pit8254_create(vm->bus, isa_irq(vm, 0));		  /* 8254, 0x40, IRQ 0 */
	vm->port61 = vm->pit ? port61_create(vm->bus, vm->pit) : NULL;	  /* PIT gate, 0x61 */
	vm->console = console_open(in_fd, out_fd, &vm->quit_request);	  /* host terminal */
	vm->com1 = uart16550_create(vm->bus, COM1_BASE, isa_irq(vm, 4),
				    vm->console);			  /* COM1, 0x3f8, IRQ 4 */
	vm->rtc = cmos_rtc_create(vm->bus, isa_irq(vm, 8), vm->cfg.ram_size); /* RTC, 0x70 */
	vm->kbc = i8042_create(vm->bus, isa_irq(vm, 1), on_reset_line, vm); /* i8042, 0x60 */
	vm->port92 = port92_create(vm->bus, on_reset_line, vm);		  /* A20/reset, 0x92 */
	vm->debug_exit = debug_exit_create(vm->bus, DEBUG_EXIT_PORT, on_debug_exit, vm,
					   STDERR_FILENO);		  /* test exit, 0xe9 */
	if (!vm->pit || !vm->port61 || !vm->console || !vm->com1 || !vm->rtc || !vm->kbc ||
	    !vm->port92 || !vm->debug_exit)
		return -1;
	vm->testdev = mmio_testdev_create(vm->bus, MMIO_TESTDEV_BASE);	  /* test MMIO, 0xfeb00000 */
	if (!vm->testdev)
		return -1;
	i8042_set_aux_irq(vm->kbc, isa_irq(vm, 12));			  /* PS/2 aux, IRQ 12 */
	return legacy_ports_register(vm->bus);				  /* POST port, DMA */
}

static int create_cpu(struct vm *vm)
{
	struct smmu_hooks hooks = { .opaque = vm, .mmio = on_mmio, .code_write = on_code_write };

	vm->vcpu = vcpu_create(vm);					  /* the virtual P6 */
	if (!vm->vcpu || smmu_init(&vm->vcpu->mmu, &vm->phys, &hooks) < 0) /* its shadow MMU */
		return -1;
	vm->cache = cache_create(vm->cfg.tb_size ? vm->cfg.tb_size : CACHE_DEFAULT_ARENA,
				 XLAT_FIXED_BYTES, &vm->vcpu->jc);	  /* translation cache */
	if (!vm->cache)
		return -1;
	vm->xlat = xlat_create(vm->cache);				  /* the translator */
	if (!vm->xlat)
		return -1;
	xlat_set_precise_flags(vm->xlat, vm->cfg.precise_flags);
	return 0;
}

/* The kernel file's first bytes, where both loaders' headers lie. Returns
 * the number read, or -1 with the reason in @err. */
static ssize_t read_kernel_head(const char *path, uint8_t *head, size_t size, char *err,
				size_t errlen)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	n = read(fd, head, size);
	if (n < 0)
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
	close(fd);
	return n;
}

/* Linux's boot protocol: the loader places the kernel and boot_params; the
 * CPU starts flat, in protected mode, on the loader's own GDT. */
static int load_linux(struct vm *vm, char *err, size_t errlen)
{
	uint32_t gdt_base;
	uint16_t gdt_limit;

	if (linux_load(&vm->phys, vm->cfg.kernel, vm->cfg.append, vm->cfg.initrd, &vm->entry,
		       err, errlen) < 0)
		return -1;
	if (linux_setup_gdt(&vm->phys, &gdt_base, &gdt_limit) < 0) {
		snprintf(err, errlen, "no room in guest RAM for the boot GDT");
		return -1;
	}
	vcpu_reset_linux(vm->vcpu, &vm->entry, gdt_base, gdt_limit);
	return 0;
}

/* A checksummed Multiboot header wins; a file with Linux's setup header
 * ("HdrS") goes to the Linux loader; anything else gets the Multiboot
 * loader's explanation of what it lacks. */
static int load_kernel(struct vm *vm)
{
	uint8_t head[MULTIBOOT_SEARCH_BYTES];
	char err[512];
	ssize_t n;

	if (!vm->cfg.kernel) {
		/* A bare machine (the differential test): flat protected mode at 0. */
		vcpu_reset_multiboot(vm->vcpu, &(struct boot_entry){ .protocol = BOOT_MULTIBOOT });
		return 0;
	}
	n = read_kernel_head(vm->cfg.kernel, head, sizeof(head), err, sizeof(err));
	if (n >= 0 && multiboot_probe(head, (size_t)n) < 0 && linux_probe(head, (size_t)n)) {
		if (load_linux(vm, err, sizeof(err)) == 0)
			return 0;
	} else if (n >= 0 && multiboot_load(&vm->phys, vm->cfg.kernel, vm->cfg.append,
					    vm->cfg.initrd, &vm->entry, err, sizeof(err)) == 0) {
		vcpu_reset_multiboot(vm->vcpu, &vm->entry);
		return 0;
	}
	pr_err("%s", err);
	return -1;
}

struct vm *vm_create(const struct vm_config *cfg)
{
	struct vm *vm = calloc(1, sizeof(*vm));

	if (!vm)
		return NULL;
	vm->cfg = *cfg;
	if (phys_init(&vm->phys, cfg->ram_size) < 0) {		  /* guest RAM */
		pr_err("cannot allocate %llu MiB of guest RAM",
		       (unsigned long long)(cfg->ram_size >> 20));
		goto fail;
	}
	if (create_devices(vm) < 0) {				  /* UART, exit port, ... */
		pr_err("cannot create the devices");
		goto fail;
	}
	if (create_cpu(vm) < 0) {				  /* vCPU, cache, translator */
		pr_err("cannot create the virtual CPU");
		goto fail;
	}
	if (signals_init(vm) < 0)				  /* host faults in guest code */
		goto fail;
	vm->events = events_create(&vm->vcpu->exit_request,
				   cfg->serial == SERIAL_STDIO ? STDIN_FILENO : -1); /* timer thread */
	if (!vm->events) {
		pr_err("cannot start the timer thread");
		goto fail;
	}
	if (load_kernel(vm) < 0)				  /* -kernel, -append, -initrd */
		goto fail;
	return vm;
fail:
	vm_destroy(vm);
	return NULL;
}

/*
 * The guest pulsed the reset line (or triple-faulted): with -no-reboot stop,
 * else start over as after power-on: RAM cleared, the kernel loaded again.
 * Devices keep their state, which a kernel re-initialises anyway.
 */
void vm_reboot(struct vm *vm)
{
	vm->reset_requested = false;
	if (vm->cfg.no_reboot) {
		vm_request_stop(vm, EXIT_GUEST_OFF, NULL);
		return;
	}
	log_mask_printf(LOG_INT, "reset: reloading the kernel\n");
	memset(vm->phys.ram, 0, vm->phys.ram_size);
	vm_flush_translations(vm);
	if (load_kernel(vm) < 0)
		vm_request_stop(vm, EXIT_USAGE, NULL);
}

void vm_prepare_rerun(struct vm *vm)
{
	vm->stop = false;
	vm->exit_status = 0;
	vm_flush_translations(vm);
	tlb_flush_all(&vm->vcpu->mmu);
	vcpu_code_mappings_changed(vm->vcpu);
	vm->vcpu->exception.valid = false;
	vm->vcpu->halted = false;
}

int vm_run(struct vm *vm)
{
	int status = vcpu_run(vm->vcpu);

	if (log_enabled(LOG_STATS))
		stats_report(vm);
	return status;
}

void vm_destroy(struct vm *vm)
{
	if (!vm)
		return;
	events_destroy(vm->events);
	xlat_destroy(vm->xlat);
	cache_destroy(vm->cache);
	vcpu_destroy(vm->vcpu);
	mmio_testdev_destroy(vm->testdev);
	debug_exit_destroy(vm->debug_exit);
	port92_destroy(vm->port92);
	i8042_destroy(vm->kbc);
	cmos_rtc_destroy(vm->rtc);
	uart16550_destroy(vm->com1);
	port61_destroy(vm->port61);
	pit8254_destroy(vm->pit);
	pic8259_destroy(vm->pic);
	console_close(vm->console);
	io_bus_destroy(vm->bus);
	phys_destroy(&vm->phys);
	free(vm->callout_counts);
	free(vm->callout_seen);
	free(vm);
}
