/*
 * gdt.c - the system guests' GDT, LDT and main TSS, and the descriptor
 * builders (SDM Vol. 3A 3.4.5 segment descriptors, 5.8.3 call gates, 6.11
 * IDT descriptors, 7.2.2 TSS descriptor, 7.2.5 task gate, 20.5.2 I/O bitmap).
 */
#include "cpu.h"
#include "gdt.h"
#include "runtime.h"

/* .data, not .rodata: the CPU writes accessed and busy bits into it. */
uint64_t gdt[GDT_ENTRIES] __attribute__((aligned(8)));
uint64_t ldt[LDT_ENTRIES] __attribute__((aligned(8)));
struct tss_io tss __attribute__((aligned(128)));

uint64_t desc_seg(uint32_t base, uint32_t limit, unsigned type, unsigned dpl, unsigned flags)
{
	uint32_t lo = (base << 16) | (limit & 0xffff);
	uint32_t hi = (base & 0xff000000) | ((base >> 16) & 0xff) | (limit & 0xf0000) |
		      ((uint32_t)flags << 20) | DESC_HI_P | DESC_HI_DPL(dpl) | DESC_HI_S |
		      DESC_HI_TYPE(type);

	return ((uint64_t)hi << 32) | lo;
}

uint64_t desc_sys(uint32_t base, uint32_t limit, unsigned type, unsigned dpl)
{
	return desc_seg(base, limit, type, dpl, 0) & ~((uint64_t)DESC_HI_S << 32);
}

uint64_t desc_gate(uint16_t sel, uint32_t offset, unsigned type, unsigned dpl, unsigned params)
{
	uint32_t lo = ((uint32_t)sel << 16) | (offset & 0xffff);
	uint32_t hi = (offset & 0xffff0000) | DESC_HI_P | DESC_HI_DPL(dpl) | DESC_HI_TYPE(type) |
		      (params & 0x1f);

	return ((uint64_t)hi << 32) | lo;
}

uint32_t gdt_lar_bits(unsigned index)
{
	return (uint32_t)(gdt[index] >> 32) & 0x00f0ff00;
}

void gdt_set(unsigned index, uint64_t desc)
{
	gdt[index] = desc;
}

void tss_prepare(struct tss32 *t, void (*eip)(void), void *stack_top)
{
	memset(t, 0, sizeof(*t));
	t->eip = (uint32_t)eip;
	t->eflags = EFL_RESERVED1;
	t->esp = (uint32_t)stack_top;
	t->cs = SEL_KCODE;
	t->ss = t->ds = t->es = t->fs = t->gs = SEL_KDATA;
	t->ss0 = SEL_KDATA;
	t->esp0 = (uint32_t)stack_top;
	t->cr3 = READ_CR(3);
	t->iomap_base = sizeof(struct tss32); /* no bitmap within the limit: all denied */
}

static void set_io_bits(uint16_t port, unsigned n, int deny)
{
	for (unsigned p = port; p < (unsigned)port + n && p < 0x10000; p++) {
		if (deny)
			tss.iomap[p >> 3] |= (uint8_t)(1u << (p & 7));
		else
			tss.iomap[p >> 3] &= (uint8_t) ~(1u << (p & 7));
	}
}

void tss_io_allow(uint16_t port, unsigned n)
{
	set_io_bits(port, n, 0);
}

void tss_io_deny(uint16_t port, unsigned n)
{
	set_io_bits(port, n, 1);
}

void tss_reload(uint32_t limit)
{
	gdt[SEL_TSS >> 3] = desc_sys((uint32_t)&tss, limit, SYS_TSS32, 0);
	__asm__ volatile("ltrw %w0" : : "r"(SEL_TSS) : "memory");
}

static void load_gdt(void)
{
	struct dtr d = {.limit = sizeof(gdt) - 1, .base = (uint32_t)gdt};

	__asm__ volatile("lgdtl %0\n\t"
			 "mov %1, %%ds\n\t"
			 "mov %1, %%es\n\t"
			 "mov %1, %%fs\n\t"
			 "mov %1, %%gs\n\t"
			 "mov %1, %%ss\n\t"
			 "ljmp %2, $1f\n"
			 "1:"
			 :
			 : "m"(d), "r"((uint32_t)SEL_KDATA), "i"(SEL_KCODE)
			 : "memory");
}

void gdt_init(void)
{
	gdt[0] = 0;
	gdt[SEL_KCODE >> 3] = DESC_FLAT_CODE(0);
	gdt[SEL_KDATA >> 3] = DESC_FLAT_DATA(0);
	gdt[SEL_UCODE >> 3] = DESC_FLAT_CODE(3);
	gdt[SEL_UDATA >> 3] = DESC_FLAT_DATA(3);
	gdt[SEL_LDT >> 3] = desc_sys((uint32_t)ldt, sizeof(ldt) - 1, SYS_LDT, 0);
	ldt[1] = DESC_FLAT_DATA(0);
	ldt[2] = DESC_FLAT_DATA(3);

	tss_prepare(&tss.t, 0, 0);
	tss.t.ldt = SEL_LDT; /* a task switch back to this task reloads LDTR from here */
	tss.t.iomap_base = sizeof(struct tss32);
	memset(tss.iomap, 0xff, sizeof(tss.iomap));
	tss.iomap_end = 0xff; /* the byte after the bitmap must be all ones */

	load_gdt();
	tss_reload(TSS_LIMIT);
	__asm__ volatile("lldtw %w0" : : "r"(SEL_LDT) : "memory");
}
