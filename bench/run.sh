#!/bin/sh
# `make bench`: runs each benchmark (the side-by-side tables) in each of
# BENCH_DIRS, then counts per operation of every case the system calls
# (bench/syscalls.sh, strace) and the user-space instructions
# (bench/instructions.sh, valgrind --tool=callgrind), where those are
# installed, in the first of BENCH_DIRS (make it the tmpfs: the counts are
# the same, the run much shorter).
#
# Environment: BENCH_DIRS, the directories the programs make their files
# in (default: $TMPDIR or /tmp, and /dev/shm where it is a tmpfs), so that
# tmpfs and a disk are both measured; BENCH_QUICK=1 for a smoke run (tiny
# batches, trees and counts: checks that the programs build and run,
# measures nothing).
set -eu

quick=${BENCH_QUICK:-}
q=${quick:+-q}
here=$(dirname "$0")

# Second stage, under libtool (below): the real programs, not libtool's
# wrapper scripts, so that strace and callgrind see them and not a shell.
if [ "${1-}" = --count ]; then
	shift
	dir=${BENCH_DIRS%% *}
	if command -v strace >/dev/null 2>&1; then
		echo "system calls per operation (strace -f, between the markers; total, then by call):"
		for p in "$@"; do
			case $p in
			*names) sh "$here/syscalls.sh" "$quick" "$p" ;;
			*spool) sh "$here/syscalls.sh" "$quick" "$p"
			        sh "$here/syscalls.sh" "$quick" "$p" -d "$dir" ;;
			*) sh "$here/syscalls.sh" "$quick" "$p" -d "$dir" ;;
			esac
		done
	else
		echo "strace not found: system calls per operation not counted"
	fi
	if command -v valgrind >/dev/null 2>&1; then
		echo "user-space instructions per operation (callgrind, in the function named):"
		for p in "$@"; do
			case $p in
			*names) sh "$here/instructions.sh" "$quick" "$p" ;;
			*spool) sh "$here/instructions.sh" "$quick" "$p"
			        sh "$here/instructions.sh" "$quick" "$p" -d "$dir" ;;
			*) sh "$here/instructions.sh" "$quick" "$p" -d "$dir" ;;
			esac
		done
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
echo "$(uname -srm); $(nproc 2>/dev/null || echo '?') CPUs; load: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"
"$bench/bench_names" $q
echo
"$bench/bench_spool" $q
# Beyond the first directory, small trees only and no registry of 100,000
# files: on a disk where an rmdir takes milliseconds, a chain of 100,000
# directories or 100,000 pending files would take many minutes.
first=1
for d in $BENCH_DIRS; do
	echo
	echo "==== $d: $(stat -f -c %T "$d" 2>/dev/null || echo '?')"
	for p in mkstemp life tree spool register; do
		case $p$first in
		tree) s=-s ;;
		register) continue ;;
		*) s= ;;
		esac
		echo
		"$bench/bench_$p" -d "$d" $s $q
	done
	first=
done
echo
exec "${top_builddir:-.}/libtool" --mode=execute "${SHELL:-/bin/sh}" "$0" --count \
	"$bench/bench_names" "$bench/bench_mkstemp" "$bench/bench_life" "$bench/bench_tree" \
	"$bench/bench_spool" "$bench/bench_register"
