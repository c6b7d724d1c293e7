/*
 * monitor.h - the interface of the monitor: the virtual CPU whose state
 * translated code reads and writes, the callouts that emulate sensitive
 * instructions against it, and the VM as a whole.
 *
 * The translator bakes offsets into struct vcpu into the code it emits
 * (through offsetof), so everything translated code touches sits at the
 * front and is documented here.
 */
#ifndef BTVMM_MONITOR_H
#define BTVMM_MONITOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cache/cache.h"
#include "monitor/log.h"
#include "shadow_mmu/shadow_mmu.h"

struct vm;
struct vcpu;
struct callout_insn;

/* ---- Translation mode: what a translation was specialised on ----
 * Two blocks of the same guest code are different translations if any of
 * these differ, so the mode is part of every lookup key. */
#define MODE_CPL_MASK 0x3u	   /* current privilege level */
#define MODE_CODE16 (1u << 2)	   /* CS.D = 0: 16-bit default operand/address size */
#define MODE_STACK16 (1u << 3)	   /* SS.B = 0: SP, not ESP, is the stack pointer */
#define MODE_SINGLE (1u << 4)	   /* one instruction per block (TF, interrupt shadow) */
#define MODE_FPU_TRAP (1u << 5)	   /* CR0.TS or CR0.EM: x87/SSE instructions raise #NM */
#define MODE_NO_SSE (1u << 6)	   /* CR4.OSFXSR clear: SSE instructions raise #UD */
#define MODE_ALIGN_CHECK (1u << 7) /* CR0.AM, EFLAGS.AC, CPL 3: misaligned data is #AC */
#define MODE_SEG_SHIFT 8	   /* then 2 bits of segment kind per segment register */
#define MODE_SEG_MASK 3u

/* What translated code must do for accesses through a segment. */
enum seg_kind {
	SEG_FLAT = 0,	 /* base 0, 4 GB limit, expand-up, read/write: nothing */
	SEG_BASED = 1,	 /* non-zero base, otherwise flat: add the base */
	SEG_CHECKED = 2, /* anything else: add the base and check the bounds */
};

static inline enum seg_kind mode_seg_kind(uint32_t mode, int sreg)
{
	return (enum seg_kind)((mode >> (MODE_SEG_SHIFT + 2 * sreg)) & MODE_SEG_MASK);
}

/*
 * A segment as translated code sees it: the base and, for SEG_CHECKED
 * segments, the offsets an access may touch. An access of n bytes at offset
 * ea is allowed iff lo <= ea and ea + n - 1 <= hi (for reads: read_lo/hi,
 * for writes: write_lo/hi). An unusable segment has lo > hi.
 */
struct seg_fast {
	uint32_t base;
	uint32_t read_lo, read_hi;
	uint32_t write_lo, write_hi;
	uint32_t kind; /* enum seg_kind: what translated code does for it */
};

/* The guest's view of a segment register (the hidden descriptor cache). */
struct segment {
	uint16_t selector;
	uint16_t attr;	/* descriptor attribute word, see SEG_ATTR_* in x86.h */
	uint32_t base;
	uint32_t limit; /* byte granular */
};

struct dtable {
	uint32_t base;
	uint16_t limit;
};

/* A guest exception waiting to be delivered. */
struct pending_exception {
	bool valid;
	uint8_t vector;
	bool has_error_code;
	uint32_t error_code;
	bool software; /* INT n, INT3, INTO: the gate's DPL applies, EXT is 0 */
	/* For INT n/INT3/INTO/INT1 (traps: EIP is the next instruction): the
	 * EIP of the INT itself, where a fault while delivering it is reported. */
	bool has_insn_eip;
	uint32_t insn_eip;
};

struct vcpu_stats {
	uint64_t entries;	   /* entries into translated code */
	uint64_t exits[8];	   /* by enum tb_exit */
	uint64_t callouts;	   /* sensitive/helper callouts made */
	uint64_t exceptions;	   /* guest exceptions raised */
	uint64_t chains_refused;   /* direct exits that could not be chained */
	uint64_t smc_exits;	   /* blocks left because they were overwritten */
};

