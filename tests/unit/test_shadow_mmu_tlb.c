/*
 * test_shadow_mmu_tlb.c - the software TLB and the shadow MMU's slow paths:
 * what tlb_fill installs (never a write tag for clean, read-only or code
 * pages, nothing for the monitor hole or device memory), flushing by page
 * (including every 4 KB piece of a 4 MB page), by address space (global
 * pages survive) and in full, and the monitor's own accesses: page-crossing
 * reads, writes and fetches, MMIO dispatch, open bus and code-page writes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "monitor/x86.h"
#include "shadow_mmu/internal.h"

#define RAM	  (32u << 20)
#define PD	  0x10000u
#define PT	  0x11000u /* page table for linear 0x00400000-0x007fffff */
#define HOLE_PT	  0x12000u /* page table for linear 0xffc00000-0xffffffff */
#define LIN	  0x00405000u
#define FRAME	  0x00200000u
#define LIN2	  0x00406000u /* the next linear page ... */
#define FRAME2	  0x00500000u /* ... in a frame that is not the next one */
#define BIG_LIN	  0x01000000u /* 4 MB pages: PDE 4 and 5 */
#define BIG_FRAME 0x00c00000u
#define ALL	  (PTE_P | PTE_W | PTE_U)

static struct guest_phys phys;
static struct smmu *m;

/* What the hooks saw. */
static struct {
	int calls;
	uint64_t gpa;
	uint32_t len;
	bool is_write;
	uint8_t written[8];
	bool claim; /* answer as a device */
	uint8_t reply;
} mmio;
static struct {
	int calls;
	uint32_t page[8];
} code_writes;

static bool mmio_hook(void *opaque, uint64_t gpa, uint8_t *data, uint32_t len, bool is_write)
{
	mmio.calls++;
	mmio.gpa = gpa;
	mmio.len = len;
	mmio.is_write = is_write;
	if (is_write)
		memcpy(mmio.written, data, len < 8 ? len : 8);
	else if (mmio.claim)
		memset(data, mmio.reply, len);
	return mmio.claim;
}

static void code_write_hook(void *opaque, uint32_t gpa_page)
{
	if (code_writes.calls < 8)
		code_writes.page[code_writes.calls] = gpa_page;
	code_writes.calls++;
}

static int setup(void **state)
{
	struct smmu_hooks hooks = {NULL, mmio_hook, code_write_hook};

	memset(&mmio, 0, sizeof(mmio));
	memset(&code_writes, 0, sizeof(code_writes));
	m = calloc(1, sizeof(*m));
	if (!m || phys_init(&phys, RAM) < 0)
		return -1;
	return smmu_init(m, &phys, &hooks);
}

static int teardown(void **state)
{
	smmu_destroy(m);
	phys_destroy(&phys);
	free(m);
	return 0;
}

static uint32_t *ram32(uint32_t gpa)
{
	return (uint32_t *)(phys.ram + gpa);
}

static uint32_t *pde_of(uint32_t linear)
{
	return ram32(PD + (linear >> 22) * 4);
}

static void map_4k(uint32_t linear, uint32_t frame, uint32_t bits)
{
	uint32_t pt = linear >= MONITOR_HOLE_START ? HOLE_PT : PT;

	*pde_of(linear) = pt | ALL;
	*ram32(pt + ((linear >> 12) & 0x3ff) * 4) = frame | bits;
}

static void map_4m(uint32_t linear, uint32_t frame, uint32_t bits)
{
	*pde_of(linear) = frame | PDE_PS | bits;
}

static void paging_on(uint32_t cr0_extra, uint32_t cr4)
{
	smmu_write_cr4(m, cr4);
	smmu_write_cr3(m, PD);
	smmu_write_cr0(m, CR0_PE | CR0_PG | cr0_extra);
}

static const struct tlb_entry *entry(bool user, uint32_t linear)
{
	return &m->tlb.entry[user][tlb_index(linear)];
}

