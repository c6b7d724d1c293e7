/*
 * translate.c - the translator loop (QEMU's translator_loop): fetch the
 * guest code of one page, decode and classify instructions until the block
 * must end, compute flag liveness, emit each instruction, and commit the
 * block to the cache.
 *
 * A block stops, in this order of checks, when:
 *  1. an instruction cannot join it (not decodable, not fetchable, not
 *     implemented): it stops before it (BLOCK_STOP_BEFORE), unless it is
 *     the first, which is then the block (a #UD, a fault, or a report);
 *  2. an instruction transfers control or may change the translation mode
 *     (a jump, a callout that ends blocks): it stops after it (BLOCK_JUMP,
 *     BLOCK_CALLOUT);
 *  3. it has MAX_BLOCK_INSNS instructions, or one in single-step mode
 *     (BLOCK_TOO_MANY);
 *  4. the next instruction starts on another page (BLOCK_PAGE_END).
 */
#include <string.h>

#include "translator/internal.h"

/* The guest code bytes a block may use: the rest of its page and, if they
 * can be fetched, the first bytes of the next page. */
struct code_window {
	uint8_t bytes[PAGE_SIZE + 16];
	uint32_t first_len;  /* bytes to the end of the first page */
	uint32_t second_len; /* bytes fetched from the next page */
	uint32_t gpa;	     /* physical address of the first byte */
	uint32_t gpa2;	     /* physical address of the next page */
	struct mmu_fault second_fault;
	bool cut_by_limit;   /* the code segment's limit ends the window early */
};

/* Code may be fetched only up to CS's limit: #GP(0) past it. */
static const struct mmu_fault limit_fault = { .vector = EXC_GP };

/* Did the code come from global pages only (PTE.G with CR4.PGE; the fetch
 * just filled the TLB for them)? Such a block's jump-cache entry and its
 * branches' caches survive CR3 loads, as the mappings do. */
static bool code_is_global(struct vcpu *v, const struct code_window *w, uint32_t eip, bool user)
{
	uint32_t linear = v->seg[S_CS].base + eip;

	return smmu_tlb_is_global(&v->mmu, linear, user) &&
	       (!w->second_len || smmu_tlb_is_global(&v->mmu, linear + w->first_len, user));
}

static bool fetch_window(struct vcpu *v, uint32_t eip, bool user, struct code_window *w,
			 struct mmu_fault *fault)
{
	uint32_t linear = v->seg[S_CS].base + eip, limit = v->seg[S_CS].limit;
	uint64_t to_limit = (uint64_t)limit - eip + 1, second_room = 15;

	if (eip > limit) {
		*fault = limit_fault;
		return false;
	}
	w->first_len = PAGE_SIZE - (linear & (PAGE_SIZE - 1));
	w->cut_by_limit = to_limit < w->first_len + 15;
	if (to_limit < w->first_len)
		w->first_len = (uint32_t)to_limit;
	if (smmu_fetch(&v->mmu, linear, w->bytes, w->first_len, user, &w->gpa, fault) <
	    w->first_len)
		return false;
	if (to_limit <= w->first_len)
		second_room = 0;
	else if (to_limit - w->first_len < second_room)
		second_room = to_limit - w->first_len;
	w->second_len = second_room ? smmu_fetch(&v->mmu, linear + w->first_len,
						 w->bytes + w->first_len, (uint32_t)second_room,
						 user, &w->gpa2, &w->second_fault) : 0;
	if (!second_room)
		w->second_fault = limit_fault;
	return true;
}

static enum xlat_status report_unsupported(struct xlat_result *r, const struct insn *in,
					   const char *why)
{
	r->status = XLAT_UNSUPPORTED;
	r->eip = in->eip;
	r->nbytes = in->len;
	memcpy(r->bytes, in->bytes, in->len);
	r->why = why;
	return r->status;
}

/* Can the translator handle @in at all? (Checked before it joins a block.) */
static const char *why_not(const struct insn *in)
{
	if (in->cls->action == ACT_UNSUPPORTED)
		return "not implemented";
	return NULL;
}

/* Legacy prefixes at the start of @bytes. */
static unsigned count_prefixes(const uint8_t *bytes, uint32_t avail)
{
	static const uint8_t prefixes[] = { 0xf0, 0xf2, 0xf3, 0x26, 0x2e, 0x36, 0x3e, 0x64,
					    0x65, 0x66, 0x67 };
	unsigned n = 0;

	while (n < avail && memchr(prefixes, bytes[n], sizeof(prefixes)))
		n++;
	return n;
}

/* Bytes that are no instruction: the block raises #UD there - or #GP(0)
 * when prefixes alone leave no room within the 15-byte limit (SDM Vol. 2
 * 2.3.11: an instruction longer than 15 bytes raises #GP). */
