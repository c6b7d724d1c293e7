#!/usr/bin/env bash
# linux.sh - the Linux guest benchmark (bench/README.md, "Linux guest
# benchmarks"): boot the same Debian i386 kernel and benchmark initramfs
# under btvmm and under QEMU TCG, in this one run, and print per row the
# best of N runs for each and the ratio qemu/btvmm (above 1: btvmm faster).
#
# Usage: bench/linux.sh [-n RUNS] [-t SECONDS] [-r ROWS] [-a ARGS] [BUILD_DIR]
#   -n RUNS     boots per VM, best value per row kept (default 3)
#   -t SECONDS  a VM that has not printed the final marker by then is killed
#               and counted as hung (default 300)
#   -r ROWS     only these guest rows, comma-separated (e.g. syscall,fork)
#   -a ARGS     extra kernel command line, given to both VMs
#   BUILD_DIR   default $BUILD_DIR, else build/; btvmm and the linux-bench
#               programs are built there first
# Environment: BTVMM_GUEST_DIR (default build/guest, from
# scripts/fetch-linux-guest.sh), QEMU_SYSTEM_I386 (default qemu-system-i386).
#
# The boot row is measured here, on the host: wall time from launching the VM
# to the "init started" line that the initramfs's /init (a busybox shell
# script) prints once it runs. Every other row is timed by the guest program
# itself with CLOCK_MONOTONIC; because a VM's guest clock can drift from real
# time, each run also compares the guest's uptime across the benchmarks with
# the host's wall time; if they disagree by more than 5% the run's in-guest
# rows are left out of the table (with a warning).
#
# Exit status: 0 if every run of both VMs finished with every row and the
# same checksums; 1 otherwise (hang, crash, error line, checksum mismatch, a
# row left with no trustworthy value), after printing what is known. Logs,
# one per run, each line prefixed with the host microseconds since launch,
# are kept in BUILD_DIR/bench/linux/logs.
set -euo pipefail
export LC_ALL=C # EPOCHREALTIME and awk's numbers use '.' as the decimal point

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(dirname "$here")
all_rows=syscall,pgfault,fork,ctxsw,exec,intcomp,memcomp
runs=3 timeout_s=300 rows=$all_rows extra=

die() { echo "linux-bench: $*" >&2; exit 1; }
usage() { sed -n '/^# Usage:/,/^#$/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2; exit 2; }

while getopts n:t:r:a:h opt; do
	case $opt in
	n) runs=$OPTARG ;;
	t) timeout_s=$OPTARG ;;
	r) rows=$OPTARG ;;
	a) extra=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[[ $runs =~ ^[1-9][0-9]*$ && $timeout_s =~ ^[1-9][0-9]*$ ]] || usage
[[ $rows =~ ^[a-z,]+$ ]] || usage
build=$(realpath -m "${1:-${BUILD_DIR:-$top/build}}")
guest=${BTVMM_GUEST_DIR:-$top/build/guest}
qemu=${QEMU_SYSTEM_I386:-qemu-system-i386}

# ---- build btvmm, the guest programs and the initramfs ----

[ -s "$guest/vmlinuz" ] || die "no $guest/vmlinuz: run scripts/fetch-linux-guest.sh (as root) first"
command -v "$qemu" >/dev/null || die "no $qemu (Debian package qemu-system-x86)"
tmp=$(mktemp -d)
vm_pid=
cleanup() {
	if [ -n "$vm_pid" ]; then kill "$vm_pid" 2>/dev/null || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ ! -f "$build/CMakeCache.txt" ]; then
	cmake -S "$top" -B "$build" >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log" >&2; die "cmake failed"; }
fi
if ! cmake --build "$build" --target btvmm linux-bench >"$tmp/build.log" 2>&1; then
	grep -q '^BTVMM_LINUX_BENCH_LIBC32:[A-Z]*=ON' "$build/CMakeCache.txt" ||
		die "$build cannot build 32-bit static programs (see cmake's warning): install gcc-multilib and libc6-dev-i386 (scripts/setup.sh), then re-run cmake"
	cat "$tmp/build.log" >&2
	die "building btvmm and linux-bench in $build failed"
fi
bin=$build/bench/linux
initrd=$bin/initramfs-bench.cpio.gz
"$here/linux/make-initramfs.sh" "$bin" "$initrd" "$guest"
logs=$bin/logs
rm -rf "$logs"
mkdir -p "$logs"

append="console=ttyS0 noapic"
[ "$rows" = "$all_rows" ] || append+=" btvmm_bench=$rows" # see btvmm-bench.sh
[ -z "$extra" ] || append+=" $extra"
btvmm_cmd=("$build/monitor/btvmm" -m 256 -kernel "$guest/vmlinuz" -initrd "$initrd"
	-append "$append" -nographic -no-reboot)