/* Is @linear readable (writable) through the TLB at this privilege, and
 * does the entry lead to guest-physical @gpa? */
static bool tlb_reads(bool user, uint32_t linear)
{
	return entry(user, linear)->tag_read == (linear & PAGE_MASK);
}

static bool tlb_writes(bool user, uint32_t linear)
{
	return entry(user, linear)->tag_write == (linear & PAGE_MASK);
}

static uint8_t *tlb_host(bool user, uint32_t linear)
{
	return (uint8_t *)(uintptr_t)(linear + entry(user, linear)->addend);
}

static void fill_ok(uint32_t linear, enum mmu_access acc, bool user, uint32_t want_gpa)
{
	struct mmu_fault f;
	uint32_t gpa = 0;

	assert_int_equal(tlb_fill(m, linear, acc, user, &gpa, &f), 0);
	assert_int_equal(gpa, want_gpa);
}

/* ---- What tlb_fill installs ---- */

static void test_fill_read_installs_read_tag_only_until_dirty(void **state)
{
	map_4k(LIN, FRAME, ALL); /* writable, D clear */
	paging_on(0, 0);
	fill_ok(LIN + 0x123, MMU_READ, false, FRAME + 0x123);
	assert_true(tlb_reads(false, LIN));
	assert_false(tlb_writes(false, LIN)); /* the first write must set D */
	assert_ptr_equal(tlb_host(false, LIN + 0x123), phys.ram + FRAME + 0x123);
	assert_false(tlb_reads(true, LIN)); /* the user table is separate */
	assert_true(m->stats.tlb_fills > 0);
}

static void test_fill_write_sets_dirty_and_write_tag(void **state)
{
	map_4k(LIN, FRAME, ALL);
	paging_on(0, 0);
	fill_ok(LIN + 8, MMU_WRITE, true, FRAME + 8);
	assert_true(*ram32(PT + 5 * 4) & PTE_D);
	assert_true(tlb_reads(true, LIN));
	assert_true(tlb_writes(true, LIN));
	assert_ptr_equal(tlb_host(true, LIN), phys.ram + FRAME);
	assert_false(tlb_reads(false, LIN));
}

static void test_fill_read_of_dirty_writable_page_gets_write_tag(void **state)
{
	map_4k(LIN, FRAME, ALL | PTE_D);
	paging_on(0, 0);
	fill_ok(LIN, MMU_READ, true, FRAME);
	assert_true(tlb_writes(true, LIN));
}

static void test_fill_readonly_page_never_gets_write_tag(void **state)
{
	map_4k(LIN, FRAME, PTE_P | PTE_U | PTE_D); /* read-only, dirty */
	paging_on(CR0_WP, 0);
	fill_ok(LIN, MMU_READ, true, FRAME);
	fill_ok(LIN, MMU_READ, false, FRAME);
	assert_true(tlb_reads(true, LIN) && tlb_reads(false, LIN));
	assert_false(tlb_writes(true, LIN));
	assert_false(tlb_writes(false, LIN));
	/* With CR0.WP clear the supervisor may write it; users still may not. */
	smmu_write_cr0(m, CR0_PE | CR0_PG);
	fill_ok(LIN, MMU_READ, true, FRAME);
	fill_ok(LIN, MMU_READ, false, FRAME);
	assert_false(tlb_writes(true, LIN));
	assert_true(tlb_writes(false, LIN));
}

static void test_fill_fault_installs_nothing(void **state)
{
	struct mmu_fault f;
	uint32_t gpa;

	map_4k(LIN, FRAME, PTE_P | PTE_W | PTE_D); /* supervisor page */
	paging_on(0, 0);
	assert_int_equal(tlb_fill(m, LIN, MMU_READ, true, &gpa, &f), -1);
	assert_int_equal(f.error_code, PFEC_P | PFEC_U);
	assert_int_equal(f.cr2, LIN);
	assert_false(tlb_reads(true, LIN));
	assert_int_equal(entry(true, LIN)->tag_write, TLB_INVALID);
}