static void mark_invalid(struct insn *in, const uint8_t *bytes, uint32_t avail, uint32_t eip)
{
	memset(in, 0, sizeof(*in));
	in->eip = eip;
	in->len = 1;
	memcpy(in->bytes, bytes, avail < 15 ? avail : 15);
	in->flags_read = FL_ALL;
	in->too_long = count_prefixes(bytes, avail) >= 14;
}

/* Decode the block's instructions into b->insns. Returns XLAT_OK or why not. */
static enum xlat_status decode_block(struct xlat *x, struct block *b, struct code_window *w,
				     uint32_t eip, struct xlat_result *r)
{
	uint32_t pos = 0, avail = w->first_len + w->second_len;
	unsigned max = (b->mode & MODE_SINGLE) ? 1 : MAX_BLOCK_INSNS;

	for (b->n_insns = 0; b->n_insns < max && pos < w->first_len;) {
		struct insn *in = &b->insns[b->n_insns];
		bool ok = decode_insn(x, x->cs_insn[b->n_insns], w->bytes + pos, avail - pos,
				      eip + pos, b->mode, in);

		if (!ok && avail - pos < 15 && (w->second_len < 15 || w->cut_by_limit)) {
			/* Probably cut short by an unfetchable next page or by
			 * the code segment's limit. */
			if (b->n_insns > 0)
				break;
			r->fault = w->cut_by_limit && w->second_len < 15 ? limit_fault :
									  w->second_fault;
			return r->status = XLAT_FETCH_FAULT;
		}
		if (!ok)
			mark_invalid(in, w->bytes + pos, avail - pos, eip + pos);
		in->cls = ok ? classify(in, b->mode) : classify_invalid(in->too_long);
		if (ok && why_not(in)) {
			if (b->n_insns > 0)
				break;
			return report_unsupported(r, in, why_not(in));
		}
		b->n_insns++;
		if (in->cls->ends_block)
			break;
		pos += in->len;
		if (pos > w->first_len)
			break; /* it straddled the page end */
	}
	return XLAT_OK;
}

/* Callouts see (and may change) all flags: keep every flag precise there. */
static void mark_callout_flags(struct block *b)
{
	for (unsigned i = 0; i < b->n_insns; i++) {
		struct insn *in = &b->insns[i];

		if (in->cls->action == ACT_CALLOUT || in->cls->action == ACT_HELPER ||
		    in->cls->action == ACT_UD)
			in->flags_read = FL_ALL;
	}
}

/* The first instruction before which no flag is live: the cheapest place
 * for the exit-request check. -1 if there is none. */
static int quiet_point(const struct block *b)
{
	for (unsigned i = 0; i < b->n_insns; i++)
		if (live_in(b, i) == 0)
			return (int)i;
	return -1;
}

static bool emit_insn(struct block *b, const struct insn *in)
{
	const struct insn_class *cls = in->cls;

	switch (cls->action) {
	case ACT_COPY:
		b->x->stats.copied++;
		if (in->simd && !b->fpu_ready) {
			emit_fpu_ensure(b);
			b->fpu_ready = true;
		}
		return rewrite_copy(b, in);
	case ACT_REWRITE:
		b->x->stats.rewritten++;
		return cls->rewrite(b, in);
	case ACT_CALLOUT:
	case ACT_HELPER:
	case ACT_UD:
		b->fpu_ready = false; /* C code may have saved the guest FPU state */
		return emit_callout(b, in, cls->callout);
	default:
		return false;
	}
}

/* Did the last instruction's own code already leave the block? */
static bool leaves_by_itself(const struct insn *in)
{
	return in->cls->action == ACT_REWRITE && in->cls->ends_block;
}

static void block_reset(struct block *b)
{
	cb_init(&b->hot, b->x->hot, HOT_BUF_SIZE);
	cb_init(&b->cold, b->x->cold, COLD_BUF_SIZE);
	b->n_relocs = 0;
	b->reloc_overflow = false;
	b->data_used = 0;
	b->data_overflow = false;
	b->jmp_site_off[0] = b->jmp_site_off[1] = -1;
	b->jmp_stub_off[0] = b->jmp_stub_off[1] = -1;
	b->fpu_ready = false;
}

/*
 * The block's re-entry stub (cache.h: entry_stub) and a start that can be
 * overwritten with a 5-byte JMP: the exit check when it comes first (it is
 * longer than that), else a 5-byte NOP, so no jump target lies inside.
 */
static void emit_entry(struct block *b, bool check_first)
{
	static const uint8_t nop5[5] = { 0x0f, 0x1f, 0x44, 0x00, 0x00 };

	b->cur = 0;
	b->entry_stub_off = cb_offset(&b->cold);
	emit_exit(b, &b->cold, b->insns[0].eip, TB_EXIT_LOOKUP);
	if (!check_first)
		emit_bytes(&b->hot, nop5, sizeof(nop5));
}

