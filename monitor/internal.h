/*
 * internal.h - shared by the files of monitor/ only: the VM structure and
 * the vCPU services the emulation code is built from (segments, guest
 * memory access with the CPU's checks, exceptions, operands).
 */
#ifndef BTVMM_MONITOR_INTERNAL_H
#define BTVMM_MONITOR_INTERNAL_H

#include <capstone/capstone.h> /* callout records name instructions by X86_INS_* */
#include <stdbool.h>
#include <stdint.h>

#include "cache/cache.h"
#include "devices/devices.h"
#include "monitor/boot.h"
#include "monitor/log.h"
#include "monitor/monitor.h"
#include "monitor/options.h"
#include "monitor/x86.h"
#include "shadow_mmu/shadow_mmu.h"
#include "translator/translator.h"

#define NORETURN_FN __attribute__((noreturn))

struct vm {
	struct vm_config cfg;
	struct guest_phys phys;
	struct io_bus *bus;
	struct console *console;
	struct uart16550 *com1;
	struct debug_exit *debug_exit;
	struct mmio_testdev *testdev;
	struct pic8259 *pic;
	struct pit8254 *pit;
	struct port61 *port61;
	struct cmos_rtc *rtc;
	struct i8042 *kbc;
	struct port92 *port92;
	struct events *events;
	bool intr_level;	   /* the 8259's INTR output to the vCPU */
	bool reset_requested;	   /* i8042 or port 0x92 pulsed the reset line */
	struct tb_cache *cache;
	struct xlat *xlat;
	struct vcpu *vcpu;
	struct boot_entry entry;

	volatile int quit_request; /* Ctrl-A x on the console */
	uint64_t flushes;	   /* translation cache flushes so far */
	bool stop;		   /* leave the run loop */
	int exit_status;	   /* what btvmm returns when it stops */
	uint64_t *callout_counts;  /* per classification row (stats.c) */
	uint32_t *callout_seen;	   /* bitmap of rows logged once (LOG_CALLOUT) */
};

/* ---- vcpu.c: state, mode, segments ---- */
struct vcpu *vcpu_create(struct vm *vm);
void vcpu_destroy(struct vcpu *v);
/* Put the vCPU in the state a Multiboot kernel expects at @entry. */
void vcpu_reset_multiboot(struct vcpu *v, const struct boot_entry *entry);
void vcpu_reset_linux(struct vcpu *v, const struct boot_entry *entry, uint32_t gdt_base,
		      uint16_t gdt_limit);
/* ---- perf_map.c: -d perfmap ---- */
void perf_map_add(const struct tb *tb);

/* CPL, EFLAGS or control registers changed: recompute the translation mode. */
void vcpu_update_mode(struct vcpu *v);
/* v->seg[] was written directly (a task switch, a rollback): recompute the
 * segments' fast-path bounds as well. vcpu_set_segment() does this itself. */
void vcpu_reload_segments(struct vcpu *v);
/* Linear-to-physical mappings or CS changed: cached indirect-branch targets
 * (the jump cache, per-branch caches) no longer hold. */
void vcpu_code_mappings_changed(struct vcpu *v);
/* Only non-global mappings changed (a CR3 load with CR4.PGE): the same,
 * keeping the jump-cache entries of blocks from global pages. */
void vcpu_user_mappings_changed(struct vcpu *v);
/* Are any DR7 instruction breakpoints enabled? */
bool vcpu_exec_breakpoints(const struct vcpu *v);
/* Set a segment register's cache directly (no checks), then update. */
void vcpu_set_segment(struct vcpu *v, int sreg, uint16_t selector, uint32_t base,
		      uint32_t limit, uint16_t attr);
/* For tests that reuse one VM: forget translations (the host wrote guest
 * code directly), clear the stop request, and run again with vcpu_run(). */
void vm_prepare_rerun(struct vm *vm);
/* The reset line was pulsed: stop (-no-reboot) or reload the kernel. */
void vm_reboot(struct vm *vm);
/* Stop the VM with @status after printing @why (unless NULL). */
void vm_request_stop(struct vm *vm, int status, const char *why);

