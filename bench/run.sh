#!/bin/sh
# `make bench`: runs each benchmark once (the timed, side-by-side table),
# then counts the system calls per operation of every case under strace.
#
# Counting: strace -c -f tallies the calls of one untimed run of CASE N
# ("bench_x CASE N") and of CASE 0; the difference over N leaves out what
# the program does once (loading, set-up), so what remains is the cost of
# one operation.  strace slows system calls down, which is why the timings
# come from separate runs without it.
set -eu

# Prints "syscall calls" for one run of the command.
tally() {
	out=$(mktemp)
	strace -f -c -o "$out" "$@" >/dev/null
	# Rows are "% seconds usecs/call calls [errors] syscall"; skip the
	# header, the rules and the total.
	awk '$1 ~ /^[0-9.]+$/ && $NF != "total" { print $NF, $4 }' "$out"
	rm -f "$out"
}

# Prints the calls per operation of each case of a program, a line a case.
per_op() {
	prog=$1 n=$2
	# The cases the program was built with: its usage line lists them.
	for c in $("$prog" -h 2>&1 | sed -n 's/^cases://p'); do
		base=$(mktemp)
		tally "$prog" "$c" 0 > "$base"
		tally "$prog" "$c" "$n" | awk -v n="$n" -v c="$c" '
			FNR == NR { base[$1] = $2; next }
			{ d = ($2 - base[$1]) / n; if (d >= 0.001) s = s sprintf(" %s %.3f", $1, d) }
			END { printf "  %-20s%s\n", c, s }' "$base" -
		rm -f "$base"
	done
}

# Second stage, under libtool (below): $2 and $3 are the real programs.
if [ "${1-}" = --count ]; then
	echo "system calls per operation (strace -c, N operations less a run of 0):"
	per_op "$2" 10000
	per_op "$3" 500
	exit 0
fi

bench="${top_builddir:-.}/bench"
"$bench/bench_names"
echo
"$bench/bench_mkstemp"
echo
if ! command -v strace >/dev/null 2>&1; then
	echo "strace not found: system calls per operation not counted"
	exit 0
fi
# Tracing libtool's wrapper scripts would count the shell's calls too:
# libtool runs this script again with the real programs in their place.
exec "${top_builddir:-.}/libtool" --mode=execute "${SHELL:-/bin/sh}" "$0" --count \
	"$bench/bench_names" "$bench/bench_mkstemp"
