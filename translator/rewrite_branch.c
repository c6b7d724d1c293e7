/*
 * rewrite_branch.c - how blocks end and how they check for exit requests:
 *  - a direct jump to the same guest page becomes a host JMP/Jcc to an exit
 *    stub, which the run loop later patches to the target block (chaining);
 *  - any other target (another page, or computed: RET, JMP r/m) is looked up
 *    inline in the jump cache and reached with an indirect host JMP; a miss
 *    leaves to the run loop;
 *  - LOOP/LOOPE/LOOPNE/JECXZ use the host's own instructions with a 32-bit
 *    address size (they count ECX and keep the flags, as the guest's do).
 * Chains only stay within one guest page: the page's mapping was checked
 * when the block was entered, and another page's may have changed since
 * (QEMU's rule for direct jumps in system mode).
 */
#include <stddef.h>

#include "translator/internal.h"

#define VCPU_OFF(field) ((int32_t)offsetof(struct vcpu, field))

static uint64_t exit_value(const struct block *b, enum tb_exit why)
{
	return (uint64_t)(uintptr_t)b->tb | why;
}

/* mov [r15 + eip], eip ; mov r9, tb | why ; jmp exit */
void emit_exit(struct block *b, struct code_buf *cb, uint32_t eip, enum tb_exit why)
{
	emit_mov_m32_imm32(cb, hmem_bd(HOST_VCPU, VCPU_OFF(eip)), eip);
	emit_mov_r64_imm64(cb, T_IDX, exit_value(b, why));
	block_jmp_abs(b, cb, b->x->thunks.exit);
}

/*
 * Leave if the vCPU was asked to (a device event, an interrupt to take):
 *	cmp byte [r15 + exit_request], 0 ; jne cold
 * With @save_flags the check keeps the guest's flags around itself.
 */
void emit_exit_check(struct block *b, bool save_flags)
{
	uint32_t eip = b->insns[b->cur].eip;
	uint32_t cold = cb_offset(&b->cold);

	if (save_flags)
		emit_flags_save(&b->hot);
	emit_cmp_m8_imm8(&b->hot, hmem_bd(HOST_VCPU, VCPU_OFF(exit_request)), 0);
	block_jmp_to_cold(b, &b->hot, CC_NE, true, cold);
	if (save_flags) {
		emit_flags_restore(&b->hot);
		emit_flags_restore(&b->cold);
	}
	emit_exit(b, &b->cold, eip, TB_EXIT_REQUEST);
}

/* A per-branch cache of the last target (in the block's data). */
struct branch_site {
	uint64_t key;  /* map_epoch << 32 | EIP, or ~0 */
	uint64_t host; /* its block's code */
};

/*
 * The jump-cache lookup (layout in cache.h; the key is mode << 32 | eip),
 * refilling the branch's own cache on a hit:
 *	mov r9d, r8d ; shr r9d, 6 ; xor r9d, r8d ; and r9d, ADDR_MASK
 *	mov r10d, r8d ; shr r10d, 12 - ADDR_BITS ; and r10d, PAGE_MASK << ADDR_BITS
 *	or r9d, r10d ; shl r9, 4			 (jc_hash() in cache.h)
 *	mov r10, mode << 32 ; or r10, r8 ; cmp r10, [r15 + r9 + jc] ; jne miss
 *	mov r9, [r15 + r9 + jc + 8] ; [global block: test r9d, JC_GLOBAL ; jz 1f]
 *	and r9, ~JC_GLOBAL ; mov r10, [r15 + epoch] ; lea r10, [r8 + r10]
 *	mov [rip + site.key], r10 ; mov [rip + site.host], r9
 * 1:	(and r9, ~JC_GLOBAL) ; jmp r9
 */
/* The epoch a branch's own cache is keyed with: see vcpu->global_epoch. */
static int32_t site_epoch_offset(const struct block *b)
{
	return b->tb->global ? VCPU_OFF(global_epoch) : VCPU_OFF(map_epoch);
}

/* Refill the branch's own cache with the target in R9, keyed on R8. */
static void emit_site_fill(struct block *b, struct code_buf *cb, uint32_t site)
{
	emit_mov_r64_m64(cb, T_TMP, hmem_bd(HOST_VCPU, site_epoch_offset(b)));
	emit_lea_r64(cb, T_TMP, hmem_bisd(T_ADDR, T_TMP, 0, 0));
	block_data_ref(b, cb, OPC_MOV_EvGv | P_REXW, T_TMP, site);
	block_data_ref(b, cb, OPC_MOV_EvGv | P_REXW, T_IDX,
		       site + (uint32_t)offsetof(struct branch_site, host));
}

