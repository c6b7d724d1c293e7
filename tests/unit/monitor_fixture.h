/*
 * monitor_fixture.h - a bare VM (no kernel, no console) for unit tests of
 * the monitor's emulation code, with helpers to build descriptor tables in
 * guest RAM and to catch the guest exceptions the code under test raises.
 */
#ifndef TEST_MONITOR_FIXTURE_H
#define TEST_MONITOR_FIXTURE_H

#include <setjmp.h>
#include <string.h>

#include "monitor/internal.h"

#define FIX_GDT 0x1000u
#define FIX_IDT 0x2000u
#define FIX_TSS 0x3000u
#define FIX_STACK0 0x8000u /* ring-0 stack top (in the TSS) */
#define FIX_STACK 0x9000u  /* the current stack top */

/* GDT slots used by the fixtures. */
enum { SLOT_CODE0 = 1, SLOT_DATA0 = 2, SLOT_CODE3 = 3, SLOT_DATA3 = 4, SLOT_TSS = 5,
       SLOT_FREE = 6 };
#define SEL(slot, rpl) ((uint16_t)((slot) << 3 | (rpl)))

static inline struct vm *fixture_vm(void)
{
	struct vm_config cfg = { .ram_size = 16u << 20, .serial = SERIAL_NONE, .no_reboot = true };

	return vm_create(&cfg);
}

static inline uint32_t *fixture_ram32(struct vm *vm, uint32_t gpa)
{
	return (uint32_t *)(vm->phys.ram + gpa);
}

/* Descriptor high/low dwords for a code/data segment. */
static inline void fixture_seg(struct vm *vm, unsigned slot, uint32_t base, uint32_t limit,
			       unsigned type, unsigned dpl, bool present, bool big)
{
	uint32_t *d = fixture_ram32(vm, FIX_GDT + slot * 8);
	bool g = limit > 0xfffff;

	if (g)
		limit >>= 12;
	d[0] = (limit & 0xffff) | base << 16;
	d[1] = ((base >> 16) & 0xff) | (type | 0x10 | dpl << 5 | (present ? 0x80 : 0)) << 8 |
	       (limit & 0xf0000) | (big ? 1u << 22 : 0) | (g ? 1u << 23 : 0) | (base & 0xff000000u);
}

/* An interrupt/trap/task gate in the IDT. */
static inline void fixture_gate(struct vm *vm, int vector, uint16_t sel, uint32_t offset,
				unsigned type, unsigned dpl, bool present)
{
	uint32_t *g = fixture_ram32(vm, FIX_IDT + (uint32_t)vector * 8);

	g[0] = (offset & 0xffff) | (uint32_t)sel << 16;
	g[1] = (offset & 0xffff0000u) | (type | dpl << 5 | (present ? 0x80 : 0)) << 8;
}

/* Flat ring-0 and ring-3 segments, a TSS with the ring-0 stack, an IDT. */
static inline void fixture_tables(struct vm *vm)
{
	struct vcpu *v = vm->vcpu;
	uint32_t *tss = fixture_ram32(vm, FIX_TSS);

	memset(vm->phys.ram, 0, 0x10000);
	fixture_seg(vm, SLOT_CODE0, 0, 0xffffffffu, 0xb, 0, true, true);
	fixture_seg(vm, SLOT_DATA0, 0, 0xffffffffu, 0x3, 0, true, true);
	fixture_seg(vm, SLOT_CODE3, 0, 0xffffffffu, 0xb, 3, true, true);
	fixture_seg(vm, SLOT_DATA3, 0, 0xffffffffu, 0x3, 3, true, true);
	tss[1] = FIX_STACK0;  /* ESP0 */
	tss[2] = SEL(SLOT_DATA0, 0); /* SS0 */
	v->gdtr = (struct dtable){ FIX_GDT, 0x7ff };
	v->idtr = (struct dtable){ FIX_IDT, 0x7ff };
	v->tr = (struct segment){ .selector = SEL(SLOT_TSS, 0), .attr = SYS_TYPE_TSS32_BUSY | 0x80,
				  .base = FIX_TSS, .limit = 0x67 };
	v->regs[R_ESP] = FIX_STACK;
}

/* Run @call; return the vector it raised, or -1 if it raised none. */
#define FIXTURE_CATCH(v, call)                                                                     \
	({                                                                                         \
		jmp_buf env_;                                                                      \
		volatile int vec_ = -1;                                                                     \
		(v)->raise_env = &env_;                                                            \
		(v)->exception.valid = false;                                                      \
		if (setjmp(env_) == 0)                                                             \
			call;                                                                      \
		else                                                                               \
			vec_ = (v)->exception.vector;                                              \
		(v)->raise_env = NULL;                                                             \
		vec_;                                                                              \
	})

#endif /* TEST_MONITOR_FIXTURE_H */
