# btvmm-bench.sh - the guest side of bench/linux.sh, installed by
# shellcheck shell=sh
# make-initramfs.sh as /etc/btvmm-test.sh, which the test initramfs's /init
# (scripts/fetch-linux-guest.sh) runs under busybox sh before poweroff -f.
#
# Runs each benchmark in /bench (one BENCH line each), brackets them with the
# guest's uptime so the harness can check that guest time kept pace with host
# time, and ends with the marker the harness waits for. The kernel hands
# unknown key=value boot parameters to init as environment variables:
# btvmm_bench=syscall,fork on the kernel command line runs only those rows.

rows=${btvmm_bench:-syscall,pgfault,fork,ctxsw,exec,intcomp,memcomp}
read -r up _ </proc/uptime
echo "btvmm-bench: clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
echo "btvmm-bench: start uptime $up"
for row in $(echo "$rows" | tr , ' '); do
	if [ -x "/bench/$row" ]; then
		"/bench/$row" || echo "BENCH-ERROR $row exit status $?"
	else
		echo "BENCH-ERROR $row no such benchmark"
	fi
done
read -r up _ </proc/uptime
echo "btvmm-bench: end uptime $up"
echo "btvmm-bench: done"
