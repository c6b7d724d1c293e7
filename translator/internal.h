/*
 * internal.h - the translator's private types: a decoded guest instruction
 * (struct insn), what the translator does with it (enum action), why a
 * block ends (enum block_end), and the block being assembled.
 */
#ifndef BTVMM_TRANSLATOR_INTERNAL_H
#define BTVMM_TRANSLATOR_INTERNAL_H

#include <capstone/capstone.h>
#include <stdbool.h>
#include <stdint.h>

#include "cache/cache.h"
#include "monitor/monitor.h"
#include "monitor/x86.h"
#include "shadow_mmu/shadow_mmu.h"
#include "translator/emit.h"
#include "translator/translator.h"

/* ---- Register assignment inside translated code ----
 * Guest EAX..EDI live in the host registers with the same numbers, except
 * ESP, which lives in R12 so that the host keeps a real stack in RSP. */
#define HOST_ESP R12
#define HOST_VCPU R15 /* struct vcpu * */
#define T_ADDR R8     /* linear, then host address of a memory operand */
#define T_IDX R9      /* scratch: TLB index, thunk argument */
#define T_TMP R10     /* scratch: tag compare, thunk argument */
#define T_FLAGS R11   /* saved guest flags (lahf image) while probe code runs */
#define T_NEWSP R13   /* a stack pointer value not yet committed to ESP */
#define T_VAL R14     /* a value in flight between two memory accesses */

static inline int host_reg_of(int guest_reg)
{
	return guest_reg == R_ESP ? HOST_ESP : guest_reg;
}

/* ---- What the translator does with an instruction ---- */
enum action {
	ACT_COPY,	 /* same meaning in 64-bit mode: copy, rewriting memory operands */
	ACT_REWRITE,	 /* changes meaning in 64-bit mode: a rewrite_* emitter */
	ACT_CALLOUT,	 /* sensitive or privileged: emulated by the monitor */
	ACT_HELPER,	 /* not sensitive, but emulated in C (string ops, BCD, ...) */
	ACT_UD,		 /* not an instruction of the virtual CPU: #UD */
	ACT_UNSUPPORTED, /* valid but not implemented: stop with a report */
};

/* Popek-Goldberg classes, for the teaching view. */
enum pg_class {
	PG_NONE,	   /* innocuous */
	PG_PRIVILEGED,	   /* traps when run at CPL > 0 on real hardware */
	PG_SENSITIVE,	   /* sensitive but does not trap: breaks the requirements */
	PG_HELPER,	   /* neither: emulated only because of the 64-bit host */
};

/* Memory access kinds of an instruction's memory operand. */
enum mem_access_kind {
	MA_NONE = 0, /* no access (LEA, prefetch, NOP with a memory operand) */
	MA_R = 1,
	MA_W = 2,
	MA_RW = 3,
};

/* Arithmetic status flags as a 6-bit mask, for liveness. */
#define FL_CF 0x01
#define FL_PF 0x02
#define FL_AF 0x04
#define FL_ZF 0x08
#define FL_SF 0x10
#define FL_OF 0x20
#define FL_ALL 0x3f

struct insn;
struct block;
typedef bool (*rewrite_fn)(struct block *b, const struct insn *in);

/* One row of the classification table (classify.c). */
struct insn_class {
	unsigned id;	  /* Capstone X86_INS_* */
	enum action action;
	rewrite_fn rewrite; /* ACT_REWRITE */
	callout_fn callout; /* ACT_CALLOUT, ACT_HELPER */
	bool ends_block;    /* control may go elsewhere: the block ends after it */
	enum pg_class pg;
	const char *name;
};

/* A decoded guest instruction. */
struct insn {
	uint32_t eip;	 /* offset in CS */
	uint8_t len;
	uint8_t bytes[16];
	unsigned id;	 /* X86_INS_* */
	cs_insn *cs;	 /* Capstone's decoding (valid while the block is built) */

