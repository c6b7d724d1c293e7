/*
 * desc_access.c - the descriptor table of desc_access.h and what the SDM
 * says LAR/LSL/VERR/VERW return for each row at CPL 0 and CPL 3: ZF = 1
 * only for a non-null selector within the table, of a type valid for the
 * instruction (LAR: code, data, LDT, TSS, call and task gates; LSL: code,
 * data, LDT, TSS; VERR: readable code or data; VERW: writable data), and,
 * unless conforming code, DPL >= CPL and DPL >= RPL. Presence is not checked.
 * LAR returns the high dword masked by 00FxFF00H (bits 16-19 undefined), LSL
 * the byte-granular limit; on ZF = 0 the destination is left unchanged.
 */
#include "check.h"
#include "desc_access.h"
#include "gdt.h"

#define W_LAR  1
#define W_LSL  2
#define W_VERR 4
#define W_VERW 8
#define W_ALL  (W_LAR | W_LSL | W_VERR | W_VERW)

enum kind { K_SEG, K_SYS, K_GATE, K_SEL };

struct row {
	const char *name;
	uint8_t kind, type, dpl, rpl, flags, absent; /* K_SEL: type = raw selector */
	uint8_t want0, want3;			     /* W_* at CPL 0 and CPL 3 */
};

#define LIMIT	    0x4567u	   /* limit field of every segment row */
#define GATE_OFFSET 0x12a45678u	   /* gate rows: bits 20-23 show in LAR's result */
#define FIRST_SLOT  (GDT_FREE + 8) /* rows use GDT slots from here on */
#define UNCHANGED   0xdeadbeefu	   /* destination value before LAR/LSL */