static void test_fill_with_paging_off_maps_ram_identity(void **state)
{
	smmu_write_cr0(m, CR0_PE);
	fill_ok(0x00123456, MMU_WRITE, false, 0x00123456);
	assert_true(tlb_writes(false, 0x00123456));
	assert_ptr_equal(tlb_host(false, 0x00123456), phys.ram + 0x00123456);
}

static void test_fill_never_installs_device_memory(void **state)
{
	smmu_write_cr0(m, CR0_PE);
	fill_ok(0x000a0010, MMU_READ, false, 0x000a0010); /* VGA window */
	assert_false(tlb_reads(false, 0x000a0010));
	fill_ok(RAM + 0x1000, MMU_READ, false, RAM + 0x1000); /* beyond RAM */
	assert_false(tlb_reads(false, RAM + 0x1000));
	fill_ok(0x0009f000, MMU_READ, false, 0x0009f000); /* RAM just below */
	assert_true(tlb_reads(false, 0x0009f000));
}

/* ---- Code pages ---- */

static void test_code_page_never_gets_write_tag(void **state)
{
	map_4k(LIN, FRAME, ALL | PTE_D);
	paging_on(0, 0);
	smmu_protect_code_page(m, FRAME);
	assert_true(smmu_is_code_page(m, FRAME));
	assert_false(smmu_is_code_page(m, FRAME2));
	fill_ok(LIN + 4, MMU_WRITE, false, FRAME + 4);
	assert_true(tlb_reads(false, LIN));
	assert_false(tlb_writes(false, LIN));
	/* Once the code is gone, writes may take the fast path again. */
	smmu_unprotect_code_page(m, FRAME);
	fill_ok(LIN + 4, MMU_WRITE, false, FRAME + 4);
	assert_true(tlb_writes(false, LIN));
	smmu_protect_code_page(m, FRAME);
	smmu_clear_code_pages(m);
	assert_false(smmu_is_code_page(m, FRAME));
}

static void test_protect_drops_existing_write_tags_to_that_frame(void **state)
{
	const uint32_t alias = LIN + 0x10000, other = LIN + 0x20000;

	map_4k(LIN, FRAME, ALL | PTE_D);
	map_4k(alias, FRAME, ALL | PTE_D); /* a second mapping of the same frame */
	map_4k(other, FRAME2, ALL | PTE_D);
	paging_on(0, 0);
	fill_ok(LIN, MMU_WRITE, false, FRAME);
	fill_ok(LIN, MMU_WRITE, true, FRAME);
	fill_ok(alias, MMU_WRITE, true, FRAME);
	fill_ok(other, MMU_WRITE, true, FRAME2);
	smmu_protect_code_page(m, FRAME);
	assert_false(tlb_writes(false, LIN));
	assert_false(tlb_writes(true, LIN));
	assert_false(tlb_writes(true, alias));
	assert_true(tlb_reads(false, LIN) && tlb_reads(true, alias)); /* reads stay */
	assert_true(tlb_writes(true, other));
}

/* ---- The monitor hole ---- */

static void test_monitor_hole_never_enters_tlb(void **state)
{
	const uint32_t hole = 0xffc01000u, below = 0xffbff000u;
	struct mmu_fault f;
	uint32_t gpa;

	map_4k(hole, 0x00300000, ALL | PTE_D);
	map_4m(below, BIG_FRAME, ALL | PTE_D); /* 0xff800000-0xffbfffff */
	paging_on(0, CR4_PSE);
	fill_ok(hole + 0x10, MMU_WRITE, false, 0x00300010);
	fill_ok(hole + 0x10, MMU_READ, true, 0x00300010);
	assert_int_equal(entry(false, hole)->tag_read, TLB_INVALID);
	assert_int_equal(entry(true, hole)->tag_read, TLB_INVALID);
	assert_int_equal(entry(false, hole)->tag_write, TLB_INVALID);
	/* The guest's mapping there is still honoured by the slow path. */
	assert_int_equal(smmu_translate(m, hole + 0xfff, MMU_WRITE, true, &gpa, &f), 0);
	assert_int_equal(gpa, 0x00300fff);
	/* The page just below the hole is ordinary. */
	fill_ok(below, MMU_READ, false, BIG_FRAME + 0x3ff000);
	assert_true(tlb_reads(false, below));
}