static void emit_jc_lookup(struct block *b, struct code_buf *cb, uint32_t site)
{
	int32_t jc = VCPU_OFF(jc.entry);
	uint8_t *miss, *not_global = NULL;

	emit_flags_save(cb);
	emit_mov_r32_r32(cb, T_IDX, T_ADDR);
	emit_shr_r32_imm(cb, T_IDX, 6);
	emit_alu_r32_r32(cb, ARITH_XOR, T_IDX, T_ADDR);
	emit_and_r32_imm(cb, T_IDX, (1u << JC_ADDR_BITS) - 1);
	emit_mov_r32_r32(cb, T_TMP, T_ADDR);
	emit_shr_r32_imm(cb, T_TMP, 12 - JC_ADDR_BITS);
	emit_and_r32_imm(cb, T_TMP, ((1u << JC_PAGE_BITS) - 1) << JC_ADDR_BITS);
	emit_alu_r32_r32(cb, ARITH_OR, T_IDX, T_TMP);
	emit_shl_r64_imm(cb, T_IDX, JC_ENTRY_SHIFT);
	emit_mov_r64_imm64(cb, T_TMP, (uint64_t)b->mode << 32);
	emit_or_r64_r64(cb, T_TMP, T_ADDR);
	emit_cmp_r64_m64(cb, T_TMP, hmem_bisd(HOST_VCPU, T_IDX, 0, jc));
	miss = emit_jcc_rel8(cb, CC_NE);
	emit_mov_r64_m64(cb, T_IDX, hmem_bisd(HOST_VCPU, T_IDX, 0, jc + 8));
	if (b->tb->global) {
		/* Only a target from global pages outlives CR3 loads. */
		emit_modrm_reg(cb, OPC_GRP3_Ev, 0, T_IDX); /* test r9d, JC_GLOBAL */
		emit_u32(cb, JC_GLOBAL);
		not_global = emit_jcc_rel8(cb, CC_E);
	}
	emit_arith_r64_imm(cb, ARITH_AND, T_IDX, ~(int32_t)JC_GLOBAL); /* the code address */
	emit_site_fill(b, cb, site);
	if (not_global) {
		patch_rel8(not_global, cb->ptr);
		emit_arith_r64_imm(cb, ARITH_AND, T_IDX, ~(int32_t)JC_GLOBAL);
	}
	emit_flags_restore(cb);
	emit_jmp_r64(cb, T_IDX);
	if (miss)
		patch_rel8(miss, cb->ptr);
	/* Miss: mov [r15 + eip], r8d ; leave with TB_EXIT_LOOKUP. */
	emit_flags_restore(cb);
	emit_mov_m32_r32(cb, hmem_bd(HOST_VCPU, VCPU_OFF(eip)), T_ADDR);
	emit_mov_r64_imm64(cb, T_IDX, exit_value(b, TB_EXIT_LOOKUP));
	block_jmp_abs(b, cb, b->x->thunks.exit);
}

static uint32_t new_branch_site(struct block *b)
{
	uint32_t off = block_data_alloc(b, sizeof(struct branch_site));
	struct branch_site *s = (struct branch_site *)(b->data + off);

	s->key = ~0ull;
	s->host = 0;
	return off;
}

/*
 * Jump to the block for guest EIP in R8D. First the branch's own cache of
 * its last target, compared without touching the flags (the difference of
 * the keys goes through RCX for a JRCXZ):
 *	mov r9, [r15 + epoch] ; lea r9, [r8 + r9]	 key = epoch << 32 | eip
 *	mov r10, [rip + site.key] ; not r10 ; lea r9, [r9 + r10 + 1]
 *	xchg r9, rcx ; jrcxz hit ; xchg r9, rcx ; jmp <jump-cache lookup>
 * hit:	xchg r9, rcx ; jmp [rip + site.host]
 * A cached block that was invalidated since is still safe to enter: its
 * first instruction then leaves to the run loop (cache.h, entry_stub).
 */
void emit_indirect_jump(struct block *b, struct code_buf *cb)
{
	uint32_t site = new_branch_site(b);
	uint8_t *hit, *to_lookup = NULL;

	emit_mov_r64_m64(cb, T_IDX, hmem_bd(HOST_VCPU, site_epoch_offset(b)));
	emit_lea_r64(cb, T_IDX, hmem_bisd(T_ADDR, T_IDX, 0, 0));
	block_data_ref(b, cb, OPC_MOV_GvEv | P_REXW, T_TMP, site);
	emit_not_r64(cb, T_TMP);
	emit_lea_r64(cb, T_IDX, hmem_bisd(T_IDX, T_TMP, 0, 1));
	emit_xchg_r64_r64(cb, T_IDX, RCX);
	emit_byte(cb, 0xe3); /* jrcxz rel8 */
	hit = cb->ptr;
	emit_byte(cb, 0);
	emit_xchg_r64_r64(cb, T_IDX, RCX);
	/* The lookup goes to cold code: right after this when this is cold. */
	if (cb == &b->cold)
		to_lookup = emit_jmp_rel32(cb, NULL);
	else
		block_jmp_to_cold(b, cb, CC_E, false, cb_offset(&b->cold));
	patch_rel8(hit, cb->ptr);
	emit_xchg_r64_r64(cb, T_IDX, RCX);
	block_data_ref(b, cb, OPC_GRP5, 4, site + (uint32_t)offsetof(struct branch_site, host));
	if (to_lookup)
		patch_rel32(to_lookup, cb->ptr);
	emit_jc_lookup(b, &b->cold, site);
}

