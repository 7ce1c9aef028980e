#!/bin/sh
# User-space instructions per operation of callgrind_hot's cases, under
# valgrind --tool=callgrind: CASE N less CASE 0, over N, in the case's own
# function (op_CASE, callees included).  DIR should be an empty private
# directory (tmpfs: /dev/shm/...).
# Usage: callgrind_hot.sh PROGRAM DIR [N [CASE...]]
set -eu
prog=$1 dir=$2 n=${3:-2000}
# valgrind would count the shell of libtool's wrapper script, not the
# program: every figure 0.
[ -f "$prog" ] || { echo "$prog: no such program" >&2; exit 2; }
if [ "$(head -c 2 "$prog")" = "#!" ]; then
	echo "$prog is a script (libtool's wrapper?): run this through" \
		"libtool --mode=execute, as make bench-callgrind does" >&2
	exit 2
fi
shift 2
[ $# -gt 0 ] && shift
cases=${*:-"floor_file mkostemp tempfile_mkstemp tempfile_mkstemp_nopath batch_mkostemp batch_tempfile_mkstemp floor_dir mkdtemp tempfile_mkdtemp batch_mkdtemp batch_tempfile_mkdtemp dir_floor dir_new_close names_floor names_next"}

collected() {
	valgrind --tool=callgrind --callgrind-out-file=/dev/null \
		--toggle-collect="op_$1" "$prog" "$dir" "$2" "$3" 2>&1 |
		sed -n 's/.*Collected : *\([0-9]*\).*/\1/p'
}

for c in $cases; do
	fn=${c#batch_}
	a=$(collected "$fn" "$c" "$n")
	b=$(collected "$fn" "$c" 0)
	awk -v a="$a" -v b="$b" -v n="$n" -v c="$c" \
		'BEGIN { printf "  %-26s %8.1f instructions/op\n", c, (a - b) / n }'
done
