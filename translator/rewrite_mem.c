/*
 * rewrite_mem.c - guest memory accesses in translated code:
 *  - convert a ModRM memory operand into a guest effective address (LEA
 *    with ESP renamed to R12; 16-bit addressing wraps at 64 KB),
 *  - add the segment base when the segment is not flat, and check the
 *    segment's bounds when it is not a plain 4 GB segment (SDM Vol. 3A 5.3),
 *  - probe the software TLB inline and reach guest memory through its
 *    addend, or call the C slow path on a miss,
 *  - keep the guest's arithmetic flags, which live in the host flags, where
 *    a later instruction could read them (the probe's CMP clobbers them).
 *
 * A miss returns to the hot path with a usable host pointer. A write that
 * needs work after it ran (a bounce buffer to write back, translated code
 * overwritten) makes the slow path skip one jump and run a cold copy of the
 * access followed by the commit call.
 */
#include <stddef.h>

#include "translator/internal.h"

#define VCPU_OFF(field) ((int32_t)offsetof(struct vcpu, field))
#define TLB_OFF(user) ((int32_t)(offsetof(struct vcpu, mmu.tlb.entry) + \
				 (user) * TLB_SIZE * sizeof(struct tlb_entry)))

/*
 * Save the status flags in T_FLAGS (LAHF for SF ZF AF PF CF into AH, SETO
 * for OF into AL, shifted to AL's sign bit; the guest's RAX is parked in
 * T_FLAGS meanwhile):
 *	mov r11, rax ; lahf ; seto al ; shl al, 7 ; xchg r11, rax
 */
void emit_flags_save(struct code_buf *cb)
{
	emit_mov_r64_r64(cb, T_FLAGS, RAX);
	emit_lahf(cb);
	emit_seto_r8(cb, RAX);
	emit_modrm_reg(cb, 0xc0 | P_BYTEREG, SHIFT_SHL, RAX); /* shl al, 7 */
	emit_byte(cb, 7);
	emit_xchg_r64_r64(cb, T_FLAGS, RAX);
}

/*
 * Restore them: CMP AL, 1 overflows exactly when AL is 80h (OF was set),
 * then SAHF restores the other five. CMP leaves AL alone, so restoring
 * twice from the same image (the miss path does) gives the same flags.
 *	xchg r11, rax ; cmp al, 1 ; sahf ; xchg r11, rax
 */
void emit_flags_restore(struct code_buf *cb)
{
	emit_xchg_r64_r64(cb, T_FLAGS, RAX);
	emit_modrm_reg(cb, 0x80 | P_BYTEREG, ARITH_CMP, RAX); /* cmp al, 1 */
	emit_byte(cb, 1);
	emit_sahf(cb);
	emit_xchg_r64_r64(cb, T_FLAGS, RAX);
}

/* Could a guest instruction read the flags as they are before the current one? */
bool flags_live_at(const struct block *b)
{
	return live_in(b, b->cur) != 0;
}

static int address_reg(int guest_reg, int esp_reg)
{
	if (guest_reg < 0)
		return NO_REG;
	return guest_reg == R_ESP ? esp_reg : guest_reg;
}

void emit_effective_address_esp(struct code_buf *cb, const struct insn *in, int dst, int esp_reg)
{
	int base = address_reg(in->mem_base, esp_reg);
	int index = address_reg(in->mem_index, esp_reg);
	int shift = in->mem_scale == 8 ? 3 : in->mem_scale == 4 ? 2 : in->mem_scale == 2 ? 1 : 0;

	if (base == NO_REG && index == NO_REG)
		emit_mov_r32_imm32(cb, dst, (uint32_t)in->mem_disp);
	else
		emit_lea_r32(cb, dst, hmem_bisd(base, index, shift, in->mem_disp));
	if (in->addrsize == 2)
		emit_movzx_r32_r16(cb, dst, dst); /* 16-bit addresses wrap at 64 KB */
}

/* dst = the effective address of the instruction's memory operand. */
void emit_effective_address(struct code_buf *cb, const struct insn *in, int dst)
{
	emit_effective_address_esp(cb, in, dst, HOST_ESP);
}

/* The word the slow path gets describing the access. */
static uint32_t mem_info(const struct block *b, const struct mem_op *op)
{
	return (uint32_t)op->size | (op->access & MA_R ? MEMINFO_READ : 0) |
	       (op->access & MA_W ? MEMINFO_WRITE : 0) | (b->user ? MEMINFO_USER : 0) |
	       (uint32_t)op->seg << MEMINFO_SEG_SHIFT | (op->stack ? MEMINFO_STACK : 0);
}

