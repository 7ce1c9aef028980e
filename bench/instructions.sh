#!/bin/sh
# bench/instructions.sh QUICK PROG [ARGS...]: user-space instructions per
# operation of each case of a benchmark program, under valgrind's callgrind
# counting only inside the case's function and its callees
# (--toggle-collect): a run of N operations less a run of none (for the
# library's functions, which set-up may call too), over N.
# Cases whose work is another process's (rm, python3) are not counted.
# QUICK nonempty: 2 operations of the first case (a smoke run).
set -eu
quick=$1
shift
out=$(mktemp)
trap 'rm -f "$out"' EXIT

collected() {
	fn=$1
	shift
	valgrind --tool=callgrind --callgrind-out-file=/dev/null \
		--toggle-collect="$fn" "$@" 2>"$out" >/dev/null
	sed -n 's/.*Collected : *\([0-9]*\).*/\1/p' "$out"
}

# -q: the first case only, to see that counting works.
"$@" -h 2>&1 | sed -n 's/^case //p' | sed "${quick:+1q}" | while read -r c fn _ n; do
	[ "$n" -gt 0 ] && [ "$fn" != - ] || continue
	[ -z "$quick" ] || n=2
	# The benchmarks' own run_* functions are never called in set-up: no
	# baseline needed (a valgrind start saved a case).
	case $fn in
	run_*) b=0 ;;
	*) b=$(collected "$fn" "$@" ${quick:+-q} "$c" 0) ;;
	esac
	a=$(collected "$fn" "$@" ${quick:+-q} "$c" "$n")
	awk -v a="$a" -v b="$b" -v n="$n" -v c="$c" -v fn="$fn" \
		'BEGIN { printf "  %-24s %12.1f  (%s)\n", c, (a - b) / n, fn }'
done