qemu_cmd=("$qemu" -M isapc -cpu pentium3 -accel tcg -m 256 -kernel "$guest/vmlinuz"
	-initrd "$initrd" -append "$append" -nographic -no-reboot)

# ---- one boot ----

# run_vm NAME LOG CMD...: run CMD with its serial console on a FIFO, stamp
# each line with the microseconds since launch into LOG, and stop at the
# final marker. btvmm exits by itself after the guest's poweroff -f (we wait
# up to 20 s for that); QEMU -M isapc just halts, so it is killed. Returns 0,
# or 1 after saying why the run failed.
run_vm() {
	local name=$1 log=$2 fifo=$tmp/console start now deadline line fd status=0 rc=0
	shift 2
	rm -f "$fifo"
	mkfifo "$fifo"
	start=${EPOCHREALTIME/./}
	deadline=$((start + timeout_s * 1000000))
	"$@" </dev/null >"$fifo" 2>&1 &
	vm_pid=$!
	exec {fd}<"$fifo"
	while :; do
		now=${EPOCHREALTIME/./}
		if ((now >= deadline)); then status=hung; break; fi
		rc=0
		IFS= read -r -t $(((deadline - now + 999999) / 1000000)) -u "$fd" line || rc=$?
		now=${EPOCHREALTIME/./}
		[ -z "$line" ] || printf '%d %s\n' $((now - start)) "${line%$'\r'}" >>"$log"
		if ((rc > 128)); then status=hung; break; fi
		if ((rc != 0)); then status=exited; break; fi # EOF: the VM is gone
		[[ $line != *"btvmm-bench: done"* ]] || break
	done
	if [ "$status" = 0 ] && [ "$name" = btvmm ]; then
		# Drain until btvmm exits after the power-off (EOF), for at most 20 s.
		deadline=$((${EPOCHREALTIME/./} + 20000000)) status=no-exit
		while ((${EPOCHREALTIME/./} < deadline)); do
			rc=0
			IFS= read -r -t 1 -u "$fd" line || rc=$?
			[ -z "$line" ] || printf '%d %s\n' $((${EPOCHREALTIME/./} - start)) "${line%$'\r'}" >>"$log"
			if ((rc != 0 && rc <= 128)); then status=0; break; fi
		done
	fi
	kill "$vm_pid" 2>/dev/null || true # QEMU, or anything still running
	rc=0
	wait "$vm_pid" || rc=$?
	vm_pid=
	exec {fd}<&-
	case $status in
	hung) echo "linux-bench: $name HUNG: no final marker within ${timeout_s} s; killed it" >&2 ;;
	exited) echo "linux-bench: $name EXITED (status $rc) before the final marker" >&2 ;;
	no-exit) # the numbers are in; only the way out is wrong
		echo "linux-bench: warning: btvmm was still running 20 s after the guest's poweroff -f; killed it" >&2
		status=0 ;;
	*) [ "$name" != btvmm ] || [ "$rc" -eq 0 ] ||
		echo "linux-bench: warning: btvmm exited with status $rc after the guest's poweroff -f (expected 0)" >&2 ;;
	esac
	if [ "$status" != 0 ]; then
		echo "linux-bench: last lines of $log:" >&2
		tail -n 15 "$log" | cut -d' ' -f2- | sed 's/^/    /' >&2
		return 1
	fi
}

# parse_log VM LOG: append "VM ROW NS CHECK" lines to $tmp/results (the
# boot row in ns of host time) and print a summary of the run; returns 1 if
# a row is missing or reported an error. A run whose guest clock was off by
# more than 5% from the host's contributes only its boot row (host-timed):
# its own timings are wrong by that much, and a slow guest clock flatters.
parse_log() {
	awk -v vm="$1" -v rows="$rows" -v out="$tmp/results" '
		{ t = $1; sub(/^[0-9]+ /, "") }
		/btvmm-guest: init started/ && boot == "" { boot = t }
		/btvmm-bench: clocksource / { cs = $NF }
		/btvmm-bench: start uptime / { g0 = $NF; h0 = t }
		/btvmm-bench: end uptime / { g1 = $NF; h1 = t }
		match($0, /BENCH-ERROR .*/) { err = err "\n    " substr($0, RSTART) }
		match($0, /BENCH [a-z]+ ns_per_op=[0-9.]+ .*check=[0-9a-f]+/) {
			n = split(substr($0, RSTART, RLENGTH), f, /[ =]/)
			for (i = 3; i < n; i += 2) v[f[i]] = f[i + 1]
			seen[f[2]] = 1
			got = got vm " " f[2] " " v["ns_per_op"] " " v["check"] "\n"
		}
		END {
			n = split(rows, want, ",")
			for (i = 1; i <= n; i++) if (!(want[i] in seen)) missing = missing " " want[i]
			pace = (h1 > h0 && g1 > g0) ? (g1 - g0) / ((h1 - h0) / 1e6) : 0
			skew = pace > 0 && (h1 - h0) > 2e6 && (pace < 0.95 || pace > 1.05)
			if (boot != "") printf "%s boot %.0f -\n", vm, boot * 1000 >>out
			if (!skew) printf "%s", got >>out
			# (parentheses: a bare ">" in a printf list is a redirection)
			printf("boot %s s, guest clocksource %s, guest clock pace %s of host time",
				boot == "" ? "?" : sprintf("%.2f", boot / 1e6), cs == "" ? "?" : cs,
				(pace > 0) ? sprintf("%.3f", pace) : "?")
			if (skew)
				printf "\n  WARNING: the guest clock was off by more than 5%%; this run'"'"'s in-guest rows are left out"
			if (missing != "") printf "\n  MISSING rows:%s", missing
			if (err != "") printf "\n  ERRORS:%s", err
			print ""
			exit (missing != "" || err != "")
		}' "$2"
}

