/*
 * known_deviations.h - cases of the Unicorn differential test allowed to differ, one line
 * per form, each with its reason:
 *
 *   DEVIATION(form, what may differ, "reason")
 *
 * "What may differ" is IGN_FLAGS(mask), IGN_REG(R_xxx), IGN_EIP, IGN_MEM, IGN_EXC or IGN_ALL,
 * or'ed together; anything else that differs in that form's cases is still a mismatch.
 * IGN_MISSING_GP excuses whole cases, but only those where btvmm raised #GP and Unicorn
 * raised nothing.
 * A reason starts "btvmm bug:" (keep the case, fix the translator, then delete the line)
 * or "Unicorn deviates from SDM:" (the reference is wrong; what the SDM and the host CPU
 * say is given). diff_unicorn prints a note for a line that no longer excuses anything.
 */

/* Unicorn 2.0.1 (QEMU 5.0) takes SF and PF of a LOCK NEG from the operand before the
 * negation. SDM NEG: "The CF flag set to 0 if the source operand is 0; otherwise it is
 * set to 1. The OF, SF, ZF, AF, and PF flags are set according to the result." The host
 * CPU agrees with btvmm (lock negb of 01h: SF=1 PF=1; of FFh: SF=0 PF=0). */
DEVIATION(lock_neg_m8, IGN_FLAGS(FL_SF | FL_PF),
	  "Unicorn deviates from SDM: LOCK NEG sets SF and PF from the source, not the result")

/* Unicorn's EFLAGS after LOOPE/LOOPNE are wrong, DF included (it loses track of the lazily
 * computed flags of the CMP before them, and has been seen to report FFFh; PUSHF right
 * after the loop sees the same wrong value).
 * SDM LOOPcc: "Flags Affected: None." The host CPU keeps the CMP's flags, as btvmm does. */
DEVIATION(loope, IGN_FLAGS(FL_ALL | EFLAGS_DF),
	  "Unicorn deviates from SDM: LOOPE leaves wrong flags (LOOPcc affects none)")
DEVIATION(loopne, IGN_FLAGS(FL_ALL | EFLAGS_DF),
	  "Unicorn deviates from SDM: LOOPNE leaves wrong flags (LOOPcc affects none)")

/* Unicorn is QEMU's TCG, which leaves out the checks the SDM makes on data accesses
 * through a segment (Vol. 3A 5.3 limit checking, 5.4 type checking; MOV: "#GP(0) If a
 * memory operand effective address is outside the CS, DS, ES, FS, or GS segment limit.
 * If the DS, ES, FS, or GS register is used to access memory and it contains a NULL
 * segment selector." and writes to a read-only or code segment). These forms load each
 * kind of descriptor and then access memory through it: btvmm's #GP is right for the
 * null, read-only, code, expand-down and limit-5003h selectors the cases use. */
#define NO_SEG_CHECKS                                                                              \
	"Unicorn deviates from SDM: no segment limit/type/null checks on data accesses"
DEVIATION(mov_ds_read, IGN_MISSING_GP, NO_SEG_CHECKS)
DEVIATION(mov_ds_read_moffs, IGN_MISSING_GP, NO_SEG_CHECKS)
DEVIATION(mov_ds_write, IGN_MISSING_GP, NO_SEG_CHECKS)
DEVIATION(mov_ds_read_below, IGN_MISSING_GP, NO_SEG_CHECKS)
DEVIATION(mov_fs_read, IGN_MISSING_GP, NO_SEG_CHECKS)
DEVIATION(mov_fs_write, IGN_MISSING_GP, NO_SEG_CHECKS)
DEVIATION(mov_es_push_m, IGN_MISSING_GP, NO_SEG_CHECKS)
DEVIATION(mov_ds_xlat, IGN_MISSING_GP, NO_SEG_CHECKS)

/* ---- Unicorn deviations found with x87, SSE and prefixes ---- */

/* F1 is INT1/ICEBP: "Generate debug trap" (SDM INT n/INTO/INT3/INT1), a #DB with EIP
 * after it, as btvmm delivers; Unicorn raises #UD. */
DEVIATION(icebp, IGN_EXC | IGN_EIP, "Unicorn deviates from SDM: INT1 (F1) raises #UD, not #DB")

/* LOCK with a non-read-modify-write instruction raises #UD (SDM LOCK); Unicorn does the
 * store. */
DEVIATION(lock_mov_ud, IGN_EXC | IGN_EIP | IGN_MEM,
	  "Unicorn deviates from SDM: LOCK MOV does not raise #UD")

/* FCOMI clears OF, SF and AF (the host CPU does: fcomi of 0 and 1 leaves only CF); Unicorn
 * keeps them. */
DEVIATION(x87_fcomi, IGN_FLAGS(FL_OF | FL_SF | FL_AF),
	  "Unicorn deviates from SDM: FCOMI does not clear OF SF AF")

/* Unicorn (QEMU 5.0) never sets MXCSR's exception flags: divss 0/0 leaves 1F80h where the
 * host CPU (and btvmm, which runs it there) has 1F81h (IE). */
DEVIATION(sse_divss_stmxcsr, IGN_MEM, "Unicorn deviates from SDM: MXCSR exception flags never set")

/* With two NaN operands SSE arithmetic returns the first (SDM Vol. 1 4.8.3.5, Table 4-7;
 * the host CPU gives FFFFFFFEh for FFFFFFFEh + FFFFFFFFh); Unicorn returns the second or
 * the default NaN. btvmm runs these instructions on the host. */
#define NAN_RULES "Unicorn deviates from SDM: which NaN an SSE operation returns"
DEVIATION(sse_addps, IGN_MEM, NAN_RULES)
DEVIATION(sse_divss, IGN_MEM, NAN_RULES)
DEVIATION(sse_mulsd, IGN_MEM, NAN_RULES)

/* MOVAPS of a misaligned m128 raises #GP(0) (SDM MOVAPS); Unicorn loads it. */
DEVIATION(sse_movaps_misaligned, IGN_MISSING_GP,
	  "Unicorn deviates from SDM: no alignment check on MOVAPS m128")
