#!/bin/sh
# btvmm-test.sh - the whole-system test, run inside the Linux guest as
# /etc/btvmm-test.sh by the test initramfs (scripts/fetch-linux-guest.sh).
# busybox ash, so POSIX sh only. One "ok NAME" or "FAIL NAME: detail" line per
# check; exits 1 if any failed. Every expected value is fixed (digests from
# the host's coreutils, numbers from Python), so the run is deterministic.
# tests/linux/run-linux-test.sh boots this with -m 256.
set -u

fails=0
checks=0
pass() { checks=$((checks + 1)); echo "ok $1"; }
fail() { checks=$((checks + 1)); fails=$((fails + 1)); echo "FAIL $1: $2"; }
# expect NAME WANT GOT: exact comparison of two strings.
expect() {
	if [ "$3" = "$2" ]; then pass "$1"; else fail "$1" "got '$3', want '$2'"; fi
}
# in_range NAME LOW HIGH VALUE: LOW <= VALUE < HIGH, compared as numbers by awk.
in_range() {
	if awk -v lo="$2" -v hi="$3" -v v="$4" 'BEGIN { exit !(v >= lo && v < hi) }'; then
		pass "$1"
	else
		fail "$1" "$4 not in [$2, $3)"
	fi
}
sum() { sha256sum | cut -d' ' -f1; }
uptime_s() { cut -d' ' -f1 /proc/uptime; }

# A tmpfs of our own: the checks write files there, and mounting it is a check.
t=/tmp/btvmm-test
mkdir -p $t
if mount -t tmpfs -o size=64m tmpfs $t; then pass tmpfs_mount; else fail tmpfs_mount "mount failed"; fi

# ---- the machine as the kernel sees it ----
expect uname_m i686 "$(uname -m)"
# Debian 12's 686 flavour; the ABI number changes with point releases.
case $(uname -r) in 6.1.*-686) pass uname_r ;; *) fail uname_r "$(uname -r), want 6.1.*-686" ;; esac
# A P6-class CPU (family 6) with the features this kernel needs.
expect cpu_family 6 "$(awk -F': ' '/^cpu family/ { print $2; exit }' /proc/cpuinfo)"
flags=" $(awk -F': ' '/^flags/ { print $2; exit }' /proc/cpuinfo) "
missing=
for f in fpu tsc cx8 sep cmov fxsr sse sse2 pge pse; do
	case $flags in *" $f "*) ;; *) missing="$missing $f" ;; esac
done
expect cpuinfo_flags "" "$missing"
# -m 256 is 262144 kB; the kernel keeps its own image and early reservations.
in_range meminfo_total 235000 262145 "$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)"
mounts=$(mount)
for fs in "proc on /proc type proc" "sysfs on /sys type sysfs" "devtmpfs on /dev type devtmpfs"; do
	case $mounts in *"$fs"*) pass "mount_${fs%% *}" ;; *) fail "mount_${fs%% *}" "no '$fs' in mount" ;; esac
done
# The console is the emulated 16550A on COM1.
expect console_ttyS0 ttyS0 "$(cat /sys/class/tty/console/active)"
expect dmesg_16550A 1 "$(dmesg | grep ttyS0 | grep -c 16550A)"

# ---- the shell, pipes, processes ----
# ash's arithmetic is 64-bit: on i386 that is libgcc's __divdi3 and friends.
expect shell_arith "366503875925 -1 2432902008176640000 255" \
	"$(((1 << 40) / 3)) $((-7 % 3)) $((20 * 19 * 18 * 17 * 16 * 15 * 14 * 13 * 12 * 11 * 10 * 9 * 8 * 7 * 6 * 5 * 4 * 3 * 2)) $((0xff))"
# Numbers in 1..100 that contain a 7: 7, 17, ..., 97 and 70..79.
expect pipe_chain 19 "$(seq 1 100 | grep 7 | sort -r | wc -l)"
echo one >$t/r
echo two >>$t/r
{ echo out; echo err >&2; } >$t/o 2>$t/e
expect redirections "2 two out err" "$(wc -l <$t/r) $(tail -n 1 $t/r) $(cat $t/o) $(cat $t/e)"
x=heredoc
expect here_doc "heredoc 42" "$(cat <<EOF
$x $((6 * 7))
EOF
)"
mkfifo $t/fifo
echo through-fifo >$t/fifo &
read -r got <$t/fifo
wait
expect fifo through-fifo "$got"

# 200 fork+execs: /proc/stat's "processes" counts forks.
p0=$(awk '/^processes/ { print $2 }' /proc/stat)
i=0 bad=0
while [ $i -lt 200 ]; do
	/bin/true || bad=$((bad + 1))
	i=$((i + 1))
done
p1=$(awk '/^processes/ { print $2 }' /proc/stat)
expect exec_true_200 0 "$bad"
in_range fork_count 200 100000 $((p1 - p0))
# Exit statuses come back through exec'd shells and wait.
i=0 bad=
while [ $i -lt 30 ]; do
	/bin/sh -c "exit $((i % 7))"
	[ $? -eq $((i % 7)) ] || bad="$bad $i"
	i=$((i + 1))
done
expect exec_status "" "$bad"
# shellcheck disable=SC2016 # $1 is the script's own argument
printf '#!/bin/sh\necho "script $1"\n' >$t/s.sh
chmod +x $t/s.sh
expect exec_shebang "script arg" "$($t/s.sh arg)"

