/*
 * test_shadow_mmu_shadow.c - shadow page tables and write tracing: TLB
 * misses answered from the shadow (no new walk), hidden versus true faults,
 * shadows kept per CR3 across switches, and a guest write to a traced page
 * directory or table dropping exactly what it changes - also for an
 * address space that is not current.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "monitor/x86.h"
#include "shadow_mmu/shadow_mmu.h"

#define RAM (32u << 20)
#define PD_A 0x10000u /* address space A */
#define PT_A 0x11000u
#define PD_B 0x20000u /* address space B */
#define PT_B 0x21000u
#define LIN 0x00405000u /* mapped by both, to different frames */
#define FRAME_A 0x00200000u
#define FRAME_B 0x00300000u
#define FRAME_C 0x00400000u

static struct guest_phys phys;
static struct smmu *m;

static bool no_mmio(void *opaque, uint64_t gpa, uint8_t *data, uint32_t len, bool is_write)
{
	return false;
}

static void no_code_write(void *opaque, uint32_t gpa_page)
{
}

static uint32_t *ram32(uint32_t gpa)
{
	return (uint32_t *)(phys.ram + gpa);
}

static void map(uint32_t pd, uint32_t pt, uint32_t linear, uint32_t frame, uint32_t bits)
{
	*ram32(pd + (linear >> 22) * 4) = pt | PTE_P | PTE_W | PTE_U;
	*ram32(pt + ((linear >> 12) & 0x3ff) * 4) = frame | bits;
}

/* Two address spaces mapping LIN to different frames, and each space's own
 * tables mapped (identity) so that the guest can write them through the
 * MMU. Paging on, in space A. */
static int setup(void **state)
{
	struct smmu_hooks hooks = { NULL, no_mmio, no_code_write };

	m = calloc(1, sizeof(*m));
	if (!m || phys_init(&phys, RAM) < 0 || smmu_init(m, &phys, &hooks) < 0)
		return -1;
	map(PD_A, PT_A, LIN, FRAME_A, PTE_P | PTE_W | PTE_U);
	map(PD_B, PT_B, LIN, FRAME_B, PTE_P | PTE_W | PTE_U);
	/* Identity-map the first 4 MB (the tables live there) in both. */
	for (uint32_t page = 0; page < 0x400000; page += PAGE_SIZE) {
		map(PD_A, 0x12000, page, page, PTE_P | PTE_W);
		map(PD_B, 0x22000, page, page, PTE_P | PTE_W);
	}
	smmu_write_cr3(m, PD_A);
	smmu_write_cr0(m, CR0_PE | CR0_PG | CR0_WP);
	return 0;
}

static int teardown(void **state)
{
	smmu_destroy(m);
	phys_destroy(&phys);
	free(m);
	return 0;
}

static uint32_t fill(uint32_t linear, enum mmu_access acc)
{
	struct mmu_fault f;
	uint32_t gpa = 0;

	assert_int_equal(tlb_fill(m, linear, acc, false, &gpa, &f), 0);
	return gpa;
}

static void test_second_miss_is_answered_by_the_shadow(void **state)
{
	uint64_t walks = m->stats.hidden_faults;

	assert_int_equal(fill(LIN, MMU_READ), FRAME_A | (LIN & 0xfff));
	assert_int_equal(m->stats.hidden_faults, walks + 1);
	tlb_flush_all(m);
	assert_int_equal(fill(LIN, MMU_READ), FRAME_A | (LIN & 0xfff));
	assert_int_equal(m->stats.hidden_faults, walks + 1); /* no new walk */
	assert_true(m->stats.shadow_hits >= 1);
}

static void test_not_present_is_a_true_fault(void **state)
{
	struct mmu_fault f;
	uint32_t gpa;

	assert_int_equal(tlb_fill(m, 0x00800000u, MMU_READ, false, &gpa, &f), -1);
	assert_int_equal(f.vector, EXC_PF);
	assert_int_equal(f.cr2, 0x00800000u);
	assert_int_equal(m->stats.page_faults, 1);
}

