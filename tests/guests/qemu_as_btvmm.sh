#!/bin/sh
# qemu_as_btvmm.sh <btvmm arguments...>
#
# Runs QEMU, the reference, with btvmm's command line, so that run_guest.sh
# drives both the same way. The QEMU binary is $QEMU_SYSTEM_I386 (CMake sets
# it), else qemu-system-i386 from PATH. Two translations:
#  - -nographic becomes "-display none -serial stdio -monitor none". With
#    -nographic QEMU has no VGA, so SeaBIOS and iPXE print their banners
#    (with terminal escapes such as ESC c, ESC [?7l, ESC [2J) on the serial
#    port before the guest runs; with a hidden VGA they print there instead,
#    and stdout carries only the guest's COM1 bytes. No stripping needed.
#  - the exit device btvmm always has is added: isa-debug-exit at port 0xf4.
for arg; do
	shift
	if [ "$arg" = -nographic ]; then
		set -- "$@" -display none -serial stdio -monitor none
	else
		set -- "$@" "$arg"
	fi
done
exec "${QEMU_SYSTEM_I386:-qemu-system-i386}" "$@" \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04
