/*
 * pusha_popa.h - the register values pusha_popa_asm.S loads before PUSHA and
 * pusha_popa.c expects back. Each is distinct in both 16-bit halves.
 */
#define V_EAX 0x1111a0a0
#define V_ECX 0x2222c1c1
#define V_EDX 0x3333d2d2
#define V_EBX 0x4444b3b3
#define V_EBP 0x6666b5b5
#define V_ESI 0x7777e6e6
#define V_EDI 0x8888d7d7