static const struct row rows[] = {
    {"code_xr_dpl0", K_SEG, SEG_CODE_XR, 0, 0, DESC_DB, 0, W_LAR | W_LSL | W_VERR, 0},
    {"code_x_dpl0", K_SEG, SEG_CODE_X, 0, 0, DESC_DB, 0, W_LAR | W_LSL, 0},
    {"code_xr_dpl3", K_SEG, SEG_CODE_XR, 3, 3, DESC_DB, 0, W_LAR | W_LSL | W_VERR,
     W_LAR | W_LSL | W_VERR},
    {"code_conf_xr_dpl0_rpl3", K_SEG, SEG_CODE_XR_CONF, 0, 3, DESC_DB, 0, W_LAR | W_LSL | W_VERR,
     W_LAR | W_LSL | W_VERR},
    {"code_conf_x_dpl0", K_SEG, SEG_CODE_X_CONF, 0, 0, 0, 0, W_LAR | W_LSL, W_LAR | W_LSL},
    {"data_rw_dpl0", K_SEG, SEG_DATA_RW, 0, 0, DESC_DB, 0, W_ALL, 0},
    {"data_rw_dpl0_rpl3", K_SEG, SEG_DATA_RW, 0, 3, DESC_DB, 0, 0, 0},
    {"data_rw_dpl1_rpl1", K_SEG, SEG_DATA_RW, 1, 1, 0, 0, W_ALL, 0},
    {"data_ro_dpl3", K_SEG, SEG_DATA_RO, 3, 3, 0, 0, W_LAR | W_LSL | W_VERR,
     W_LAR | W_LSL | W_VERR},
    {"data_rw_dpl3", K_SEG, SEG_DATA_RW, 3, 0, 0, 0, W_ALL, W_ALL},
    {"data_rw_down_dpl3", K_SEG, SEG_DATA_RW_DOWN, 3, 3, DESC_DB, 0, W_ALL, W_ALL},
    {"data_rw_4k_dpl3", K_SEG, SEG_DATA_RW, 3, 3, DESC_G | DESC_DB, 0, W_ALL, W_ALL},
    {"data_rw_not_present_dpl3", K_SEG, SEG_DATA_RW, 3, 3, 0, 1, W_ALL, W_ALL},
    {"ldt_dpl0", K_SYS, SYS_LDT, 0, 0, 0, 0, W_LAR | W_LSL, 0},
    {"ldt_dpl0_rpl3", K_SYS, SYS_LDT, 0, 3, 0, 0, 0, 0},
    {"ldt_dpl3", K_SYS, SYS_LDT, 3, 3, 0, 0, W_LAR | W_LSL, W_LAR | W_LSL},
    {"tss32_dpl0", K_SYS, SYS_TSS32, 0, 0, 0, 0, W_LAR | W_LSL, 0},
    {"tss32_busy_dpl3", K_SYS, SYS_TSS32_BUSY, 3, 3, 0, 0, W_LAR | W_LSL, W_LAR | W_LSL},
    {"tss16_dpl3", K_SYS, SYS_TSS16, 3, 3, 0, 0, W_LAR | W_LSL, W_LAR | W_LSL},
    {"tss16_busy_dpl3", K_SYS, SYS_TSS16_BUSY, 3, 3, 0, 0, W_LAR | W_LSL, W_LAR | W_LSL},
    {"call_gate32_dpl0", K_GATE, SYS_CALL32, 0, 0, 0, 0, W_LAR, 0},
    {"call_gate32_dpl3", K_GATE, SYS_CALL32, 3, 3, 0, 0, W_LAR, W_LAR},
    {"call_gate16_dpl3", K_GATE, SYS_CALL16, 3, 3, 0, 0, W_LAR, W_LAR},
    {"task_gate_dpl3", K_GATE, SYS_TASK_GATE, 3, 3, 0, 0, W_LAR, W_LAR},
    {"int_gate32_dpl3", K_GATE, SYS_INT32, 3, 3, 0, 0, 0, 0},
    {"trap_gate32_dpl3", K_GATE, SYS_TRAP32, 3, 3, 0, 0, 0, 0},
    {"int_gate16_dpl3", K_GATE, SYS_INT16, 3, 3, 0, 0, 0, 0},
    {"trap_gate16_dpl3", K_GATE, SYS_TRAP16, 3, 3, 0, 0, 0, 0},
    {"system_type0_dpl3", K_SYS, 0x0, 3, 3, 0, 0, 0, 0},
    {"system_type8_dpl3", K_SYS, 0x8, 3, 3, 0, 0, 0, 0},
    {"system_typea_dpl3", K_SYS, 0xa, 3, 3, 0, 0, 0, 0},
    {"system_typed_dpl3", K_SYS, 0xd, 3, 3, 0, 0, 0, 0},
    {"null_selector", K_SEL, 0x00, 0, 0, 0, 0, 0, 0},
    {"null_selector_rpl3", K_SEL, 0x03, 0, 0, 0, 0, 0, 0},
    {"beyond_gdt_limit", K_SEL, GDT_ENTRIES, 0, 0, 0, 0, 0, 0},
    {"ldt_data_dpl3", K_SEL, 0xf0 | 2, 0, 0, 0, 0, W_ALL, W_ALL},
    {"beyond_ldt_limit", K_SEL, 0xf0 | LDT_ENTRIES, 0, 0, 0, 0, 0, 0},
};
#define NROWS (sizeof(rows) / sizeof(rows[0]))

/* Raw-selector rows: type is a GDT index, or 0xf0 | LDT index. */
static uint16_t row_selector(unsigned i)
{
	const struct row *r = &rows[i];

	if (r->kind != K_SEL)
		return SEL(FIRST_SLOT + i, r->rpl);
	if (r->type == 0x00 || r->type == 0x03)
		return r->type;
	if ((r->type & 0xf0) == 0xf0)
		return LDT_SEL(r->type & 0x0f, 0);
	return SEL(r->type, 0);
}

static uint64_t row_desc(const struct row *r)
{
	uint64_t d;

	if (r->kind == K_SEG)
		d = desc_seg(0x00345000, LIMIT, r->type, r->dpl, r->flags);
	else if (r->kind == K_SYS)
		d = desc_sys(0x00345000, LIMIT, r->type, r->dpl);
	else
		d = desc_gate(SEL_KCODE, GATE_OFFSET, r->type, r->dpl, 2);
	return r->absent ? d & ~DESC_P : d;
}

