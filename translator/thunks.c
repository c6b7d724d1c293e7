/*
 * thunks.c - the shared trampolines between C and translated code, written
 * once into the fixed region of the code arena (QEMU's TCG prologue):
 *  - enter: save the host's callee-saved registers, load the guest state
 *    into its host registers, jump to a block;
 *  - exit and epilogue: store the guest state back, return to the run loop;
 *  - callout, mem_slow, mem_commit, raise_fault: save the guest state, call a
 *    monitor function with the System V ABI, restore, resume.
 * While translated code runs: guest EAX..EDI in RAX..RDI (ESP in R12), the
 * vCPU in R15, guest status flags and DF in the host RFLAGS, RSP 16-byte
 * aligned. C code expects DF clear, so every call into C starts with CLD.
 */
#include <stddef.h>

#include "translator/internal.h"

#define VCPU_OFF(field) ((int32_t)offsetof(struct vcpu, field))
#define HOST_FLAGS_MASK (EFLAGS_ARITH | EFLAGS_DF) /* what host RFLAGS holds */

static const int callee_saved[] = { RBX, RBP, R12, R13, R14, R15 };
#define N_CALLEE_SAVED 6

static struct hmem guest_reg_slot(int i)
{
	return hmem_bd(HOST_VCPU, VCPU_OFF(regs) + 4 * i);
}

/*
 * Store the guest registers and flags into the vCPU; clobbers RAX and RCX
 * (after storing them) and leaves DF clear for C.
 *	mov [r15 + regs[i]], e?? (x8) ; pushfq ; pop rax ; and eax, MASK
 *	mov ecx, [r15 + eflags] ; and ecx, ~MASK ; or ecx, eax
 *	mov [r15 + eflags], ecx ; cld
 */
static void emit_save_guest(struct code_buf *cb)
{
	for (int i = 0; i < 8; i++)
		emit_mov_m32_r32(cb, guest_reg_slot(i), host_reg_of(i));
	emit_pushfq(cb);
	emit_pop_r64(cb, RAX);
	emit_and_r32_imm(cb, RAX, HOST_FLAGS_MASK);
	emit_mov_r32_m32(cb, RCX, hmem_bd(HOST_VCPU, VCPU_OFF(eflags)));
	emit_and_r32_imm(cb, RCX, ~(uint32_t)HOST_FLAGS_MASK);
	emit_alu_r32_r32(cb, ARITH_OR, RCX, RAX);
	emit_mov_m32_r32(cb, hmem_bd(HOST_VCPU, VCPU_OFF(eflags)), RCX);
	emit_byte(cb, 0xfc); /* cld */
}

/*
 * Load the guest flags and registers from the vCPU.
 *	mov eax, [r15 + eflags] ; and eax, MASK ; or eax, 2 ; push rax ; popfq
 *	mov e??, [r15 + regs[i]] (x8)
 */
static void emit_load_guest(struct code_buf *cb)
{
	emit_mov_r32_m32(cb, RAX, hmem_bd(HOST_VCPU, VCPU_OFF(eflags)));
	emit_and_r32_imm(cb, RAX, HOST_FLAGS_MASK);
	emit_arith_r32_imm(cb, ARITH_OR, RAX, EFLAGS_FIXED1);
	emit_push_r64(cb, RAX);
	emit_popfq(cb);
	for (int i = 0; i < 8; i++)
		emit_mov_r32_m32(cb, host_reg_of(i), guest_reg_slot(i));
}

/*
 * The guest's x87/SSE state lives in the host's registers from the first
 * guest FPU instruction until translated code calls into C, which may use
 * them and expects the default control words: save the guest's state and
 * load the default one (only when it was live).
 *	cmp byte [r15 + fpu_live], 0 ; je 1f
 *	fxsave64 [r15 + fxstate] ; fxrstor64 [r15 + host_fxstate]
 *	mov byte [r15 + fpu_live], 0 ; mov [r15 + fpu_ensure], fpu_load
 * 1:
 */
