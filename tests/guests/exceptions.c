/*
 * exceptions.c - exception delivery at CPL 0 (SDM Vol. 3A 6.15 "Exception
 * and Interrupt Reference", 6.13 error codes): #DE, #DB single-step, #BP,
 * #OF, #BR, #UD, #TS, #NP, #SS and #GP, each with its vector, error code
 * and EIP (faults: the instruction; traps: the next one). The checks QEMU
 * cannot confirm live in other guests: segment limits and types in
 * segment_limits, the EXT bit in exceptions_ext, #NM in exceptions_fpu,
 * #DF in task_switch.
 */
#include "check.h"
#include "cpu.h"
#include "gdt.h"
#include "idt.h"
#include "regs.h"
#include "user.h"

enum {
	SLOT_NP_DATA = GDT_FREE, /* writable data, not present */
	SLOT_NP_CODE,		 /* code, not present */
	SLOT_CODE_X,		 /* execute-only code */
	SLOT_DATA_RO,		 /* read-only data */
	SLOT_DATA_DPL3,		 /* writable data, DPL 3 */
	SLOT_CODE_4K,		 /* code with limit 0xfff */
	SLOT_TSS_SMALL,		 /* 32-bit TSS with limit 0x66 < 0x67 */
	SLOT_TSS_NP,		 /* 32-bit TSS, not present */
	SLOT_TSS_AVAIL,		 /* 32-bit TSS, available (not busy) */
};

#define VEC_NP_GATE 0x41 /* IDT entry marked not present */

static struct regs r;
static struct farptr far;
static struct tss32 other_tss;
static int32_t bounds[2] = {10, 20};

static void setup_descriptors(void)
{
	gdt_set(SLOT_NP_DATA, desc_seg(0, 0xfffff, SEG_DATA_RW, 0, DESC_G | DESC_DB) & ~DESC_P);
	gdt_set(SLOT_NP_CODE, DESC_FLAT_CODE(0) & ~DESC_P);
	gdt_set(SLOT_CODE_X, desc_seg(0, 0xfffff, SEG_CODE_X, 0, DESC_G | DESC_DB));
	gdt_set(SLOT_DATA_RO, desc_seg(0, 0xfffff, SEG_DATA_RO, 0, DESC_G | DESC_DB));
	gdt_set(SLOT_DATA_DPL3, DESC_FLAT_DATA(3));
	gdt_set(SLOT_CODE_4K, desc_seg(0, 0xfff, SEG_CODE_XR, 0, DESC_DB));
	tss_prepare(&other_tss, 0, 0);
	gdt_set(SLOT_TSS_SMALL, desc_sys((uint32_t)&other_tss, 0x66, SYS_TSS32, 0));
	gdt_set(SLOT_TSS_NP, desc_sys((uint32_t)&other_tss, 0x67, SYS_TSS32, 0) & ~DESC_P);
	gdt_set(SLOT_TSS_AVAIL, desc_sys((uint32_t)&other_tss, 0x67, SYS_TSS32, 0));
	idt_set(VEC_NP_GATE, idt_stub_gate(VEC_NP_GATE, SYS_INT32, 0) & ~DESC_P);
}

static uint32_t zero_divisor __attribute__((used)); /* 0: a memory divisor (named in asm) */

/* #DE by zero through every divisor form: memory at each width, 16-bit
 * registers, AH, and ECX (which btvmm's zero check borrows). */
static void check_de_forms(void)
{
	r = (struct regs){.eax = 5};
	PROBE("divl zero_divisor", r);
	check_fault("de_div32_mem_by_zero", EXC_DE, 0);
	r = (struct regs){.eax = 5};
	PROBE("idivw zero_divisor", r);
	check_fault("de_idiv16_mem_by_zero", EXC_DE, 0);
	r = (struct regs){.eax = 5};
	PROBE("divb zero_divisor", r);
	check_fault("de_div8_mem_by_zero", EXC_DE, 0);
	r = (struct regs){.eax = 5, .edx = 0xffff0000};
	PROBE("divw %%dx", r);
	check_fault("de_div16_reg_by_zero", EXC_DE, 0);
	r = (struct regs){.eax = 0x0005, .ecx = 0x1234};
	PROBE("divb %%ah", r);
	check_fault("de_div8_ah_by_zero", EXC_DE, 0);
	CHECK_EQ32("de_div8_ah_ecx_kept", r.ecx, 0x1234);
	r = (struct regs){.eax = 100, .ecx = 0x0700};
	PROBE("divb %%ch", r);
	check_no_fault("de_div8_ch_ok");
	CHECK_EQ32("de_div8_ch_result", r.eax & 0xffff, 0x020e); /* 100 / 7 = 14 rem 2 */
	CHECK_EQ32("de_div8_ch_ecx_kept", r.ecx, 0x0700);
	r = (struct regs){.eax = 100, .ecx = 0x77, .edx = 0};
	PROBE("divl %%ecx", r);
	check_no_fault("de_div32_ecx_ok");
	CHECK_EQ32("de_div32_ecx_quotient", r.eax, 0);
	CHECK_EQ32("de_div32_ecx_remainder", r.edx, 100);
	CHECK_EQ32("de_div32_ecx_kept", r.ecx, 0x77);
}

