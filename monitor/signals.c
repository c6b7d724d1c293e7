/*
 * signals.c - host faults inside translated code. A guest DIV by zero, a
 * misaligned MOVAPS or an unmasked SSE exception faults on the host copy of
 * the guest's own instruction: the signal handler recovers the guest state
 * at that instruction (translator/recover.c), records the guest exception,
 * and resumes the host in the unwind thunk instead, which returns to the
 * run loop. Signals are rare events here, never a hot path.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

#include "monitor/internal.h"

#define ALT_STACK_SIZE (64 * 1024)

static struct vm *signal_vm;

static const int host_reg_index[16] = {
	REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
	REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15,
};

static int guest_vector(int sig, const siginfo_t *info)
{
	switch (sig) {
	case SIGFPE:
		if (info->si_code == FPE_INTDIV || info->si_code == FPE_INTOVF)
			return EXC_DE;
		return -1; /* x87 (#MF) or SSE (#XM): decided by the instruction */
	case SIGILL:
		return EXC_UD;
	default:
		return EXC_GP; /* SIGSEGV/SIGBUS from the guest's own instruction */
	}
}

/*
 * A floating-point exception the guest unmasked: #MF for x87 (pending in
 * the FPU status word), #XM for SSE (in MXCSR) - or #UD for SSE when the OS
 * did not set CR4.OSXMMEXCPT (SDM Vol. 3A 12.5.1).
 */
static int fp_exception_vector(const struct vcpu *v, const ucontext_t *uc)
{
	const struct _libc_fpstate *fp = uc->uc_mcontext.fpregs;

	if (fp && (fp->swd & 0x80)) /* x87 status word ES: an x87 exception is pending */
		return EXC_MF;
	return (v->cr4 & CR4_OSXMMEXCPT) ? EXC_XM : EXC_UD;
}

static bool recover_guest(struct vcpu *v, ucontext_t *uc)
{
	struct xlat_host_regs regs;
	greg_t *g = uc->uc_mcontext.gregs;

	if (!v->in_translated_code)
		return false;
	for (int i = 0; i < 16; i++)
		regs.gpr[i] = (uint64_t)g[host_reg_index[i]];
	regs.rip = (uint64_t)g[REG_RIP];
	regs.rflags = (uint64_t)g[REG_EFL];
	return xlat_recover(v->vm->xlat, v, &regs);
}

/*
 * If the guest's FPU state was live in the host registers, it is in the
 * signal frame now: keep it as the guest's, and let the host resume with
 * the default state C code expects.
 */
static void take_guest_fpu(struct vcpu *v, ucontext_t *uc)
{
	if (!v->fpu_live || !uc->uc_mcontext.fpregs)
		return;
	memcpy(v->fxstate, uc->uc_mcontext.fpregs, sizeof(v->fxstate));
	memcpy(uc->uc_mcontext.fpregs, v->host_fxstate, sizeof(v->host_fxstate));
	v->fpu_live = 0;
	v->fpu_ensure = xlat_fpu_load_address(v->vm->xlat);
}

/* Resume the host in the unwind thunk: xlat_unwind(v, TB_EXIT_EXCEPTION). */
static void redirect_to_unwind(struct vcpu *v, ucontext_t *uc)
{
	greg_t *g = uc->uc_mcontext.gregs;

	g[REG_RIP] = (greg_t)(uintptr_t)xlat_unwind_address(v->vm->xlat);
	g[REG_RDI] = (greg_t)(uintptr_t)v;
	g[REG_RSI] = TB_EXIT_EXCEPTION;
	g[REG_R15] = (greg_t)(uintptr_t)v;
	g[REG_EFL] &= ~(greg_t)EFLAGS_DF; /* C code runs with DF clear */
}

static void host_fault(int sig, siginfo_t *info, void *context)
{
	ucontext_t *uc = context;
	struct vcpu *v = signal_vm ? signal_vm->vcpu : NULL;
	int vector = guest_vector(sig, info);

	if (v && recover_guest(v, uc)) {
		if (vector < 0)
			vector = fp_exception_vector(v, uc);
		take_guest_fpu(v, uc);
		v->exception = (struct pending_exception){
			.valid = true, .vector = (uint8_t)vector,
			.has_error_code = exception_has_error_code(vector) };
		v->stats.exceptions++;
		redirect_to_unwind(v, uc);
		return;
	}
	/* A fault in btvmm itself: a bug. Restore the terminal and die. */
	console_restore_terminals();
	signal(sig, SIG_DFL);
	pr_err("internal error: signal %d at host pc %#llx", sig,
	       (unsigned long long)uc->uc_mcontext.gregs[REG_RIP]);
	raise(sig);
}

int signals_init(struct vm *vm)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL };
	static uint8_t alt_stack[ALT_STACK_SIZE] __attribute__((aligned(16)));
	stack_t ss = { .ss_sp = alt_stack, .ss_size = sizeof(alt_stack) };
	struct sigaction sa;

	if (sigaltstack(&ss, NULL) < 0) {
		pr_err("cannot set up the signal stack");
		return -1;
	}
	signal_vm = vm;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = host_fault;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], &sa, NULL) < 0)
			return -1;
	return 0;
}