static void emit_fpu_save(struct xlat *x, struct code_buf *cb, int tmp)
{
	uint8_t *skip;

	emit_cmp_m8_imm8(cb, hmem_bd(HOST_VCPU, VCPU_OFF(fpu_live)), 0);
	skip = emit_jcc_rel8(cb, CC_E);
	emit_fxsave64(cb, hmem_bd(HOST_VCPU, VCPU_OFF(fxstate)));
	emit_fxrstor64(cb, hmem_bd(HOST_VCPU, VCPU_OFF(host_fxstate)));
	emit_mov_m8_imm8(cb, hmem_bd(HOST_VCPU, VCPU_OFF(fpu_live)), 0);
	emit_mov_r64_imm64(cb, tmp, (uint64_t)(uintptr_t)x->thunks.fpu_load);
	emit_mov_m64_r64(cb, hmem_bd(HOST_VCPU, VCPU_OFF(fpu_ensure)), tmp);
	patch_rel8(skip, cb->ptr);
}

/*
 * Load the guest's FPU state (translated code calls this through
 * vcpu->fpu_ensure before guest FPU instructions); R9 is free there.
 *	fxrstor64 [r15 + fxstate] ; mov byte [r15 + fpu_live], 1
 *	mov r9, fpu_ret ; mov [r15 + fpu_ensure], r9 ; ret
 */
static void emit_fpu_load_thunk(struct xlat *x, struct code_buf *cb)
{
	emit_fxrstor64(cb, hmem_bd(HOST_VCPU, VCPU_OFF(fxstate)));
	emit_mov_m8_imm8(cb, hmem_bd(HOST_VCPU, VCPU_OFF(fpu_live)), 1);
	emit_mov_r64_imm64(cb, T_IDX, (uint64_t)(uintptr_t)x->thunks.fpu_ret);
	emit_mov_m64_r64(cb, hmem_bd(HOST_VCPU, VCPU_OFF(fpu_ensure)), T_IDX);
	emit_ret(cb);
}

/* Around the memory slow path, whose C code may use the FPU: remember
 * whether the guest's state was live, and make it live again after. */
static struct hmem fpu_was_live(void)
{
	return hmem_bd(HOST_VCPU, VCPU_OFF(thunk_scratch) + 8);
}

static void emit_fpu_save_remember(struct xlat *x, struct code_buf *cb)
{
	emit_movzx_r32_m8(cb, RAX, hmem_bd(HOST_VCPU, VCPU_OFF(fpu_live)));
	emit_mov_m64_r64(cb, fpu_was_live(), RAX);
	emit_fpu_save(x, cb, RAX);
}

/* Clobbers RCX (reloaded from the vCPU afterwards) and keeps RAX. */
static void emit_fpu_reload_if_was_live(struct xlat *x, struct code_buf *cb)
{
	uint8_t *skip;

	emit_cmp_m8_imm8(cb, fpu_was_live(), 0);
	skip = emit_jcc_rel8(cb, CC_E);
	emit_fxrstor64(cb, hmem_bd(HOST_VCPU, VCPU_OFF(fxstate)));
	emit_mov_m8_imm8(cb, hmem_bd(HOST_VCPU, VCPU_OFF(fpu_live)), 1);
	emit_mov_r64_imm64(cb, RCX, (uint64_t)(uintptr_t)x->thunks.fpu_ret);
	emit_mov_m64_r64(cb, hmem_bd(HOST_VCPU, VCPU_OFF(fpu_ensure)), RCX);
	patch_rel8(skip, cb->ptr);
}

/* sub rsp, 8 ; mov rax, fn ; call rax ; add rsp, 8 (RSP is 8 mod 16 in a thunk) */
static void emit_call_c(struct code_buf *cb, const void *fn)
{
	emit_arith_r64_imm(cb, ARITH_SUB, RSP, 8);
	emit_mov_r64_imm64(cb, RAX, (uint64_t)(uintptr_t)fn);
	emit_call_r64(cb, RAX);
	emit_arith_r64_imm(cb, ARITH_ADD, RSP, 8);
}