struct vcpu {
	/* ---- Touched by translated code (offsets baked into it) ---- */
	uint32_t regs[8];	     /* EAX..EDI; live copy while in C code */
	uint32_t eip;
	uint32_t eflags;	     /* full EFLAGS; status flags and DF live in host
				      * RFLAGS while translated code runs */
	volatile uint32_t exit_request; /* non-zero: leave at the next block check */
	uint32_t mode;		     /* mode of the translations being run */
	uint64_t host_rsp;	     /* host stack pointer at entry, for unwinding */
	uint8_t mem_commit_needed;   /* set by helper_mem_prepare: run the commit */
	uint8_t fpu_live;	     /* the guest's x87/SSE state is in the host's registers */
	const void *fpu_ensure;	     /* called before guest FPU code: loads it, or returns */
	/* Indirect branches keep a one-entry cache of (mapping epoch << 32 |
	 * EIP) -> host code; the epoch moves on whenever EIP may come to mean
	 * other code (CR3, paging, INVLPG, CS base or limit). Branches in
	 * blocks from global pages use global_epoch, which CR3 loads with
	 * CR4.PGE leave alone, and cache only targets from global pages. */
	uint64_t map_epoch;
	uint64_t global_epoch;
	const void *mem_site;	     /* slow-path bookkeeping between prepare/commit */
	struct seg_fast seg_fast[6];
	uint64_t thunk_scratch[4];   /* spill slots for the thunks */
	struct smmu mmu;	     /* software TLB first inside */
	struct jmp_cache jc;	     /* indirect-branch lookup */

	/* ---- Architectural state only the monitor touches ---- */
	struct segment seg[6];	     /* ES, CS, SS, DS, FS, GS */
	struct segment ldtr, tr;
	struct dtable gdtr, idtr;
	uint32_t cr0, cr2, cr3, cr4;
	uint32_t dr[8];
	unsigned cpl;
	uint64_t tsc_offset;
	uint32_t sysenter_cs, sysenter_esp, sysenter_eip;
	uint64_t msr_pat, msr_misc_enable;
	uint64_t msr_perfctr[2], msr_evntsel[2];
	/* The guest's x87/MMX/SSE state (FXSAVE64 layout) while not live. */
	uint8_t fxstate[512] __attribute__((aligned(16)));
	/* What C code expects in the FPU (FNINIT, default MXCSR). */
	uint8_t host_fxstate[512] __attribute__((aligned(16)));

	bool halted;
	bool intr_shadow;	     /* after STI or MOV/POP SS: no interrupt before the next insn */
	bool debug_shadow;	     /* after MOV/POP SS: no debug trap before the next insn either */
	bool in_translated_code;
	void *raise_env;	     /* jmp_buf of a delivery in progress, or NULL */
	bool attempt_committed;	     /* vcpu_attempt(): past the point of no return */
	struct pending_exception exception;
	/* Bookkeeping of the memory slow path (see helpers_mem.c): an access
	 * that is split across pages or reaches device memory goes through a
	 * bounce buffer, written back when the instruction has run. */
	struct mem_pending {
		bool active;	   /* a bounce buffer awaits commit */
		bool write;	   /* ...to be written back */
		bool smc;	   /* a write invalidated translated code */
		uint32_t linear;
		uint32_t len;
		uint32_t gpa[2];   /* physical address of each part */
		uint32_t split;	   /* bytes in the first part */
	} mem_pending;
	/* Bounce buffer: 512 bytes (FXSAVE) plus room to keep the guest
	 * address's alignment within 64 bytes. */
	uint8_t mem_bounce[512 + 64] __attribute__((aligned(64)));
	struct tb *current_tb;

	struct vm *vm;
	struct vcpu_stats stats;
};

/* ---- Callouts: what translated code calls for instructions it does not
 * run itself. The translator decodes the instruction once and keeps this
 * record with the block; the callout reads its operands from it. ---- */

enum operand_kind {
	OPK_NONE = 0,
	OPK_REG,  /* general register: reg is 0-7, size 1 (with high = AH..BH), 2 or 4 */
	OPK_SREG, /* segment register 0-5 */
	OPK_CREG, /* control register */
	OPK_DREG, /* debug register */
	OPK_MEM,  /* memory at seg:[base + index * scale + disp] */
	OPK_IMM,  /* immediate (sign- or zero-extended as the instruction defines) */
	OPK_FAR,  /* far pointer immediate: imm = offset, sel = selector */
};

