/*
 * xlat.c - the translator's lifetime and its entry points for the monitor:
 * creating it (Capstone handles, the shared thunks), entering translated
 * code, unwinding out of it, statistics and the classification table.
 */
#include <stdlib.h>

#include "translator/internal.h"

static bool open_capstone(struct xlat *x)
{
	if (cs_open(CS_ARCH_X86, CS_MODE_32, &x->cs32) != CS_ERR_OK)
		return false;
	if (cs_open(CS_ARCH_X86, CS_MODE_16, &x->cs16) != CS_ERR_OK)
		return false;
	cs_option(x->cs32, CS_OPT_DETAIL, CS_OPT_ON);
	cs_option(x->cs16, CS_OPT_DETAIL, CS_OPT_ON);
	for (unsigned i = 0; i < MAX_BLOCK_INSNS; i++) {
		x->cs_insn[i] = cs_malloc(x->cs32);
		if (!x->cs_insn[i])
			return false;
	}
	return true;
}

void xlat_set_precise_flags(struct xlat *x, bool on)
{
	x->precise_flags = on;
}

struct xlat *xlat_create(struct tb_cache *cache)
{
	struct xlat *x = calloc(1, sizeof(*x));
	uint8_t *region;
	size_t size;

	if (!x)
		return NULL;
	x->cache = cache;
	if (!open_capstone(x))
		goto fail;
	region = cache_fixed_region(cache, &size);
	if (thunks_generate(x, region, size) < 0)
		goto fail;
	return x;
fail:
	xlat_destroy(x);
	return NULL;
}

void xlat_destroy(struct xlat *x)
{
	if (!x)
		return;
	for (unsigned i = 0; i < MAX_BLOCK_INSNS; i++)
		if (x->cs_insn[i])
			cs_free(x->cs_insn[i], 1);
	if (x->cs32)
		cs_close(&x->cs32);
	if (x->cs16)
		cs_close(&x->cs16);
	free(x);
}

uint64_t xlat_enter(struct xlat *x, struct vcpu *v, const void *code)
{
	uint64_t (*enter)(struct vcpu *, const void *) =
		(uint64_t(*)(struct vcpu *, const void *))(uintptr_t)x->thunks.enter;

	return enter(v, code);
}

void xlat_unwind(struct xlat *x, struct vcpu *v, uint64_t value)
{
	void (*unwind)(struct vcpu *, uint64_t) =
		(void (*)(struct vcpu *, uint64_t))(uintptr_t)x->thunks.unwind;

	unwind(v, value);
	__builtin_unreachable();
}

const void *xlat_unwind_address(struct xlat *x)
{
	return x->thunks.unwind;
}

const void *xlat_fpu_load_address(struct xlat *x)
{
	return x->thunks.fpu_load;
}

const struct xlat_stats *xlat_get_stats(struct xlat *x)
{
	return &x->stats;
}

static const char *action_name(enum action a)
{
	static const char *const names[] = {
		[ACT_COPY] = "copied", [ACT_REWRITE] = "rewritten", [ACT_CALLOUT] = "callout",
		[ACT_HELPER] = "helper", [ACT_UD] = "#UD", [ACT_UNSUPPORTED] = "unsupported",
	};
	return names[a];
}

static const char *pg_name(enum pg_class pg)
{
	static const char *const names[] = {
		[PG_NONE] = "innocuous", [PG_PRIVILEGED] = "privileged",
		[PG_SENSITIVE] = "sensitive, non-trapping", [PG_HELPER] = "innocuous (64-bit host)",
	};
	return names[pg];
}

unsigned xlat_class_count(void)
{
	return classify_row_count();
}

void xlat_class_get(unsigned i, struct xlat_class_info *info)
{
	const struct insn_class *cls = classify_row(i);

	info->name = cls ? cls->name : "?";
	info->action = cls ? action_name(cls->action) : "?";
	info->pg = cls ? pg_name(cls->pg) : "?";
}
