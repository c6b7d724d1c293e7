/*
 * segment_limits.c - the protection checks on every segment access (SDM
 * Vol. 3A 5.3 "Limit Checking", 5.4.1 "Null Segment Selector Checking",
 * 5.5-5.6 type checking; Vol. 2 "Protected Mode Exceptions" of MOV): an
 * access with any byte beyond the limit is #GP(0), or #SS(0) through SS;
 * G = 1 scales the limit to limit * 4 KiB + 0xfff; expand-down segments
 * fault at offsets up to the limit and above 0xffff when B = 0; writing a
 * read-only data segment or any code segment, reading an execute-only code
 * segment, using a null DS/ES, and a near jump past the CS limit are #GP(0).
 * QEMU's TCG does none of these checks on accesses, so this guest does not
 * run under QEMU; its passing counterpart is segments.
 */
#include "check.h"
#include "cpu.h"
#include "gdt.h"
#include "idt.h"
#include "regs.h"
#include "user.h"

enum {
	SLOT_BYTE = GDT_FREE, /* data, base buf, limit 0xff */
	SLOT_PAGE,	      /* data, base buf, limit 0 with G = 1: 0xfff */
	SLOT_STACK_16M,	      /* stack, base 0, limit 16 MiB - 1 */
	SLOT_DOWN_BIG,	      /* expand-down, B = 1, limit 0xfff */
	SLOT_DOWN_SMALL,      /* expand-down, B = 0, limit 0xfff */
	SLOT_READ_ONLY,	      /* read-only data, flat */
	SLOT_CODE_X,	      /* execute-only code, flat */
	SLOT_CODE_SHORT,      /* code, base 0, limit: the end of short_entry's page */
};

static struct regs r;
uint8_t lim_buf[0x2000] __attribute__((aligned(4096)));

/* Reads FS:EBX as a probe with FS = sel, then restores FS; checks #GP(0) or no fault. */
static void fs_probe(const char *name, uint16_t sel, int faults)
{
	r.ecx = sel;
	r.edx = SEL_KDATA;
	PROBE2("mov %%ecx, %%fs", "movl %%fs:(%%ebx), %%eax", "mov %%edx, %%fs", r);
	if (faults)
		check_fault(name, EXC_GP, 0);
	else
		check_no_fault(name);
}

static void read_at(const char *name, unsigned slot, uint32_t offset, int faults)
{
	r.ebx = offset;
	fs_probe(name, SEL(slot, 0), faults);
}

static void check_limits(void)
{
	read_at("byte_limit_last_dword_inside", SLOT_BYTE, 0xfc, 0);
	read_at("byte_limit_dword_crosses_limit", SLOT_BYTE, 0xfd, 1);
	read_at("byte_limit_beyond", SLOT_BYTE, 0x100, 1);
	read_at("page_limit_last_dword_inside", SLOT_PAGE, 0xffc, 0);
	read_at("page_limit_dword_crosses_limit", SLOT_PAGE, 0xffd, 1);
	read_at("page_limit_beyond", SLOT_PAGE, 0x1000, 1);

	read_at("expand_down_b1_at_limit", SLOT_DOWN_BIG, 0xfff, 1);
	read_at("expand_down_b1_below_limit", SLOT_DOWN_BIG, 0x10, 1);
	read_at("expand_down_b1_dword_straddles_limit", SLOT_DOWN_BIG, 0xffe, 1);
	read_at("expand_down_b1_limit_plus_1", SLOT_DOWN_BIG, 0x1000, 0);
	read_at("expand_down_b0_above_0xffff", SLOT_DOWN_SMALL, 0x10000, 1);
	read_at("expand_down_b0_dword_crosses_0xffff", SLOT_DOWN_SMALL, 0xfffe, 1);
	read_at("expand_down_b0_top_dword", SLOT_DOWN_SMALL, 0xfffc, 0);
}

/* Through SS the same violation is #SS(0). */
static void check_stack_limit(void)
{
	r = (struct regs){.ebx = 0x1000000, .ecx = SEL(SLOT_STACK_16M, 0)};
	PROBE2("movl %%ss, %%edx\n\tmov %%ecx, %%ss", "movl %%ss:(%%ebx), %%eax", "mov %%edx, %%ss",
	       r);
	check_fault("ss_beyond_limit", EXC_SS, 0);
	r = (struct regs){.ebx = 0xfffffc, .ecx = SEL(SLOT_STACK_16M, 0)};
	PROBE2("movl %%ss, %%edx\n\tmov %%ecx, %%ss", "movl %%ss:(%%ebx), %%eax", "mov %%edx, %%ss",
	       r);
	check_no_fault("ss_last_dword_inside");
}