struct operand {
	uint8_t kind;
	uint8_t size;	/* bytes */
	uint8_t reg;
	bool high;	/* OPK_REG, size 1: AH/CH/DH/BH */
	int8_t base;	/* OPK_MEM: GPR number or -1 */
	int8_t index;	/* OPK_MEM: GPR number or -1 */
	uint8_t scale;
	uint8_t seg;	/* OPK_MEM: segment register after overrides */
	uint16_t sel;	/* OPK_FAR */
	uint32_t disp;
	uint32_t imm;
};

typedef int (*callout_fn)(struct vcpu *v, const struct callout_insn *ci);

/* Results of a callout. */
enum callout_result {
	CALLOUT_NEXT = 0, /* continue with the next instruction of the block */
	CALLOUT_EXIT = 1, /* leave translated code; vcpu->eip says where to go */
};

struct callout_insn {
	callout_fn fn;
	uint32_t eip;	   /* EIP of this instruction */
	uint32_t next_eip; /* EIP of the instruction after it */
	uint16_t id;	   /* Capstone instruction id (X86_INS_*) */
	uint8_t opcode;	   /* the (last) opcode byte */
	uint8_t opcode_len; /* 1, 2 (0F xx) or 3 (0F 38/3A xx) */
	uint8_t modrm;	   /* the ModRM byte, or 0 */
	uint8_t len;
	uint8_t opsize;	   /* 2 or 4 */
	uint8_t addrsize;  /* 2 or 4 */
	uint8_t rep;	   /* 0, 0xf3 (REP/REPE) or 0xf2 (REPNE) */
	uint8_t nops;
	int8_t seg_override; /* S_* or -1 */
	uint16_t stat;	   /* row of the translator's classification table */
	struct operand op[3];
	uint8_t bytes[16];
};

/* ---- Callouts (emulate_*.c): sensitive and privileged instructions,
 * each emulated against the virtual CPU. Each returns CALLOUT_NEXT or
 * CALLOUT_EXIT, or raises a guest exception (and does not return). ---- */
int emulate_pushf(struct vcpu *v, const struct callout_insn *ci);
int emulate_popf(struct vcpu *v, const struct callout_insn *ci);
int emulate_cli(struct vcpu *v, const struct callout_insn *ci);
int emulate_sti(struct vcpu *v, const struct callout_insn *ci);
int emulate_sgdt_sidt(struct vcpu *v, const struct callout_insn *ci);
int emulate_lgdt_lidt(struct vcpu *v, const struct callout_insn *ci);
int emulate_smsw(struct vcpu *v, const struct callout_insn *ci);
int emulate_mov_cr(struct vcpu *v, const struct callout_insn *ci);
int emulate_mov_to_seg(struct vcpu *v, const struct callout_insn *ci);
int emulate_mov_from_seg(struct vcpu *v, const struct callout_insn *ci);
int emulate_push_seg(struct vcpu *v, const struct callout_insn *ci);
int emulate_pop_seg(struct vcpu *v, const struct callout_insn *ci);
int emulate_load_far_pointer(struct vcpu *v, const struct callout_insn *ci);
int emulate_far_jmp(struct vcpu *v, const struct callout_insn *ci);
int emulate_int(struct vcpu *v, const struct callout_insn *ci);
int emulate_hlt(struct vcpu *v, const struct callout_insn *ci);
int emulate_in(struct vcpu *v, const struct callout_insn *ci);
int emulate_out(struct vcpu *v, const struct callout_insn *ci);
int emulate_ins(struct vcpu *v, const struct callout_insn *ci);
int emulate_outs(struct vcpu *v, const struct callout_insn *ci);
int emulate_cpuid(struct vcpu *v, const struct callout_insn *ci);
int emulate_rdtsc(struct vcpu *v, const struct callout_insn *ci);
int emulate_ud(struct vcpu *v, const struct callout_insn *ci);
int emulate_too_long(struct vcpu *v, const struct callout_insn *ci);
int emulate_fpu_unavailable(struct vcpu *v, const struct callout_insn *ci);
int emulate_sldt(struct vcpu *v, const struct callout_insn *ci);
int emulate_str(struct vcpu *v, const struct callout_insn *ci);
int emulate_lldt(struct vcpu *v, const struct callout_insn *ci);
int emulate_ltr(struct vcpu *v, const struct callout_insn *ci);
int emulate_lar(struct vcpu *v, const struct callout_insn *ci);
int emulate_lsl(struct vcpu *v, const struct callout_insn *ci);
int emulate_verr(struct vcpu *v, const struct callout_insn *ci);
int emulate_verw(struct vcpu *v, const struct callout_insn *ci);
int emulate_lmsw(struct vcpu *v, const struct callout_insn *ci);
int emulate_clts(struct vcpu *v, const struct callout_insn *ci);
int emulate_invd(struct vcpu *v, const struct callout_insn *ci);
int emulate_invlpg(struct vcpu *v, const struct callout_insn *ci);
int emulate_mov_dr(struct vcpu *v, const struct callout_insn *ci);
int emulate_rdmsr(struct vcpu *v, const struct callout_insn *ci);
int emulate_wrmsr(struct vcpu *v, const struct callout_insn *ci);
int emulate_rdpmc(struct vcpu *v, const struct callout_insn *ci);
int emulate_far_call(struct vcpu *v, const struct callout_insn *ci);
int emulate_far_ret(struct vcpu *v, const struct callout_insn *ci);
int emulate_iret(struct vcpu *v, const struct callout_insn *ci);
int emulate_sysenter(struct vcpu *v, const struct callout_insn *ci);
int emulate_sysexit(struct vcpu *v, const struct callout_insn *ci);

