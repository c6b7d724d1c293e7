/*
 * desc_access.h - LAR, LSL, VERR and VERW over a table of descriptors, shared
 * by sensitive_cpl0 and sensitive_cpl3 (SDM Vol. 2 LAR/LSL/VERR/VERW, Vol.
 * 3A 5.10.1-5.10.2).
 */
#ifndef DESC_ACCESS_H
#define DESC_ACCESS_H

#include <stdint.h>

/* What the four instructions returned for one selector. */
struct desc_access {
	uint32_t lar_zf, lar, lsl_zf, lsl, verr_zf, verw_zf;
};

/* Number of table rows. */
unsigned desc_access_count(void);

/* Writes the table's descriptors into GDT/LDT slots (at CPL 0). */
void desc_access_install(void);

/* Runs LAR, LSL, VERR and VERW on every row's selector (any CPL; no output). */
void desc_access_run(struct desc_access *out);

/* Prints one check per row, comparing out with the SDM's answer at cpl (0 or 3). */
void desc_access_check(const struct desc_access *out, unsigned cpl);

#endif