	/* Encoding layout. */
	uint8_t prefix_len;  /* legacy prefix bytes */
	uint8_t opc_len;     /* 1, 2 (0F xx) or 3 (0F 38/3A xx) */
	int8_t modrm_off;    /* -1: no ModRM */
	uint8_t modrm;
	uint8_t opc;	     /* last opcode byte */
	bool opc_0f;	     /* two- or three-byte opcode */

	/* Prefixes. */
	int8_t seg_override; /* S_* or -1 */
	bool lock, rep, repne, opsize_prefix, addrsize_prefix;
	bool drop_rep;	     /* F3 is meaningless here and must not reach the host */
	bool too_long;	     /* undecodable because longer than 15 bytes: #GP(0) */
	uint8_t opsize;	     /* 2 or 4: effective operand size */
	bool code16;	     /* in a 16-bit code segment: IP wraps at 64 KB */
	uint8_t addrsize;    /* 2 or 4: effective address size */

	/* The ModRM (or moffs) memory operand, if any. */
	bool has_mem;
	int8_t mem_base, mem_index; /* GPR numbers or -1 */
	uint8_t mem_scale;
	int32_t mem_disp;
	uint8_t mem_seg;	    /* after overrides */
	uint16_t mem_size;	    /* bytes accessed */
	enum mem_access_kind mem_access;

	/* Register operands that need care when copied. */
	bool simd;	   /* x87, MMX or SSE: 66/F2/F3 may be mandatory prefixes */
	bool esp_operand;  /* ESP/SP named as a register operand */
	bool high_byte;	   /* AH/CH/DH/BH named as a register operand */

	/* Flags, as FL_* masks: read, and certainly written. */
	uint8_t flags_read, flags_written;
	bool reads_df;

	const struct insn_class *cls;
};

/* Why a block ended (the translator loop's stop conditions). */
enum block_end {
	BLOCK_NEXT,	    /* go on with the next instruction */
	BLOCK_JUMP,	    /* a control transfer ended it */
	BLOCK_CALLOUT,	    /* a callout that may change mode or EIP ended it */
	BLOCK_TOO_MANY,	    /* instruction or code-size limit */
	BLOCK_PAGE_END,	    /* the next instruction is on another page */
	BLOCK_STOP_BEFORE,  /* the next instruction cannot join this block */
};

/* A rel32 field to fix up once hot and cold code have their final places. */
struct reloc {
	uint8_t in_cold;  /* the field is in the cold buffer */
	uint8_t to;	  /* RELOC_HOT, RELOC_COLD or RELOC_ABS */
	uint32_t field;	  /* offset of the field in its buffer */
	uint64_t target;  /* offset in hot/cold, or an absolute address */
};
enum { RELOC_HOT, RELOC_COLD, RELOC_ABS, RELOC_DATA };

#define MAX_BLOCK_INSNS 128
#define MAX_RELOCS 1024
#define HOT_BUF_SIZE (48 * 1024)
#define COLD_BUF_SIZE (48 * 1024)
#define BLOCK_DATA_SIZE (16 * 1024)

/* A per-access inline TLB cache (rewrite_mem.c), in the block's data. */
struct site_cache {
	uint64_t tag;	 /* (epoch << 32) | page of the last access, or ~0 */
	uint64_t addend; /* host address = guest linear + addend */
};

/* Addresses of the shared thunks (thunks.c). */
struct thunks {
	uint8_t *epilogue;    /* restore the host's registers and return RAX */
	uint8_t *enter;	      /* uint64_t enter(struct vcpu *, void *code) */
	uint8_t *exit;	      /* leave: R9 = exit value */
	uint8_t *unwind;      /* void unwind(struct vcpu *, uint64_t value) */
	uint8_t *callout;     /* R9 = struct callout_insn * */
	uint8_t *mem_slow;    /* R8D = linear, R9D = info, R10D = EIP; returns R8 */
	uint8_t *mem_commit;  /* R10D = next EIP */
	uint8_t *raise_fault; /* R9D = info, R10D = EIP */
	uint8_t *fpu_load;    /* load the guest FPU state into the host's */
	uint8_t *fpu_ret;     /* a bare RET: the guest FPU state is already live */
};

