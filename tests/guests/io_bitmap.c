/*
 * io_bitmap.c - I/O permission at CPL 3 (SDM Vol. 1 19.5 "Protected-Mode
 * I/O", 19.5.2 "I/O Permission Bit Map"): with CPL > IOPL an I/O access is
 * allowed only if every bitmap bit of the ports it touches is clear, the CPU
 * reading the two bitmap bytes at iomap_base + port / 8, both within the TSS
 * limit, else #GP(0). INS/OUTS follow the same rule; with IOPL = 3 the bitmap
 * is not consulted, and CLI/STI are allowed too.
 */
#include "check.h"
#include "cpu.h"
#include "gdt.h"
#include "idt.h"
#include "regs.h"
#include "user.h"

static struct regs r;
static uint8_t buf[4];

USER_PROBE(u_outb, "outb %%al, %%dx", r)
USER_PROBE(u_inb, "inb %%dx, %%al", r)
USER_PROBE(u_outw, "outw %%ax, %%dx", r)
USER_PROBE(u_outl, "outl %%eax, %%dx", r)
USER_PROBE(u_inl_imm, "inl $0x84, %%eax", r)
USER_PROBE2(u_rep_outsb, "pushl %%esi\n\tmovl %%ebx, %%esi", "rep outsb",
	    "movl %%esi, %%ebx\n\tpopl %%esi", r)
USER_PROBE2(u_insb, "pushl %%edi\n\tmovl %%ebx, %%edi", "insb", "movl %%edi, %%ebx\n\tpopl %%edi",
	    r)
USER_PROBE2(u_cli, "", "cli", "pushfl\n\tpopl %%eax", r)

/* Runs fn at CPL 3 with the port in DX (and EFLAGS as given); checks #GP(0) or no fault. */
static void io(const char *name, user_fn fn, uint16_t port, uint32_t eflags, int allowed)
{
	r = (struct regs){.eax = 0, .ebx = (uint32_t)buf, .ecx = 2, .edx = port};
	user_call(fn, 0, eflags);
	if (allowed)
		check_no_fault(name);
	else
		check_fault(name, EXC_GP, 0);
}

static void check_bits(void)
{
	tss_io_allow(0x80, 1);
	io("outb_allowed_port", u_outb, 0x80, 0, 1);
	io("inb_allowed_port", u_inb, 0x80, 0, 1);
	io("outb_denied_port", u_outb, 0x81, 0, 0);
	io("outw_one_byte_denied", u_outw, 0x80, 0, 0);
	tss_io_allow(0x84, 4);
	io("outl_all_four_allowed", u_outl, 0x84, 0, 1);
	io("inl_imm_all_four_allowed", u_inl_imm, 0, 0, 1);
	tss_io_deny(0x87, 1);
	io("outl_last_byte_denied", u_outl, 0x84, 0, 0);
	tss_io_allow(0x87, 2); /* bits in two bitmap bytes */
	io("outw_across_bitmap_bytes", u_outw, 0x87, 0, 1);
	tss_io_deny(0x88, 1);
	io("outw_across_bitmap_bytes_denied", u_outw, 0x87, 0, 0);

	io("rep_outsb_allowed", u_rep_outsb, 0x80, 0, 1);
	CHECK_EQ32("rep_outsb_esi_advanced", r.ebx, (uint32_t)buf + 2);
	io("insb_allowed", u_insb, 0x80, 0, 1);
	io("insb_denied", u_insb, 0x81, 0, 0);
	CHECK_EQ32("insb_denied_edi_unchanged", r.ebx, (uint32_t)buf);
}

/* The TSS limit bounds the bitmap: both bytes read must be within it. */
static void check_limit(void)
{
	uint32_t base = tss.t.iomap_base;

	tss_io_allow(0x88, 1);
	tss_reload(base + 0x11); /* bitmap bytes 0x00-0x11: ports 0-0x8f */
	io("limit_both_bytes_inside", u_outb, 0x80, 0, 1);
	io("limit_second_byte_outside", u_outb, 0x88, 0, 0);
	io("limit_port_far_beyond", u_outb, 0x400, 0, 0);
	tss_reload(TSS_LIMIT);
	io("limit_restored", u_outb, 0x88, 0, 1);

	tss.t.iomap_base = 0xdfff; /* beyond the limit: no bitmap, every port denied */
	io("iomap_base_beyond_limit", u_outb, 0x80, 0, 0);
	tss.t.iomap_base = base;
}

/* IOPL 3: I/O and CLI need no bitmap permission. */
static void check_iopl3(void)
{
	io("iopl3_outb_denied_in_bitmap", u_outb, 0x81, EFL_IOPL(3), 1);
	io("iopl3_insb_denied_in_bitmap", u_insb, 0x81, EFL_IOPL(3), 1);
	tss.t.iomap_base = 0xdfff;
	io("iopl3_no_bitmap", u_outw, 0x80, EFL_IOPL(3), 1);
	tss.t.iomap_base = sizeof(struct tss32);
	io("iopl3_cli", u_cli, 0, EFL_IOPL(3) | EFL_IF, 1);
	CHECK_EQ32("iopl3_cli_clears_if", r.eax & EFL_IF, 0);
}

void main(uint32_t magic, uint32_t info)
{
	sys_init();
	check_bits();
	check_limit();
	check_iopl3();
	test_finish("io_bitmap");
}
