/*
 * monitor_hole.c - a guest that uses the top 4 MiB of the linear address
 * space, 0xffc00000-0xffffffff, where btvmm keeps its monitor (the VMware
 * "monitor hole": docs/design.md; SDM Vol. 3A 4.3 for the paging used). The
 * guest maps that range to ordinary RAM (physical 8 MiB, also mapped at
 * 0x40000000 and identity) and must see only its own memory there: data of
 * every width, straddling accesses, string instructions, a segment based in
 * the hole, a stack, code (also modified through the alias), and its GDT and
 * IDT, at CPL 0 and CPL 3.
 */
#include "check.h"
#include "cpu.h"
#include "gdt.h"
#include "idt.h"
#include "paging.h"
#include "user.h"

#define HOLE	      0xffc00000u
#define HOLE_PHYS     0x00800000u /* backing RAM of the hole */
#define ALIAS	      0x40000000u /* second mapping of the same RAM */
#define BELOW_HOLE    0xffbff000u /* last page below the hole, physically just before it */
#define HOLE_GDT      0xffff0000u
#define HOLE_IDT      0xffff8000u
#define HOLE_CODE     0xfffff000u
#define HOLE_CODE_END 0xfffffff0u /* the last 16 bytes of the address space */

enum {
	SLOT_HOLE_DATA = GDT_FREE, /* base HOLE, limit 4 MiB - 1 */
	SLOT_HIGH_BASE,		   /* base 0x80000000, 4 GiB */
};

static inline uint32_t alias_of(uint32_t hole_addr)
{
	return ALIAS + (hole_addr - HOLE);
}

#define RD32(a)	   (*(volatile uint32_t *)(a))
#define RD16(a)	   (*(volatile uint16_t *)(a))
#define RD8(a)	   (*(volatile uint8_t *)(a))
#define WR32(a, v) (*(volatile uint32_t *)(a) = (v))
#define WR16(a, v) (*(volatile uint16_t *)(a) = (v))
#define WR8(a, v)  (*(volatile uint8_t *)(a) = (v))

static void setup_paging(void)
{
	const uint32_t flags = PTE_P | PTE_RW | PTE_US;

	paging_reset();
	paging_identity(16u << 20, flags);
	for (uint32_t off = 0; off < (4u << 20); off += PAGE_SIZE) {
		paging_map(HOLE + off, HOLE_PHYS + off, flags);
		paging_map(ALIAS + off, HOLE_PHYS + off, flags);
	}
	paging_map(BELOW_HOLE, HOLE_PHYS - PAGE_SIZE, flags);
	paging_enable();
}

static void check_data(void)
{
	WR32(HOLE, 0x11223344);
	CHECK_EQ32("hole_first_dword_via_alias", RD32(ALIAS), 0x11223344);
	CHECK_EQ32("hole_first_dword_via_physical", RD32(HOLE_PHYS), 0x11223344);
	WR32(alias_of(0xffd23450), 0x55667788);
	CHECK_EQ32("alias_write_seen_in_hole", RD32(0xffd23450), 0x55667788);
	WR8(0xffe00001, 0xab);
	WR16(0xffe00002, 0xcdef);
	CHECK_EQ32("hole_byte_word_writes", RD32(alias_of(0xffe00000)) & 0xffffff00, 0xcdefab00);
	CHECK_EQ32("hole_word_read", RD16(0xffe00002), 0xcdef);
	WR32(0xfffffffc, 0xa5a5f00d);
	CHECK_EQ32("hole_top_dword", RD32(alias_of(0xfffffffc)), 0xa5a5f00d);
	WR8(0xffffffff, 0x77);
	CHECK_EQ32("hole_top_byte", RD8(alias_of(0xffffffff)), 0x77);
	WR32(0xffffeffe, 0x01020304); /* crosses a page boundary inside the hole */
	CHECK_EQ32("hole_dword_across_pages", RD32(alias_of(0xffffeffe)), 0x01020304);
	WR32(0xffbffffe, 0x0a0b0c0d); /* crosses from below the hole into it */
	CHECK_EQ32("dword_into_hole_low_half", RD16(HOLE_PHYS - 2), 0x0c0d);
	CHECK_EQ32("dword_into_hole_high_half", RD16(ALIAS), 0x0a0b);
}

static void check_strings_and_segments(void)
{
	static uint32_t src[64];
	uint32_t n = 64, got = 0, from = (uint32_t)src, to = 0xfffff800;

	for (unsigned i = 0; i < 64; i++)
		src[i] = 0x1000 + i * 3;
	__asm__ volatile("rep movsl" : "+S"(from), "+D"(to), "+c"(n) : : "memory");
	CHECK_MEM("rep_movs_into_hole", (void *)alias_of(0xfffff800), src, sizeof(src));
	CHECK_MEM("rep_movs_read_back", (void *)0xfffff800, src, sizeof(src));

	gdt_set(SLOT_HOLE_DATA, desc_seg(HOLE, 0x3ff, SEG_DATA_RW, 0, DESC_G | DESC_DB));
	gdt_set(SLOT_HIGH_BASE, desc_seg(0x80000000u, 0xfffff, SEG_DATA_RW, 0, DESC_G | DESC_DB));
	__asm__ volatile("mov %1, %%fs\n\t"
			 "movl $0x600df00d, %%fs:0x1234\n\t"
			 "mov %2, %%fs\n\t"
			 "movl %%fs:0x7ffff810, %0\n\t"
			 "mov %3, %%fs"
			 : "=&r"(got)
			 : "r"((uint32_t)SEL(SLOT_HOLE_DATA, 0)),
			   "r"((uint32_t)SEL(SLOT_HIGH_BASE, 0)), "r"((uint32_t)SEL_KDATA)
			 : "memory");
	CHECK_EQ32("segment_based_in_hole", RD32(alias_of(HOLE + 0x1234)), 0x600df00d);
	CHECK_EQ32("segment_offset_into_hole", got, src[4]);
}

