/*
 * exit.c - leaving the guest through QEMU's isa-debug-exit device at port
 * 0xf4 (4 bytes wide), which btvmm's devices/debug_exit.c models.
 */
#include "runtime.h"

#define DEBUG_EXIT_PORT 0xf4

uint32_t guest_exit_code;

void guest_exit(uint32_t code)
{
	__asm__ volatile("outl %0, %1" : : "a"(code), "Nd"((uint16_t)DEBUG_EXIT_PORT));
}
