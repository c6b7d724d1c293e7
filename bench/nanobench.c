/*
 * nanobench.c - the nanobenchmarks of Adams & Agesen ("A Comparison of
 * Software and Hardware Techniques for x86 Virtualization", ASPLOS 2006,
 * section 6.1) as a test guest: cycles per page fault handled by the guest,
 * PTE modification, CR3 switch, INT 0x80/IRET system call, IN from a port,
 * CALL/RET and #DE delivery, measured with RDTSC inside the guest. Not a
 * pass/fail test: it prints one "<name> <cycles>" line per row and exits
 * with 0; bench/nanobench.sh compares btvmm with QEMU.
 *
 * Each row times n iterations of its loop (nanobench_asm.S) between two
 * CPUID-serialised RDTSCs, keeps the fastest of RUNS runs, subtracts the
 * same count of empty loop iterations, and divides by the operations done.
 */
#include "check.h"
#include "cpu.h"
#include "gdt.h"
#include "idt.h"
#include "pgtable.h"
#include "user.h"

#define RUNS	    7
#define REGION	    0x40000000u /* bench_pt's 4 MiB: the pages pgfault and ptemod touch */
#define FRAME	    0x00800000u /* every page of the region maps here (or FRAME + 4 KiB) */
#define VEC_SYSCALL 0x80

typedef void (*bench_fn)(uint32_t n);

void bench_empty(uint32_t n);
void bench_pgfault(uint32_t n);
void bench_ptemod(uint32_t n);
void bench_cr3(uint32_t n);
void bench_syscall(uint32_t n);
void bench_in(uint32_t n);
void bench_callret(uint32_t n);
void bench_divzero(uint32_t n);
void bench_pf_handler(void);
void bench_de_handler(void);
void bench_syscall_entry(void);

extern uint32_t bench_pt[1024];
uint32_t bench_region = REGION;
uint32_t bench_cr3_a, bench_cr3_b;

static void prepare_none(void)
{
}

/* Every page of the region not present: each pgfault iteration takes one #PF. */
static void prepare_pgfault(void)
{
	for (unsigned i = 0; i < 1024; i++)
		bench_pt[i] = FRAME | PTE_RW;
	load_cr3((uint32_t *)bench_cr3_a);
}

static void prepare_ptemod(void)
{
	bench_pt[0] = FRAME | PTE_KRW;
	invlpg(REGION);
}

struct bench {
	const char *name;
	bench_fn fn;
	uint32_t n;	       /* loop iterations per run */
	uint32_t ops_per_iter; /* operations each iteration does */
	void (*prepare)(void); /* before each run, untimed */
	int cpl3;	       /* run the loop at CPL 3 */
};

static const struct bench benches[] = {
    {"pgfault", bench_pgfault, 1024, 1, prepare_pgfault, 0},
    {"ptemod", bench_ptemod, 1000, 1, prepare_ptemod, 0},
    {"cr3", bench_cr3, 1000, 2, prepare_none, 0},
    {"syscall", bench_syscall, 1000, 1, prepare_none, 1},
    {"in", bench_in, 1000, 1, prepare_none, 0},
    {"callret", bench_callret, 10000, 1, prepare_none, 0},
    {"divzero", bench_divzero, 1000, 1, prepare_none, 0},
};

static inline uint64_t rdtsc_serialized(void)
{
	uint32_t lo, hi;

	__asm__ volatile("xorl %%eax, %%eax\n\t"
			 "cpuid\n\t"
			 "rdtsc"
			 : "=a"(lo), "=d"(hi)
			 :
			 : "ebx", "ecx", "memory");
	return ((uint64_t)hi << 32) | lo;
}

static const struct bench *current;

/* One timed run of current; a user_fn, so it also runs at CPL 3 (and must not print). */
static uint32_t timed_run(uint32_t n)
{
	uint64_t t0 = rdtsc_serialized();

	current->fn(n);
	return (uint32_t)(rdtsc_serialized() - t0);
}

/* The fastest of RUNS runs of b, in cycles. */
static uint32_t fastest(const struct bench *b)
{
	uint32_t best = ~0u, t;

	current = b;
	for (int run = 0; run < RUNS; run++) {
		b->prepare();
		t = b->cpl3 ? user_call(timed_run, b->n, 0) : timed_run(b->n);
		if (t < best)
			best = t;
	}
	return best;
}

static void setup(void)
{
	uint32_t *pd_a = pgdir_create(), *pd_b;

	pgdir_identity(pd_a, 16u << 20, PTE_URW);
	pd_b = pgdir_clone_low(pd_a, 16u << 20);
	*pgdir_pde(pd_a, REGION) = (uint32_t)bench_pt | PTE_KRW;
	bench_cr3_a = (uint32_t)pd_a;
	bench_cr3_b = (uint32_t)pd_b;
	paging_start(pd_a, 1);

	idt_set(EXC_DE, desc_gate(SEL_KCODE, (uint32_t)bench_de_handler, SYS_INT32, 0, 0));
	idt_set(EXC_PF, desc_gate(SEL_KCODE, (uint32_t)bench_pf_handler, SYS_INT32, 0, 0));
	idt_set(VEC_SYSCALL, desc_gate(SEL_KCODE, (uint32_t)bench_syscall_entry, SYS_INT32, 3, 0));
}

void main(uint32_t magic, uint32_t info)
{
	static const struct bench empty = {"empty", bench_empty, 10000, 1, prepare_none, 0};
	uint32_t empty_x1000;

	sys_init();
	setup();
	empty_x1000 = (uint32_t)((uint64_t)fastest(&empty) * 1000 / empty.n);
	kprintf("# nanobench: cycles per operation, RDTSC, fastest of %d runs, loop of %u.%03u "
		"cycles/iteration subtracted\n",
		RUNS, empty_x1000 / 1000, empty_x1000 % 1000);
	for (unsigned i = 0; i < sizeof(benches) / sizeof(benches[0]); i++) {
		const struct bench *b = &benches[i];
		uint64_t total = fastest(b), loop = (uint64_t)empty_x1000 * b->n / 1000;
		uint64_t ops = (uint64_t)b->n * b->ops_per_iter;

		kprintf("%s %u\n", b->name,
			(uint32_t)(total > loop ? (total - loop + ops / 2) / ops : 0));
	}
	guest_exit(0);
}
