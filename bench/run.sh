#!/bin/sh
# `make bench`: runs each benchmark (the side-by-side tables), then counts
# per operation of every case the system calls (strace) and the user-space
# instructions (valgrind --tool=callgrind), where those are installed.
#
# Environment: BENCH_DIRS, the directories bench_mkstemp makes its files in
# (default: $TMPDIR or /tmp, and /dev/shm where it is a tmpfs), so that tmpfs
# and a disk are both measured; BENCH_QUICK=1 for a smoke run (tiny batches
# and counts: checks that the programs build and run, measures nothing).
#
# Counting: each case is run untimed as "prog CASE N" and as "prog CASE 0";
# the difference over N leaves out what the program does once (loading,
# set-up), so what remains is the cost of one operation.  callgrind counts
# the instructions of the case's function only (--toggle-collect), its
# callees included: the user-space cost of one create, one name.  Both
# tools slow the program down, which is why timings come from other runs.
set -eu

quick=${BENCH_QUICK:-}
q=${quick:+-q}

# "case function" lines of a program (its usage lists them).
cases() {
	"$@" -h 2>&1 | sed -n 's/^functions://p' | tr ' ' '\n' | sed -n 's/:/ /p'
}

# strace: "syscall calls" lines for one run.
tally() {
	out=$(mktemp)
	strace -f -c -o "$out" "$@" >/dev/null
	# Rows are "% seconds usecs/call calls [errors] syscall"; skip the
	# header, the rules and the total.
	awk '$1 ~ /^[0-9.]+$/ && $NF != "total" { print $NF, $4 }' "$out"
	rm -f "$out"
}

syscalls_per_op() {
	n=$1
	shift
	cases "$@" | while read -r c fn; do
		base=$(mktemp)
		tally "$@" "$c" 0 > "$base"
		tally "$@" "$c" "$n" | awk -v n="$n" -v c="$c" '
			FNR == NR { base[$1] = $2; next }
			{ d = ($2 - base[$1]) / n; if (d >= 0.001) s = s sprintf(" %s %.3f", $1, d) }
			END { printf "  %-20s%s\n", c, s }' "$base" -
		rm -f "$base"
	done
}

# callgrind: instructions in fn (and what it calls) for one run.
collected() {
	fn=$1
	shift
	out=$(mktemp)
	valgrind --tool=callgrind --callgrind-out-file=/dev/null \
		--toggle-collect="$fn" "$@" 2>"$out" >/dev/null
	sed -n 's/.*Collected : *\([0-9]*\).*/\1/p' "$out"
	rm -f "$out"
}

instructions_per_op() {
	n=$1
	shift
	cases "$@" | while read -r c fn; do
		b=$(collected "$fn" "$@" "$c" 0)
		a=$(collected "$fn" "$@" "$c" "$n")
		awk -v a="$a" -v b="$b" -v n="$n" -v c="$c" -v fn="$fn" \
			'BEGIN { printf "  %-20s %8.1f  (%s)\n", c, (a - b) / n, fn }'
	done
}

# Second stage, under libtool (below): $2 and $3 are the real programs.
if [ "${1-}" = --count ]; then
	names=$2 mkstemp=$3
	dir=${BENCH_DIRS%% *}
	nn=${quick:+100} nf=${quick:+20}
	if command -v strace >/dev/null 2>&1; then
		echo "system calls per operation (strace -c, N operations less a run of 0):"
		syscalls_per_op "${nn:-10000}" "$names"
		syscalls_per_op "${nf:-500}" "$mkstemp" -d "$dir"
	else
		echo "strace not found: system calls per operation not counted"
	fi
	if command -v valgrind >/dev/null 2>&1; then
		echo "user-space instructions per operation (callgrind, in the function named):"
		instructions_per_op "${nn:-20000}" "$names"
		instructions_per_op "${nf:-2000}" "$mkstemp" -d "$dir"
	else
		echo "valgrind not found: instructions per operation not counted"
	fi
	exit 0
fi

if [ -z "${BENCH_DIRS-}" ]; then
	BENCH_DIRS=${TMPDIR:-/tmp}
	if [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ]; then
		BENCH_DIRS="$BENCH_DIRS /dev/shm"
	fi
fi
export BENCH_DIRS
bench="${top_builddir:-.}/bench"
"$bench/bench_names" $q
for d in $BENCH_DIRS; do
	echo
	echo "$d: $(stat -f -c %T "$d" 2>/dev/null || echo '?')"
	"$bench/bench_mkstemp" -d "$d" $q
done
echo
# Tracing libtool's wrapper scripts would count the shell's calls too:
# libtool runs this script again with the real programs in their place.
exec "${top_builddir:-.}/libtool" --mode=execute "${SHELL:-/bin/sh}" "$0" --count \
	"$bench/bench_names" "$bench/bench_mkstemp"
