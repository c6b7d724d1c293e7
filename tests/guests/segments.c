/*
 * segments.c - segmentation with non-zero bases and other than 32-bit flat
 * segments (SDM Vol. 3A 3.4.5 "Segment Descriptors", 5.3 "Limit Checking",
 * Vol. 1 3.4.2): data, stack and code segments with bases (also one that
 * wraps past 4 GiB), expand-down segments at their valid offsets with B = 1
 * (up to 4 GiB - 1) and B = 0 (up to 0xffff), and a 16-bit code segment
 * whose default operand size is 16. The faulting side of limits and types
 * is in segment_limits, since QEMU does not check it.
 */
#include "check.h"
#include "cpu.h"
#include "gdt.h"
#include "idt.h"
#include "user.h"

enum {
	SLOT_DATA_BASED = GDT_FREE, /* base buf + 0x100, limit 0xfff */
	SLOT_DATA_WRAP,		    /* base 0xfffff000, 4 GiB */
	SLOT_STACK_BASED,	    /* base stack_area, limit 0xfff, writable */
	SLOT_CODE_BASED,	    /* base based_code, limit 0xfff */
	SLOT_DOWN_BIG,		    /* expand-down, B = 1, limit 0xfff, base buf + 0x1000 */
	SLOT_DOWN_SMALL,	    /* expand-down, B = 0, limit 0xfff, base buf - 0xf000 */
	SLOT_CODE16,		    /* 16-bit code, base code16, limit 0xffff */
};

static uint8_t buf[0x400] __attribute__((aligned(16)));
static uint8_t stack_area[0x200] __attribute__((aligned(16)));

/* Loads FS with sel, runs the text with EAX/EBX, restores FS = 0x10. */
#define WITH_FS(sel, text, a, b)                                                                   \
	__asm__ volatile("mov %2, %%fs\n\t" text "\n\tmov %3, %%fs"                                \
			 : "+a"(a), "+b"(b)                                                        \
			 : "r"((uint32_t)(sel)), "r"((uint32_t)SEL_KDATA)                          \
			 : "memory")

static void check_data_bases(void)
{
	uint32_t a = 0, b = 0;

	for (unsigned i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)i;
	WITH_FS(SEL(SLOT_DATA_BASED, 0), "movl %%fs:0x10, %0", a, b);
	CHECK_EQ32("fs_base_read", a, 0x13121110);
	a = 0xcafef00d;
	WITH_FS(SEL(SLOT_DATA_BASED, 0), "movl %0, %%fs:0x20\n\tmovzbl %%fs:0x22, %1", a, b);
	CHECK_EQ32("fs_base_write", *(uint32_t *)&buf[0x120], 0xcafef00d);
	CHECK_EQ32("fs_base_byte_read", b, 0xfe);

	b = (uint32_t)buf + 0x1000 + 0x40; /* 0xfffff000 + this wraps to buf + 0x40 */
	WITH_FS(SEL(SLOT_DATA_WRAP, 0), "movl %%fs:(%1), %0", a, b);
	CHECK_EQ32("base_plus_offset_wraps_4g", a, 0x43424140);

	/* ES base with a string instruction: MOVS writes ES:EDI. */
	__asm__ volatile("pushl %%es\n\t"
			 "mov %0, %%es\n\t"
			 "movl $0x30, %%edi\n\t"
			 "movl %1, %%esi\n\t"
			 "movl $4, %%ecx\n\t"
			 "rep movsb\n\t"
			 "popl %%es"
			 :
			 : "r"((uint32_t)SEL(SLOT_DATA_BASED, 0)), "r"((uint32_t) "abcd")
			 : "ecx", "esi", "edi", "memory");
	CHECK_MEM("es_base_movs", &buf[0x130], "abcd", 4);
}

/* SS with a base: PUSH writes at base + ESP - 4 (interrupts are off). */
static void check_stack_base(void)
{
	uint32_t esp_after;

	__asm__ volatile("movl %%esp, %%edx\n\t"
			 "movl %%ss, %%ecx\n\t"
			 "mov %1, %%ss\n\t"
			 "movl $0x100, %%esp\n\t"
			 "pushl $0x5eed5eed\n\t"
			 "movl %%esp, %0\n\t"
			 "mov %%ecx, %%ss\n\t"
			 "movl %%edx, %%esp"
			 : "=&r"(esp_after)
			 : "r"((uint32_t)SEL(SLOT_STACK_BASED, 0))
			 : "ecx", "edx", "memory");
	CHECK_EQ32("ss_base_push_esp", esp_after, 0xfc);
	CHECK_EQ32("ss_base_push_memory", *(uint32_t *)&stack_area[0xfc], 0x5eed5eed);
}

/*
 * CS with a base: EIP is an offset from it, so CALL pushes a small offset.
 * based_code is entered at offset 0 and far-jumps back to flat code.
 */
uint32_t based_eip;
struct farptr based_far;
void run_based_code(void);
__asm__(".text\n"
	"run_based_code:\n\t"
	"pushl %eax\n\t"
	"ljmp *based_far\n"
	"based_back:\n\t"
	"movl %eax, based_eip\n\t"
	"popl %eax\n\t"
	"ret\n"
	".align 16\n"
	"based_code:\n\t"
	"call 1f\n" /* offset 5 */
	"1:\tpopl %eax\n\t"
	"ljmp $0x08, $based_back");
extern char based_code[];