/* #DE: divide by zero and quotient too large, 8 and 32 bits, DIV and IDIV. */
static void check_de(void)
{
	r = (struct regs){.eax = 1, .ecx = 0, .edx = 0};
	PROBE("divl %%ecx", r);
	check_fault("de_div32_by_zero", EXC_DE, 0);
	CHECK_EQ32("de_div32_eax_unchanged", r.eax, 1);
	r = (struct regs){.eax = 0, .ecx = 1, .edx = 1};
	PROBE("divl %%ecx", r);
	check_fault("de_div32_overflow", EXC_DE, 0);
	r = (struct regs){.eax = 0x1234, .ecx = 0};
	PROBE("divb %%cl", r);
	check_fault("de_div8_by_zero", EXC_DE, 0);
	r = (struct regs){.eax = 0x1234, .ecx = 0x12};
	PROBE("divb %%cl", r);
	check_fault("de_div8_overflow", EXC_DE, 0);
	r = (struct regs){.eax = 0x8000, .ecx = 0xff}; /* -32768 / -1 */
	PROBE("idivb %%cl", r);
	check_fault("de_idiv8_overflow", EXC_DE, 0);
	r = (struct regs){.eax = 0x80000000, .ecx = 0xffffffff, .edx = 0xffffffff};
	PROBE("idivl %%ecx", r);
	check_fault("de_idiv32_overflow", EXC_DE, 0);
	r = (struct regs){.eax = 100, .ecx = 7, .edx = 0};
	PROBE("divl %%ecx", r);
	check_no_fault("de_div32_ok");
	check_de_forms();
}

/*
 * #DB single-step (Vol. 3A 17.3.1.4): a trap after each instruction that
 * starts with TF = 1, none after the POPF that sets it, one after the POPF
 * that clears it; EIP is the next instruction (the target after a jump),
 * DR6.BS is set and the handler runs with TF = 0.
 */
#define STEPS 7
extern char db_step1[], db_step2[], db_step3[], db_step4[], db_step5[], db_step6[], db_step7[];
void db_run_steps(void);
__asm__(".text\n"
	"db_run_steps:\n\t"
	"pushfl\n\t"
	"orl $0x100, (%esp)\n\t"
	"popfl\n\t" /* TF = 1 from here on */
	"movl $1, %eax\n"
	"db_step1: addl $2, %eax\n"
	"db_step2: nop\n"
	"db_step3: jmp db_step4\n\t"
	"ud2\n"
	"db_step4: pushfl\n"
	"db_step5: andl $~0x100, (%esp)\n"
	"db_step6: popfl\n" /* TF was 1 when it began: traps */
	"db_step7: ret");

static volatile uint32_t db_count, db_eip[STEPS + 1], db_dr6, db_handler_tf;

static void db_handler(struct trap_frame *f)
{
	if (db_count == 0) {
		__asm__ volatile("movl %%dr6, %0" : "=r"(db_dr6));
		db_handler_tf = read_eflags() & EFL_TF;
	}
	if (db_count <= STEPS)
		db_eip[db_count] = f->eip;
	db_count++;
}

static void check_db(void)
{
	const uint32_t want[STEPS] = {
	    (uint32_t)db_step1, (uint32_t)db_step2, (uint32_t)db_step3, (uint32_t)db_step4,
	    (uint32_t)db_step5, (uint32_t)db_step6, (uint32_t)db_step7,
	};

	__asm__ volatile("movl %0, %%dr6" : : "r"(0u));
	trap_set_handler(EXC_DB, db_handler);
	db_run_steps();
	trap_set_handler(EXC_DB, 0);
	CHECK_EQ32("db_single_step_count", db_count, STEPS);
	for (unsigned i = 0; i < STEPS; i++) {
		char step[2] = {(char)('1' + i), 0};

		CHECK_EQ32(check_name("db_single_step_eip", step), db_eip[i], want[i]);
	}
	CHECK_EQ32("db_dr6_bs", db_dr6 & (1u << 14), 1u << 14);
	CHECK_EQ32("db_handler_tf_clear", db_handler_tf, 0);
}

