/*
 * cpu.h - architectural constants and one-instruction accessors for the
 * system test guests: EFLAGS system bits (SDM Vol. 1 3.4.3, Vol. 3A 2.3),
 * CR0/CR4 bits (Vol. 3A 2.5), exception vectors (Vol. 3A Table 6-1).
 */
#ifndef GUEST_CPU_H
#define GUEST_CPU_H

#include <stdint.h>

/* EFLAGS system and control bits; the status flags are FL_* in check.h. */
#define EFL_RESERVED1 (1u << 1)	 /* always reads as 1 */
#define EFL_TF	      (1u << 8)	 /* trap: single-step */
#define EFL_IF	      (1u << 9)	 /* external interrupts enabled */
#define EFL_DF	      (1u << 10) /* string direction */
#define EFL_IOPL_MASK (3u << 12) /* I/O privilege level */
#define EFL_IOPL(n)   ((uint32_t)(n) << 12)
#define EFL_NT	      (1u << 14) /* nested task: IRET returns to the TSS back link */
#define EFL_RF	      (1u << 16) /* resume: suppress instruction breakpoints */
#define EFL_VM	      (1u << 17) /* virtual-8086 mode */
#define EFL_AC	      (1u << 18) /* alignment check */

#define CR0_PE (1u << 0)  /* protection enable */
#define CR0_MP (1u << 1)  /* monitor coprocessor: WAIT honours TS */
#define CR0_EM (1u << 2)  /* x87 emulation: FPU instructions raise #NM */
#define CR0_TS (1u << 3)  /* task switched: set by every task switch */
#define CR0_ET (1u << 4)  /* extension type, 1 on P6 */
#define CR0_WP (1u << 16) /* supervisor writes honour R/W */
#define CR0_PG (1u << 31) /* paging */

#define CR4_TSD	   (1u << 2) /* RDTSC is privileged */
#define CR4_PCE	   (1u << 8) /* RDPMC allowed at any CPL */
#define CR4_OSFXSR (1u << 9) /* OS supports FXSAVE and SSE */

/* Exception vectors; those marked E push an error code. */
#define EXC_DE 0  /* divide error */
#define EXC_DB 1  /* debug */
#define EXC_BP 3  /* breakpoint (INT3) */
#define EXC_OF 4  /* overflow (INTO) */
#define EXC_BR 5  /* BOUND range exceeded */
#define EXC_UD 6  /* invalid opcode */
#define EXC_NM 7  /* device not available */
#define EXC_DF 8  /* double fault, E (always 0) */
#define EXC_TS 10 /* invalid TSS, E */
#define EXC_NP 11 /* segment not present, E */
#define EXC_SS 12 /* stack-segment fault, E */
#define EXC_GP 13 /* general protection, E */
#define EXC_PF 14 /* page fault, E */
#define EXC_AC 17 /* alignment check, E */

/* Error code of a fault on IDT entry v (Vol. 3A 6.13): index, IDT bit (2), EXT bit (1). */
#define ERR_IDT(v)     (((uint32_t)(v) << 3) | 2)
#define ERR_IDT_EXT(v) (ERR_IDT(v) | 1)

/* A descriptor-table register image as SGDT/SIDT store it. */
struct __attribute__((packed)) dtr {
	uint16_t limit;
	uint32_t base;
};

/* A 48-bit far pointer, the operand of LJMP/LCALL m16:32. */
struct __attribute__((packed)) farptr {
	uint32_t offset;
	uint16_t sel;
};

static inline uint32_t read_eflags(void)
{
	uint32_t v;

	__asm__ volatile("pushfl\n\tpopl %0" : "=r"(v));
	return v;
}

static inline void write_eflags(uint32_t v)
{
	__asm__ volatile("pushl %0\n\tpopfl" : : "r"(v) : "cc", "memory");
}

#define READ_CR(n)                                                                                 \
	({                                                                                         \
		uint32_t v_;                                                                       \
		__asm__ volatile("movl %%cr" #n ", %0" : "=r"(v_));                                \
		v_;                                                                                \
	})
#define WRITE_CR(n, v) __asm__ volatile("movl %0, %%cr" #n : : "r"((uint32_t)(v)) : "memory")

static inline uint16_t read_cs(void)
{
	uint16_t v;

	__asm__ volatile("movw %%cs, %0" : "=r"(v));
	return v;
}

static inline uint16_t read_ss(void)
{
	uint16_t v;

	__asm__ volatile("movw %%ss, %0" : "=r"(v));
	return v;
}

static inline uint16_t read_str(void)
{
	uint16_t v;

	__asm__ volatile("strw %0" : "=r"(v));
	return v;
}

static inline uint16_t read_sldt(void)
{
	uint16_t v;

	__asm__ volatile("sldtw %0" : "=r"(v));
	return v;
}

static inline void sgdt(struct dtr *d)
{
	__asm__ volatile("sgdtl %0" : "=m"(*d));
}

static inline void sidt(struct dtr *d)
{
	__asm__ volatile("sidtl %0" : "=m"(*d));
}

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void cli(void)
{
	__asm__ volatile("cli" : : : "memory");
}

static inline void sti(void)
{
	__asm__ volatile("sti" : : : "memory");
}

#endif
