/*
 * x86.h - architectural constants of IA-32, named after the Intel SDM
 * (Vol. 3A ch. 2-6), with the meaning beside each. Definitions only: any
 * folder may include this header.
 */
#ifndef BTVMM_X86_H
#define BTVMM_X86_H

#include <stdint.h>

/* ---- General registers, in the order the ModRM encoding numbers them ---- */
enum x86_gpr {
	R_EAX = 0,
	R_ECX = 1,
	R_EDX = 2,
	R_EBX = 3,
	R_ESP = 4,
	R_EBP = 5,
	R_ESI = 6,
	R_EDI = 7,
	X86_NR_GPRS = 8,
};

/* ---- Segment registers, in the order the sreg field numbers them ---- */
enum x86_sreg {
	S_ES = 0,
	S_CS = 1,
	S_SS = 2,
	S_DS = 3,
	S_FS = 4,
	S_GS = 5,
	X86_NR_SREGS = 6,
};

/* ---- EFLAGS (SDM Vol. 1 3.4.3) ---- */
#define EFLAGS_CF (1u << 0)	    /* carry */
#define EFLAGS_FIXED1 (1u << 1)	    /* always reads as 1 */
#define EFLAGS_PF (1u << 2)	    /* parity of the low result byte */
#define EFLAGS_AF (1u << 4)	    /* auxiliary carry (BCD) */
#define EFLAGS_ZF (1u << 6)	    /* zero */
#define EFLAGS_SF (1u << 7)	    /* sign */
#define EFLAGS_TF (1u << 8)	    /* trap: single-step */
#define EFLAGS_IF (1u << 9)	    /* maskable interrupts enabled */
#define EFLAGS_DF (1u << 10)	    /* string direction: 1 = decrement */
#define EFLAGS_OF (1u << 11)	    /* signed overflow */
#define EFLAGS_IOPL_SHIFT 12
#define EFLAGS_IOPL_MASK (3u << 12) /* I/O privilege level */
#define EFLAGS_NT (1u << 14)	    /* nested task (IRET does a task return) */
#define EFLAGS_RF (1u << 16)	    /* resume: suppress instruction breakpoints once */
#define EFLAGS_VM (1u << 17)	    /* virtual-8086 mode */
#define EFLAGS_AC (1u << 18)	    /* alignment check */
#define EFLAGS_VIF (1u << 19)	    /* virtual IF (VME/PVI) */
#define EFLAGS_VIP (1u << 20)	    /* virtual interrupt pending */
#define EFLAGS_ID (1u << 21)	    /* CPUID is available if this bit can be toggled */

/* The six status flags arithmetic instructions write. */
#define EFLAGS_ARITH (EFLAGS_CF | EFLAGS_PF | EFLAGS_AF | EFLAGS_ZF | EFLAGS_SF | EFLAGS_OF)
/* The bits POPF can change on a P6 (everything else reads as 0, bit 1 as 1). */
#define EFLAGS_P6_WRITABLE                                                                          \
	(EFLAGS_ARITH | EFLAGS_TF | EFLAGS_IF | EFLAGS_DF | EFLAGS_IOPL_MASK | EFLAGS_NT |           \
	 EFLAGS_RF | EFLAGS_VM | EFLAGS_AC | EFLAGS_VIF | EFLAGS_VIP | EFLAGS_ID)

/* ---- CR0 (SDM Vol. 3A 2.5) ---- */
#define CR0_PE (1u << 0)  /* protection enable */
#define CR0_MP (1u << 1)  /* monitor coprocessor: WAIT honours TS */
#define CR0_EM (1u << 2)  /* emulation: x87 instructions raise #NM */
#define CR0_TS (1u << 3)  /* task switched: next x87/SSE use raises #NM */
#define CR0_ET (1u << 4)  /* extension type: hard-wired to 1 on P6 */
#define CR0_NE (1u << 5)  /* numeric error: native x87 error reporting */
#define CR0_WP (1u << 16) /* write protect: supervisor writes honour R/W */
#define CR0_AM (1u << 18) /* alignment mask: enables EFLAGS.AC checking */
#define CR0_NW (1u << 29) /* not write-through */
#define CR0_CD (1u << 30) /* cache disable */
#define CR0_PG (1u << 31) /* paging */