/* ---- Multi-step instructions: all or nothing ---- */
/* The registers a far transfer, task switch or delivery may change. */
struct vcpu_snapshot {
	uint32_t regs[8], eip, eflags, cr0, cr3;
	unsigned cpl;
	struct segment seg[6], ldtr, tr;
};
typedef void (*attempt_fn)(struct vcpu *v, void *ctx);
/* Run @fn; if it raises an exception, put the registers back as they were
 * and raise it again (memory it wrote stays written, as on hardware). */
void vcpu_attempt(struct vcpu *v, attempt_fn fn, void *ctx);

/* ---- exception.c ---- */
/* Deliver external interrupt @vector (from the 8259) through the IDT. */
bool deliver_interrupt(struct vcpu *v, int vector);
/* Raise a guest exception from a callout or helper: record it and leave
 * translated code. The vCPU's EIP must be where the guest should see it. */
void vcpu_raise(struct vcpu *v, int vector, uint32_t error_code) NORETURN_FN;
void vcpu_raise_noerr(struct vcpu *v, int vector) NORETURN_FN;
void vcpu_raise_fault(struct vcpu *v, const struct mmu_fault *f) NORETURN_FN;
/* Raise again the exception already recorded in v->exception. */
void vcpu_reraise(struct vcpu *v) NORETURN_FN;
/* Does this vector push an error code (SDM Vol. 3A 6.13)? */
bool exception_has_error_code(int vector);
/* Deliver the pending exception through the guest's IDT. Returns false if
 * the VM must stop (a triple fault, or no way to deliver). */
bool deliver_pending_exception(struct vcpu *v);

/* ---- segments.c: descriptor tables and segment loads ---- */
/* A descriptor read from the GDT or LDT, with its fields decoded. */
struct descriptor {
	uint32_t raw[2];
	uint16_t attr;	  /* SEG_ATTR_* layout */
	uint32_t base;
	uint32_t limit;	  /* byte granular */
	unsigned type;	  /* attr & SEG_ATTR_TYPE_MASK */
	unsigned dpl;
	bool s;		  /* code/data (1) or system (0) */
	bool present;
};
/* Read and decode the descriptor @selector names. Returns false when the
 * selector lies outside its table (no fault: callers decide); raises on a
 * fault reading guest memory. */
bool fetch_descriptor(struct vcpu *v, uint16_t selector, struct descriptor *d);
/* Rewrite the descriptor's high dword (busy and accessed bits). */
void write_descriptor_high(struct vcpu *v, uint16_t selector, uint32_t high);
/* Read the descriptor for @selector from the GDT/LDT. Returns false (and
 * sets *error_code) if the selector is outside the table. */
bool read_descriptor(struct vcpu *v, uint16_t selector, uint32_t desc[2]);
/* Load a data/stack segment register as MOV/POP/LxS do, with the
 * protection checks of SDM Vol. 3A 5.5-5.10; raises #GP/#SS/#NP. */
void load_data_segment(struct vcpu *v, int sreg, uint16_t selector);
/* Load CS for a far JMP/CALL to a code segment; raises on a bad target. */
void load_code_segment(struct vcpu *v, uint16_t selector, uint32_t eip);
/* The checks of a far JMP/CALL to a code segment (SDM JMP/CALL), and the
 * load once they passed. CS.RPL becomes CPL. */
void check_code_target(struct vcpu *v, uint16_t selector, const struct descriptor *d,
		       uint32_t eip);
void set_code_segment(struct vcpu *v, uint16_t selector, const struct descriptor *d,
		      uint32_t eip);
/* The checks of loading SS with @selector at privilege @cpl (#TS or #SS
 * for task switches and stack switches, as @fault_vector says). */
void check_stack_for(struct vcpu *v, uint16_t selector, const struct descriptor *d,
		     unsigned cpl, int fault_vector);
/* After a return to an outer level: data segments the new CPL may not use
 * become null (SDM RET/IRET). */
void drop_inaccessible_segments(struct vcpu *v);

