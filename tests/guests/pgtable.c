/*
 * pgtable.c - page directories and page tables in a static pool, and the
 * page-fault probes of the paging guests (SDM Vol. 3A 4.3 32-bit paging,
 * 4.7 page-fault exceptions).
 */
#include "check.h"
#include "cpu.h"
#include "idt.h"
#include "pgtable.h"
#include "regs.h"

#define POOL_PAGES 40 /* 160 KiB: directories and tables of every paging guest */

static uint32_t pool[POOL_PAGES][1024] __attribute__((aligned(4096)));
static unsigned pool_used;

volatile uint32_t pf_cr2;

uint32_t peek(uint32_t addr)
{
	return RD32(addr);
}

void poke(uint32_t addr, uint32_t value)
{
	WR32(addr, value);
}

uint32_t *pt_alloc(void)
{
	uint32_t *p;

	if (pool_used == POOL_PAGES) {
		kprintf("FAIL pgtable_pool: all %u pages used\n", POOL_PAGES);
		guest_exit(1);
	}
	p = pool[pool_used++];
	memset(p, 0, PAGE_SIZE);
	return p;
}

uint32_t *pgdir_create(void)
{
	return pt_alloc();
}

uint32_t *pgdir_pde(uint32_t *pd, uint32_t lin)
{
	return &pd[lin >> 22];
}

uint32_t *pgdir_pte(uint32_t *pd, uint32_t lin)
{
	uint32_t *pde = pgdir_pde(pd, lin);

	if (!(*pde & PTE_P) || (*pde & PDE_PS))
		*pde = (uint32_t)pt_alloc() | PTE_URW;
	return (uint32_t *)PTE_FRAME(*pde) + ((lin >> 12) & 0x3ff);
}

void pgdir_map(uint32_t *pd, uint32_t lin, uint32_t phys, uint32_t flags)
{
	*pgdir_pte(pd, lin) = PTE_FRAME(phys) | flags;
}

void pgdir_map_large(uint32_t *pd, uint32_t lin, uint32_t phys, uint32_t flags)
{
	*pgdir_pde(pd, lin) = (phys & ~(LARGE_PAGE_SIZE - 1)) | PDE_PS | flags;
}

void pgdir_identity(uint32_t *pd, uint32_t bytes, uint32_t flags)
{
	for (uint32_t a = 0; a < bytes; a += PAGE_SIZE)
		pgdir_map(pd, a, a, flags);
}

uint32_t *pgdir_clone_low(const uint32_t *src, uint32_t bytes)
{
	uint32_t *pd = pgdir_create();

	for (uint32_t i = 0; i < bytes >> 22; i++)
		pd[i] = src[i];
	return pd;
}

void set_wp(int on)
{
	uint32_t cr0 = READ_CR(0);

	WRITE_CR(0, on ? cr0 | CR0_WP : cr0 & ~CR0_WP);
}

void paging_start(uint32_t *pd, int wp)
{
	load_cr3(pd);
	WRITE_CR(0, READ_CR(0) | CR0_PG);
	set_wp(wp);
}

/* Records CR2, then resumes the armed probe after its instruction. */
static void pf_handler(struct trap_frame *f)
{
	pf_cr2 = READ_CR(2);
	if (probe_resume) {
		f->eip = probe_resume;
		probe_resume = 0;
		return;
	}
	kprintf("FAIL unexpected_page_fault: error 0x%x cr2 0x%08x at %04x:%08x\n", f->error,
		pf_cr2, f->cs & 0xffff, f->eip);
	guest_exit(1);
	for (;;)
		__asm__ volatile("cli; hlt");
}

void pf_probe_init(void)
{
	trap_set_handler(EXC_PF, pf_handler);
}

uint32_t probe_read32(uint32_t addr, uint32_t bad)
{
	struct regs r = {.eax = bad, .ebx = addr};

	PROBE("movl (%%ebx), %%eax", r);
	return r.eax;
}

void probe_write32(uint32_t addr, uint32_t value)
{
	struct regs r = {.eax = value, .ebx = addr};

	PROBE("movl %%eax, (%%ebx)", r);
}

void probe_jump(uint32_t addr)
{
	struct regs r = {.ebx = addr};

	PROBE("jmp *%%ebx", r);
}

void check_pf_at(const char *name, uint32_t error, uint32_t cr2, uint32_t eip)
{
	const volatile struct trap_record *t = &trap_last;

	if (t->count == 1 && t->vector == EXC_PF && t->error == error && t->eip == eip &&
	    pf_cr2 == cr2) {
		check_ok(name);
		return;
	}
	if (t->count == 0) {
		check_fail(name, "no fault, want #PF error 0x%x cr2 0x%08x", error, cr2);
		return;
	}
	check_fail(name,
		   "%u trap(s), last vector %u error 0x%x eip 0x%08x cr2 0x%08x; want #PF "
		   "error 0x%x eip 0x%08x cr2 0x%08x",
		   t->count, t->vector, t->error, t->eip, pf_cr2, error, eip, cr2);
}

void check_pf(const char *name, uint32_t error, uint32_t cr2)
{
	check_pf_at(name, error, cr2, probe_start);
}
