/*
 * pit.c - 8254 channel 0 as a periodic timer (Intel 82C54 datasheet,
 * control word format and mode 2, "rate generator").
 */
#include "cpu.h"
#include "pic.h"

#define PIT_CH0	 0x40
#define PIT_CTRL 0x43

#define PIT_CH0_LOHI_MODE2 0x34 /* channel 0, low then high byte, mode 2, binary */

void pit_start(uint16_t divisor)
{
	outb(PIT_CTRL, PIT_CH0_LOHI_MODE2);
	outb(PIT_CH0, divisor & 0xff);
	outb(PIT_CH0, divisor >> 8);
}