static bool same_page(const struct block *b, uint32_t target)
{
	uint32_t start = b->tb->cs_base + b->tb->eip;

	return ((b->tb->cs_base + target) & PAGE_MASK) == (start & PAGE_MASK);
}

/* Is CS's limit below 4 GB, so that branch targets must be checked? */
static bool cs_checked(const struct block *b)
{
	return mode_seg_kind(b->mode, S_CS) == SEG_CHECKED && b->tb->cs_limit != 0xffffffffu;
}

/* A cold stub raising #GP(0) at the current (branch) instruction. */
static uint32_t emit_gp_stub(struct block *b)
{
	uint32_t off = cb_offset(&b->cold);

	emit_mov_r32_imm32(&b->cold, T_IDX, (uint32_t)S_CS << MEMINFO_SEG_SHIFT);
	emit_mov_r32_imm32(&b->cold, T_TMP, b->insns[b->cur].eip);
	block_call_abs(b, &b->cold, b->x->thunks.raise_fault);
	return off;
}

/* Would a branch to @target leave the code segment (a #GP(0) at the branch)? */
bool branch_beyond_limit(const struct block *b, uint32_t target)
{
	return cs_checked(b) && target > b->tb->cs_limit;
}

/*
 * An indirect branch target in R8D beyond CS's limit faults at the branch,
 * before the branch changes anything:
 *	[save flags] cmp r8d, [r15 + cs.limit] ; ja gp ; [restore flags]
 */
void emit_target_limit_check(struct block *b)
{
	uint32_t gp;

	if (!cs_checked(b))
		return;
	gp = emit_gp_stub(b);
	emit_flags_save(&b->hot);
	emit_cmp_r32_m32(&b->hot, T_ADDR, hmem_bd(HOST_VCPU, VCPU_OFF(seg[S_CS].limit)));
	block_jmp_to_cold(b, &b->hot, CC_A, true, gp);
	emit_flags_restore(&b->hot);
}

/*
 * Emit the jump for direct exit @slot to guest @target from @cb (hot code:
 * a JMP; the rel32 of a Jcc is passed as @site instead). Same-page targets
 * get a chainable jump to an exit stub; others an inline lookup.
 */
static void emit_direct_exit(struct block *b, int slot, uint32_t target, uint8_t *site)
{
	uint32_t stub = cb_offset(&b->cold);

	if (!site)
		site = emit_jmp_rel32(&b->hot, NULL);
	block_reloc(b, &b->hot, site, RELOC_COLD, stub);
	if (branch_beyond_limit(b, target)) {
		emit_gp_stub(b);
		return;
	}
	if (same_page(b, target)) {
		b->jmp_site_off[slot] = site ? (int32_t)(site - b->hot.start) : -1;
		b->jmp_stub_off[slot] = (int32_t)stub;
		emit_exit(b, &b->cold, target, (enum tb_exit)slot);
		return;
	}
	emit_mov_r32_imm32(&b->cold, T_ADDR, target);
	emit_indirect_jump(b, &b->cold);
}

void emit_goto_eip(struct block *b, struct code_buf *cb, uint32_t target, int slot)
{
	(void)cb;
	emit_direct_exit(b, slot, target, NULL);
}

/* The target of a relative branch: with a 16-bit operand size the SDM
 * clears EIP's upper half ("EIP <- tempEIP AND 0000FFFFH"). */
uint32_t branch_target(const struct insn *in)
{
	const cs_x86 *x86 = &in->cs->detail->x86;
	uint32_t target = (uint32_t)x86->operands[0].imm;

	return in->opsize == 2 ? target & 0xffff : target;
}

/* Where execution goes on: EIP wraps with the code segment's size, not
 * with the instruction's operand size (a 66 prefix does not truncate it). */
uint32_t next_eip(const struct insn *in)
{
	uint32_t next = in->eip + in->len;

	return in->code16 ? next & 0xffff : next;
}

