/*
 * user.c - setting up the system guests' protected-mode environment: the
 * GDT/TSS/LDT, the IDT, the PIC (masked) and the gate user_call() returns through
 * (user_entry.S has the transitions themselves).
 */
#include "gdt.h"
#include "idt.h"
#include "pic.h"
#include "user.h"

void user_return(void); /* user_entry.S: the INT 0x80 handler */

void sys_init(void)
{
	gdt_init();
	idt_init();
	pic_init(); /* the BIOS left IRQ 0 on vector 8: remap to 0x20, mask all */
	idt_set(USER_RETURN_VECTOR, desc_gate(SEL_KCODE, (uint32_t)user_return, SYS_INT32, 3, 0));
}
