/*
 * block.c - assembling a block from two buffers: hot code, in guest order,
 * and cold code (TLB-miss paths, exits), appended after it so the common
 * path falls through. Every rel32 field is recorded as a relocation and
 * resolved once both parts have their final addresses in the arena.
 */
#include <string.h>

#include "translator/internal.h"

void block_reloc(struct block *b, struct code_buf *cb, uint8_t *field, int to, uint64_t target)
{
	struct reloc *r;

	if (!field)
		return; /* the buffer overflowed; block_finish() will notice */
	if (b->n_relocs == MAX_RELOCS) {
		b->reloc_overflow = true;
		return;
	}
	r = &b->relocs[b->n_relocs++];
	r->in_cold = cb == &b->cold;
	r->field = (uint32_t)(field - cb->start);
	r->to = (uint8_t)to;
	r->target = target;
}

void block_jmp_to_cold(struct block *b, struct code_buf *from, enum cond cc, bool conditional,
		       uint32_t cold_off)
{
	uint8_t *field = conditional ? emit_jcc_rel32(from, cc, NULL) : emit_jmp_rel32(from, NULL);

	block_reloc(b, from, field, RELOC_COLD, cold_off);
}

void block_jmp_to_hot(struct block *b, struct code_buf *from, uint32_t hot_off)
{
	block_reloc(b, from, emit_jmp_rel32(from, NULL), RELOC_HOT, hot_off);
}

void block_call_abs(struct block *b, struct code_buf *cb, const void *fn)
{
	block_reloc(b, cb, emit_call_rel32(cb, NULL), RELOC_ABS, (uint64_t)(uintptr_t)fn);
}

void block_jmp_abs(struct block *b, struct code_buf *cb, const void *fn)
{
	block_reloc(b, cb, emit_jmp_rel32(cb, NULL), RELOC_ABS, (uint64_t)(uintptr_t)fn);
}

struct layout {
	uint8_t *hot, *cold, *data;
};

uint32_t block_data_alloc(struct block *b, uint32_t size)
{
	uint32_t off = (b->data_used + 15) & ~15u;

	if (off + size > BLOCK_DATA_SIZE) {
		b->data_overflow = true;
		return 0;
	}
	b->data_used = off + size;
	return off;
}

void block_data_ref(struct block *b, struct code_buf *cb, int opc, int reg, uint32_t off)
{
	uint8_t *field = emit_modrm_rip(cb, opc, reg);

	block_reloc(b, cb, field, RELOC_DATA, off);
}

static const uint8_t *reloc_target(const struct reloc *r, const struct layout *l)
{
	switch (r->to) {
	case RELOC_HOT: return l->hot + r->target;
	case RELOC_COLD: return l->cold + r->target;
	case RELOC_DATA: return l->data + r->target;
	default: return (const uint8_t *)(uintptr_t)r->target;
	}
}

/*
 * Copy hot code, cold code and the block's data (16-aligned) to @dest
 * (@room bytes available) and resolve the relocations. Returns false if
 * the block does not fit.
 */
bool block_finish(struct block *b, uint8_t *dest, size_t room, uint32_t *size)
{
	uint32_t hot_size = cb_offset(&b->hot), cold_size = cb_offset(&b->cold);
	uint32_t data_off = (hot_size + cold_size + 15) & ~15u;
	uint32_t data_size = b->data_used;
	struct layout l = { dest, dest + hot_size, dest + data_off };

	if (b->hot.overflow || b->cold.overflow || b->reloc_overflow || b->data_overflow)
		return false;
	if ((size_t)data_off + data_size > room)
		return false;
	memcpy(l.hot, b->hot.start, hot_size);
	memcpy(l.cold, b->cold.start, cold_size);
	memcpy(l.data, b->data, data_size);
	for (unsigned i = 0; i < b->n_relocs; i++) {
		const struct reloc *r = &b->relocs[i];
		uint8_t *field = (r->in_cold ? l.cold : l.hot) + r->field;

		patch_rel32(field, reloc_target(r, &l));
	}
	*size = data_off + data_size;
	return true;
}