/* mov 4(%esp), %eax; add $0x1234, %eax; ret (the immediate is at byte 5). */
static const uint8_t hole_fn[] = {0x8b, 0x44, 0x24, 0x04, 0x05, 0x34, 0x12, 0x00, 0x00, 0xc3};
typedef uint32_t (*fn_t)(uint32_t);

static void check_code(void)
{
	memcpy((void *)HOLE_CODE, hole_fn, sizeof(hole_fn));
	memcpy((void *)HOLE_CODE_END, hole_fn, sizeof(hole_fn));
	CHECK_EQ32("code_in_hole", ((fn_t)HOLE_CODE)(1), 0x1235);
	CHECK_EQ32("code_in_last_16_bytes", ((fn_t)HOLE_CODE_END)(2), 0x1236);
	WR32(alias_of(HOLE_CODE) + 5, 0x4321);
	CHECK_EQ32("code_in_hole_modified_via_alias", ((fn_t)HOLE_CODE)(1), 0x4322);
}

/* A stack in the hole: calls and an exception frame land there. */
static uint32_t twice(uint32_t x)
{
	return 2 * x;
}

static void check_stack(void)
{
	uint32_t result, esp_in_hole;

	probe_arm();
	__asm__ volatile("movl %%esp, %%ebx\n\t"
			 "movl $0xffffff00, %%esp\n\t"
			 "movl %%esp, %1\n\t"
			 "int3\n\t"
			 "movl $0xfffffe00, %%esp\n\t" /* keep the INT3 frame */
			 "pushl $21\n\t"
			 "call *%2\n\t"
			 "movl %%ebx, %%esp"
			 : "=a"(result), "=&r"(esp_in_hole)
			 : "r"(twice)
			 : "ebx", "ecx", "edx", "memory");
	CHECK_EQ32("stack_in_hole_call", result, 42);
	CHECK_EQ32("stack_in_hole_pushed_arg", RD32(alias_of(0xfffffdfc)), 21);
	CHECK_EQ32("stack_in_hole_int3_frame", trap_last.frame, esp_in_hole - 12);
	CHECK_EQ32("stack_in_hole_int3_frame_cs", RD32(alias_of(esp_in_hole - 8)) & 0xffff,
		   SEL_KCODE);
}

/* The GDT and IDT in the hole: loads, a far jump, an INT3 and SGDT/SIDT. */
static void check_tables(void)
{
	struct dtr g0, i0, g = {sizeof(gdt) - 1, HOLE_GDT}, i = {sizeof(idt) - 1, HOLE_IDT}, seen;

	sgdt(&g0);
	sidt(&i0);
	memcpy((void *)HOLE_GDT, gdt, sizeof(gdt));
	memcpy((void *)HOLE_IDT, idt, sizeof(idt));
	__asm__ volatile("lgdtl %0\n\t"
			 "lidtl %1\n\t"
			 "mov %2, %%ds\n\t"
			 "mov %2, %%ss\n\t"
			 "ljmp $0x08, $1f\n"
			 "1:"
			 :
			 : "m"(g), "m"(i), "r"((uint32_t)SEL_KDATA)
			 : "memory");
	sgdt(&seen);
	CHECK_EQ32("sgdt_shows_hole_base", seen.base, HOLE_GDT);
	sidt(&seen);
	CHECK_EQ32("sidt_shows_hole_base", seen.base, HOLE_IDT);
	probe_arm();
	__asm__ volatile("int3");
	CHECK_EQ32("int3_through_idt_in_hole", trap_last.vector, EXC_BP);
	__asm__ volatile("lgdtl %0\n\tlidtl %1" : : "m"(g0), "m"(i0) : "memory");
}

static void ignore_trap(struct trap_frame *f)
{
}

/* CPL 3 writes the hole through the flat user segment. */
static uint32_t u_write_hole(uint32_t v)
{
	WR32(0xffffe000, v);
	return RD32(0xffffe000);
}

void main(uint32_t magic, uint32_t info)
{
	sys_init();
	trap_set_handler(EXC_BP, ignore_trap); /* INT3 reports after itself: just return */
	setup_paging();
	check_data();
	check_strings_and_segments();
	check_code();
	check_stack();
	check_tables();
	CHECK_EQ32("cpl3_hole_read_back", user_call(u_write_hole, 0xbeefcafe, 0), 0xbeefcafe);
	CHECK_EQ32("cpl3_hole_write_via_alias", RD32(alias_of(0xffffe000)), 0xbeefcafe);
	paging_disable();
	test_finish("monitor_hole");
}