static void test_monitor_hole_large_page_never_enters_tlb(void **state)
{
	map_4m(MONITOR_HOLE_START, BIG_FRAME, ALL | PTE_D);
	paging_on(0, CR4_PSE);
	fill_ok(0xfffff000u, MMU_READ, false, BIG_FRAME + 0x3ff000);
	fill_ok(MONITOR_HOLE_START, MMU_READ, false, BIG_FRAME);
	assert_int_equal(entry(false, 0xfffff000u)->tag_read, TLB_INVALID);
	assert_int_equal(entry(false, MONITOR_HOLE_START)->tag_read, TLB_INVALID);
	assert_int_equal(m->tlb_large_count, 0);
}

/* ---- Flushing ---- */

static void test_flush_page_drops_both_privileges_of_that_page(void **state)
{
	map_4k(LIN, FRAME, ALL | PTE_D);
	map_4k(LIN2, FRAME2, ALL | PTE_D);
	paging_on(0, 0);
	fill_ok(LIN, MMU_READ, false, FRAME);
	fill_ok(LIN, MMU_READ, true, FRAME);
	fill_ok(LIN2, MMU_READ, false, FRAME2);
	tlb_flush_page(m, LIN + 0x234); /* any address in the page */
	assert_false(tlb_reads(false, LIN) || tlb_reads(true, LIN));
	assert_int_equal(entry(false, LIN)->tag_write, TLB_INVALID);
	assert_true(tlb_reads(false, LIN2));
}

static void test_flush_nonglobal_keeps_global_pages(void **state)
{
	const uint32_t g = LIN, ng = LIN2, big = BIG_LIN;

	map_4k(g, FRAME, ALL | PTE_G);
	map_4k(ng, FRAME2, ALL);
	map_4m(big, BIG_FRAME, ALL | PTE_G);
	paging_on(0, CR4_PSE | CR4_PGE);
	fill_ok(g, MMU_READ, false, FRAME);
	fill_ok(g, MMU_READ, true, FRAME);
	fill_ok(ng, MMU_READ, false, FRAME2);
	fill_ok(big + 0x3000, MMU_READ, false, BIG_FRAME + 0x3000);
	tlb_flush_nonglobal(m);
	assert_true(tlb_reads(false, g) && tlb_reads(true, g));
	assert_true(tlb_reads(false, big + 0x3000));
	assert_false(tlb_reads(false, ng));
	/* A CR3 load with CR4.PGE does the same ... */
	fill_ok(ng, MMU_READ, false, FRAME2);
	smmu_write_cr3(m, PD);
	assert_true(tlb_reads(false, g));
	assert_false(tlb_reads(false, ng));
	/* ... and tlb_flush_all drops global pages too. */
	tlb_flush_all(m);
	assert_false(tlb_reads(false, g) || tlb_reads(true, g));
	assert_false(tlb_reads(false, big + 0x3000));
	assert_int_equal(m->tlb_large_count, 0);
}

/* Flushes visit only the slots filled since the last full flush while
 * there are few (soft_tlb.c's list), and every slot past that: both ways,
 * nothing may survive that should not. */
static void fill_pages(uint32_t base, unsigned n, unsigned stride)
{
	for (unsigned k = 0; k < n; k++) {
		uint32_t lin = base + k * stride * PAGE_SIZE;
		struct mmu_fault f;
		uint32_t gpa;

		assert_int_equal(tlb_fill(m, lin, MMU_READ, false, &gpa, &f), 0);
	}
}