/* Restore the host registers saved by enter and return RAX to its caller. */
static void emit_epilogue(struct code_buf *cb)
{
	emit_mov_r64_m64(cb, RSP, hmem_bd(HOST_VCPU, VCPU_OFF(host_rsp)));
	emit_arith_r64_imm(cb, ARITH_ADD, RSP, 8);
	for (int i = N_CALLEE_SAVED; i-- > 0;)
		emit_pop_r64(cb, callee_saved[i]);
	emit_ret(cb);
}

/* uint64_t enter(struct vcpu *v [RDI], const void *code [RSI]) */
static void emit_enter(struct code_buf *cb)
{
	for (int i = 0; i < N_CALLEE_SAVED; i++)
		emit_push_r64(cb, callee_saved[i]);
	emit_arith_r64_imm(cb, ARITH_SUB, RSP, 8); /* 16-byte alignment */
	emit_mov_m64_r64(cb, hmem_bd(RDI, VCPU_OFF(host_rsp)), RSP);
	emit_mov_r64_r64(cb, HOST_VCPU, RDI);
	emit_mov_r64_r64(cb, T_FLAGS, RSI);
	emit_load_guest(cb);
	emit_jmp_r64(cb, T_FLAGS);
}

/* exit: R9 = the exit value. */
static void emit_exit_thunk(struct xlat *x, struct code_buf *cb)
{
	emit_save_guest(cb);
	emit_fpu_save(x, cb, RAX);
	emit_mov_r64_r64(cb, RAX, T_IDX);
	emit_jmp_rel32(cb, x->thunks.epilogue);
}

/* void unwind(struct vcpu *v [RDI], uint64_t value [RSI]) */
static void emit_unwind(struct xlat *x, struct code_buf *cb)
{
	emit_mov_r64_r64(cb, HOST_VCPU, RDI);
	emit_mov_r64_r64(cb, RAX, RSI);
	emit_jmp_rel32(cb, x->thunks.epilogue);
}

/* Leave with TB_EXIT_CALLOUT when EAX is non-zero; else resume the guest. */
static void emit_resume_or_leave(struct xlat *x, struct code_buf *cb)
{
	uint8_t *leave;

	emit_modrm_reg(cb, OPC_TEST_EvGv, RAX, RAX);
	leave = emit_jcc_rel8(cb, CC_NE);
	emit_load_guest(cb);
	emit_ret(cb);
	patch_rel8(leave, cb->ptr);
	emit_mov_r32_imm32(cb, RAX, TB_EXIT_CALLOUT);
	emit_jmp_rel32(cb, x->thunks.epilogue);
}

/* callout: R9 = struct callout_insn *; calls callout_dispatch(vcpu, record). */
static void emit_callout_thunk(struct xlat *x, struct code_buf *cb)
{
	emit_save_guest(cb);
	emit_fpu_save(x, cb, RAX);
	emit_mov_r32_m32(cb, RAX, hmem_bd(T_IDX, (int32_t)offsetof(struct callout_insn, eip)));
	emit_mov_m32_r32(cb, hmem_bd(HOST_VCPU, VCPU_OFF(eip)), RAX);
	emit_mov_r64_r64(cb, RDI, HOST_VCPU);
	emit_mov_r64_r64(cb, RSI, T_IDX);
	emit_call_c(cb, (const void *)callout_dispatch);
	emit_resume_or_leave(x, cb);
}

/*
 * mem_slow: R8D = linear, R9D = info, R10D = EIP. Returns the host address
 * in R8; everything else is preserved. When the access needs a commit, it
 * returns 5 bytes past its call site (past the cold path's jump back).
 */
