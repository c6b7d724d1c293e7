/*
 * mmio.c - memory-mapped I/O through btvmm's MMIO test device (devices.h:
 * scratch registers, and an access counter at 0xff0 that counts every
 * access, its own read included). Each access must reach the device, none
 * may be served from RAM: reads of every width return what was written,
 * read-modify-writes and REP MOVSD go through it element by element, and so
 * do accesses through a paging mapping, including a dword that is half RAM
 * and half device. The counter shows how many accesses the device saw.
 */
#include "check.h"
#include "cpu.h"
#include "pgtable.h"
#include "user.h"

#define DEV	    0xfeb00000u /* MMIO_TESTDEV_BASE */
#define DEV_COUNTER (DEV + 0xff0)
#define LIN_RAM	    0x4ffff000u /* RAM page just below ... */
#define LIN_DEV	    0x50000000u /* ... the device page, by paging */
#define RAM_FRAME   0x00800000u

#define RD16(a)	   (*(volatile uint16_t *)(a))
#define WR16(a, v) (*(volatile uint16_t *)(a) = (v))

static uint32_t last_count;

/* Checks the device saw n accesses since the last check (plus this counter read). */
static void check_count(const char *name, uint32_t n)
{
	uint32_t now = RD32(DEV_COUNTER);

	CHECK_EQ32(name, now - last_count, n + 1);
	last_count = now;
}

static void rep_movsl(uint32_t dst, uint32_t src, uint32_t n)
{
	__asm__ volatile("rep movsl" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
}

static void check_widths(void)
{
	CHECK_EQ32("scratch_starts_zero", RD32(DEV + 0x10), 0);
	WR32(DEV + 0x10, 0x11223344);
	WR8(DEV + 0x12, 0xaa);
	WR16(DEV + 0x21, 0xbeef); /* unaligned */
	CHECK_EQ32("read_dword", RD32(DEV + 0x10), 0x11aa3344);
	CHECK_EQ32("read_byte", RD8(DEV + 0x13), 0x11);
	CHECK_EQ32("read_word_unaligned", RD16(DEV + 0x21), 0xbeef);
	check_count("count_widths", 7);
	for (int i = 0; i < 100; i++)
		(void)RD32(DEV + 0x10);
	check_count("count_repeated_reads", 100);
	__asm__ volatile("incl (%0)" : : "r"(DEV + 0x10) : "memory", "cc");
	CHECK_EQ32("rmw_value", RD32(DEV + 0x10), 0x11aa3345);
	check_count("count_rmw_read_and_write", 3);
	WR32(DEV_COUNTER, 0);
	check_count("counter_ignores_writes", 1);
}

static void check_strings(void)
{
	static uint32_t src[16], back[16];

	for (unsigned i = 0; i < 16; i++)
		src[i] = 0x01010101u * i;
	rep_movsl(DEV + 0x100, (uint32_t)src, 16);
	check_count("count_rep_movsd_into", 16);
	rep_movsl((uint32_t)back, DEV + 0x100, 16);
	check_count("count_rep_movsd_out_of", 16);
	CHECK_MEM("rep_movsd_round_trip", back, src, sizeof(src));
}

/* With paging: the device page at LIN_DEV, right after a RAM page. */
static void check_paging(void)
{
	uint32_t *pd = pgdir_create();

	pgdir_identity(pd, 16u << 20, PTE_URW);
	pgdir_map(pd, DEV, DEV, PTE_KRW);
	pgdir_map(pd, LIN_RAM, RAM_FRAME, PTE_KRW);
	pgdir_map(pd, LIN_DEV, DEV, PTE_KRW);
	paging_start(pd, 1);
	CHECK_EQ32("paged_read", RD32(LIN_DEV + 0x10), 0x11aa3345);
	WR32(LIN_DEV + 0x30, 0x5a5a5a5a);
	CHECK_EQ32("paged_write", RD32(DEV + 0x30), 0x5a5a5a5a);
	check_count("count_paged", 3);
	WR32(LIN_DEV - 2, 0xa1b2c3d4); /* 2 bytes RAM, 2 bytes device */
	CHECK_EQ32("straddle_ram_half", RD16(RAM_FRAME + 0xffe), 0xc3d4);
	CHECK_EQ32("straddle_device_half", RD16(DEV), 0xa1b2);
	CHECK_EQ32("straddle_read", RD32(LIN_DEV - 2), 0xa1b2c3d4);
	check_count("count_straddle", 3);
	paging_disable();
}

void main(uint32_t magic, uint32_t info)
{
	sys_init();
	check_widths();
	check_strings();
	check_paging();
	test_finish("mmio");
}
