/*
 * idt.c - the system guests' IDT, trap dispatch and probe checks (SDM Vol.
 * 3A 6.10 IDT, 6.12 exception and interrupt handling, 6.13 error code).
 */
#include "check.h"
#include "cpu.h"
#include "gdt.h"
#include "idt.h"

uint64_t idt[256] __attribute__((aligned(8)));
volatile struct trap_record trap_last;
volatile uint32_t probe_start, probe_end, probe_resume;

static trap_handler_fn handlers[256];

void trap_dispatch(struct trap_frame *f); /* called by idt_stubs.S only */

uint64_t idt_stub_gate(unsigned vector, unsigned type, unsigned dpl)
{
	return desc_gate(SEL_KCODE, (uint32_t)idt_stubs + 16 * vector, type, dpl, 0);
}

void idt_set(unsigned vector, uint64_t desc)
{
	idt[vector] = desc;
}

void idt_init(void)
{
	struct dtr d = {.limit = sizeof(idt) - 1, .base = (uint32_t)idt};

	for (unsigned v = 0; v < 256; v++)
		idt[v] = idt_stub_gate(v, SYS_INT32, 0);
	__asm__ volatile("lidtl %0" : : "m"(d) : "memory");
}

void trap_set_handler(unsigned vector, trap_handler_fn fn)
{
	handlers[vector] = fn;
}

void probe_arm(void)
{
	trap_last.count = 0;
	trap_last.vector = ~0u;
	trap_last.error = trap_last.eip = 0;
}

static void record(struct trap_frame *f)
{
	bool cpl_changed = (f->cs & 3) != (read_cs() & 3);

	trap_last.count++;
	trap_last.vector = f->vector;
	trap_last.error = f->error;
	trap_last.eip = f->eip;
	trap_last.cs = f->cs & 0xffff;
	trap_last.eflags = f->eflags;
	trap_last.esp = cpl_changed ? f->esp : (uint32_t)&f->esp;
	trap_last.ss = cpl_changed ? f->ss & 0xffff : read_ss();
	trap_last.frame = (uint32_t)&f->eip;
	trap_last.handler_ss = read_ss();
}

void trap_dispatch(struct trap_frame *f)
{
	record(f);
	if (handlers[f->vector]) {
		handlers[f->vector](f);
		return;
	}
	if (probe_resume) {
		f->eip = probe_resume;
		probe_resume = 0;
		return;
	}
	kprintf("FAIL unexpected_trap: vector %u error 0x%x at %04x:%08x eflags 0x%x\n", f->vector,
		f->error, f->cs & 0xffff, f->eip, f->eflags);
	guest_exit(1);
	for (;;)
		__asm__ volatile("cli; hlt");
}

void check_trap(const char *name, unsigned vector, uint32_t error, uint32_t eip)
{
	const volatile struct trap_record *t = &trap_last;

	if (t->count == 1 && t->vector == vector && t->error == error && t->eip == eip) {
		check_ok(name);
		return;
	}
	if (t->count == 0) {
		check_fail(name, "no trap, want vector %u error 0x%x", vector, error);
		return;
	}
	check_fail(
	    name,
	    "%u trap(s), last vector %u error 0x%x eip 0x%x; want vector %u error 0x%x eip 0x%x",
	    t->count, t->vector, t->error, t->eip, vector, error, eip);
}

void check_fault(const char *name, unsigned vector, uint32_t error)
{
	check_trap(name, vector, error, probe_start);
}

void check_trap_after(const char *name, unsigned vector)
{
	check_trap(name, vector, 0, probe_end);
}

void check_no_fault(const char *name)
{
	if (trap_last.count == 0)
		check_ok(name);
	else
		check_fail(name, "vector %u error 0x%x at eip 0x%x", trap_last.vector,
			   trap_last.error, trap_last.eip);
}
