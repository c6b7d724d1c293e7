/*
 * idt.h - the system guests' IDT and trap handling (SDM Vol. 3A 6.10-6.14):
 * one stub per vector that records what the CPU pushed, per-vector C
 * handlers, and probes, which run one instruction and catch its fault so a
 * test can check "instruction X raised vector V with error code E at EIP X".
 */
#ifndef GUEST_IDT_H
#define GUEST_IDT_H

#include <stdint.h>

/* What a handler sees, lowest address first; every field a dword. */
struct trap_frame {
	uint32_t gs, fs, es, ds;			       /* pushed by the common stub */
	uint32_t edi, esi, ebp, esp_pusha, ebx, edx, ecx, eax; /* PUSHA */
	uint32_t vector;				       /* pushed by the vector's stub */
	uint32_t error; /* pushed by the CPU for vectors 8, 10-14, 17; else 0 by the stub */
	uint32_t eip, cs, eflags; /* pushed by the CPU */
	uint32_t esp, ss;	  /* pushed by the CPU only when the CPL changed */
};

/* The last trap taken, as trap_dispatch() saw it. */
struct trap_record {
	uint32_t count; /* traps since probe_arm() */
	uint32_t vector, error, eip, cs, eflags;
	uint32_t esp, ss;    /* the interrupted stack (from the frame if the CPL changed) */
	uint32_t frame;	     /* address of the frame's EIP slot: where the CPU pushed to */
	uint32_t handler_ss; /* SS while the handler ran */
};

typedef void (*trap_handler_fn)(struct trap_frame *f);

extern uint64_t idt[256];
extern volatile struct trap_record trap_last;

/*
 * Address of the probed instruction, of the one after it (where a trap such
 * as INT3 reports), and where a fault in it resumes (probe_end; 0 once used).
 */
extern volatile uint32_t probe_start, probe_end, probe_resume;

/* Entry stubs, 16 bytes apart: idt_stubs + 16 * vector. */
extern char idt_stubs[];

/*
 * Loads an IDT whose 256 entries are DPL-0 32-bit interrupt gates to the
 * stubs. With no handler set, a trap resumes an armed probe, or else prints
 * "FAIL unexpected_trap: ..." and exits.
 */
void idt_init(void);

/* idt[vector] = desc. */
void idt_set(unsigned vector, uint64_t desc);

/* A gate of the given type (SYS_INT32, SYS_TRAP32, ...) and DPL to vector's stub. */
uint64_t idt_stub_gate(unsigned vector, unsigned type, unsigned dpl);

/* Calls fn for every trap on vector (NULL: back to the default). */
void trap_set_handler(unsigned vector, trap_handler_fn fn);

/* Clears trap_last before a probe. */
void probe_arm(void);

/*
 * Instruction text for a probe: pre, then insn at label 771 with the probe
 * armed to resume at 772 (just after it), then post. Labels 771/772 are
 * taken; the texts are AT&T with "%%" for registers.
 */
#define PROBE_TEXT(pre, insn, post)                                                                \
	pre "\n\t"                                                                                 \
	    "movl $771f, probe_start\n\t"                                                          \
	    "movl $772f, probe_end\n\t"                                                            \
	    "movl $772f, probe_resume\n"                                                           \
	    "771:\n\t" insn "\n"                                                                   \
	    "772:\n\t"                                                                             \
	    "movl $0, probe_resume\n\t" post

/*
 * Runs pre; insn; post with EAX..EDX from the struct regs r (regs.h) and
 * stores them back, catching a trap in insn. ESI, EDI, EBP and ESP must come
 * out as they went in (unless insn faults, which leaves them unchanged).
 */
#define PROBE2(pre, insn, post, r)                                                                 \
	do {                                                                                       \
		probe_arm();                                                                       \
		__asm__ volatile(PROBE_TEXT(pre, insn, post)                                       \
				 : "+a"((r).eax), "+b"((r).ebx), "+c"((r).ecx), "+d"((r).edx)      \
				 :                                                                 \
				 : "cc", "memory");                                                \
	} while (0)
#define PROBE(insn, r) PROBE2("", insn, "", r)

/* Checks the last probe trapped exactly once, with vector and error, at insn. */
void check_fault(const char *name, unsigned vector, uint32_t error);

/* The same with an explicit EIP: traps (#DB, #BP, #OF) report the next instruction. */
void check_trap(const char *name, unsigned vector, uint32_t error, uint32_t eip);

/* Checks the last probe trapped once with vector (no error code) just after insn. */
void check_trap_after(const char *name, unsigned vector);

/* Checks the last probe did not trap. */
void check_no_fault(const char *name);

#endif