/* The descriptor a row's selector names (for the expected LAR/LSL values). */
static uint64_t row_named_desc(unsigned i)
{
	uint16_t sel = row_selector(i);

	if (sel & 4)
		return ldt[sel >> 3];
	return gdt[sel >> 3];
}

unsigned desc_access_count(void)
{
	return NROWS;
}

void desc_access_install(void)
{
	for (unsigned i = 0; i < NROWS; i++)
		if (rows[i].kind != K_SEL)
			gdt_set(FIRST_SLOT + i, row_desc(&rows[i]));
}

void desc_access_run(struct desc_access *out)
{
	for (unsigned i = 0; i < NROWS; i++) {
		uint32_t sel = row_selector(i);
		struct desc_access *a = &out[i];

		a->lar = a->lsl = UNCHANGED;
		__asm__ volatile("lar %w2, %0\n\tsetz %b1"
				 : "+r"(a->lar), "=q"(a->lar_zf)
				 : "r"(sel)
				 : "cc");
		__asm__ volatile("lsl %w2, %0\n\tsetz %b1"
				 : "+r"(a->lsl), "=q"(a->lsl_zf)
				 : "r"(sel)
				 : "cc");
		__asm__ volatile("verr %w1\n\tsetz %b0" : "=q"(a->verr_zf) : "r"(sel) : "cc");
		__asm__ volatile("verw %w1\n\tsetz %b0" : "=q"(a->verw_zf) : "r"(sel) : "cc");
		a->lar_zf &= 1;
		a->lsl_zf &= 1;
		a->verr_zf &= 1;
		a->verw_zf &= 1;
	}
}

/* The byte-granular limit of a descriptor, as LSL computes it. */
static uint32_t desc_limit(uint64_t d)
{
	uint32_t limit = (uint32_t)(d & 0xffff) | (uint32_t)((d >> 32) & 0xf0000);

	return (d >> 32) & DESC_HI_G ? (limit << 12) | 0xfff : limit;
}

/* Appends one mismatch to the detail text. */
static void note(char *buf, unsigned *n, const char *what)
{
	while (*what && *n < 120)
		buf[(*n)++] = *what++;
	buf[*n] = 0;
}

void desc_access_check(const struct desc_access *out, unsigned cpl)
{
	for (unsigned i = 0; i < NROWS; i++) {
		const struct desc_access *a = &out[i];
		unsigned want = cpl ? rows[i].want3 : rows[i].want0;
		uint32_t hi = (uint32_t)(row_named_desc(i) >> 32);
		uint32_t want_lar = want & W_LAR ? hi & 0x00f0ff00 : UNCHANGED;
		uint32_t want_lsl = want & W_LSL ? desc_limit(row_named_desc(i)) : UNCHANGED;
		char detail[128] = "";
		unsigned n = 0;

		if (a->lar_zf != !!(want & W_LAR))
			note(detail, &n, " lar_zf");
		if ((a->lar & ~0x000f0000u) != (want_lar & ~0x000f0000u))
			note(detail, &n, " lar_value");
		if (a->lsl_zf != !!(want & W_LSL) || a->lsl != want_lsl)
			note(detail, &n, " lsl");
		if (a->verr_zf != !!(want & W_VERR))
			note(detail, &n, " verr");
		if (a->verw_zf != !!(want & W_VERW))
			note(detail, &n, " verw");
		if (n)
			check_fail(check_name("sel", rows[i].name),
				   "wrong:%s (lar %u/0x%08x lsl %u/0x%08x verr %u verw %u)", detail,
				   a->lar_zf, a->lar, a->lsl_zf, a->lsl, a->verr_zf, a->verw_zf);
		else
			check_ok(check_name("sel", rows[i].name));
	}
}
