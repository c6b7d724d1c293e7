/*
 * emulate_io.c - IN, OUT, INS, OUTS: the only bridge from the guest to the
 * devices' port table. Privileged by IOPL: at CPL > IOPL each port must be
 * allowed by the TSS I/O permission bitmap (SDM Vol. 1 18.5), else #GP(0).
 */
#include "monitor/internal.h"

/* The TSS I/O bitmap allows ports [port, port + len) at CPL > IOPL? */
static bool io_bitmap_allows(struct vcpu *v, uint16_t port, unsigned len)
{
	uint16_t map_base, bits;
	uint32_t byte;

	if ((v->tr.attr & SEG_ATTR_TYPE_MASK) != SYS_TYPE_TSS32_BUSY || v->tr.limit < 0x67)
		return false;
	guest_read_linear(v, v->tr.base + 0x66, &map_base, 2, false);
	byte = (uint32_t)map_base + port / 8;
	if (byte + 1 > v->tr.limit)
		return false; /* both bytes must lie within the TSS limit */
	guest_read_linear(v, v->tr.base + byte, &bits, 2, false);
	return ((bits >> (port % 8)) & ((1u << len) - 1)) == 0;
}

static void check_io_permission(struct vcpu *v, uint16_t port, unsigned len)
{
	if (v->cpl > iopl_of(v) && !io_bitmap_allows(v, port, len))
		vcpu_raise(v, EXC_GP, 0);
}

static uint32_t port_in(struct vcpu *v, uint16_t port, unsigned len)
{
	uint32_t value = 0;

	pio_access(v->vm->bus, port, (uint8_t *)&value, len, false);
	log_mask_printf(LOG_IO, "in  %#06x/%u -> %#x\n", port, len, value);
	return value;
}

static void port_out(struct vcpu *v, uint16_t port, unsigned len, uint32_t value)
{
	log_mask_printf(LOG_IO, "out %#06x/%u <- %#x\n", port, len, value);
	pio_access(v->vm->bus, port, (uint8_t *)&value, len, true);
	/* The guest may have reprogrammed the timer: re-arm the timer thread. */
	events_set_deadline(v->vm->events, pit8254_next_deadline(v->vm->pit));
}

/* A device may have asked the VM to stop (the exit port, Ctrl-A x). */
static int after_io(struct vcpu *v, const struct callout_insn *ci)
{
	if (!v->vm->stop && !v->exit_request)
		return CALLOUT_NEXT;
	v->eip = ci->next_eip;
	return CALLOUT_EXIT;
}

/* IN AL/AX/EAX, imm8|DX */
int emulate_in(struct vcpu *v, const struct callout_insn *ci)
{
	unsigned len = ci->op[0].size;
	uint16_t port = (uint16_t)operand_read(v, ci, 1);

	check_io_permission(v, port, len);
	gpr_write(v, R_EAX, (int)len, false, port_in(v, port, len));
	return after_io(v, ci);
}

/* OUT imm8|DX, AL/AX/EAX */
int emulate_out(struct vcpu *v, const struct callout_insn *ci)
{
	unsigned len = ci->op[1].size;
	uint16_t port = (uint16_t)operand_read(v, ci, 0);

	check_io_permission(v, port, len);
	port_out(v, port, len, gpr_read(v, R_EAX, (int)len, false));
	return after_io(v, ci);
}

/* 6C/6E move bytes, 6D/6F words or dwords (from the opcode: Capstone's
 * id is wrong when a 66 prefix comes before F3). */
static unsigned string_size(const struct callout_insn *ci)
{
	return (ci->opcode & 1) ? ci->opsize : 1;
}

/* One element of INS (port -> ES:EDI) or OUTS (seg:ESI -> port). */
static void io_string_step(struct vcpu *v, const struct callout_insn *ci, bool in,
			   unsigned len, uint32_t amask)
{
	uint16_t port = (uint16_t)v->regs[R_EDX];
	int reg = in ? R_EDI : R_ESI;
	uint32_t offset = v->regs[reg] & amask, value = 0;
	int32_t step = (v->eflags & EFLAGS_DF) ? -(int32_t)len : (int32_t)len;

	if (in) {
		value = port_in(v, port, len);
		guest_write(v, S_ES, offset, &value, len);
	} else {
		guest_read(v, ci->seg_override >= 0 ? ci->seg_override : S_DS, offset, &value, len);
		port_out(v, port, len, value);
	}
	v->regs[reg] = (v->regs[reg] & ~amask) | ((offset + (uint32_t)step) & amask);
}

static int io_string(struct vcpu *v, const struct callout_insn *ci, bool in)
{
	unsigned len = string_size(ci);
	uint32_t amask = ci->addrsize == 2 ? 0xffff : 0xffffffffu;

	check_io_permission(v, (uint16_t)v->regs[R_EDX], len);
	if (!ci->rep) {
		io_string_step(v, ci, in, len, amask);
		return after_io(v, ci);
	}
	while (v->regs[R_ECX] & amask) {
		io_string_step(v, ci, in, len, amask);
		v->regs[R_ECX] = (v->regs[R_ECX] & ~amask) | ((v->regs[R_ECX] - 1) & amask);
		if (v->exit_request || v->vm->stop)
			return CALLOUT_EXIT; /* EIP still here: the rest runs later */
	}
	return after_io(v, ci);
}

int emulate_ins(struct vcpu *v, const struct callout_insn *ci)
{
	return io_string(v, ci, true);
}

int emulate_outs(struct vcpu *v, const struct callout_insn *ci)
{
	return io_string(v, ci, false);
}
