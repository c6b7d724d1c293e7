/*
 * disas_log.c - the -d in_asm and -d out_asm logs: each block's guest code
 * as decoded, and the host code it became (QEMU's "IN:" and "OUT:").
 */
#include <inttypes.h>

#include "translator/internal.h"

static void log_guest(const struct block *b)
{
	log_printf("IN: block at %04x:%08x mode %#x, %u insns\n", b->v->seg[S_CS].selector,
		   b->tb->eip, b->mode, b->n_insns);
	for (unsigned i = 0; i < b->n_insns; i++) {
		const struct insn *in = &b->insns[i];

		if (in->cs)
			log_printf("  %08x: %-8s %-32s [%s]\n", in->eip, in->cs->mnemonic,
				   in->cs->op_str, in->cls->name);
		else
			log_printf("  %08x: (bad) %02x\n", in->eip, in->bytes[0]);
	}
}

static void log_host(const uint8_t *code, uint32_t size)
{
	csh cs;
	cs_insn *insn;
	size_t n;

	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK)
		return;
	n = cs_disasm(cs, code, size, (uint64_t)(uintptr_t)code, 0, &insn);
	log_printf("OUT: %u bytes\n", size);
	for (size_t i = 0; i < n; i++)
		log_printf("  %012" PRIx64 ": %-8s %s\n", insn[i].address, insn[i].mnemonic,
			   insn[i].op_str);
	cs_free(insn, n);
	cs_close(&cs);
}

void log_block(struct block *b, const uint8_t *code, uint32_t size)
{
	if (log_enabled(LOG_IN_ASM))
		log_guest(b);
	if (log_enabled(LOG_OUT_ASM))
		log_host(code, size);
}
