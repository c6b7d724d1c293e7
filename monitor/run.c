/*
 * run.c - the run loop (QEMU's cpu_exec, kvmtool's kvm_cpu__start): find or
 * translate the block at CS:EIP, run translated code until it leaves, then
 * act on why it left: chain a direct jump, deliver an exception, sleep in
 * HLT, or stop.
 */
#include <poll.h>
#include <stdio.h>

#include "monitor/internal.h"

void vm_flush_translations(struct vm *vm)
{
	cache_flush(vm->cache);
	smmu_clear_code_pages(&vm->vcpu->mmu);
	vm->flushes++;
	log_mask_printf(LOG_CACHE, "translation cache flushed\n");
}

static void report_unsupported(struct vcpu *v, const struct xlat_result *r)
{
	char bytes[3 * 16 + 1] = "";

	for (unsigned i = 0; i < r->nbytes; i++)
		snprintf(bytes + 3 * i, 4, "%s%02x", i ? " " : "", r->bytes[i]);
	pr_err("unsupported instruction at EIP %#010x (%s): bytes %s", r->eip, r->why, bytes);
	vm_request_stop(v->vm, EXIT_GUEST_FATAL, NULL);
}

static struct tb *translate(struct vcpu *v)
{
	struct xlat_result r;

	for (;;) {
		switch (translate_block(v->vm->xlat, v, &r)) {
		case XLAT_OK:
			if (log_enabled(LOG_PERFMAP))
				perf_map_add(r.tb);
			return r.tb;
		case XLAT_CACHE_FULL:
			vm_flush_translations(v->vm);
			continue;
		case XLAT_FETCH_FAULT:
			if (r.fault.vector == MMU_FAULT_NOT_RAM) {
				pr_err("guest executes device memory or memory beyond RAM at "
				       "EIP %#010x (linear %#010x): not supported",
				       v->eip, r.fault.cr2);
				vm_request_stop(v->vm, EXIT_GUEST_FATAL, NULL);
				return NULL;
			}
			if (r.fault.vector == EXC_PF)
				v->cr2 = r.fault.cr2;
			v->exception = (struct pending_exception){
				.valid = true, .vector = r.fault.vector,
				.has_error_code = true, .error_code = r.fault.error_code };
			return NULL;
		default:
			report_unsupported(v, &r);
			return NULL;
		}
	}
}

/* Does the second page of a two-page block still map where it did? */
static bool second_page_matches(struct vcpu *v, const struct tb *tb)
{
	uint32_t next = (tb->cs_base + tb->eip + PAGE_SIZE) & PAGE_MASK, gpa;
	struct mmu_fault f;

	if (tb->phys_page[1] == TB_NO_PAGE)
		return true;
	if (smmu_translate(&v->mmu, next, MMU_FETCH, v->cpl == 3, &gpa, &f) < 0)
		return false;
	return (gpa & PAGE_MASK) == tb->phys_page[1];
}

/* The block for CS:EIP in the current mode: cached, or translated now. */
static struct tb *find_tb(struct vcpu *v)
{
	uint32_t linear = v->seg[S_CS].base + v->eip, gpa;
	struct mmu_fault f;
	struct tb *tb;

	if (smmu_translate(&v->mmu, linear, MMU_FETCH, v->cpl == 3, &gpa, &f) < 0) {
		v->cr2 = f.cr2;
		v->exception = (struct pending_exception){ .valid = true, .vector = f.vector,
							   .has_error_code = true,
							   .error_code = f.error_code };
		return NULL;
	}
	tb = tb_lookup(v->vm->cache, v->eip, v->seg[S_CS].base, v->seg[S_CS].limit, v->mode, gpa);
	if (!tb || !second_page_matches(v, tb))
		tb = translate(v);
	if (tb)
		jc_insert(&v->jc, tb);
	return tb;
}

/* After a direct exit: find the target and patch the jump to it. */
static struct tb *chain(struct vcpu *v, struct tb *from, int slot)
{
	uint64_t flushes = v->vm->flushes;
	struct tb *to = find_tb(v);

	if (!to || flushes != v->vm->flushes || from->invalid)
		return to; /* @from may be gone: a flush reuses its memory */
	if (to->phys_page[1] != TB_NO_PAGE) {
		/* Its second page's mapping is only checked by lookups. */
		v->stats.chains_refused++;
		return to;
	}
	tb_link(v->vm->cache, from, slot, to);
	return to;
}

static struct tb *handle_exit(struct vcpu *v, uint64_t ret)
{
	enum tb_exit why = tb_exit_kind(ret);

	v->stats.exits[why]++;
	if (why == TB_EXIT_JUMP0 || why == TB_EXIT_JUMP1)
		return chain(v, tb_exit_tb(ret), why == TB_EXIT_JUMP1);
	return NULL;
}