static void test_shadow_survives_cr3_switches(void **state)
{
	fill(LIN, MMU_READ);
	smmu_write_cr3(m, PD_B);
	assert_int_equal(fill(LIN, MMU_READ) & PAGE_MASK, FRAME_B);
	uint64_t walks = m->stats.hidden_faults;

	smmu_write_cr3(m, PD_A);
	assert_int_equal(fill(LIN, MMU_READ) & PAGE_MASK, FRAME_A);
	smmu_write_cr3(m, PD_B);
	assert_int_equal(fill(LIN, MMU_READ) & PAGE_MASK, FRAME_B);
	assert_int_equal(m->stats.hidden_faults, walks); /* both answered by shadows */
}

static void write_guest(uint32_t linear, uint32_t value)
{
	struct mmu_fault f;

	assert_int_equal(smmu_write(m, linear, &value, 4, false, &f), 0);
}

static void test_pte_write_is_traced_and_seen(void **state)
{
	fill(LIN, MMU_READ);
	/* The guest rewrites its PTE for LIN (the tables are identity-mapped). */
	write_guest(PT_A + ((LIN >> 12) & 0x3ff) * 4, FRAME_C | PTE_P | PTE_W | PTE_U);
	assert_true(m->stats.trace_hits >= 1);
	tlb_flush_all(m); /* what INVLPG or a CR3 load would do */
	assert_int_equal(fill(LIN, MMU_READ) & PAGE_MASK, FRAME_C);
}

static void test_write_to_other_space_tables_is_seen_on_return(void **state)
{
	fill(LIN, MMU_READ); /* space A's shadow knows FRAME_A */
	smmu_write_cr3(m, PD_B);
	/* While B runs, A's page table changes (B maps it too: identity). */
	write_guest(PT_A + ((LIN >> 12) & 0x3ff) * 4, FRAME_C | PTE_P | PTE_W | PTE_U);
	smmu_write_cr3(m, PD_A);
	assert_int_equal(fill(LIN, MMU_READ) & PAGE_MASK, FRAME_C);
}

static void test_pde_write_drops_the_table(void **state)
{
	fill(LIN, MMU_READ);
	/* Point the PDE at another table mapping LIN to FRAME_B. */
	*ram32(0x13000 + ((LIN >> 12) & 0x3ff) * 4) = FRAME_B | PTE_P | PTE_U;
	write_guest(PD_A + (LIN >> 22) * 4, 0x13000 | PTE_P | PTE_W | PTE_U);
	tlb_flush_all(m);
	assert_int_equal(fill(LIN, MMU_READ) & PAGE_MASK, FRAME_B);
}

static void test_page_tables_are_never_writable_in_the_tlb(void **state)
{
	const struct tlb_entry *e = &m->tlb.entry[TLB_SUPERVISOR][tlb_index(PT_A)];

	fill(LIN, MMU_READ); /* PT_A becomes traced */
	fill(PT_A, MMU_WRITE);
	assert_int_equal(e->tag_read, PT_A);
	assert_int_equal(e->tag_write, TLB_INVALID);
}

static void test_write_after_read_sets_dirty_through_a_walk(void **state)
{
	uint32_t *pte = ram32(PT_A + ((LIN >> 12) & 0x3ff) * 4);
	uint64_t walks;

	fill(LIN, MMU_READ);
	assert_false(*pte & PTE_D);
	walks = m->stats.hidden_faults;
	fill(LIN, MMU_WRITE); /* the shadow entry is not writable yet: walk */
	assert_int_equal(m->stats.hidden_faults, walks + 1);
	assert_true(*pte & PTE_D);
}