(sleep 1; echo finished >$t/bg) &
pid=$!
(exit 7) &
wait $!
st=$?
wait $pid
expect background_wait "7 0 finished" "$st $? $(cat $t/bg)"
sleep 100 &
pid=$!
kill $pid
wait $pid
st=$?
# 143 = 128 + SIGTERM; kill -0 then finds no such process.
if kill -0 $pid 2>/dev/null; then st="$st alive"; fi
expect kill_sleep 143 "$st"

# ---- time ----
u0=$(uptime_s)
sleep 1
u1=$(uptime_s)
in_range sleep_1s 0.9 5 "$(awk -v a="$u0" -v b="$u1" 'BEGIN { print b - a }')"
# The RTC gives the host's date, not 1970 or 2000.
in_range rtc_year 2024 2100 "$(date +%Y)"

# ---- files and data ----
printf 'The quick brown fox jumps over the lazy dog' >$t/fox
expect md5sum 9e107d9d372bb6826bd81d3542a419d6 "$(md5sum <$t/fox | cut -d' ' -f1)"
expect sha256sum d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592 "$(sum <$t/fox)"
# 4 MB of text; the digest is the host's `seq 1 600000 | sha256sum`.
seq 1 600000 >$t/big
expect big_file "4088895 32b004e0f430387b32fdc16b487c4e5fbb689ba8b4eccc20807f318926f2bf4c" \
	"$(wc -c <$t/big) $(sum <$t/big)"
gzip -c $t/big >$t/big.gz
gunzip -c $t/big.gz >$t/big.out
st=$?
if diff=$(cmp $t/big $t/big.out 2>&1) && [ $st -eq 0 ]; then
	pass gzip_roundtrip
else
	fail gzip_roundtrip "gunzip status $st; $diff"
fi
# seq output packs to about a third.
in_range gzip_ratio 1 2000000 "$(wc -c <$t/big.gz)"
# 20000 Park-Miller numbers (exact in awk's doubles), sorted numerically.
awk 'BEGIN { x = 1; for (i = 0; i < 20000; i++) { x = (x * 16807) % 2147483647; printf "%d\n", x } }' >$t/rand
sort -n $t/rand >$t/sorted
expect sort_numbers "20000 8383 2147483531 50583b33932e6b4390bc69b9521c9ea57afebed6c19c638f8092b4f476f3849c" \
	"$(wc -l <$t/sorted) $(head -n 1 $t/sorted) $(tail -n 1 $t/sorted) $(sum <$t/sorted)"
expect awk_sum "21466250037356 500500" \
	"$(awk '{ s += $1 } END { printf "%.0f", s }' $t/rand) $(seq 1 1000 | awk '{ s += $1 } END { print s }')"
expect sed_edit "hello btvmm|3|a-b-c" \
	"$(echo hello world | sed 's/world/btvmm/')|$(printf 'a\nb\nc\n' | sed -n '$=')|$(echo a b c | sed 's/ /-/g')"
# dd through a pipe: 8 MiB of zeros (host: head -c 8388608 /dev/zero | md5sum).
expect dd_zero 96995b58d4cbf6aaa9041b4f00c7f6ae "$(dd if=/dev/zero bs=1M count=8 2>/dev/null | md5sum | cut -d' ' -f1)"
dd if=/dev/urandom of=$t/u1 bs=4k count=64 2>/dev/null
dd if=/dev/urandom of=$t/u2 bs=4k count=64 2>/dev/null
if [ "$(wc -c <$t/u1)" -eq 262144 ] && ! cmp -s $t/u1 $t/u2 &&
	! dd if=/dev/zero bs=4k count=64 2>/dev/null | cmp -s - $t/u1; then
	pass dd_urandom
else
	fail dd_urandom "short read, two equal reads or all zeros"
fi

# ---- floating point ----
# Debian's busybox awk has no libm (sqrt() is "not compiled in"), so the
# functions are series and Newton steps in plain double arithmetic, which
# glibc's i386 code and printf's conversion do on the guest's x87.
expect awk_fp "1.414214 2.718282 3.141593 0.841471" "$(awk 'BEGIN {
	r = 1; for (i = 0; i < 30; i++) r = (r + 2 / r) / 2
	e = 0; f = 1; for (k = 0; k <= 20; k++) { e += 1 / f; f *= k + 1 }
	pi = 16 * atan(1 / 5) - 4 * atan(1 / 239)
	s = 0; t = 1; for (j = 0; j < 12; j++) { s += t; t *= -1 / ((2 * j + 2) * (2 * j + 3)) }
	printf "%.6f %.6f %.6f %.6f", r, e, pi, s
}
function atan(x,  s, p, k) {
	p = x
	for (k = 0; k < 40; k++) { s += (k % 2 ? -1 : 1) * p / (2 * k + 1); p *= x * x }
	return s
}')"
# Two FP loops at once, long enough to be preempted many times: a context
# switch that lost or mixed FPU state would change the digits. Harmonic sum
# and Leibniz series to 200000 terms (values from Python).
awk 'BEGIN { for (i = 1; i <= 200000; i++) s += 1 / i; printf "%.9f", s }' >$t/fp1 &
awk 'BEGIN { for (k = 0; k < 200000; k++) s += (k % 2 ? -1 : 1) / (2 * k + 1); printf "%.9f", 4 * s }' >$t/fp2 &
wait
expect fp_parallel "12.783290810 3.141587654" "$(cat $t/fp1) $(cat $t/fp2)"

umount $t
if [ $fails -eq 0 ]; then
	echo "btvmm-test: all $checks checks passed"
else
	echo "btvmm-test: $fails of $checks checks failed"
fi
[ $fails -eq 0 ]