/* ---- task.c: hardware task switches (SDM Vol. 3A 7.3) ---- */
enum task_switch_reason {
	SWITCH_JMP,
	SWITCH_CALL,
	SWITCH_IRET,
	SWITCH_INT, /* an interrupt or exception through a task gate */
};
/* Switch to the task whose TSS @selector names; @eip is what to save as the
 * old task's EIP. For SWITCH_INT with @has_error_code, the error code is
 * pushed on the new task's stack. */
void task_switch(struct vcpu *v, uint16_t selector, enum task_switch_reason why, uint32_t eip,
		 bool has_error_code, uint32_t error_code);

/* ---- guest_mem.c: memory accesses of emulated instructions ---- */
/* seg:offset -> linear, with the segment's limit and type checks (#GP/#SS). */
uint32_t seg_linear(struct vcpu *v, int sreg, uint32_t offset, uint32_t len, bool write);
/* Read/write guest memory at seg:offset; raise on any fault. */
void guest_read(struct vcpu *v, int sreg, uint32_t offset, void *buf, uint32_t len);
void guest_write(struct vcpu *v, int sreg, uint32_t offset, const void *buf, uint32_t len);
/* Linear-address forms (after segmentation). @user: CPL 3 checks. */
void guest_read_linear(struct vcpu *v, uint32_t linear, void *buf, uint32_t len, bool user);
void guest_write_linear(struct vcpu *v, uint32_t linear, const void *buf, uint32_t len,
			bool user);
/* PUSH/POP of @size bytes on SS:ESP. */
void stack_push(struct vcpu *v, uint32_t value, int size);
uint32_t stack_pop(struct vcpu *v, int size);
uint32_t stack_pointer_mask(const struct vcpu *v);

/* ---- operand.c: callout operands ---- */
uint32_t operand_ea(const struct vcpu *v, const struct callout_insn *ci, const struct operand *o);
uint32_t operand_read(struct vcpu *v, const struct callout_insn *ci, int i);
void operand_write(struct vcpu *v, const struct callout_insn *ci, int i, uint32_t value);
uint32_t gpr_read(const struct vcpu *v, int reg, int size, bool high);
void gpr_write(struct vcpu *v, int reg, int size, bool high, uint32_t value);

/* ---- events.c: the timer thread and HLT's sleep ---- */
struct events;
/* Start the timer thread; it sets *exit_request at deadlines and when
 * @input_fd (-1: none) has input. Returns NULL on failure. */
struct events *events_create(volatile uint32_t *exit_request, int input_fd);
void events_destroy(struct events *ev);
uint64_t events_now_ns(void);
/* The next device deadline (CLOCK_MONOTONIC ns, UINT64_MAX for none). */
void events_set_deadline(struct events *ev, uint64_t deadline);
/* Was console input signalled since last asked? (Then watch again.) */
bool events_take_input(struct events *ev);
/* The console's input has ended: stop watching it. */
void events_input_ended(struct events *ev);
/* HLT: sleep until @deadline or console input. */
void events_sleep(struct events *ev, uint64_t deadline);

/* ---- run.c ---- */
int vcpu_run(struct vcpu *v);
/* Bring the devices up to date with the host clock and console, and re-arm
 * the timer thread for the next deadline. */
void vm_service_events(struct vm *vm);
/* Drop all translations (and everything that points into them). */
void vm_flush_translations(struct vm *vm);

/* ---- signals.c: host faults in translated code ---- */
int signals_init(struct vm *vm);

/* ---- stats.c ---- */
void stats_count_callout(struct vm *vm, const struct callout_insn *ci);
void stats_report(struct vm *vm);

/* ---- Privilege ---- */
static inline unsigned cpl_of(const struct vcpu *v)
{
	return v->cpl;
}
static inline unsigned iopl_of(const struct vcpu *v)
{
	return (v->eflags & EFLAGS_IOPL_MASK) >> EFLAGS_IOPL_SHIFT;
}

#endif /* BTVMM_MONITOR_INTERNAL_H */