static unsigned count_readable(uint32_t base, unsigned n, unsigned stride)
{
	unsigned readable = 0;

	for (unsigned k = 0; k < n; k++)
		readable += tlb_reads(false, base + k * stride * PAGE_SIZE);
	return readable;
}

static void test_flushes_with_few_and_many_slots_filled(void **state)
{
	const uint32_t global = BIG_LIN, local = BIG_LIN + 0x400000u; /* two 4 MB pages */

	map_4m(global, BIG_FRAME, ALL | PTE_G);
	map_4m(local, BIG_FRAME + 0x400000u, ALL);
	paging_on(0, CR4_PSE | CR4_PGE);
	/* Few: 3 global and 3 local pieces. */
	fill_pages(global, 3, 1);
	fill_pages(local + 0x100000u, 3, 1);
	tlb_flush_nonglobal(m);
	assert_int_equal(count_readable(global, 3, 1), 3);
	assert_int_equal(count_readable(local + 0x100000u, 3, 1), 0);
	tlb_flush_all(m);
	assert_int_equal(count_readable(global, 3, 1), 0);
	/* Many: 400 of each, more than the list holds (distinct slots: the
	 * local pieces use the odd indexes, the global ones the even). */
	fill_pages(global, 400, 2);
	fill_pages(local + PAGE_SIZE, 400, 2);
	assert_int_equal(count_readable(global, 400, 2), 400);
	tlb_flush_nonglobal(m);
	assert_int_equal(count_readable(global, 400, 2), 400);
	assert_int_equal(count_readable(local + PAGE_SIZE, 400, 2), 0);
	/* INVLPG anywhere in the global 4 MB page drops all its pieces. */
	tlb_flush_page(m, global + 0x123000u);
	assert_int_equal(count_readable(global, 400, 2), 0);
	assert_int_equal(m->tlb_large_count, 0);
	fill_pages(global, 400, 2);
	tlb_flush_all(m);
	assert_int_equal(count_readable(global, 400, 2), 0);
	/* And after the overflow, the list works again for a few. */
	fill_pages(local, 5, 1);
	tlb_flush_all(m);
	assert_int_equal(count_readable(local, 5, 1), 0);
}

static void test_global_bit_needs_pge(void **state)
{
	map_4k(LIN, FRAME, ALL | PTE_G);
	paging_on(0, 0); /* no CR4.PGE: G means nothing */
	fill_ok(LIN, MMU_READ, false, FRAME);
	tlb_flush_nonglobal(m);
	assert_false(tlb_reads(false, LIN));
	fill_ok(LIN, MMU_READ, false, FRAME);
	smmu_write_cr3(m, PD);
	assert_false(tlb_reads(false, LIN));
}

static void test_pge_change_flushes_globals(void **state)
{
	map_4k(LIN, FRAME, ALL | PTE_G);
	paging_on(0, CR4_PGE);
	fill_ok(LIN, MMU_READ, false, FRAME);
	smmu_write_cr4(m, 0); /* clearing PGE flushes everything */
	assert_false(tlb_reads(false, LIN));
	smmu_write_cr4(m, CR4_PGE);
	fill_ok(LIN, MMU_READ, false, FRAME);
	smmu_write_cr0(m, CR0_PE | CR0_PG | CR0_WP); /* so does a WP change */
	assert_false(tlb_reads(false, LIN));
}

