/*
 * vcpu.c - the virtual CPU's state: creation, the machine state a
 * Multiboot kernel is entered in (Multiboot spec 3.2), and the derived
 * state translated code relies on: the translation mode and each segment's
 * base and bounds (struct seg_fast).
 */
#include <stdlib.h>
#include <string.h>

#include "monitor/internal.h"

/* Descriptor attributes of the flat segments Multiboot prescribes. */
#define ATTR_FLAT_CODE (0xb | SEG_ATTR_S | SEG_ATTR_P | SEG_ATTR_DB | SEG_ATTR_G)
#define ATTR_FLAT_DATA (0x3 | SEG_ATTR_S | SEG_ATTR_P | SEG_ATTR_DB | SEG_ATTR_G)

struct vcpu *vcpu_create(struct vm *vm)
{
	struct vcpu *v = NULL;

	/* The TLB and jump cache are probed at fixed offsets; keep the whole
	 * structure cache-line aligned. */
	if (posix_memalign((void **)&v, 64, sizeof(*v)) != 0)
		return NULL;
	memset(v, 0, sizeof(*v));
	v->vm = vm;
	return v;
}

void vcpu_destroy(struct vcpu *v)
{
	if (v)
		smmu_destroy(&v->mmu);
	free(v);
}

static bool seg_usable(const struct segment *s)
{
	return (s->attr & SEG_ATTR_P) && (s->attr & SEG_ATTR_S);
}

static bool seg_is_code(const struct segment *s)
{
	return s->attr & SEG_TYPE_CODE;
}

/* The offsets an access may touch: [lo, hi], or lo > hi for none. */
static void seg_bounds(const struct segment *s, bool allowed, uint32_t *lo, uint32_t *hi)
{
	bool expand_down = !seg_is_code(s) && (s->attr & SEG_TYPE_DATA_EXPAND_DOWN);

	*lo = 1;
	*hi = 0;
	if (!allowed || !seg_usable(s))
		return;
	if (!expand_down) {
		*lo = 0;
		*hi = s->limit;
	} else if (s->limit != 0xffffffffu) {
		/* Expand-down: valid offsets lie above the limit (SDM 3.4.5). */
		*lo = s->limit + 1;
		*hi = (s->attr & SEG_ATTR_DB) ? 0xffffffffu : 0xffffu;
	}
}

static enum seg_kind seg_kind_of(const struct seg_fast *f)
{
	bool plain = f->read_lo == 0 && f->read_hi == 0xffffffffu && f->write_lo == 0 &&
		     f->write_hi == 0xffffffffu;

	if (!plain)
		return SEG_CHECKED;
	return f->base == 0 ? SEG_FLAT : SEG_BASED;
}

static void seg_fast_update(struct vcpu *v, int sreg)
{
	const struct segment *s = &v->seg[sreg];
	struct seg_fast *f = &v->seg_fast[sreg];
	bool readable = !seg_is_code(s) || (s->attr & SEG_TYPE_CODE_READABLE);
	bool writable = !seg_is_code(s) && (s->attr & SEG_TYPE_DATA_WRITABLE);

	f->base = s->base;
	seg_bounds(s, readable, &f->read_lo, &f->read_hi);
	seg_bounds(s, writable, &f->write_lo, &f->write_hi);
	f->kind = seg_kind_of(f);
}

void vcpu_code_mappings_changed(struct vcpu *v)
{
	jc_clear(&v->jc);
	v->map_epoch += 1ull << 32;
	v->global_epoch += 1ull << 32;
}

void vcpu_user_mappings_changed(struct vcpu *v)
{
	jc_clear_nonglobal(&v->jc);
	v->map_epoch += 1ull << 32; /* per-branch caches refill from the jump cache */
}

/* DR7 enables an instruction breakpoint: L/G bit set, R/W 00 (execute). */
bool vcpu_exec_breakpoints(const struct vcpu *v)
{
	if (!(v->dr[7] & 0xff))
		return false; /* no breakpoint enabled at all: the common case */
	for (int i = 0; i < 4; i++) {
		bool enabled = (v->dr[7] >> (2 * i)) & 3;
		bool exec = ((v->dr[7] >> (16 + 4 * i)) & 3) == 0;

		if (enabled && exec)
			return true;
	}
	return false;
}