/* Cold stub raising #GP(0)/#SS(0) for an access outside the segment. */
static uint32_t emit_limit_fault_stub(struct block *b, const struct mem_op *op, bool flags_saved)
{
	uint32_t off = cb_offset(&b->cold);

	if (flags_saved)
		emit_flags_restore(&b->cold);
	emit_mov_r32_imm32(&b->cold, T_IDX, mem_info(b, op));
	emit_mov_r32_imm32(&b->cold, T_TMP, b->insns[b->cur].eip);
	block_call_abs(b, &b->cold, b->x->thunks.raise_fault);
	return off;
}

/*
 * Check that [ea, ea + size - 1] lies within the segment's bounds for this
 * kind of access, as precomputed in vcpu->seg_fast (64-bit compare: no wrap):
 *	cmp r8d, [lo] ; jb fault ; lea r9, [r8 + size-1] ; mov r10d, [hi]
 *	cmp r9, r10 ; ja fault
 */
static void emit_bounds_check(struct block *b, const struct mem_op *op, bool flags_saved)
{
	struct code_buf *cb = &b->hot;
	bool write = op->access & MA_W;
	int32_t lo = VCPU_OFF(seg_fast[op->seg]) +
		     (int32_t)(write ? offsetof(struct seg_fast, write_lo) : offsetof(struct seg_fast, read_lo));
	uint32_t fault = emit_limit_fault_stub(b, op, flags_saved);

	emit_cmp_r32_m32(cb, T_ADDR, hmem_bd(HOST_VCPU, lo));
	block_jmp_to_cold(b, cb, CC_B, true, fault);
	emit_lea_r64(cb, T_IDX, hmem_bd(T_ADDR, op->size - 1));
	emit_mov_r32_m32(cb, T_TMP, hmem_bd(HOST_VCPU, lo + 4));
	emit_cmp_r64_r64(cb, T_IDX, T_TMP);
	block_jmp_to_cold(b, cb, CC_A, true, fault);
}

/* T_ADDR: effective address -> linear address. */
static void emit_segment(struct block *b, const struct mem_op *op, bool flags_saved)
{
	enum seg_kind kind = mode_seg_kind(b->mode, op->seg);
	struct code_buf *cb = &b->hot;

	if (kind == SEG_FLAT)
		return;
	if (kind == SEG_CHECKED)
		emit_bounds_check(b, op, flags_saved);
	/* mov r9d, [base] ; lea r8d, [r8 + r9]  (a 32-bit add that keeps the flags) */
	emit_mov_r32_m32(cb, T_IDX, hmem_bd(HOST_VCPU, VCPU_OFF(seg_fast[op->seg].base)));
	emit_lea_r32(cb, T_ADDR, hmem_bisd(T_ADDR, T_IDX, 0, 0));
}

/* The alignment #AC checks for an access of @size (SDM Vol. 3A table 6-7:
 * natural alignment up to 8 bytes; 16-byte SSE operands have their own
 * #GP rule, which the host's instruction enforces). */
static uint32_t alignment_of(uint16_t size)
{
	if (size > 10)
		return 1;
	return size >= 8 ? 8 : size >= 4 ? 4 : size >= 2 ? 2 : 1;
}

/*
 * With CR0.AM, EFLAGS.AC and CPL 3 (MODE_ALIGN_CHECK), a misaligned linear
 * address raises #AC(0):	test r8d, align-1 ; jnz ac
 */
static void emit_alignment_check(struct block *b, const struct mem_op *op, bool flags_saved)
{
	uint32_t align = alignment_of(op->size), stub;

	if (!(b->mode & MODE_ALIGN_CHECK) || align == 1)
		return;
	stub = cb_offset(&b->cold);
	if (flags_saved)
		emit_flags_restore(&b->cold);
	emit_mov_r32_imm32(&b->cold, T_IDX, mem_info(b, op) | MEMINFO_ALIGN);
	emit_mov_r32_imm32(&b->cold, T_TMP, b->insns[b->cur].eip);
	block_call_abs(b, &b->cold, b->x->thunks.raise_fault);
	emit_modrm_reg(&b->hot, OPC_GRP3_Ev, 0, T_ADDR); /* test r8d, imm32 */
	emit_u32(&b->hot, align - 1);
	block_jmp_to_cold(b, &b->hot, CC_NE, true, stub);
}

