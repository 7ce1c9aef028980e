#!/bin/sh
# bench/syscalls.sh QUICK PROG [ARGS...]: system calls per operation of each
# case of a benchmark program, counted by strace -f (child processes
# included: rm, python3) between the marker calls the harness makes around
# each batch (access("/bench:start") ... access("/bench:stop")), so that
# set-up, clean-up and the program's own start are left out.  QUICK
# nonempty: 2 operations of the first case (a smoke run).  Run by bench/run.sh on the
# real programs (not libtool's wrapper scripts).
set -eu
quick=$1
shift
out=$(mktemp)
trap 'rm -f "$out"' EXIT
# -q: the first case only, to see that counting works.
"$@" -h 2>&1 | sed -n 's/^case //p' | sed "${quick:+1q}" | while read -r c fn n _; do
	[ "$n" -gt 0 ] || continue
	[ -z "$quick" ] || n=2
	strace -f -qq -o "$out" "$@" ${quick:+-q} "$c" "$n" >/dev/null
	awk -v n="$n" -v c="$c" '
		{ sub(/^[0-9]+ +/, "") }
		/bench:start/ { on = 1; next }
		/bench:stop/ { on = 0; next }
		on && /^[a-z_0-9]+\(/ { sub(/\(.*/, ""); k[$0]++; total++ }
		END {
			s = ""
			for (x in k) if (k[x] / n >= 0.005) s = s sprintf(" %s %.2f", x, k[x] / n)
			printf "  %-24s %9.2f %s\n", c, total / n, s
		}' "$out"
done