static void test_flush_page_drops_every_piece_of_a_large_page(void **state)
{
	const uint32_t other_big = BIG_LIN + 0x400000;

	map_4m(BIG_LIN, BIG_FRAME, ALL | PTE_D);
	map_4m(other_big, 0x01000000, ALL | PTE_D);
	map_4k(LIN, FRAME, ALL | PTE_D);
	paging_on(0, CR4_PSE);
	fill_ok(BIG_LIN, MMU_READ, false, BIG_FRAME);
	fill_ok(BIG_LIN + 0x234000, MMU_READ, true, BIG_FRAME + 0x234000);
	fill_ok(BIG_LIN + 0x3ff000, MMU_WRITE, false, BIG_FRAME + 0x3ff000);
	fill_ok(other_big + 0x1000, MMU_READ, false, 0x01001000);
	fill_ok(LIN, MMU_READ, false, FRAME);
	assert_int_equal(m->tlb_large_count, 4);
	/* INVLPG of one address drops the whole 4 MB page, as hardware does. */
	tlb_flush_page(m, BIG_LIN + 0x200abc);
	assert_false(tlb_reads(false, BIG_LIN));
	assert_false(tlb_reads(true, BIG_LIN + 0x234000));
	assert_false(tlb_reads(false, BIG_LIN + 0x3ff000));
	assert_int_equal(entry(false, BIG_LIN + 0x3ff000)->tag_write, TLB_INVALID);
	assert_true(tlb_reads(false, other_big + 0x1000));
	assert_true(tlb_reads(false, LIN));
	assert_int_equal(m->tlb_large_count, 1);
}

static void test_large_count_follows_replacement(void **state)
{
	map_4m(BIG_LIN, BIG_FRAME, ALL | PTE_D);
	map_4k(LIN, FRAME, ALL | PTE_D); /* tlb_index 5, like BIG_LIN + 0x5000 */
	paging_on(0, CR4_PSE);
	fill_ok(BIG_LIN + 0x5000, MMU_READ, false, BIG_FRAME + 0x5000);
	assert_int_equal(m->tlb_large_count, 1);
	fill_ok(LIN, MMU_READ, false, FRAME); /* replaces the piece */
	assert_int_equal(m->tlb_large_count, 0);
	tlb_flush_page(m, BIG_LIN); /* no large entries left: the 4 KB one stays */
	assert_true(tlb_reads(false, LIN));
}

/* ---- The monitor's own accesses ---- */

static void map_two_pages(void)
{
	map_4k(LIN, FRAME, ALL);
	map_4k(LIN2, FRAME2, ALL);
	paging_on(CR0_WP, 0);
}