/*
 * The inline probe, in two levels. First the instruction's own one-entry
 * cache, whose loads do not depend on the address: the access hits when it
 * lies wholly in the cached page, in the current epoch:
 *	mov r10d, r8d ; or r10, [r15 + epoch] ; sub r10, [rip + site.tag]
 *	cmp r10, PAGE_SIZE - size ; ja cold ; add r8, [rip + site.addend]
 * R10 is then the first byte's offset in the cached page. Any other page,
 * another epoch, an empty site (tag ~0; epochs are never 0) or an access
 * running past the end of the page gives a larger difference, or a
 * negative one, which is larger unsigned. On a miss, the cold code probes
 * the software TLB, indexed by the first byte and tagged with the page of
 * the last, so that page-crossing accesses miss there too, and refills the
 * site from it:
 *	lea r10d, [r8 + size-1] ; and r10d, PAGE_MASK ; or r10, [r15 + epoch]
 *	mov r9d, r8d ; shr r9d, 8 ; and r9d, (TLB_SIZE-1) << 4
 *	cmp r10d, [r15 + r9 + tlb.tag] ; jne miss
 *	[shr r9d, 4 ; test byte [r15 + r9 + tlb_flags], TLBF_GLOBAL ; jz no_fill
 *	 shl r9, 4]
 *	mov r9, [r15 + r9 + tlb.addend]
 *	mov [rip + site.tag], r10 ; mov [rip + site.addend], r9
 *	add r8, r9 ; jmp back
 * Blocks from global pages (the kernel's) use the global epoch, which CR3
 * loads leave alone, and so may cache only global TLB entries (the test in
 * brackets): their accesses to user pages always take the TLB probe.
 */
static int32_t site_epoch(const struct block *b)
{
	return b->tb->global ? VCPU_OFF(mmu.global_epoch_tag) : VCPU_OFF(mmu.epoch_tag);
}

static void emit_site_probe(struct block *b, const struct mem_op *op, uint32_t site,
			    uint32_t cold_site)
{
	struct code_buf *cb = &b->hot;

	emit_mov_r32_r32(cb, T_TMP, T_ADDR);
	emit_modrm_mem(cb, 0x0b | P_REXW, T_TMP, hmem_bd(HOST_VCPU, site_epoch(b))); /* or */
	block_data_ref(b, cb, OPC_SUB_GvEv | P_REXW, T_TMP, site);
	emit_arith_r64_imm(cb, ARITH_CMP, T_TMP, (int32_t)(PAGE_SIZE - op->size));
	block_jmp_to_cold(b, cb, CC_A, true, cold_site);
	block_data_ref(b, cb, OPC_ADD_GvEv | P_REXW, T_ADDR,
		       site + (uint32_t)offsetof(struct site_cache, addend));
}

/* R10 = the access's site tag: (epoch << 32) | page of its last byte. */
static void emit_tlb_tag(struct block *b, struct code_buf *cb, const struct mem_op *op)
{
	if (op->size == 1)
		emit_mov_r32_r32(cb, T_TMP, T_ADDR);
	else
		emit_lea_r32(cb, T_TMP, hmem_bd(T_ADDR, op->size - 1));
	emit_and_r32_imm(cb, T_TMP, PAGE_MASK);
	emit_modrm_mem(cb, 0x0b | P_REXW, T_TMP, hmem_bd(HOST_VCPU, site_epoch(b))); /* or */
}

/* With R9 = the TLB index * 16: mov r9, [r15 + r9 + tlb.addend] ; add r8, r9 */
static void emit_tlb_addend_add(struct code_buf *cb, int32_t tlb)
{
	emit_mov_r64_m64(cb, T_IDX, hmem_bisd(HOST_VCPU, T_IDX, 0, tlb + 8));
	emit_modrm_reg(cb, OPC_ADD_EvGv | P_REXW, T_IDX, T_ADDR); /* add r8, r9 */
}

