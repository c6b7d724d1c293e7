/*
 * mov_ss_shadow.c - the MOV SS / POP SS interrupt shadow (SDM Vol. 3A
 * 6.8.3 "Masking Exceptions and Interrupts When Switching Stacks", Vol. 2
 * MOV and POP): after an instruction that loads SS, interrupts, debug
 * exceptions and single-step traps are held until the next instruction has
 * run, so that SS:ESP can be loaded as a pair. Shown with TF single-stepping,
 * the one deterministic way: no trap reports the instruction right after the
 * SS load; the next trap reports the one after that.
 */
#include "check.h"
#include "cpu.h"
#include "idt.h"
#include "user.h"

#define MAX_TRAPS 8

extern char mss1[], mss3[], mss4[], mss5[], mss6[];
extern char pss1[], pss3[], pss4[], pss5[], pss6[];
void run_mov_ss(void), run_pop_ss(void);

/* Traps after: mov ss,eax (held), incl (-> mss3), then pushf/and/popf. */
__asm__(".text\n"
	"run_mov_ss:\n\t"
	"pushfl\n\t"
	"orl $0x100, (%esp)\n\t"
	"popfl\n\t"
	"movl %ss, %eax\n"
	"mss1:\tmovl %eax, %ss\n"
	"mss2:\tincl %eax\n"
	"mss3:\tpushfl\n"
	"mss4:\tandl $~0x100, (%esp)\n"
	"mss5:\tpopfl\n"
	"mss6:\tret\n"
	"run_pop_ss:\n\t"
	"pushfl\n\t"
	"orl $0x100, (%esp)\n\t"
	"popfl\n\t"
	"pushl %ss\n"
	"pss1:\tpopl %ss\n"
	"pss2:\tincl %eax\n"
	"pss3:\tpushfl\n"
	"pss4:\tandl $~0x100, (%esp)\n"
	"pss5:\tpopfl\n"
	"pss6:\tret");

static volatile uint32_t db_count, db_eip[MAX_TRAPS];

static void db_handler(struct trap_frame *f)
{
	if (db_count < MAX_TRAPS)
		db_eip[db_count] = f->eip;
	db_count++;
}

static void check_steps(const char *name, void (*run)(void), const char *want[5])
{
	db_count = 0;
	run();
	CHECK_EQ32(check_name(name, "trap_count"), db_count, 5);
	for (unsigned i = 0; i < 5; i++) {
		char suffix[] = "trap_eip_N";

		suffix[9] = (char)('1' + i);
		CHECK_EQ32(check_name(name, suffix), db_eip[i], (uint32_t)want[i]);
	}
}

void main(uint32_t magic, uint32_t info)
{
	const char *mov_ss[5] = {mss1, mss3, mss4, mss5, mss6};
	const char *pop_ss[5] = {pss1, pss3, pss4, pss5, pss6};

	sys_init();
	trap_set_handler(EXC_DB, db_handler);
	check_steps("mov_ss_shadow", run_mov_ss, mov_ss);
	check_steps("pop_ss_shadow", run_pop_ss, pop_ss);
	test_finish("mov_ss_shadow");
}