/* The block being assembled. */
struct block {
	struct xlat *x;
	struct vcpu *v;
	struct tb *tb;
	uint32_t mode;
	bool user;		 /* CPL 3: probe the user TLB */
	struct code_buf hot, cold;
	struct reloc relocs[MAX_RELOCS];
	unsigned n_relocs;
	bool reloc_overflow;
	struct insn insns[MAX_BLOCK_INSNS];
	unsigned n_insns;
	uint8_t live_out[MAX_BLOCK_INSNS]; /* flags live after each insn */
	uint32_t insn_hot_off[MAX_BLOCK_INSNS];
	uint32_t insn_cold_off[MAX_BLOCK_INSNS];
	unsigned cur;		 /* index of the instruction being emitted */
	bool fpu_ready;		 /* guest FPU state is known loaded at this point */
	bool code16;		 /* CS.D = 0: 16-bit default operand size */
	/* Direct exits: hot offset of each jump's rel32 and cold offset of its
	 * exit stub (-1: unused), turned into tb->jmp_site/jmp_stub at the end. */
	int32_t jmp_site_off[2], jmp_stub_off[2];
	uint32_t entry_stub_off; /* cold offset of the block's re-entry exit */
	/* The block's data (callout records, per-access TLB caches), copied
	 * after its code when it is committed, so a flush frees them with it. */
	uint8_t data[BLOCK_DATA_SIZE] __attribute__((aligned(16)));
	uint32_t data_used;
	bool data_overflow;
};

/* The translator. */
struct xlat {
	struct block block; /* the block being translated (large: kept here) */
	csh cs32, cs16; /* Capstone for 32- and 16-bit code segments */
	cs_insn *cs_insn[MAX_BLOCK_INSNS];
	struct tb_cache *cache;
	struct thunks thunks;
	uint8_t hot[HOT_BUF_SIZE];
	uint8_t cold[COLD_BUF_SIZE];
	struct xlat_stats stats;
	bool precise_flags; /* treat every flag as live everywhere */
};

/* decode.c */
bool decode_insn(struct xlat *x, cs_insn *ci, const uint8_t *bytes, unsigned avail,
		 uint32_t eip, uint32_t mode, struct insn *in);
/* mem_access.c */
void decode_mem_access(struct insn *in);
/* flags.c */
void insn_flags(struct insn *in);
void flags_liveness(struct block *b);
static inline uint8_t live_in(const struct block *b, unsigned i)
{
	const struct insn *in = &b->insns[i];

	return (uint8_t)((b->live_out[i] & ~in->flags_written) | in->flags_read);
}
/* classify.c */
const struct insn_class *classify(const struct insn *in, uint32_t mode);
/* For bytes that decode to nothing: #UD, or #GP(0) if @too_long. */
const struct insn_class *classify_invalid(bool too_long);
unsigned classify_row_index(const struct insn_class *cls);
const struct insn_class *classify_row(unsigned index);
unsigned classify_row_count(void);

/* block.c: hot/cold buffers and relocations */
void block_reloc(struct block *b, struct code_buf *cb, uint8_t *field, int to, uint64_t target);
void block_jmp_to_cold(struct block *b, struct code_buf *from, enum cond cc, bool conditional,
		       uint32_t cold_off);
void block_jmp_to_hot(struct block *b, struct code_buf *from, uint32_t hot_off);
void block_call_abs(struct block *b, struct code_buf *cb, const void *fn);
/* Room for @size bytes of block data; returns its offset (or 0 and sets
 * data_overflow when full, which makes the block shorter). */