# ---- the runs: btvmm and QEMU alternate, so host load drifts hit both ----

printf -v line '%q ' "${btvmm_cmd[@]}"
echo "linux-bench: btvmm: $line"
printf -v line '%q ' "${qemu_cmd[@]}"
echo "linux-bench: qemu:  $line"
rev=$(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -z "$(git -C "$top" status --porcelain --untracked-files=no 2>/dev/null)" ] || rev+=" plus uncommitted changes"
echo "linux-bench: btvmm at $rev; $runs run(s) per VM; host $(nproc) CPU(s), load average$(cut -d' ' -f1-3 /proc/loadavg | sed 's/^/ /')"
: >"$tmp/results"
failed=()
for ((run = 1; run <= runs; run++)); do
	for vm in btvmm qemu; do
		[[ " ${failed[*]} " != *" $vm "* ]] || continue # a broken VM is not retried
		log=$logs/$vm-$run.log
		if [ "$vm" = btvmm ]; then cmd=("${btvmm_cmd[@]}"); else cmd=("${qemu_cmd[@]}"); fi
		ok=1
		run_vm "$vm" "$log" "${cmd[@]}" || ok=0
		summary=$(parse_log "$vm" "$log") || ok=0
		echo "linux-bench: $vm run $run/$runs: $summary"
		[ "$ok" = 1 ] || { failed+=("$vm"); echo "linux-bench: $vm FAILED; full log: $log" >&2; }
	done
done

# ---- the table: best (lowest) value per VM and row ----

# Per row: name, unit shown, ns per unit, what one operation is.
descr='boot s 1e9 host wall time, launch to init
syscall ns 1 per getppid round trip
pgfault ns 1 per page, incl. mmap/munmap share
fork us 1e3 per fork+exit+waitpid
ctxsw ns 1 per switch (pipe ping-pong)
exec us 1e3 per fork+execve+exit+waitpid
intcomp ms 1e6 per round (crc32, sieve, sort)
memcomp ms 1e6 per round (16 MiB chase + stream)'
awk -v order="boot,$rows" -v descr="$descr" '
	BEGIN {
		n = split(descr, d, "\n")
		for (i = 1; i <= n; i++) {
			split(d[i], w, " ")
			unit[w[1]] = w[2]
			div[w[1]] = w[3]
			what[w[1]] = substr(d[i], length(w[1] w[2] w[3]) + 4)
		}
	}
	{
		k = $1 SUBSEP $2
		if (!(k in best) || $3 + 0 < best[k]) best[k] = $3 + 0
		if ($4 != "-") {
			if (($2 in check) && check[$2] != $4) bad[$2] = 1
			check[$2] = $4
		}
	}
	END {
		printf "%-8s %-4s %10s %10s %11s  %s\n", "row", "unit", "btvmm", "qemu-tcg", "qemu/btvmm", "one operation is"
		n = split(order, r, ",")
		for (i = 1; i <= n; i++) {
			b = (("btvmm" SUBSEP r[i]) in best) ? best["btvmm", r[i]] : -1
			q = (("qemu" SUBSEP r[i]) in best) ? best["qemu", r[i]] : -1
			printf("%-8s %-4s %10s %10s %11s  %s%s\n", r[i], unit[r[i]],
				(b < 0) ? "-" : sprintf("%.2f", b / div[r[i]]), (q < 0) ? "-" : sprintf("%.2f", q / div[r[i]]),
				(b > 0 && q > 0) ? sprintf("%.2f", q / b) : "-", what[r[i]],
				(r[i] in bad) ? "  CHECKSUM MISMATCH" : "")
			if (b <= 0 || q <= 0) novalue = 1
		}
		for (x in bad) exit 1
		exit novalue ? 2 : 0
	}' "$tmp/results" || case $? in
	1) failed+=(checksum) ;;
	*) failed+=(no-value) ;;
	esac

if [ ${#failed[@]} -gt 0 ]; then
	echo "linux-bench: FAILED: ${failed[*]} (logs in $logs)" >&2
	exit 1
fi
