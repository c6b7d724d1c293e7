/*
 * precise_flags.c - the arithmetic flags in a fault's frame are the ones
 * before the faulting instruction (SDM Vol. 3A 6.5: a fault leaves the
 * state as it was before the instruction), also where no later instruction
 * reads them: a flag-writing instruction that faults (ADD, CMP, DIV), and a
 * fault after other memory accesses with the flags dead (#PF on a page
 * UNMAPPED, #DE, #UD, #BR). btvmm guarantees
 * this only with -precise-flags (docs/design.md, "Flags"); by default its
 * inserted code may clobber dead flags. Each case runs with all six flags
 * set and with all clear.
 */
#include "check.h"
#include "pgtable.h"
#include "cpu.h"
#include "gdt.h"
#include "idt.h"
#include "regs.h"
#include "user.h"

#define ARITH_FLAGS 0x8d5u /* OF SF ZF AF PF CF */
#define UNMAPPED    0x40000000u /* no page table maps it: #PF */

static struct regs r;
static uint32_t zero_word __attribute__((used));    /* a memory divisor of 0 */
static uint32_t scratch[4] __attribute__((used));   /* stores before the fault */
static int32_t bounds[2] __attribute__((used)) = {10, 20};

/* pushl $flags ; popfl ; <stores> ; <faulting instruction> (flags dead after) */
#define SET_ALL   "pushl $0x8d7\n\tpopfl"
#define SET_NONE  "pushl $0x002\n\tpopfl"

static void check_frame_flags(const char *name, uint32_t want)
{
	CHECK_EQ32(name, trap_last.eflags & ARITH_FLAGS, want);
}

#define CASE(name, pre, insn, vector, error)                                                 \
	do {                                                                               \
		r = (struct regs){.eax = 7, .ebx = (uint32_t)bounds, .ecx = 0, .edx = 0};  \
		PROBE2(SET_ALL pre, insn, "", r);                                          \
		check_fault(name "_all", vector, error);                                   \
		check_frame_flags(name "_all_flags", ARITH_FLAGS);                               \
		r = (struct regs){.eax = 7, .ebx = (uint32_t)bounds, .ecx = 0, .edx = 0};  \
		PROBE2(SET_NONE pre, insn, "", r);                                         \
		check_fault(name "_none", vector, error);                                  \
		check_frame_flags(name "_none_flags", 0);                                        \
	} while (0)

#define STORES "\n\tmovl %%eax, scratch\n\tmovl %%eax, scratch+4"

static void check_faults(void)
{
	CASE("div_reg", "", "divl %%ecx", EXC_DE, 0);
	CASE("div_mem", "", "divl zero_word", EXC_DE, 0);
	CASE("div_after_stores", STORES, "divl %%ecx", EXC_DE, 0);
	CASE("add_not_present", "", "addl 0x40000000, %%eax", EXC_PF, 0);
	CASE("add_not_present_after_stores", STORES, "addl 0x40000000, %%eax", EXC_PF, 0);
	CASE("store_not_present_after_stores", STORES, "movl %%eax, 0x40000000", EXC_PF, PF_W);
	CASE("cmp_not_present_after_stores", STORES, "cmpl $1, 0x40000000", EXC_PF, 0);
	CASE("ud2_after_stores", STORES, "ud2", EXC_UD, 0);
	CASE("bound_after_stores", STORES, "boundl %%eax, (%%ebx)", EXC_BR, 0);
}

void main(uint32_t magic, uint32_t info)
{
	uint32_t *pd;

	sys_init();
	pd = pgdir_create();
	pgdir_identity(pd, 16u << 20, PTE_KRW); /* the guest; UNMAPPED stays unmapped */
	paging_start(pd, 1);
	check_faults();
	test_finish("precise_flags");
}