static void emit_mem_slow_thunk(struct xlat *x, struct code_buf *cb)
{
	struct hmem scratch = hmem_bd(HOST_VCPU, VCPU_OFF(thunk_scratch));
	uint8_t *no_commit;

	emit_save_guest(cb);
	emit_fpu_save_remember(x, cb);
	emit_mov_m32_r32(cb, hmem_bd(HOST_VCPU, VCPU_OFF(eip)), T_TMP);
	emit_mov_m64_r64(cb, scratch, T_FLAGS);
	emit_mov_r64_r64(cb, RDI, HOST_VCPU);
	emit_mov_r32_r32(cb, RSI, T_ADDR);
	emit_mov_r32_r32(cb, RDX, T_IDX);
	emit_call_c(cb, (const void *)helper_mem_prepare);
	emit_mov_r64_r64(cb, T_ADDR, RAX);
	emit_fpu_reload_if_was_live(x, cb);
	emit_mov_r64_m64(cb, T_FLAGS, scratch);
	emit_cmp_m8_imm8(cb, hmem_bd(HOST_VCPU, VCPU_OFF(mem_commit_needed)), 0);
	no_commit = emit_jcc_rel8(cb, CC_E);
	emit_modrm_mem(cb, OPC_ARITH_EvIb | P_REXW, ARITH_ADD, hmem_bd(RSP, 0));
	emit_byte(cb, 5); /* add qword [rsp], 5 */
	patch_rel8(no_commit, cb->ptr);
	emit_load_guest(cb);
	emit_ret(cb);
}

/* mem_commit: R10D = EIP of the next instruction. */
static void emit_mem_commit_thunk(struct xlat *x, struct code_buf *cb)
{
	emit_save_guest(cb);
	emit_fpu_save_remember(x, cb);
	emit_mov_r64_r64(cb, RDI, HOST_VCPU);
	emit_mov_r32_r32(cb, RSI, T_TMP);
	emit_call_c(cb, (const void *)helper_mem_commit);
	emit_fpu_reload_if_was_live(x, cb);
	emit_resume_or_leave(x, cb);
}

/* raise_fault: a fault an inline check found (segment limit, alignment,
 * zero divisor). R9D = info, R10D = EIP. Does not return. */
static void emit_raise_fault_thunk(struct xlat *x, struct code_buf *cb)
{
	emit_save_guest(cb);
	emit_fpu_save(x, cb, RAX);
	emit_mov_m32_r32(cb, hmem_bd(HOST_VCPU, VCPU_OFF(eip)), T_TMP);
	emit_mov_r64_r64(cb, RDI, HOST_VCPU);
	emit_mov_r32_r32(cb, RSI, T_IDX);
	emit_call_c(cb, (const void *)helper_raise_fault);
	emit_ud2(cb); /* helper_raise_fault never returns */
}

static uint8_t *align16(struct code_buf *cb)
{
	while ((uintptr_t)cb->ptr & 15)
		emit_byte(cb, 0xcc);
	return cb->ptr;
}

int thunks_generate(struct xlat *x, uint8_t *region, size_t size)
{
	struct code_buf cb;

	cb_init(&cb, region, (uint32_t)size);
	/* First the FPU pair, which the others refer to. */
	x->thunks.fpu_ret = align16(&cb);
	emit_ret(&cb);
	x->thunks.fpu_load = align16(&cb);
	emit_fpu_load_thunk(x, &cb);
	x->thunks.epilogue = align16(&cb);
	emit_epilogue(&cb);
	x->thunks.enter = align16(&cb);
	emit_enter(&cb);
	x->thunks.exit = align16(&cb);
	emit_exit_thunk(x, &cb);
	x->thunks.unwind = align16(&cb);
	emit_unwind(x, &cb);
	x->thunks.callout = align16(&cb);
	emit_callout_thunk(x, &cb);
	x->thunks.mem_slow = align16(&cb);
	emit_mem_slow_thunk(x, &cb);
	x->thunks.mem_commit = align16(&cb);
	emit_mem_commit_thunk(x, &cb);
	x->thunks.raise_fault = align16(&cb);
	emit_raise_fault_thunk(x, &cb);
	return cb.overflow ? -1 : 0;
}