/* The cold second level: the software TLB; returns its miss label. */
static uint32_t emit_tlb_probe(struct block *b, const struct mem_op *op, uint32_t site,
			       uint32_t resume)
{
	struct code_buf *cb = &b->cold;
	int32_t tlb = TLB_OFF(b->user);
	int32_t tag = tlb + (op->access & MA_W ? 4 : 0);
	int32_t flags = VCPU_OFF(mmu.tlb_flags) + (b->user ? (int32_t)TLB_SIZE : 0);
	uint8_t *to_miss, *no_fill = NULL;
	uint32_t miss;

	emit_tlb_tag(b, cb, op);
	emit_mov_r32_r32(cb, T_IDX, T_ADDR);
	emit_shr_r32_imm(cb, T_IDX, PAGE_SHIFT - TLB_ENTRY_SHIFT);
	emit_and_r32_imm(cb, T_IDX, (TLB_SIZE - 1) << TLB_ENTRY_SHIFT);
	emit_cmp_r32_m32(cb, T_TMP, hmem_bisd(HOST_VCPU, T_IDX, 0, tag));
	to_miss = emit_jcc_rel32(cb, CC_NE, NULL);
	if (b->tb->global) {
		/* shr r9d, 4 ; test byte [r15 + r9 + flags], TLBF_GLOBAL ; jz no_fill */
		emit_shr_r32_imm(cb, T_IDX, TLB_ENTRY_SHIFT);
		emit_modrm_mem(cb, 0xf6, 0, hmem_bisd(HOST_VCPU, T_IDX, 0, flags));
		emit_byte(cb, TLBF_GLOBAL);
		no_fill = emit_jcc_rel8(cb, CC_E);
		emit_shl_r64_imm(cb, T_IDX, TLB_ENTRY_SHIFT);
	}
	emit_mov_r64_m64(cb, T_IDX, hmem_bisd(HOST_VCPU, T_IDX, 0, tlb + 8));
	block_data_ref(b, cb, OPC_MOV_EvGv | P_REXW, T_TMP, site);
	block_data_ref(b, cb, OPC_MOV_EvGv | P_REXW, T_IDX,
		       site + (uint32_t)offsetof(struct site_cache, addend));
	emit_modrm_reg(cb, OPC_ADD_EvGv | P_REXW, T_IDX, T_ADDR); /* add r8, r9 */
	block_jmp_to_hot(b, cb, resume);
	if (no_fill) {
		patch_rel8(no_fill, cb->ptr);
		emit_shl_r64_imm(cb, T_IDX, TLB_ENTRY_SHIFT);
		emit_tlb_addend_add(cb, tlb);
		block_jmp_to_hot(b, cb, resume);
	}
	miss = cb_offset(cb);
	patch_rel32(to_miss, cb->ptr);
	return miss;
}

/* A fresh site cache: a tag no probe produces. */
static uint32_t new_site(struct block *b)
{
	uint32_t off = block_data_alloc(b, sizeof(struct site_cache));
	struct site_cache *s = (struct site_cache *)(b->data + off);

	s->tag = ~0ull;
	s->addend = 0;
	return off;
}

/*
 * The cold miss path. The slow path returns to the jump back to the hot
 * code, or, for a write that needs a commit, 5 bytes further on (past that
 * jump), where a cold copy of the body runs before the commit call.
 */
static void emit_miss_path(struct block *b, const struct insn *in, const struct mem_op *op,
			   bool flags_saved, uint32_t resume, uint32_t next, body_fn body,
			   const void *arg)
{
	struct code_buf *cb = &b->cold;

	if (flags_saved)
		emit_flags_restore(cb);
	emit_mov_r32_imm32(cb, T_IDX, mem_info(b, op));
	emit_mov_r32_imm32(cb, T_TMP, in->eip);
	block_call_abs(b, cb, b->x->thunks.mem_slow);
	block_jmp_to_hot(b, cb, resume); /* 5 bytes: E9 rel32 */
	if (!(op->access & MA_W))
		return;
	body(b, cb, in, arg);
	emit_mov_r32_imm32(cb, T_TMP, in->eip + in->len);
	block_call_abs(b, cb, b->x->thunks.mem_commit);
	block_jmp_to_hot(b, cb, next);
}

/*
 * Emit a guarded access: T_ADDR holds the effective address; add the
 * segment, probe, then emit @body, which uses [T_ADDR]. The flags live
 * before the instruction survive the inserted code. @body must not emit
 * cold code: the cold code for this access goes where the probe's jump
 * was told it would.
 */
bool emit_guarded_access(struct block *b, const struct insn *in, const struct mem_op *op,
			 body_fn body, const void *arg)
{
	bool save = flags_live_at(b);
	uint32_t site = new_site(b), cold, resume, next;

	if (save) {
		emit_flags_save(&b->hot);
		b->x->stats.flag_saves++;
	}
	emit_segment(b, op, save);
	emit_alignment_check(b, op, save);
	cold = cb_offset(&b->cold);
	emit_site_probe(b, op, site, cold);
	resume = cb_offset(&b->hot);
	if (save)
		emit_flags_restore(&b->hot);
	body(b, &b->hot, in, arg);
	next = cb_offset(&b->hot);
	emit_tlb_probe(b, op, site, resume);
	emit_miss_path(b, in, op, save, resume, next, body, arg);
	b->x->stats.mem_operands++;
	return true;
}