bool rewrite_jmp(struct block *b, const struct insn *in)
{
	if (in->opc != 0xe9 && in->opc != 0xeb)
		return false;
	emit_direct_exit(b, 0, branch_target(in), NULL);
	return true;
}

bool rewrite_jcc(struct block *b, const struct insn *in)
{
	uint8_t *taken = emit_jcc_rel32(&b->hot, (enum cond)(in->opc & 0xf), NULL);

	emit_direct_exit(b, 1, branch_target(in), taken);
	emit_direct_exit(b, 0, next_eip(in), NULL);
	return true;
}

/*
 * LOOP/LOOPE/LOOPNE/JECXZ with a 32-bit address size run as the host's own
 * instructions, which count ECX and keep the flags as the guest's do:
 *	67 E2/E1/E0/E3 taken ; jmp <fall through> ; taken: jmp <target>
 */
static void emit_loop32(struct block *b, const struct insn *in)
{
	struct code_buf *cb = &b->hot;
	uint8_t *taken;

	emit_byte(cb, 0x67);
	emit_byte(cb, in->opc);
	taken = cb->ptr;
	emit_byte(cb, 0);
	emit_direct_exit(b, 0, next_eip(in), NULL);
	if (taken)
		patch_rel8(taken, cb->ptr);
	emit_direct_exit(b, 1, branch_target(in), NULL);
}

/*
 * With a 16-bit address size they count CX, which no 64-bit instruction
 * tests; swap a zero-extended copy into RCX for a JECXZ (no flags touched):
 *	[lea r9d, [rcx-1] ; mov cx, r9w]		 LOOP, LOOPE, LOOPNE
 *	movzx r9d, cx ; xchg rcx, r9 ; jecxz zero ; xchg rcx, r9
 *	[jne/je fall]  jmp taken|fall			 CX != 0
 *	zero: xchg rcx, r9 ; jmp fall|taken		 CX == 0
 */
static void emit_loop16(struct block *b, const struct insn *in)
{
	struct code_buf *cb = &b->hot;
	bool jcxz = in->opc == 0xe3;
	uint8_t *zero, *fall = NULL;

	if (!jcxz) {
		emit_lea_r32(cb, T_IDX, hmem_bd(RCX, -1));
		emit_mov_r16_r16(cb, RCX, T_IDX);
	}
	emit_movzx_r32_r16(cb, T_IDX, RCX);
	emit_xchg_r64_r64(cb, RCX, T_IDX);
	zero = emit_jecxz_rel8(cb);
	emit_xchg_r64_r64(cb, RCX, T_IDX);
	if (in->opc == 0xe1 || in->opc == 0xe0) /* LOOPE: ZF=0 falls; LOOPNE: ZF=1 */
		fall = emit_jcc_rel32(cb, in->opc == 0xe1 ? CC_NE : CC_E, NULL);
	emit_direct_exit(b, 1, jcxz ? next_eip(in) : branch_target(in), NULL);
	if (zero)
		patch_rel8(zero, cb->ptr);
	emit_xchg_r64_r64(cb, RCX, T_IDX);
	if (fall)
		patch_rel32(fall, cb->ptr);
	emit_direct_exit(b, 0, jcxz ? branch_target(in) : next_eip(in), NULL);
}

bool rewrite_loop(struct block *b, const struct insn *in)
{
	if (in->addrsize == 4)
		emit_loop32(b, in);
	else
		emit_loop16(b, in);
	return true;
}

static void load_target_body(struct block *b, struct code_buf *cb, const struct insn *in,
			     const void *arg)
{
	if (in->opsize == 2)
		emit_modrm_mem(cb, OPC_MOVZWL, T_ADDR, hmem_bd(T_ADDR, 0));
	else
		emit_mov_r32_m32(cb, T_ADDR, hmem_bd(T_ADDR, 0));
}

/* R8D = the target of an indirect JMP/CALL through a register or memory. */
bool emit_indirect_target(struct block *b, const struct insn *in)
{
	int rm = in->modrm & 7;

	if (!in->has_mem) {
		if (in->opsize == 2)
			emit_movzx_r32_r16(&b->hot, T_ADDR, host_reg_of(rm));
		else
			emit_mov_r32_r32(&b->hot, T_ADDR, host_reg_of(rm));
		return true;
	}
	struct mem_op op = { .seg = in->mem_seg, .size = in->opsize, .access = MA_R };

	emit_effective_address(&b->hot, in, T_ADDR);
	return emit_guarded_access(b, in, &op, load_target_body, NULL);
}

bool rewrite_jmp_indirect(struct block *b, const struct insn *in)
{
	if (!emit_indirect_target(b, in))
		return false;
	emit_target_limit_check(b);
	emit_indirect_jump(b, &b->hot);
	return true;
}
