/*
 * gdt.h - the system guests' descriptor tables: a GDT with ring-0 and
 * ring-3 flat segments, a 32-bit TSS with an I/O permission bitmap, an LDT,
 * and builders for every descriptor kind (SDM Vol. 3A 3.4.5, 3.5, 5.8, 6.11,
 * 7.2). gdt_init() keeps boot.S's flat selectors 0x08/0x10.
 */
#ifndef GUEST_GDT_H
#define GUEST_GDT_H

#ifndef __ASSEMBLER__
#include <stdint.h>
#endif

/* Selector = index << 3 | TI (1: LDT) << 2 | RPL. */
#define SEL(index, rpl)	    ((uint16_t)(((index) << 3) | (rpl)))
#define LDT_SEL(index, rpl) ((uint16_t)(((index) << 3) | 4 | (rpl)))

/* The fixed GDT slots. */
#define SEL_KCODE   0x08 /* 1: flat 32-bit code, DPL 0 (as boot.S) */
#define SEL_KDATA   0x10 /* 2: flat 32-bit data, DPL 0 (as boot.S) */
#define SEL_UCODE   0x1b /* 3: flat 32-bit code, DPL 3, with RPL 3 */
#define SEL_UDATA   0x23 /* 4: flat 32-bit data, DPL 3, with RPL 3 */
#define SEL_TSS	    0x28 /* 5: the main 32-bit TSS (tss) */
#define SEL_LDT	    0x30 /* 6: the LDT (ldt) */
#define GDT_FREE    7	 /* first slot the tests may use */
#define GDT_ENTRIES 64

#define LDT_ENTRIES 8 /* ldt[1]: flat data DPL 0, ldt[2]: flat data DPL 3, rest free */

#define TSS_ESP0 4 /* offset of ESP0 in the TSS, for assembly */

/* Descriptor type field (bits 8-11 of the high dword) of code/data segments (S = 1). */
#define SEG_DATA_RO	 0x0
#define SEG_DATA_RW	 0x2
#define SEG_DATA_RO_DOWN 0x4 /* expand-down */
#define SEG_DATA_RW_DOWN 0x6
#define SEG_CODE_X	 0x8 /* execute-only */
#define SEG_CODE_XR	 0xa
#define SEG_CODE_X_CONF	 0xc /* conforming */
#define SEG_CODE_XR_CONF 0xe
#define SEG_ACCESSED	 0x1

/* System descriptor types (S = 0). */
#define SYS_TSS16      0x1
#define SYS_LDT	       0x2
#define SYS_TSS16_BUSY 0x3
#define SYS_CALL16     0x4
#define SYS_TASK_GATE  0x5
#define SYS_INT16      0x6
#define SYS_TRAP16     0x7
#define SYS_TSS32      0x9
#define SYS_TSS32_BUSY 0xb
#define SYS_CALL32     0xc
#define SYS_INT32      0xe
#define SYS_TRAP32     0xf

/* High-dword flags of desc_seg(). */
#define DESC_G	 0x8 /* limit in 4 KiB units */
#define DESC_DB	 0x4 /* 32-bit code / 32-bit stack, 4 GiB expand-down bound */
#define DESC_AVL 0x1

/* Bits of the descriptor's high dword, as LAR returns them. */
#define DESC_HI_TYPE(t) ((uint32_t)(t) << 8)
#define DESC_HI_S	(1u << 12)
#define DESC_HI_DPL(d)	((uint32_t)(d) << 13)
#define DESC_HI_P	(1u << 15)
#define DESC_HI_DB	(1u << 22)
#define DESC_HI_G	(1u << 23)
#define DESC_P		(1ull << 47) /* present, in the 64-bit descriptor */
#define DESC_TSS_BUSY	(1ull << 41) /* busy bit of a TSS descriptor's type */

#ifndef __ASSEMBLER__
/* The 32-bit TSS (Vol. 3A Figure 7-2). */
struct tss32 {
	uint16_t link, r0;
	uint32_t esp0;
	uint16_t ss0, r1;
	uint32_t esp1;
	uint16_t ss1, r2;
	uint32_t esp2;
	uint16_t ss2, r3;
	uint32_t cr3, eip, eflags;
	uint32_t eax, ecx, edx, ebx, esp, ebp, esi, edi;
	uint16_t es, r4, cs, r5, ss, r6, ds, r7, fs, r8, gs, r9;
	uint16_t ldt, r10;
	uint16_t trap, iomap_base;
};

/* The main TSS with a full I/O bitmap (ports 0-0xffff) and its 0xff terminator. */
struct tss_io {
	struct tss32 t;
	uint8_t iomap[8192];
	uint8_t iomap_end;
};

/* The main TSS's full limit: up to and including the terminator byte. */
#define TSS_LIMIT ((uint32_t) __builtin_offsetof(struct tss_io, iomap_end))

extern uint64_t gdt[GDT_ENTRIES];
extern uint64_t ldt[LDT_ENTRIES];
extern struct tss_io tss;

/*
 * Builds a present code or data descriptor: limit is the 20-bit field
 * (in 4 KiB units when flags has DESC_G), type one of SEG_*.
 */
uint64_t desc_seg(uint32_t base, uint32_t limit, unsigned type, unsigned dpl, unsigned flags);

/* A present system segment (TSS or LDT), byte granular. */
uint64_t desc_sys(uint32_t base, uint32_t limit, unsigned type, unsigned dpl);

/*
 * A present gate: call gate (with params dwords copied), interrupt, trap or
 * task gate (offset unused) to selector:offset.
 */
uint64_t desc_gate(uint16_t sel, uint32_t offset, unsigned type, unsigned dpl, unsigned params);

/* The 32-bit flat segments of gdt[1..4], by DPL. */
#define DESC_FLAT_CODE(dpl) desc_seg(0, 0xfffff, SEG_CODE_XR, dpl, DESC_G | DESC_DB)
#define DESC_FLAT_DATA(dpl) desc_seg(0, 0xfffff, SEG_DATA_RW, dpl, DESC_G | DESC_DB)

/* The high dword of gdt[index] masked as a 32-bit LAR returns it (00F0FF00H). */
uint32_t gdt_lar_bits(unsigned index);

/*
 * Loads this GDT and reloads every segment register (same 0x08/0x10), fills
 * the TSS (SS0 = 0x10, I/O bitmap all ones: every port denied at CPL > IOPL)
 * and loads TR = SEL_TSS and LDTR = SEL_LDT.
 */
void gdt_init(void);

/* gdt[index] = desc. */
void gdt_set(unsigned index, uint64_t desc);

/*
 * Gives the main TSS descriptor a new limit (normally TSS_LIMIT) and
 * reloads TR, which caches it. Clears the busy bit first, as LTR needs.
 */
void tss_reload(uint32_t limit);

/* Clears (allow) or sets (deny) the I/O bitmap bits of ports [port, port + n). */
void tss_io_allow(uint16_t port, unsigned n);
void tss_io_deny(uint16_t port, unsigned n);

/* Fills a TSS for a task that starts at eip on the top of a stack, flat ring-0 segments. */
void tss_prepare(struct tss32 *t, void (*eip)(void), void *stack_top);

#endif /* __ASSEMBLER__ */

#endif
