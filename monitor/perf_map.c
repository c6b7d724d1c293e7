/*
 * perf_map.c - -d perfmap: Linux perf's JIT symbol map. perf names samples
 * in anonymous executable memory from /tmp/perf-PID.map, one "START SIZE
 * NAME" line (hex) per region; each translated block becomes a region named
 * after its guest address, so `perf report` shows where in the guest the
 * time goes (btvmm:CS_BASE+EIP, mode).
 */
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

#include "monitor/internal.h"

static FILE *map_file;

static FILE *open_map(void)
{
	char path[64];

	if (!map_file) {
		snprintf(path, sizeof(path), "/tmp/perf-%d.map", (int)getpid());
		map_file = fopen(path, "w");
		if (!map_file)
			pr_warn("-d perfmap: cannot create %s", path);
	}
	return map_file;
}

void perf_map_add(const struct tb *tb)
{
	FILE *f = open_map();

	if (!f)
		return;
	fprintf(f, "%" PRIxPTR " %x btvmm:%08x:mode%x\n", (uintptr_t)tb->code, tb->code_size,
		tb->cs_base + tb->eip, tb->mode);
	fflush(f);
}