/* The translation mode from the segment summaries and the control state. */
static uint32_t current_mode(const struct vcpu *v)
{
	uint32_t mode = v->cpl & MODE_CPL_MASK;

	for (int s = 0; s < X86_NR_SREGS; s++)
		mode |= v->seg_fast[s].kind << (MODE_SEG_SHIFT + 2 * s);
	if (!(v->seg[S_CS].attr & SEG_ATTR_DB))
		mode |= MODE_CODE16;
	if (!(v->seg[S_SS].attr & SEG_ATTR_DB))
		mode |= MODE_STACK16;
	/* One instruction at a time when something must happen after each:
	 * a single-step trap, the end of an interrupt shadow, or a check for
	 * instruction breakpoints before each. */
	if ((v->eflags & EFLAGS_TF) || v->intr_shadow || vcpu_exec_breakpoints(v))
		mode |= MODE_SINGLE;
	if (v->cr0 & (CR0_TS | CR0_EM))
		mode |= MODE_FPU_TRAP;
	if (!(v->cr4 & CR4_OSFXSR))
		mode |= MODE_NO_SSE;
	if ((v->cr0 & CR0_AM) && (v->eflags & EFLAGS_AC) && v->cpl == 3)
		mode |= MODE_ALIGN_CHECK;
	return mode;
}

void vcpu_update_mode(struct vcpu *v)
{
	v->mode = current_mode(v);
}

void vcpu_reload_segments(struct vcpu *v)
{
	for (int s = 0; s < X86_NR_SREGS; s++)
		seg_fast_update(v, s);
	v->mode = current_mode(v);
}

void vcpu_set_segment(struct vcpu *v, int sreg, uint16_t selector, uint32_t base,
		      uint32_t limit, uint16_t attr)
{
	struct segment old_cs = v->seg[S_CS];

	v->seg[sreg] = (struct segment){ .selector = selector, .attr = attr, .base = base,
					 .limit = limit };
	/* The jump cache is keyed on EIP within CS: a new CS base makes its
	 * entries mean other code, a new limit other branch checks. */
	if (sreg == S_CS && (base != old_cs.base || limit != old_cs.limit))
		vcpu_code_mappings_changed(v);
	seg_fast_update(v, sreg);
	vcpu_update_mode(v);
}

/* The FPU state after FNINIT with the default MXCSR: the guest's state at
 * reset, and what C code expects while it runs. */
static void fpu_reset(struct vcpu *v)
{
	uint32_t mxcsr = 0x1f80;

	__asm__ volatile("fninit; ldmxcsr %1; fxsave64 %0" : "=m"(v->host_fxstate) : "m"(mxcsr));
	memcpy(v->fxstate, v->host_fxstate, sizeof(v->fxstate));
	v->fpu_live = 0;
	v->fpu_ensure = v->vm && v->vm->xlat ? xlat_fpu_load_address(v->vm->xlat) : NULL;
}

void vcpu_reset_multiboot(struct vcpu *v, const struct boot_entry *entry)
{
	memset(v->regs, 0, sizeof(v->regs));
	v->regs[R_EAX] = entry->eax;
	v->regs[R_EBX] = entry->ebx;
	v->regs[R_ESI] = entry->esi;
	v->eip = entry->eip;
	v->eflags = EFLAGS_FIXED1;
	v->cpl = 0;
	v->cr0 = CR0_PE | CR0_ET;
	v->cr2 = v->cr3 = v->cr4 = 0;
	smmu_write_cr4(&v->mmu, 0);
	smmu_write_cr3(&v->mmu, 0);
	smmu_write_cr0(&v->mmu, v->cr0);
	v->gdtr = (struct dtable){ 0, 0 };
	v->idtr = (struct dtable){ 0, 0x3ff };
	v->ldtr = (struct segment){ 0 };
	v->tr = (struct segment){ .attr = SYS_TYPE_TSS32_BUSY | SEG_ATTR_P, .limit = 0xffff };
	for (int s = 0; s < X86_NR_SREGS; s++)
		vcpu_set_segment(v, s, s == S_CS ? 0x08 : 0x10, 0, 0xffffffffu,
				 s == S_CS ? ATTR_FLAT_CODE : ATTR_FLAT_DATA);
	v->halted = false;
	v->intr_shadow = false;
	v->exception.valid = false;
	v->msr_pat = 0x0007040600070406ull; /* the PAT's power-on value */
	memset(v->dr, 0, sizeof(v->dr));
	v->dr[6] = 0xffff0ff0u; /* reserved bits read as 1 (SDM Vol. 3A table 9-1) */
	v->dr[7] = 0x00000400u;
	fpu_reset(v);
}

/* Linux's 32-bit boot protocol (Documentation/arch/x86/boot.rst): as for
 * Multiboot, but on the loader's GDT with __BOOT_CS/__BOOT_DS selectors and
 * ESI pointing at boot_params. */
void vcpu_reset_linux(struct vcpu *v, const struct boot_entry *entry, uint32_t gdt_base,
		      uint16_t gdt_limit)
{
	vcpu_reset_multiboot(v, entry);
	v->regs[R_EAX] = v->regs[R_EBX] = 0;
	v->gdtr = (struct dtable){ gdt_base, gdt_limit };
	for (int s = 0; s < X86_NR_SREGS; s++)
		vcpu_set_segment(v, s, s == S_CS ? LINUX_BOOT_CS : LINUX_BOOT_DS, 0, 0xffffffffu,
				 s == S_CS ? ATTR_FLAT_CODE : ATTR_FLAT_DATA);
}