void vm_service_events(struct vm *vm)
{
	pit8254_update(vm->pit, events_now_ns());
	if (events_take_input(vm->events)) {
		uart16550_poll(vm->com1);
		if (console_input_ended(vm->console))
			events_input_ended(vm->events);
	}
	events_set_deadline(vm->events, pit8254_next_deadline(vm->pit));
}

/* HLT with interrupts on: sleep until the next device deadline or console
 * input, then bring the devices up to date (which may raise an IRQ). */
static void wait_for_event(struct vm *vm)
{
	if (!vm->intr_level)
		events_sleep(vm->events, pit8254_next_deadline(vm->pit));
	vm_service_events(vm);
}

/* An interrupt is taken between instructions when IF is set and no STI or
 * MOV SS shadow covers the next instruction. */
static bool take_interrupt(struct vcpu *v)
{
	struct vm *vm = v->vm;
	int vector;

	if (!vm->intr_level || !(v->eflags & EFLAGS_IF) || v->intr_shadow)
		return false;
	vector = pic8259_ack(vm->pic);
	if (vector < 0)
		return false;
	v->halted = false;
	deliver_interrupt(v, vector);
	return true;
}

#define DR6_BS (1u << 14) /* single-step trap */

/* An enabled instruction breakpoint at CS:EIP is a #DB fault before the
 * instruction runs, unless EFLAGS.RF suppresses it (SDM Vol. 3A 17.3.1.1). */
static bool breakpoint_hit(struct vcpu *v)
{
	uint32_t linear = v->seg[S_CS].base + v->eip;
	bool hit = false;

	if (!vcpu_exec_breakpoints(v) || (v->eflags & EFLAGS_RF))
		return false;
	for (int i = 0; i < 4; i++) {
		bool enabled = (v->dr[7] >> (2 * i)) & 3;
		bool exec = ((v->dr[7] >> (16 + 4 * i)) & 3) == 0;

		if (enabled && exec && v->dr[i] == linear) {
			v->dr[6] |= 1u << i;
			hit = true;
		}
	}
	if (hit)
		v->exception = (struct pending_exception){ .valid = true, .vector = EXC_DB };
	return hit;
}

static uint64_t run_block(struct vcpu *v, struct tb *tb)
{
	uint64_t ret;

	log_mask_printf(LOG_EXEC, "exec %04x:%08x\n", v->seg[S_CS].selector, tb->eip);
	v->stats.entries++;
	v->in_translated_code = true;
	ret = xlat_enter(v->vm->xlat, v, tb->code);
	v->in_translated_code = false;
	return ret;
}

/*
 * Run one instruction alone (MODE_SINGLE): under an interrupt shadow, with
 * TF set (a #DB trap follows it), or with instruction breakpoints armed.
 */
static void run_single(struct vcpu *v)
{
	bool traced = v->eflags & EFLAGS_TF, shadow = v->intr_shadow;
	struct tb *tb;
	uint64_t ret;

	if (breakpoint_hit(v))
		return;
	tb = find_tb(v);
	if (!tb)
		return;
	v->intr_shadow = false; /* the shadow covers this one instruction */
	v->debug_shadow = false;
	ret = run_block(v, tb);
	v->stats.exits[tb_exit_kind(ret)]++;
	if (tb_exit_kind(ret) == TB_EXIT_REQUEST) {
		v->intr_shadow = shadow; /* it did not run yet */
		return;
	}
	v->eflags &= ~EFLAGS_RF; /* cleared once an instruction completes */
	vcpu_update_mode(v);
	/* MOV SS holds its own single-step trap until after the next one. */
	if (traced && !v->exception.valid && !v->debug_shadow) {
		v->dr[6] |= DR6_BS;
		v->exception = (struct pending_exception){ .valid = true, .vector = EXC_DB };
	}
}

int vcpu_run(struct vcpu *v)
{
	struct vm *vm = v->vm;
	struct tb *tb = NULL;

	while (!vm->stop) {
		if (vm->quit_request) {
			vm_request_stop(vm, EXIT_GUEST_OFF, NULL);
			break;
		}
		if (v->exit_request) {
			/* Clear first: an event arriving from now on is not lost. */
			v->exit_request = 0;
			vm_service_events(vm);
		}
		if (vm->reset_requested) {
			vm_reboot(vm);
			tb = NULL;
			continue;
		}
		if (v->exception.valid) {
			deliver_pending_exception(v);
			tb = NULL;
			continue;
		}
		if (take_interrupt(v)) {
			tb = NULL;
			continue;
		}
		if (v->halted) {
			wait_for_event(vm);
			continue;
		}
		if (v->mode & MODE_SINGLE) {
			run_single(v);
			tb = NULL;
			continue;
		}
		if (!tb)
			tb = find_tb(v);
		if (tb)
			tb = handle_exit(v, run_block(v, tb));
	}
	return vm->exit_status;
}