uint32_t block_data_alloc(struct block *b, uint32_t size);
/* An instruction whose memory operand is [rip + block data at @off]. */
void block_data_ref(struct block *b, struct code_buf *cb, int opc, int reg, uint32_t off);
void block_jmp_abs(struct block *b, struct code_buf *cb, const void *fn);
bool block_finish(struct block *b, uint8_t *dest, size_t room, uint32_t *size);

/* rewrite_mem.c */
/* One guest memory access: which segment, how many bytes, read or write. */
struct mem_op {
	uint8_t seg;
	uint16_t size;
	uint8_t access; /* MA_R, MA_W or MA_RW */
	bool stack;	/* faults outside SS's limit are #SS, not #GP */
};
/* Emits the part of an instruction that uses [T_ADDR] (the host address). */
typedef void (*body_fn)(struct block *b, struct code_buf *cb, const struct insn *in,
			const void *arg);
void emit_flags_save(struct code_buf *cb);
void emit_flags_restore(struct code_buf *cb);
bool flags_live_at(const struct block *b);
void emit_effective_address(struct code_buf *cb, const struct insn *in, int dst);
/* The same, with guest ESP read from @esp_reg instead of HOST_ESP. */
void emit_effective_address_esp(struct code_buf *cb, const struct insn *in, int dst, int esp_reg);
bool emit_guarded_access(struct block *b, const struct insn *in, const struct mem_op *op,
			 body_fn body, const void *arg);

/* rewrite_copy.c */
bool rewrite_copy(struct block *b, const struct insn *in);
void emit_copied_insn(struct block *b, struct code_buf *cb, const struct insn *in);
void emit_fpu_ensure(struct block *b);

/* rewrite_branch.c */
void emit_exit_check(struct block *b, bool save_flags);
void emit_goto_eip(struct block *b, struct code_buf *cb, uint32_t target, int slot);
void emit_indirect_jump(struct block *b, struct code_buf *cb);
void emit_exit(struct block *b, struct code_buf *cb, uint32_t eip, enum tb_exit why);
bool rewrite_jmp(struct block *b, const struct insn *in);
bool rewrite_jcc(struct block *b, const struct insn *in);
bool rewrite_loop(struct block *b, const struct insn *in);
bool rewrite_jmp_indirect(struct block *b, const struct insn *in);
bool emit_indirect_target(struct block *b, const struct insn *in);
bool branch_beyond_limit(const struct block *b, uint32_t target);
void emit_target_limit_check(struct block *b);
uint32_t branch_target(const struct insn *in);
uint32_t next_eip(const struct insn *in);

/* rewrite_stack.c */
void emit_stack_address(struct block *b, struct code_buf *cb, int dst, int32_t delta);
void emit_sp_add(struct block *b, struct code_buf *cb, int32_t delta);

bool rewrite_push(struct block *b, const struct insn *in);
bool rewrite_pop(struct block *b, const struct insn *in);
bool rewrite_call(struct block *b, const struct insn *in);
bool rewrite_ret(struct block *b, const struct insn *in);
bool rewrite_leave(struct block *b, const struct insn *in);

/* rewrite_64bit.c */
bool rewrite_inc_dec(struct block *b, const struct insn *in);
bool rewrite_lea(struct block *b, const struct insn *in);
bool rewrite_xlat(struct block *b, const struct insn *in);
bool rewrite_moffs(struct block *b, const struct insn *in);
bool rewrite_nop(struct block *b, const struct insn *in);

/* callout.c */
bool emit_callout(struct block *b, const struct insn *in, callout_fn fn);
bool fill_callout_insn(const struct insn *in, struct callout_insn *ci);

/* thunks.c */
int thunks_generate(struct xlat *x, uint8_t *region, size_t size);

/* disas_log.c */
void log_block(struct block *b, const uint8_t *code, uint32_t size);

#endif /* BTVMM_TRANSLATOR_INTERNAL_H */