/* ---- Helpers (helpers_*.c): not sensitive, emulated in C only because the
 * host runs 64-bit code where these encodings are gone or too intricate. ---- */
int helper_string(struct vcpu *v, const struct callout_insn *ci);
int helper_bcd(struct vcpu *v, const struct callout_insn *ci);
int helper_pusha(struct vcpu *v, const struct callout_insn *ci);
int helper_popa(struct vcpu *v, const struct callout_insn *ci);
int helper_bound(struct vcpu *v, const struct callout_insn *ci);
int helper_salc(struct vcpu *v, const struct callout_insn *ci);
int helper_enter(struct vcpu *v, const struct callout_insn *ci);
int helper_arpl(struct vcpu *v, const struct callout_insn *ci);

/* The callout thunk calls this, which calls ci->fn and does the bookkeeping
 * every callout needs (statistics, leaving after self-modifying writes). */
int callout_dispatch(struct vcpu *v, const struct callout_insn *ci);

/* ---- Functions translated code calls through the thunks (helpers_mem.c) ---- */

/* The info word of a memory slow-path call. */
#define MEMINFO_SIZE_MASK 0x0fffu /* bytes accessed */
#define MEMINFO_READ (1u << 12)
#define MEMINFO_WRITE (1u << 13)
#define MEMINFO_USER (1u << 14) /* the access is made at CPL 3 */
#define MEMINFO_SEG_SHIFT 16	/* segment register, for limit faults */
#define MEMINFO_STACK (1u << 20) /* a stack access: limit faults are #SS */
#define MEMINFO_ALIGN (1u << 21)  /* helper_raise_fault: an alignment check failed */
#define MEMINFO_DIVIDE (1u << 22) /* helper_raise_fault: a divisor was zero */

/* Translate @linear for the access @info describes after a TLB miss; return
 * a host pointer the instruction can use directly (guest RAM or a bounce
 * buffer). Raises the guest fault (never returns) if the access faults. */
uint64_t helper_mem_prepare(struct vcpu *v, uint32_t linear, uint32_t info);
/* After the instruction ran: write a bounce buffer back. Returns non-zero
 * if translated code must be left (it overwrote translated code); vcpu->eip
 * is then @next_eip. */
int helper_mem_commit(struct vcpu *v, uint32_t next_eip);
/* An inline check failed: raise #GP(0), #SS(0), #AC(0) or #DE. */
void helper_raise_fault(struct vcpu *v, uint32_t info) __attribute__((noreturn));

/* ---- The VM ---- */
struct vm_config;

/* Create the VM described by @cfg: RAM, devices, vCPU, translator, and the
 * kernel loaded. Returns NULL after printing why. */
struct vm *vm_create(const struct vm_config *cfg);
/* Run until the guest powers off, asks to exit, or cannot go on. Returns the
 * process exit status. */
int vm_run(struct vm *vm);
void vm_destroy(struct vm *vm);

/* Exit statuses of btvmm (the isa-debug-exit port adds (V << 1) | 1). */
#define EXIT_GUEST_OFF 0     /* guest halted with interrupts off, or reset with -no-reboot */
#define EXIT_USAGE 2	     /* bad command line or kernel image */
#define EXIT_GUEST_FATAL 3   /* unsupported instruction, triple fault, unhandled exception */

#endif /* BTVMM_MONITOR_H */