static void check_code_base(void)
{
	gdt_set(SLOT_CODE_BASED, desc_seg((uint32_t)based_code, 0xfff, SEG_CODE_XR, 0, DESC_DB));
	based_far = (struct farptr){.offset = 0, .sel = SEL(SLOT_CODE_BASED, 0)};
	run_based_code();
	CHECK_EQ32("cs_base_call_pushes_offset", based_eip, 5);
}

/* Expand-down: valid offsets are limit + 1 .. 0xffffffff (B = 1) or .. 0xffff (B = 0). */
static void check_expand_down(void)
{
	uint32_t a = 0, b = 0;

	WITH_FS(SEL(SLOT_DOWN_BIG, 0), "movl %%fs:0xfffff010, %0", a, b);
	CHECK_EQ32("expand_down_b1_high_offset", a, 0x13121110);
	WITH_FS(SEL(SLOT_DOWN_BIG, 0), "movl %%fs:0x1000, %0", a, b); /* limit + 1 */
	CHECK_EQ32("expand_down_b1_limit_plus_1", a,
		   *(volatile uint32_t *)((uint32_t)buf + 0x2000));
	WITH_FS(SEL(SLOT_DOWN_SMALL, 0), "movl %%fs:0xf020, %0", a, b);
	CHECK_EQ32("expand_down_b0_offset", a, 0x23222120);
	a = 0x600dcafe;
	WITH_FS(SEL(SLOT_DOWN_SMALL, 0), "movl %0, %%fs:0xf200\n\tmovl %%fs:0xf200, %1", a, b);
	CHECK_EQ32("expand_down_b0_write", *(uint32_t *)&buf[0x200], 0x600dcafe);
	CHECK_EQ32("expand_down_b0_readback", b, 0x600dcafe);
}

/*
 * A 16-bit code segment: operand size 16 by default (0x66 selects 32), a
 * PUSH imm16 and a near CALL move ESP by 2 (SS is still 32-bit, B = 1).
 */
uint32_t c16_eax, c16_ebx, c16_push_delta, c16_dx, c16_cx, c16_call_delta;
struct farptr code16_far;
void run_code16(void);
__asm__(".text\n"
	"run_code16:\n\t"
	"pushal\n\t"
	"movl $0xaaaaaaaa, %eax\n\t"
	"xorl %ebx, %ebx\n\t"
	"ljmp *code16_far\n"
	"code16_back:\n\t"
	"movl %eax, c16_eax\n\t"
	"movl %ebx, c16_ebx\n\t"
	"movl %edx, c16_dx\n\t"
	"movl %ecx, c16_cx\n\t"
	"movl %esi, c16_push_delta\n\t"
	"movl %edi, c16_call_delta\n\t"
	"popal\n\t"
	"ret\n"
	".align 16\n"
	".code16\n"
	"code16:\n\t"
	"mov $0x1234, %ax\n\t"	     /* B8 iw: 16-bit */
	"movl $0x55667788, %ebx\n\t" /* 66 B8 id: 32-bit */
	"xorl %edx, %edx\n\t"
	"xorl %ecx, %ecx\n\t"
	"movl %esp, %esi\n\t"
	"pushw $0x77\n\t"
	"subl %esp, %esi\n\t"
	"popw %dx\n\t"
	"movl %esp, %edi\n\t"
	"call 1f\n"
	"1:\tsubl %esp, %edi\n\t"
	"popw %cx\n\t" /* the 16-bit return offset: label 1 - code16 */
	"ljmpl $0x08, $code16_back\n"
	"code16_label1_offset = 1b - code16\n"
	".code32");
extern char code16[];
extern char code16_label1_offset[];

static void check_code16(void)
{
	gdt_set(SLOT_CODE16, desc_seg((uint32_t)code16, 0xffff, SEG_CODE_XR, 0, 0));
	code16_far = (struct farptr){.offset = 0, .sel = SEL(SLOT_CODE16, 0)};
	run_code16();
	CHECK_EQ32("code16_mov_ax_keeps_upper_half", c16_eax, 0xaaaa1234);
	CHECK_EQ32("code16_0x66_mov_32bit", c16_ebx, 0x55667788);
	CHECK_EQ32("code16_push_imm16_esp_delta", c16_push_delta, 2);
	CHECK_EQ32("code16_pop16_value", c16_dx, 0x77);
	CHECK_EQ32("code16_call_pushes_2_bytes", c16_call_delta, 2);
	CHECK_EQ32("code16_call_pushes_ip_offset", c16_cx, (uint32_t)code16_label1_offset);
	CHECK_EQ32("lar_code16_d_clear", gdt_lar_bits(SLOT_CODE16) & DESC_HI_DB, 0);
}

void main(uint32_t magic, uint32_t info)
{
	sys_init();
	gdt_set(SLOT_DATA_BASED, desc_seg((uint32_t)buf + 0x100, 0xfff, SEG_DATA_RW, 0, 0));
	gdt_set(SLOT_DATA_WRAP, desc_seg(0xfffff000, 0xfffff, SEG_DATA_RW, 0, DESC_G | DESC_DB));
	gdt_set(SLOT_STACK_BASED, desc_seg((uint32_t)stack_area, 0xfff, SEG_DATA_RW, 0, DESC_DB));
	gdt_set(SLOT_DOWN_BIG,
		desc_seg((uint32_t)buf + 0x1000, 0xfff, SEG_DATA_RW_DOWN, 0, DESC_DB));
	gdt_set(SLOT_DOWN_SMALL, desc_seg((uint32_t)buf - 0xf000, 0xfff, SEG_DATA_RW_DOWN, 0, 0));
	check_data_bases();
	check_stack_base();
	check_code_base();
	check_expand_down();
	check_code16();
	test_finish("segments");
}