/* ---- CR3 ---- */
#define CR3_PWT (1u << 3)
#define CR3_PCD (1u << 4)
#define CR3_BASE_MASK 0xfffff000u /* page directory base (non-PAE) */

/* ---- CR4 (SDM Vol. 3A 2.5) ---- */
#define CR4_VME (1u << 0)	 /* virtual-8086 mode extensions */
#define CR4_PVI (1u << 1)	 /* protected-mode virtual interrupts */
#define CR4_TSD (1u << 2)	 /* time stamp disable: RDTSC at CPL>0 faults */
#define CR4_DE (1u << 3)	 /* debugging extensions */
#define CR4_PSE (1u << 4)	 /* 4 MB pages */
#define CR4_PAE (1u << 5)	 /* physical address extension */
#define CR4_MCE (1u << 6)	 /* machine check enable */
#define CR4_PGE (1u << 7)	 /* global pages survive CR3 loads */
#define CR4_PCE (1u << 8)	 /* RDPMC allowed at CPL>0 */
#define CR4_OSFXSR (1u << 9)	 /* OS supports FXSAVE/FXRSTOR and SSE */
#define CR4_OSXMMEXCPT (1u << 10) /* OS handles SIMD exceptions (#XM) */

/* ---- Paging structures, 32-bit non-PAE (SDM Vol. 3A 4.3) ---- */
#define PTE_P (1u << 0)	     /* present */
#define PTE_W (1u << 1)	     /* writable */
#define PTE_U (1u << 2)	     /* user-accessible */
#define PTE_PWT (1u << 3)    /* write-through */
#define PTE_PCD (1u << 4)    /* cache disable */
#define PTE_A (1u << 5)	     /* accessed */
#define PTE_D (1u << 6)	     /* dirty (PTEs and 4 MB PDEs only) */
#define PDE_PS (1u << 7)     /* page size: this PDE maps a 4 MB page */
#define PTE_G (1u << 8)	     /* global (CR4.PGE) */
#define PTE_FRAME 0xfffff000u
#define PDE_FRAME_4M 0xffc00000u

#define PAGE_SHIFT 12
#define PAGE_SIZE (1u << PAGE_SHIFT)
#define PAGE_MASK (~(PAGE_SIZE - 1))

/* Page-fault error code bits (SDM Vol. 3A 4.7) */
#define PFEC_P (1u << 0)    /* 0: not present, 1: protection violation */
#define PFEC_W (1u << 1)    /* the access was a write */
#define PFEC_U (1u << 2)    /* the access was made at CPL 3 */
#define PFEC_RSVD (1u << 3) /* reserved bit set in a paging entry */
#define PFEC_I (1u << 4)    /* instruction fetch (only with NX) */

/* ---- Exception vectors (SDM Vol. 3A 6.3.1) ---- */
enum x86_exception {
	EXC_DE = 0,  /* divide error */
	EXC_DB = 1,  /* debug */
	EXC_NMI = 2, /* non-maskable interrupt */
	EXC_BP = 3,  /* breakpoint (INT3) */
	EXC_OF = 4,  /* overflow (INTO) */
	EXC_BR = 5,  /* BOUND range exceeded */
	EXC_UD = 6,  /* invalid opcode */
	EXC_NM = 7,  /* device not available */
	EXC_DF = 8,  /* double fault */
	EXC_TS = 10, /* invalid TSS */
	EXC_NP = 11, /* segment not present */
	EXC_SS = 12, /* stack-segment fault */
	EXC_GP = 13, /* general protection */
	EXC_PF = 14, /* page fault */
	EXC_MF = 16, /* x87 floating-point error */
	EXC_AC = 17, /* alignment check */
	EXC_MC = 18, /* machine check */
	EXC_XM = 19, /* SIMD floating-point exception */
};

