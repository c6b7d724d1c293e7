/*
 * test_shadow_mmu_walk.c - the guest page walk on hand-built 32-bit page
 * tables in guest RAM (SDM Vol. 3A 4.3, 4.6-4.8): identity with paging off,
 * 4 KB and 4 MB pages, PS ignored without CR4.PSE, U/S and R/W combined
 * across levels, CR0.WP, #PF error codes and CR2, accessed and dirty bits.
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

#define RAM	  (32u << 20)
#define PD	  0x10000u    /* page directory */
#define PT	  0x11000u    /* the page table for linear 0x00400000-0x007fffff */
#define LIN	  0x00405000u /* a 4 KB page mapped through PT */
#define FRAME	  0x00200000u /* ... to this frame */
#define BIG_LIN	  0x01000000u /* a 4 MB page (PDE 4) */
#define BIG_FRAME 0x00c00000u

static struct guest_phys phys;
static struct smmu *m;

static bool no_mmio(void *opaque, uint64_t gpa, uint8_t *data, uint32_t len, bool is_write)
{
	return false;
}

static void no_code_write(void *opaque, uint32_t gpa_page)
{
}

static int setup(void **state)
{
	struct smmu_hooks hooks = {NULL, no_mmio, no_code_write};

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

/* The PTE for @linear in the table its PDE names. */
static uint32_t *pte_of(uint32_t linear)
{
	return ram32((*pde_of(linear) & PTE_FRAME) + ((linear >> 12) & 0x3ff) * 4);
}

static void map_4k(uint32_t linear, uint32_t frame, uint32_t pde_bits, uint32_t pte_bits)
{
	*pde_of(linear) = PT | pde_bits;
	*pte_of(linear) = frame | pte_bits;
}

static void paging_on(uint32_t cr0_extra, uint32_t cr4)
{
	smmu_write_cr4(m, cr4);
	smmu_write_cr3(m, PD);
	smmu_write_cr0(m, CR0_PE | CR0_PG | cr0_extra);
}

static int xlate(uint32_t linear, enum mmu_access acc, bool user, uint32_t *gpa,
		 struct mmu_fault *f)
{
	return smmu_translate(m, linear, acc, user, gpa, f);
}

/* ---- Paging off ---- */

static void test_paging_off_is_identity(void **state)
{
	static const uint32_t addrs[] = {0, 0x1234, 0x00405123, 0x12345678, 0xffc01000, 0xffffffff};
	struct mmu_fault f;
	uint32_t gpa;

	smmu_write_cr0(m, CR0_PE);
	for (unsigned i = 0; i < 6; i++) {
		for (int acc = MMU_READ; acc <= MMU_FETCH; acc++) {
			assert_int_equal(xlate(addrs[i], acc, true, &gpa, &f), 0);
			assert_int_equal(gpa, addrs[i]);
		}
	}
	/* No page tables are consulted (or touched). */
	for (uint32_t off = 0; off < 0x1000; off += 4)
		assert_int_equal(*ram32(PD + off), 0);
}

/* ---- 4 KB and 4 MB pages ---- */

static void test_4k_page_translates_through_table(void **state)
{
	struct mmu_fault f;
	uint32_t gpa;

	map_4k(LIN, FRAME, PTE_P | PTE_W | PTE_U, PTE_P | PTE_W | PTE_U);
	paging_on(0, 0);
	assert_int_equal(xlate(LIN + 0x123, MMU_READ, false, &gpa, &f), 0);
	assert_int_equal(gpa, FRAME + 0x123);
	assert_int_equal(xlate(LIN + 0xfff, MMU_WRITE, true, &gpa, &f), 0);
	assert_int_equal(gpa, FRAME + 0xfff);
	/* The next page of the same table is not mapped. */
	assert_int_equal(xlate(LIN + 0x1000, MMU_READ, false, &gpa, &f), -1);
}

static void test_cr3_attribute_bits_are_not_address(void **state)
{
	struct mmu_fault f;
	uint32_t gpa;

	map_4k(LIN, FRAME, PTE_P | PTE_W, PTE_P | PTE_W);
	smmu_write_cr3(m, PD | CR3_PWT | CR3_PCD);
	smmu_write_cr0(m, CR0_PE | CR0_PG);
	assert_int_equal(xlate(LIN + 8, MMU_READ, false, &gpa, &f), 0);
	assert_int_equal(gpa, FRAME + 8);
}

static void test_4m_page_with_pse(void **state)
{
	struct mmu_fault f;
	uint32_t gpa;

	*pde_of(BIG_LIN) = BIG_FRAME | PDE_PS | PTE_P | PTE_W | PTE_U;
	paging_on(0, CR4_PSE);
	assert_int_equal(xlate(BIG_LIN + 0x23456, MMU_READ, false, &gpa, &f), 0);
	assert_int_equal(gpa, BIG_FRAME + 0x23456);
	assert_int_equal(xlate(BIG_LIN + 0x3fffff, MMU_WRITE, true, &gpa, &f), 0);
	assert_int_equal(gpa, BIG_FRAME + 0x3fffff);
}

static void test_ps_bit_ignored_without_pse(void **state)
{
	struct mmu_fault f;
	uint32_t gpa;

	/* Without CR4.PSE the PDE names a page table at BIG_FRAME. */
	*pde_of(BIG_LIN) = BIG_FRAME | PDE_PS | PTE_P | PTE_W | PTE_U;
	*ram32(BIG_FRAME + 0x23 * 4) = 0x00300000 | PTE_P | PTE_W | PTE_U;
	paging_on(0, 0);
	assert_int_equal(xlate(BIG_LIN + 0x23456, MMU_READ, false, &gpa, &f), 0);
	assert_int_equal(gpa, 0x00300456);
	/* Entry 0x24 of that "table" is zero: not present. */
	assert_int_equal(xlate(BIG_LIN + 0x24000, MMU_READ, false, &gpa, &f), -1);
	assert_int_equal(f.error_code, 0);
	/* With PSE the same PDE is the 4 MB page. */
	smmu_write_cr4(m, CR4_PSE);
	assert_int_equal(xlate(BIG_LIN + 0x23456, MMU_READ, false, &gpa, &f), 0);
	assert_int_equal(gpa, BIG_FRAME + 0x23456);
}

/* ---- Permissions ---- */

/* SDM Vol. 3A 4.6 for non-PAE paging. */
static bool allowed(bool u, bool w, bool user, bool write, bool wp)
{
	if (user)
		return u && (!write || w);
	return !write || !wp || w;
}

static void check_combination(uint32_t pde_bits, uint32_t pte_bits, bool user, bool write, bool wp)
{
	bool u = pde_bits & pte_bits & PTE_U, w = pde_bits & pte_bits & PTE_W;
	bool ok = allowed(u, w, user, write, wp);
	struct mmu_fault f = {0};
	uint32_t gpa = 0;
	int r;

	map_4k(LIN, FRAME, PTE_P | pde_bits, PTE_P | pte_bits);
	smmu_write_cr0(m, CR0_PE | CR0_PG | (wp ? CR0_WP : 0));
	r = xlate(LIN + 0x10, write ? MMU_WRITE : MMU_READ, user, &gpa, &f);
	if (r != (ok ? 0 : -1))
		fail_msg("pde %#x pte %#x user %d write %d wp %d: %s", pde_bits, pte_bits, user,
			 write, wp, ok ? "faulted" : "allowed");
	if (ok) {
		assert_int_equal(gpa, FRAME + 0x10);
		assert_true(*pde_of(LIN) & PTE_A);
		assert_true(*pte_of(LIN) & PTE_A);
		assert_int_equal(!!(*pte_of(LIN) & PTE_D), write);
		assert_false(*pde_of(LIN) & PTE_D); /* D is not set in a table's PDE */
	} else {
		assert_int_equal(f.vector, EXC_PF);
		assert_int_equal(f.cr2, LIN + 0x10);
		assert_int_equal(f.error_code, PFEC_P | (write ? PFEC_W : 0) | (user ? PFEC_U : 0));
		assert_false(*pte_of(LIN) & PTE_D);
	}
}

static void test_permissions_every_combination_4k(void **state)
{
	paging_on(0, 0);
	for (unsigned bits = 0; bits < 16; bits++) {
		uint32_t pde = (bits & 1 ? PTE_U : 0) | (bits & 2 ? PTE_W : 0);
		uint32_t pte = (bits & 4 ? PTE_U : 0) | (bits & 8 ? PTE_W : 0);

		for (int user = 0; user < 2; user++)
			for (int write = 0; write < 2; write++)
				for (int wp = 0; wp < 2; wp++)
					check_combination(pde, pte, user, write, wp);
	}
}

static void test_permissions_every_combination_4m(void **state)
{
	paging_on(0, CR4_PSE);
	for (unsigned bits = 0; bits < 4; bits++) {
		uint32_t perm = (bits & 1 ? PTE_U : 0) | (bits & 2 ? PTE_W : 0);

		for (int user = 0; user < 2; user++) {
			for (int write = 0; write < 2; write++) {
				for (int wp = 0; wp < 2; wp++) {
					bool ok =
					    allowed(perm & PTE_U, perm & PTE_W, user, write, wp);
					struct mmu_fault f = {0};
					uint32_t gpa;
					int r;

					*pde_of(BIG_LIN) = BIG_FRAME | PDE_PS | PTE_P | perm;
					smmu_write_cr0(m, CR0_PE | CR0_PG | (wp ? CR0_WP : 0));
					r = xlate(BIG_LIN + 0x5000, write ? MMU_WRITE : MMU_READ,
						  user, &gpa, &f);
					if (r != (ok ? 0 : -1))
						fail_msg("4M perm %#x user %d write %d wp %d", perm,
							 user, write, wp);
					if (!ok)
						assert_int_equal(f.error_code,
								 PFEC_P | (write ? PFEC_W : 0) |
								     (user ? PFEC_U : 0));
				}
			}
		}
	}
}

static void test_supervisor_write_to_readonly_depends_on_wp(void **state)
{
	struct mmu_fault f;
	uint32_t gpa;

	map_4k(LIN, FRAME, PTE_P | PTE_W, PTE_P); /* read-only page */
	paging_on(0, 0);
	assert_int_equal(xlate(LIN, MMU_WRITE, false, &gpa, &f), 0);
	assert_true(*pte_of(LIN) & PTE_D);
	*pte_of(LIN) &= ~(uint32_t)(PTE_D | PTE_A);
	smmu_write_cr0(m, CR0_PE | CR0_PG | CR0_WP);
	assert_int_equal(xlate(LIN, MMU_WRITE, false, &gpa, &f), -1);
	assert_int_equal(f.error_code, PFEC_P | PFEC_W);
	assert_int_equal(f.cr2, LIN);
	assert_false(*pte_of(LIN) & PTE_D);
	/* Reading it stays fine. */
	assert_int_equal(xlate(LIN, MMU_READ, false, &gpa, &f), 0);
}

/* ---- Not-present entries and error codes ---- */

static void test_not_present_pde_faults(void **state)
{
	struct mmu_fault f;
	uint32_t gpa;

	paging_on(0, 0);
	*pde_of(LIN) = PT | PTE_W | PTE_U; /* P clear */
	for (int user = 0; user < 2; user++) {
		for (int acc = MMU_READ; acc <= MMU_FETCH; acc++) {
			assert_int_equal(xlate(LIN + 0x7ab, acc, user, &gpa, &f), -1);
			assert_int_equal(f.vector, EXC_PF);
			assert_int_equal(f.cr2, LIN + 0x7ab);
			assert_int_equal(f.error_code,
					 (acc == MMU_WRITE ? PFEC_W : 0) | (user ? PFEC_U : 0));
		}
	}
	assert_false(*pde_of(LIN) & PTE_A);
}

static void test_not_present_pte_faults(void **state)
{
	struct mmu_fault f;
	uint32_t gpa;

	map_4k(LIN, FRAME, PTE_P | PTE_W | PTE_U, PTE_W | PTE_U); /* PTE.P clear */
	paging_on(0, 0);
	assert_int_equal(xlate(LIN + 4, MMU_WRITE, true, &gpa, &f), -1);
	assert_int_equal(f.error_code, PFEC_W | PFEC_U);
	assert_int_equal(f.cr2, LIN + 4);
	assert_int_equal(*pte_of(LIN), FRAME | PTE_W | PTE_U); /* untouched */
	assert_int_equal(xlate(LIN, MMU_FETCH, false, &gpa, &f), -1);
	assert_int_equal(f.error_code, 0);
}

static void test_page_faults_are_counted(void **state)
{
	uint64_t before = m->stats.page_faults;
	struct mmu_fault f;
	uint32_t gpa;

	paging_on(0, 0);
	xlate(LIN, MMU_READ, false, &gpa, &f);
	xlate(LIN, MMU_WRITE, false, &gpa, &f);
	assert_int_equal(m->stats.page_faults, before + 2);
}

/* ---- Accessed and dirty bits ---- */

static void test_accessed_and_dirty_bits_4k(void **state)
{
	struct mmu_fault f;
	uint32_t gpa;

	map_4k(LIN, FRAME, PTE_P | PTE_W | PTE_U, PTE_P | PTE_W | PTE_U);
	paging_on(0, 0);
	assert_int_equal(xlate(LIN, MMU_READ, false, &gpa, &f), 0);
	assert_int_equal(*pde_of(LIN), PT | PTE_P | PTE_W | PTE_U | PTE_A);
	assert_int_equal(*pte_of(LIN), FRAME | PTE_P | PTE_W | PTE_U | PTE_A);
	assert_int_equal(xlate(LIN, MMU_FETCH, true, &gpa, &f), 0);
	assert_false(*pte_of(LIN) & PTE_D);
	assert_int_equal(xlate(LIN, MMU_WRITE, true, &gpa, &f), 0);
	assert_int_equal(*pte_of(LIN), FRAME | PTE_P | PTE_W | PTE_U | PTE_A | PTE_D);
	assert_int_equal(*pde_of(LIN), PT | PTE_P | PTE_W | PTE_U | PTE_A);
}

static void test_accessed_and_dirty_bits_4m(void **state)
{
	const uint32_t pde = BIG_FRAME | PDE_PS | PTE_P | PTE_W;
	struct mmu_fault f;
	uint32_t gpa;

	*pde_of(BIG_LIN) = pde;
	paging_on(0, CR4_PSE);
	assert_int_equal(xlate(BIG_LIN + 0x1000, MMU_READ, false, &gpa, &f), 0);
	assert_int_equal(*pde_of(BIG_LIN), pde | PTE_A);
	assert_int_equal(xlate(BIG_LIN + 0x2000, MMU_WRITE, false, &gpa, &f), 0);
	assert_int_equal(*pde_of(BIG_LIN), pde | PTE_A | PTE_D);
	/* Nothing in the frame was taken for a page table. */
	assert_int_equal(*ram32(BIG_FRAME), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_paging_off_is_identity, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_4k_page_translates_through_table, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cr3_attribute_bits_are_not_address, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_4m_page_with_pse, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ps_bit_ignored_without_pse, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_permissions_every_combination_4k, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_permissions_every_combination_4m, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_supervisor_write_to_readonly_depends_on_wp, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_not_present_pde_faults, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_not_present_pte_faults, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_page_faults_are_counted, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_accessed_and_dirty_bits_4k, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_accessed_and_dirty_bits_4m, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