/* #BP, #OF: traps, EIP after the instruction; #BR: a fault. */
static void check_bp_of_br(void)
{
	PROBE("int3", r);
	check_trap_after("bp_int3", EXC_BP);
	PROBE("int $3", r);
	check_trap_after("bp_int_3", EXC_BP);
	r.eax = 0x7fffffff;
	PROBE2("addl $1, %%eax", "into", "", r); /* OF = 1 */
	check_trap_after("of_into_of1", EXC_OF);
	r.eax = 1;
	PROBE2("addl $1, %%eax", "into", "", r);
	check_no_fault("of_into_of0");
	r = (struct regs){.eax = 30, .ebx = (uint32_t)bounds};
	PROBE("boundl %%eax, (%%ebx)", r);
	check_fault("br_bound_above", EXC_BR, 0);
	r = (struct regs){.eax = 9, .ebx = (uint32_t)bounds};
	PROBE("boundl %%eax, (%%ebx)", r);
	check_fault("br_bound_below", EXC_BR, 0);
	r = (struct regs){.eax = 20, .ebx = (uint32_t)bounds};
	PROBE("boundl %%eax, (%%ebx)", r);
	check_no_fault("br_bound_inside");
}

/* #UD: UD2 and encodings invalid in any mode. */
static void check_ud(void)
{
	PROBE("ud2", r);
	check_fault("ud_ud2", EXC_UD, 0);
	PROBE(".byte 0xf0, 0x01, 0xc3", r); /* lock add %eax, %ebx: LOCK on a register */
	check_fault("ud_lock_register_dest", EXC_UD, 0);
	PROBE(".byte 0x8e, 0xc8", r); /* mov %eax, %cs */
	check_fault("ud_mov_to_cs", EXC_UD, 0);
	PROBE(".byte 0x8d, 0xc0", r); /* lea with a register operand */
	check_fault("ud_lea_register", EXC_UD, 0);
	PROBE(".byte 0xc5, 0xc0", r); /* lds with a register operand */
	check_fault("ud_lds_register", EXC_UD, 0);
}

/* #UD for instructions a P6 does not have (last: a translator may give up on them). */
static void check_ud_not_p6(void)
{
	r.ebx = (uint32_t)bounds;
	PROBE("movbe (%%ebx), %%eax", r); /* no MOVBE on a P6 */
	check_fault("ud_movbe", EXC_UD, 0);
	PROBE("haddps %%xmm1, %%xmm0", r); /* SSE3, and CR4.OSFXSR = 0 */
	check_fault("ud_sse3_haddps", EXC_UD, 0);
}

/* Segment register loads: #GP(selector), #NP(selector), #SS(selector), #GP(0). */
static void check_seg_loads(void)
{
	r.eax = SEL(GDT_ENTRIES, 0);
	PROBE("mov %%eax, %%ds", r);
	check_fault("gp_ds_beyond_gdt_limit", EXC_GP, SEL(GDT_ENTRIES, 0));
	r.eax = SEL(SLOT_CODE_X, 0);
	PROBE("mov %%eax, %%es", r);
	check_fault("gp_es_execute_only_code", EXC_GP, SEL(SLOT_CODE_X, 0));
	r.eax = SEL_LDT;
	PROBE("mov %%eax, %%fs", r);
	check_fault("gp_fs_system_segment", EXC_GP, SEL_LDT);
	r.eax = SEL(SLOT_NP_DATA, 0);
	PROBE("mov %%eax, %%ds", r);
	check_fault("np_ds_not_present", EXC_NP, SEL(SLOT_NP_DATA, 0));
	r.eax = LDT_SEL(7, 0); /* an all-zero LDT entry: a system type, so #GP before #NP */
	PROBE("mov %%eax, %%gs", r);
	check_fault("gp_gs_ldt_zero_descriptor", EXC_GP, LDT_SEL(7, 0));

	r.eax = 0;
	PROBE("mov %%eax, %%ss", r);
	check_fault("gp_ss_null", EXC_GP, 0);
	r.eax = SEL(SLOT_DATA_RO, 0);
	PROBE("mov %%eax, %%ss", r);
	check_fault("gp_ss_read_only", EXC_GP, SEL(SLOT_DATA_RO, 0));
	r.eax = SEL_KDATA | 3;
	PROBE("mov %%eax, %%ss", r);
	check_fault("gp_ss_rpl_not_cpl", EXC_GP, SEL_KDATA);
	r.eax = SEL(SLOT_DATA_DPL3, 0);
	PROBE("mov %%eax, %%ss", r);
	check_fault("gp_ss_dpl_not_cpl", EXC_GP, SEL(SLOT_DATA_DPL3, 0));
	r.eax = SEL(SLOT_NP_DATA, 0);
	PROBE("mov %%eax, %%ss", r);
	check_fault("ss_ss_not_present", EXC_SS, SEL(SLOT_NP_DATA, 0));
	r.eax = SEL(SLOT_NP_DATA, 0); /* EDX keeps ESP: a faulting POP leaves it as it was */
	PROBE2("movl %%esp, %%edx\n\tpushl %%eax", "popl %%ds", "movl %%edx, %%esp", r);
	check_fault("np_pop_ds_not_present", EXC_NP, SEL(SLOT_NP_DATA, 0));
}