/* Type checks on access: read-only data, code segments, null selectors. */
static void check_types(void)
{
	r = (struct regs){
	    .ebx = (uint32_t)lim_buf, .ecx = SEL(SLOT_READ_ONLY, 0), .edx = SEL_KDATA};
	PROBE2("mov %%ecx, %%fs", "movl %%eax, %%fs:(%%ebx)", "mov %%edx, %%fs", r);
	check_fault("write_read_only_data", EXC_GP, 0);
	r.ebx = (uint32_t)lim_buf;
	PROBE("movl %%eax, %%cs:(%%ebx)", r);
	check_fault("write_through_cs", EXC_GP, 0);

	r = (struct regs){.ebx = (uint32_t)lim_buf, .ecx = 0, .edx = SEL_KDATA};
	PROBE2("mov %%ecx, %%fs", "movl %%fs:(%%ebx), %%eax", "mov %%edx, %%fs", r);
	check_fault("null_fs_read", EXC_GP, 0);
	r = (struct regs){.eax = 0, .ebx = (uint32_t)lim_buf, .ecx = 3, .edx = SEL_KDATA};
	PROBE2("pushl %%edi\n\tmovl %%ebx, %%edi\n\tmov %%ecx, %%es", "stosb",
	       "mov %%edx, %%es\n\tpopl %%edi", r);
	check_fault("null_es_stosb", EXC_GP, 0);
}

/*
 * Code running in an execute-only segment may not read through CS; code in
 * a short segment may not jump past its limit (the JMP itself faults).
 */
struct farptr xonly_far, short_far;
void run_in_xonly(void), run_in_short(void);
__asm__(".text\n"
	"run_in_xonly:\n\t"
	"pushl %ebx\n\t"
	"movl $lim_buf, %ebx\n\t"
	"ljmp *xonly_far\n"
	"xonly_entry:\n\t"
	"movl $771f, probe_start\n\t"
	"movl $772f, probe_end\n\t"
	"movl $772f, probe_resume\n"
	"771:\tmovl %cs:(%ebx), %eax\n"
	"772:\tmovl $0, probe_resume\n\t"
	"ljmp $0x08, $1f\n"
	"1:\tpopl %ebx\n\t"
	"ret\n"
	"run_in_short:\n\t"
	"pushl %ebx\n\t"
	"movl $landing, %ebx\n\t" /* beyond the short CS limit */
	"ljmp *short_far\n"
	"short_entry:\n\t"
	"movl $771f, probe_start\n\t"
	"movl $772f, probe_end\n\t"
	"movl $772f, probe_resume\n"
	"771:\tjmp *%ebx\n"
	"772:\n"
	"short_resume:\t"
	"movl $0, probe_resume\n\t"
	"ljmp $0x08, $1f\n"
	"1:\tpopl %ebx\n\t"
	"ret");
extern char xonly_entry[], short_entry[], short_resume[];

/*
 * The jump target, in .bss pages above the short segment's limit. Should the
 * jump not fault, it lands on "ljmp $0x08, $short_resume" and the check fails
 * instead of running into empty memory.
 */
uint8_t landing[4096] __attribute__((aligned(4096)));

static void check_code_segments(void)
{
	xonly_far = (struct farptr){.offset = (uint32_t)xonly_entry, .sel = SEL(SLOT_CODE_X, 0)};
	probe_arm();
	run_in_xonly();
	check_fault("read_execute_only_code", EXC_GP, 0);

	landing[0] = 0xea; /* ljmp ptr16:32 */
	*(uint32_t *)&landing[1] = (uint32_t)short_resume;
	*(uint16_t *)&landing[5] = SEL_KCODE;
	short_far =
	    (struct farptr){.offset = (uint32_t)short_entry, .sel = SEL(SLOT_CODE_SHORT, 0)};
	probe_arm();
	run_in_short();
	check_fault("near_jmp_beyond_cs_limit", EXC_GP, 0);
}

void main(uint32_t magic, uint32_t info)
{
	sys_init();
	gdt_set(SLOT_BYTE, desc_seg((uint32_t)lim_buf, 0xff, SEG_DATA_RW, 0, DESC_DB));
	gdt_set(SLOT_PAGE, desc_seg((uint32_t)lim_buf, 0, SEG_DATA_RW, 0, DESC_G | DESC_DB));
	gdt_set(SLOT_STACK_16M, desc_seg(0, 0xfff, SEG_DATA_RW, 0, DESC_G | DESC_DB));
	gdt_set(SLOT_DOWN_BIG, desc_seg((uint32_t)lim_buf, 0xfff, SEG_DATA_RW_DOWN, 0, DESC_DB));
	gdt_set(SLOT_DOWN_SMALL,
		desc_seg((uint32_t)lim_buf - 0xf000, 0xfff, SEG_DATA_RW_DOWN, 0, 0));
	gdt_set(SLOT_READ_ONLY, desc_seg(0, 0xfffff, SEG_DATA_RO, 0, DESC_G | DESC_DB));
	gdt_set(SLOT_CODE_X, desc_seg(0, 0xfffff, SEG_CODE_X, 0, DESC_G | DESC_DB));
	gdt_set(SLOT_CODE_SHORT, /* up to the end of short_entry's page, below landing */
		desc_seg(0, (uint32_t)short_resume >> 12, SEG_CODE_XR, 0, DESC_G | DESC_DB));
	check_limits();
	check_stack_limit();
	check_types();
	check_code_segments();
	test_finish("segment_limits");
}