/* ---- Segment descriptors (SDM Vol. 3A 3.4.5) ----
 * A descriptor is two dwords. We keep the attribute bits of the high dword
 * (bits 8-23: type, S, DPL, P, limit 19:16, AVL, L, D/B, G) as a 16-bit
 * "attr" word with the limit nibble removed: attr = type|S<<4|DPL<<5|P<<7|
 * AVL<<12|L<<13|DB<<14|G<<15, the layout hardware uses in VMX's AR bytes.
 */
#define SEG_ATTR_TYPE_MASK 0x000f /* type field */
#define SEG_ATTR_S 0x0010	  /* 1: code/data, 0: system descriptor */
#define SEG_ATTR_DPL_SHIFT 5
#define SEG_ATTR_DPL_MASK 0x0060
#define SEG_ATTR_P 0x0080   /* present */
#define SEG_ATTR_AVL 0x1000 /* available to software */
#define SEG_ATTR_DB 0x4000  /* default operand size / stack size: 1 = 32-bit */
#define SEG_ATTR_G 0x8000   /* limit granularity: 1 = 4 KB units */

/* Code/data type bits (S = 1) */
#define SEG_TYPE_ACCESSED 0x1
#define SEG_TYPE_DATA_WRITABLE 0x2   /* data: writable */
#define SEG_TYPE_DATA_EXPAND_DOWN 0x4 /* data: expand-down */
#define SEG_TYPE_CODE_READABLE 0x2   /* code: readable */
#define SEG_TYPE_CODE_CONFORMING 0x4 /* code: conforming */
#define SEG_TYPE_CODE 0x8	     /* 1: code, 0: data */

/* System descriptor types (S = 0) */
#define SYS_TYPE_TSS16_AVAIL 0x1
#define SYS_TYPE_LDT 0x2
#define SYS_TYPE_TSS16_BUSY 0x3
#define SYS_TYPE_CALL_GATE16 0x4
#define SYS_TYPE_TASK_GATE 0x5
#define SYS_TYPE_INTR_GATE16 0x6
#define SYS_TYPE_TRAP_GATE16 0x7
#define SYS_TYPE_TSS32_AVAIL 0x9
#define SYS_TYPE_TSS32_BUSY 0xb
#define SYS_TYPE_CALL_GATE32 0xc
#define SYS_TYPE_INTR_GATE32 0xe
#define SYS_TYPE_TRAP_GATE32 0xf

/* Selector fields (SDM Vol. 3A 3.4.2) */
#define SEL_RPL_MASK 0x3 /* requested privilege level */
#define SEL_TI 0x4	 /* table indicator: 1 = LDT */
#define SEL_INDEX_MASK 0xfff8

static inline uint32_t desc_base(uint32_t lo, uint32_t hi)
{
	return (lo >> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000u);
}

/* The byte-granular limit: 20 bits, scaled to 4 KB units when G is set. */
static inline uint32_t desc_limit_bytes(uint32_t lo, uint32_t hi)
{
	uint32_t limit = (lo & 0xffff) | (hi & 0x000f0000u);
	return (hi & (1u << 23)) ? (limit << 12) | 0xfff : limit;
}

static inline uint16_t desc_attr(uint32_t hi)
{
	return (uint16_t)(((hi >> 8) & 0x00ff) | ((hi >> 8) & 0xf000));
}

/* ---- Model-specific registers a P6 has (SDM Vol. 4) ---- */
#define MSR_IA32_TSC 0x010
#define MSR_IA32_APIC_BASE 0x01b
#define MSR_IA32_SYSENTER_CS 0x174
#define MSR_IA32_SYSENTER_ESP 0x175
#define MSR_IA32_SYSENTER_EIP 0x176
#define MSR_IA32_MISC_ENABLE 0x1a0
#define MSR_IA32_PAT 0x277

#endif /* BTVMM_X86_H */