static void test_read_write_across_page_boundary(void **state)
{
	static const uint8_t data[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	struct mmu_fault f;
	uint8_t back[8];

	map_two_pages();
	assert_int_equal(smmu_write(m, LIN2 - 4, data, 8, true, &f), 0);
	assert_memory_equal(phys.ram + FRAME + 0xffc, data, 4);
	assert_memory_equal(phys.ram + FRAME2, data + 4, 4);
	assert_int_equal(smmu_read(m, LIN2 - 4, back, 8, true, &f), 0);
	assert_memory_equal(back, data, 8);
	assert_true(*ram32(PT + 5 * 4) & PTE_D);
	assert_true(*ram32(PT + 6 * 4) & PTE_D);
}

static void test_write_faulting_on_second_page_writes_nothing(void **state)
{
	static const uint8_t data[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	struct mmu_fault f;
	uint8_t back[8];

	map_two_pages();
	*ram32(PT + 6 * 4) = 0; /* second page not present */
	memset(phys.ram + FRAME + 0xffc, 0xaa, 4);
	assert_int_equal(smmu_write(m, LIN2 - 4, data, 8, false, &f), -1);
	assert_int_equal(f.vector, EXC_PF);
	assert_int_equal(f.cr2, LIN2);
	assert_int_equal(f.error_code, PFEC_W);
	assert_memory_equal(phys.ram + FRAME + 0xffc, "\xaa\xaa\xaa\xaa", 4);
	assert_int_equal(smmu_read(m, LIN2 - 4, back, 8, false, &f), -1);
	assert_int_equal(f.cr2, LIN2);
	assert_int_equal(f.error_code, 0);
	/* A read-only second page: a protection fault, still nothing written. */
	*ram32(PT + 6 * 4) = FRAME2 | PTE_P | PTE_U;
	assert_int_equal(smmu_write(m, LIN2 - 4, data, 8, true, &f), -1);
	assert_int_equal(f.error_code, PFEC_P | PFEC_W | PFEC_U);
	assert_memory_equal(phys.ram + FRAME + 0xffc, "\xaa\xaa\xaa\xaa", 4);
}

static void test_fetch_stops_at_unfetchable_page(void **state)
{
	struct mmu_fault f = {0};
	uint8_t buf[16];
	uint32_t gpa = 0;

	map_two_pages();
	*ram32(PT + 6 * 4) = 0;
	memcpy(phys.ram + FRAME + 0xff8, "\x90\x90\x90\x90\x0f\x0b\xeb\xfe", 8);
	assert_int_equal(smmu_fetch(m, LIN2 - 8, buf, 16, false, &gpa, &f), 8);
	assert_memory_equal(buf, "\x90\x90\x90\x90\x0f\x0b\xeb\xfe", 8);
	assert_int_equal(gpa, FRAME + 0xff8);
	/* Nothing at all: the fault says why. */
	f.vector = 0xee;
	assert_int_equal(smmu_fetch(m, LIN2, buf, 16, true, &gpa, &f), 0);
	assert_int_equal(f.vector, EXC_PF);
	assert_int_equal(f.cr2, LIN2);
	assert_int_equal(f.error_code, PFEC_U);
	/* A fetch across into a present page reads both frames. */
	*ram32(PT + 6 * 4) = FRAME2 | ALL;
	phys.ram[FRAME2] = 0xc3;
	assert_int_equal(smmu_fetch(m, LIN2 - 8, buf, 9, false, &gpa, &f), 9);
	assert_int_equal(buf[8], 0xc3);
}

/*
 * BUG: smmu_fetch() from a page that translates to device memory returns 0
 * without filling *fault, although its contract says it does; translate.c
 * then raises the zeroed fault (vector 0, #DE, with an error code).
 */
static void test_fetch_from_device_memory_reports_fault(void **state)
{
	struct mmu_fault f = {.vector = 0xee};
	uint8_t buf[16];
	uint32_t gpa;

	smmu_write_cr0(m, CR0_PE);
	assert_int_equal(smmu_fetch(m, 0x000a0000, buf, 16, false, &gpa, &f), 0);
	assert_int_not_equal(f.vector, 0xee);
}

static void test_mmio_hook_for_non_ram_and_open_bus(void **state)
{
	struct mmu_fault f;
	uint32_t value = 0x11223344, got;
	uint64_t accesses = m->stats.mmio_accesses;

	smmu_write_cr0(m, CR0_PE);
	/* Nothing claims it: reads see all ones, writes vanish. */
	assert_int_equal(smmu_read(m, 0x000b8000, &got, 4, false, &f), 0);
	assert_int_equal(got, 0xffffffffu);
	assert_int_equal(mmio.calls, 1);
	assert_int_equal(mmio.gpa, 0x000b8000);
	assert_int_equal(mmio.len, 4);
	assert_false(mmio.is_write);
	/* A device answers. */
	mmio.claim = true;
	mmio.reply = 0x5a;
	assert_int_equal(smmu_read(m, 0xfee00020u, &got, 4, false, &f), 0);
	assert_int_equal(got, 0x5a5a5a5au);
	assert_int_equal(mmio.gpa, 0xfee00020u);
	assert_int_equal(smmu_write(m, 0xfec00000u, &value, 4, false, &f), 0);
	assert_true(mmio.is_write);
	assert_memory_equal(mmio.written, &value, 4);
	assert_int_equal(mmio.calls, 3);
	assert_int_equal(m->stats.mmio_accesses, accesses + 3);
	/* RAM is never sent to the hook. */
	assert_int_equal(smmu_write(m, 0x1000, &value, 4, false, &f), 0);
	assert_int_equal(*ram32(0x1000), value);
	assert_int_equal(mmio.calls, 3);
}

static void test_mmio_through_paging_and_physical_access(void **state)
{
	struct mmu_fault f;
	uint8_t got[4];

	map_4k(LIN, 0x000a0000, ALL); /* the guest maps the VGA window */
	paging_on(0, 0);
	assert_int_equal(smmu_read(m, LIN + 0x10, got, 2, false, &f), 0);
	assert_int_equal(mmio.gpa, 0x000a0010);
	assert_memory_equal(got, "\xff\xff", 2);
	/* Physical access straddling RAM and the VGA window splits there. */
	memcpy(phys.ram + 0x9fffe, "\x12\x34", 2);
	mmio.calls = 0;
	smmu_phys_read(m, 0x9fffe, got, 4);
	assert_memory_equal(got, "\x12\x34\xff\xff", 4);
	assert_int_equal(mmio.calls, 1);
	assert_int_equal(mmio.gpa, 0xa0000);
	assert_int_equal(mmio.len, 2);
}

static void test_writes_to_code_pages_call_code_write_hook(void **state)
{
	struct mmu_fault f;
	uint32_t value = 0xdeadbeef;

	map_two_pages();
	smmu_protect_code_page(m, FRAME2);
	assert_int_equal(smmu_write(m, LIN + 0x10, &value, 4, false, &f), 0);
	assert_int_equal(code_writes.calls, 0);
	assert_int_equal(smmu_write(m, LIN2 - 2, &value, 4, false, &f), 0);
	assert_int_equal(code_writes.calls, 1);
	assert_int_equal(code_writes.page[0], FRAME2);
	smmu_phys_write(m, FRAME2 + 0x800, &value, 4);
	assert_int_equal(code_writes.calls, 2);
	/* A direct physical write over two consecutive code frames. */
	smmu_protect_code_page(m, FRAME);
	smmu_protect_code_page(m, FRAME + PAGE_SIZE);
	smmu_note_write(m, FRAME + 0xffe, 4);
	assert_int_equal(code_writes.calls, 4);
	assert_int_equal(code_writes.page[2], FRAME);
	assert_int_equal(code_writes.page[3], FRAME + PAGE_SIZE);
	/* Reads are not writes. */
	assert_int_equal(smmu_read(m, LIN2, &value, 4, false, &f), 0);
	assert_int_equal(code_writes.calls, 4);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_fill_read_installs_read_tag_only_until_dirty),
	    T(test_fill_write_sets_dirty_and_write_tag),
	    T(test_fill_read_of_dirty_writable_page_gets_write_tag),
	    T(test_fill_readonly_page_never_gets_write_tag),
	    T(test_fill_fault_installs_nothing),
	    T(test_fill_with_paging_off_maps_ram_identity),
	    T(test_fill_never_installs_device_memory),
	    T(test_code_page_never_gets_write_tag),
	    T(test_protect_drops_existing_write_tags_to_that_frame),
	    T(test_monitor_hole_never_enters_tlb),
	    T(test_monitor_hole_large_page_never_enters_tlb),
	    T(test_flush_page_drops_both_privileges_of_that_page),
	    T(test_flush_nonglobal_keeps_global_pages),
	    T(test_flushes_with_few_and_many_slots_filled),
	    T(test_global_bit_needs_pge),
	    T(test_pge_change_flushes_globals),
	    T(test_flush_page_drops_every_piece_of_a_large_page),
	    T(test_large_count_follows_replacement),
	    T(test_read_write_across_page_boundary),
	    T(test_write_faulting_on_second_page_writes_nothing),
	    T(test_fetch_stops_at_unfetchable_page),
	    T(test_fetch_from_device_memory_reports_fault),
	    T(test_mmio_hook_for_non_ram_and_open_bus),
	    T(test_mmio_through_paging_and_physical_access),
	    T(test_writes_to_code_pages_call_code_write_hook),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