/* Emit the block; returns the index of an instruction that failed, or -1. */
static int emit_block(struct block *b)
{
	int check = quiet_point(b);
	const struct insn *last = &b->insns[b->n_insns - 1];

	block_reset(b);
	emit_entry(b, check <= 0);
	for (unsigned i = 0; i < b->n_insns; i++) {
		b->cur = i;
		b->insn_hot_off[i] = cb_offset(&b->hot);
		b->insn_cold_off[i] = cb_offset(&b->cold);
		if ((int)i == check || (check < 0 && i == 0))
			emit_exit_check(b, check < 0);
		if (!emit_insn(b, &b->insns[i]))
			return (int)i;
	}
	if (!leaves_by_itself(last))
		emit_goto_eip(b, &b->hot, next_eip(last), 0);
	return -1;
}

static void fill_tb(struct block *b, const struct code_window *w, uint32_t eip)
{
	struct tb *tb = b->tb;
	const struct insn *last = &b->insns[b->n_insns - 1];
	uint32_t end = last->eip + last->len - eip;

	tb->eip = eip;
	tb->cs_base = b->v->seg[S_CS].base;
	tb->cs_limit = b->v->seg[S_CS].limit;
	tb->mode = b->mode;
	tb->phys_eip = w->gpa;
	tb->phys_page[0] = w->gpa & PAGE_MASK;
	tb->phys_page[1] = end > w->first_len ? (w->gpa2 & PAGE_MASK) : TB_NO_PAGE;
	tb->guest_size = end;
	tb->n_insns = (uint16_t)b->n_insns;
}

static void finish_tb(struct block *b, uint8_t *code, uint32_t size)
{
	struct tb *tb = b->tb;

	tb->code = code;
	tb->code_size = size;
	tb->cold_start = cb_offset(&b->hot);
	tb->entry_stub = code + tb->cold_start + b->entry_stub_off;
	for (int n = 0; n < 2; n++) {
		if (b->jmp_site_off[n] < 0)
			continue;
		tb->jmp_site[n] = code + b->jmp_site_off[n];
		tb->jmp_stub[n] = code + tb->cold_start + b->jmp_stub_off[n];
	}
	for (unsigned i = 0; i < b->n_insns; i++) {
		tb->insn_host_off[i] = b->insn_hot_off[i];
		tb->insn_cold_off[i] = tb->cold_start + b->insn_cold_off[i];
		tb->insn_eip[i] = b->insns[i].eip;
	}
}

/* Emit and place the block, shortening it if an instruction cannot be
 * emitted or it does not fit in the scratch buffers. */
static enum xlat_status assemble(struct xlat *x, struct block *b, const struct code_window *w,
				 uint32_t eip, struct xlat_result *r)
{
	for (;;) {
		int failed;
		uint8_t *dest;
		size_t room;
		uint32_t size;

		fill_tb(b, w, eip); /* emitted code reads the block's EIP and page */
		failed = emit_block(b);
		if (failed == 0)
			return report_unsupported(r, &b->insns[0], "cannot be translated");
		if (failed > 0 || b->hot.overflow || b->cold.overflow || b->reloc_overflow ||
		    b->data_overflow) {
			b->n_insns = failed > 0 ? (unsigned)failed : b->n_insns / 2;
			flags_liveness(b);
			continue;
		}
		dest = cache_code_begin(x->cache, &room);
		if (!block_finish(b, dest, room, &size))
			return r->status = XLAT_CACHE_FULL;
		finish_tb(b, dest, size);
		return XLAT_OK;
	}
}

static void protect_code(struct vcpu *v, const struct tb *tb)
{
	for (int k = 0; k < 2; k++)
		if (tb->phys_page[k] != TB_NO_PAGE)
			smmu_protect_code_page(&v->mmu, tb->phys_page[k]);
}

enum xlat_status translate_block(struct xlat *x, struct vcpu *v, struct xlat_result *r)
{
	static struct code_window w;
	struct block *b = &x->block;
	uint32_t eip = v->eip;

	memset(r, 0, sizeof(*r));
	b->x = x;
	b->v = v;
	b->mode = v->mode;
	b->user = (v->mode & MODE_CPL_MASK) == 3;
	b->code16 = v->mode & MODE_CODE16;
	if (!fetch_window(v, eip, b->user, &w, &r->fault))
		return r->status = XLAT_FETCH_FAULT;
	if (decode_block(x, b, &w, eip, r) != XLAT_OK)
		return r->status;
	mark_callout_flags(b);
	flags_liveness(b);
	b->tb = tb_alloc(x->cache, b->n_insns);
	if (!b->tb)
		return r->status = XLAT_CACHE_FULL;
	b->tb->global = code_is_global(v, &w, eip, b->user);
	if (assemble(x, b, &w, eip, r) != XLAT_OK)
		return r->status;
	tb_commit(x->cache, b->tb);
	protect_code(v, b->tb);
	x->stats.insns += b->n_insns;
	log_block(b, b->tb->code, b->tb->code_size);
	r->tb = b->tb;
	return r->status = XLAT_OK;
}
