/*
 * pusha_popa.c - PUSHA/POPA in both operand sizes (SDM Vol. 2B, PUSHA/PUSHAD
 * and POPA/POPAD), invalid in 64-bit mode and so emulated by the translator:
 * the frame's memory image and order, the ESP value stored (the one before
 * the instruction), POPA skipping the stored ESP, and the 16-bit forms
 * touching only the low halves. The instructions run in pusha_popa_asm.S.
 */
#include "check.h"
#include "pusha_popa.h"

extern uint32_t pa_esp_before, pa_esp_pushed, pa_esp_popped, pa_frame[8], pa_regs[8];
void pushad_popad(void);
void pushaw_popaw(void);

static void check_pushad(void)
{
	/* Lowest address first: EDI was pushed last. */
	uint32_t want_frame[8] = {V_EDI, V_ESI, V_EBP, 0, V_EBX, V_EDX, V_ECX, V_EAX};
	/* pa_regs in EAX ECX EDX EBX ESP EBP ESI EDI order; the ESP slot is unused. */
	static const uint32_t want_regs[8] = {V_EAX, V_ECX, V_EDX, V_EBX, 0, V_EBP, V_ESI, V_EDI};

	pushad_popad();
	want_frame[3] = pa_esp_before;
	CHECK_EQ32("pushad_esp", pa_esp_pushed, pa_esp_before - 32);
	CHECK_EQ32("pushad_stores_original_esp", pa_frame[3], pa_esp_before);
	CHECK_MEM("pushad_frame", pa_frame, want_frame, sizeof(want_frame));
	CHECK_EQ32("popad_esp", pa_esp_popped, pa_esp_before);
	CHECK_MEM("popad_regs", pa_regs, want_regs, sizeof(want_regs));
}

#define LOW(v)		  ((uint16_t)(v))
#define CLOBBERED_HIGH(v) (0xffff0000 | LOW(v)) /* POPAW keeps the 0xffff upper half */

static void check_pushaw(void)
{
	uint16_t want_frame[8] = {LOW(V_EDI), LOW(V_ESI), LOW(V_EBP), 0,
				  LOW(V_EBX), LOW(V_EDX), LOW(V_ECX), LOW(V_EAX)};
	static const uint32_t want_regs[8] = {CLOBBERED_HIGH(V_EAX),
					      CLOBBERED_HIGH(V_ECX),
					      CLOBBERED_HIGH(V_EDX),
					      CLOBBERED_HIGH(V_EBX),
					      0,
					      CLOBBERED_HIGH(V_EBP),
					      CLOBBERED_HIGH(V_ESI),
					      CLOBBERED_HIGH(V_EDI)};

	memset(pa_regs, 0, sizeof(pa_regs));
	pushaw_popaw();
	want_frame[3] = LOW(pa_esp_before);
	CHECK_EQ32("pushaw_esp", pa_esp_pushed, pa_esp_before - 16);
	CHECK_MEM("pushaw_frame", pa_frame, want_frame, sizeof(want_frame));
	CHECK_EQ32("popaw_esp", pa_esp_popped, pa_esp_before);
	CHECK_MEM("popaw_regs_low_halves", pa_regs, want_regs, sizeof(want_regs));
}

void main(uint32_t magic, uint32_t info)
{
	check_pushad();
	check_pushaw();
	test_finish("pusha_popa");
}