/* Far transfers and system instructions. */
static void far_probe(const char *name, uint16_t sel, uint32_t offset, int call, unsigned vector,
		      uint32_t error)
{
	far = (struct farptr){.offset = offset, .sel = sel};
	r.ebx = (uint32_t)&far;
	if (call)
		PROBE("lcall *(%%ebx)", r);
	else
		PROBE("ljmp *(%%ebx)", r);
	check_fault(name, vector, error);
}

static void check_far_and_system(void)
{
	far_probe("gp_ljmp_null", 0, 0, 0, EXC_GP, 0);
	far_probe("gp_ljmp_data_segment", SEL_KDATA, 0, 0, EXC_GP, SEL_KDATA);
	far_probe("gp_ljmp_beyond_cs_limit", SEL(SLOT_CODE_4K, 0), 0x2000, 0, EXC_GP, 0);
	far_probe("np_lcall_not_present_code", SEL(SLOT_NP_CODE, 0), 0, 1, EXC_NP,
		  SEL(SLOT_NP_CODE, 0));
	far_probe("ts_ljmp_tss_limit_below_67h", SEL(SLOT_TSS_SMALL, 0), 0, 0, EXC_TS,
		  SEL(SLOT_TSS_SMALL, 0));
	far_probe("np_ljmp_tss_not_present", SEL(SLOT_TSS_NP, 0), 0, 0, EXC_NP,
		  SEL(SLOT_TSS_NP, 0));
	far_probe("gp_ljmp_busy_tss", SEL_TSS, 0, 0, EXC_GP, SEL_TSS);

	r.eax = SEL_KDATA;
	PROBE("lldt %%ax", r);
	check_fault("gp_lldt_not_ldt", EXC_GP, SEL_KDATA);
	r.eax = SEL_TSS; /* busy: it is the current task */
	PROBE("ltr %%ax", r);
	check_fault("gp_ltr_busy_tss", EXC_GP, SEL_TSS);

	PROBE("int $0x41", r);
	check_fault("np_int_gate_not_present", EXC_NP, ERR_IDT(VEC_NP_GATE));
}

/* The IDT limit (#GP) and IRET with NT = 1 to a TSS that is not busy (#TS). */
static void check_idt_limit_and_iret_nt(void)
{
	static struct dtr small_idt, full_idt;

	sidt(&full_idt);
	small_idt = (struct dtr){.limit = 0x7f, .base = full_idt.base}; /* vectors 0-15 */
	r.ebx = (uint32_t)&small_idt;
	r.ecx = (uint32_t)&full_idt;
	PROBE2("lidtl (%%ebx)", "int $0x40", "lidtl (%%ecx)", r);
	check_fault("gp_int_beyond_idt_limit", EXC_GP, ERR_IDT(0x40));

	tss.t.link = SEL(SLOT_TSS_AVAIL, 0);
	PROBE2("pushfl\n\torl $0x4000, (%%esp)\n\tpopfl", "iret",
	       "pushfl\n\tandl $~0x4000, (%%esp)\n\tpopfl", r);
	check_fault("ts_iret_nt_link_not_busy", EXC_TS, SEL(SLOT_TSS_AVAIL, 0));
	tss.t.link = 0;
}

void main(uint32_t magic, uint32_t info)
{
	sys_init();
	setup_descriptors();
	check_de();
	check_db();
	check_bp_of_br();
	check_ud();
	check_seg_loads();
	check_far_and_system();
	check_idt_limit_and_iret_nt();
	check_ud_not_p6();
	test_finish("exceptions");
}