static void test_evicted_spaces_stop_tracing_their_tables(void **state)
{
	/* Nine more address spaces (8 are kept): A is evicted. */
	for (uint32_t k = 0; k < 9; k++) {
		uint32_t pd = 0x100000 + k * 0x2000;

		memcpy(ram32(pd), ram32(PD_B), PAGE_SIZE);
		smmu_write_cr3(m, pd);
		fill(LIN, MMU_READ);
	}
	assert_true(m->stats.shadow_flushes >= 2);
	/* A's table is no longer watched: it may be written through the TLB. */
	fill(PT_A, MMU_WRITE);
	assert_int_equal(m->tlb.entry[TLB_SUPERVISOR][tlb_index(PT_A)].tag_write, PT_A);
}

/* A PTE slot of PT_A that maps nothing the tests use. */
static uint32_t spare_pte(unsigned k)
{
	return PT_A + (512 + k) * 4;
}

static void test_flooded_page_table_is_unshadowed(void **state)
{
	fill(LIN, MMU_READ); /* PT_A becomes traced */
	/* The page is written over and over, never used for a walk: it is
	 * data now (a freed page table reused), and stops being traced. */
	for (unsigned k = 0; k < 8; k++)
		write_guest(spare_pte(k), 0x12345678);
	assert_int_equal(m->stats.pt_unshadows, 1);
	tlb_flush_all(m);
	fill(PT_A, MMU_WRITE);
	assert_int_equal(m->tlb.entry[TLB_SUPERVISOR][tlb_index(PT_A)].tag_write, PT_A);
	/* Still correct: the next miss walks the guest's tables again. */
	write_guest(PT_A + ((LIN >> 12) & 0x3ff) * 4, FRAME_C | PTE_P | PTE_W | PTE_U);
	tlb_flush_all(m);
	assert_int_equal(fill(LIN, MMU_READ) & PAGE_MASK, FRAME_C);
}

static void test_page_table_in_use_stays_traced(void **state)
{
	/* A live page table: each write is followed by a use of the table. */
	for (unsigned k = 0; k < 32; k++) {
		fill(LIN, MMU_READ);
		write_guest(spare_pte(k % 8), 0x12345678);
		tlb_flush_all(m);
	}
	assert_int_equal(m->stats.pt_unshadows, 0);
	fill(PT_A, MMU_WRITE);
	assert_int_equal(m->tlb.entry[TLB_SUPERVISOR][tlb_index(PT_A)].tag_write, TLB_INVALID);
}

static void test_flooded_directory_of_another_space_drops_the_space(void **state)
{
	uint64_t flushes;

	fill(LIN, MMU_READ); /* space A's shadow, built from PD_A */
	smmu_write_cr3(m, PD_B);
	flushes = m->stats.shadow_flushes;
	for (unsigned k = 0; k < 8; k++)
		write_guest(PD_A + (512 + k) * 4, 0); /* PD_A reused as data */
	assert_int_equal(m->stats.shadow_flushes, flushes + 1);
	tlb_flush_all(m);
	fill(PD_A, MMU_WRITE);
	assert_int_equal(m->tlb.entry[TLB_SUPERVISOR][tlb_index(PD_A)].tag_write, PD_A);
	/* Returning to A builds its space again, correctly. */
	smmu_write_cr3(m, PD_A);
	assert_int_equal(fill(LIN, MMU_READ) & PAGE_MASK, FRAME_A);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_second_miss_is_answered_by_the_shadow),
		T(test_not_present_is_a_true_fault),
		T(test_shadow_survives_cr3_switches),
		T(test_pte_write_is_traced_and_seen),
		T(test_write_to_other_space_tables_is_seen_on_return),
		T(test_pde_write_drops_the_table),
		T(test_page_tables_are_never_writable_in_the_tlb),
		T(test_write_after_read_sets_dirty_through_a_walk),
		T(test_evicted_spaces_stop_tracing_their_tables),
		T(test_flooded_page_table_is_unshadowed),
		T(test_page_table_in_use_stays_traced),
		T(test_flooded_directory_of_another_space_drops_the_space),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
