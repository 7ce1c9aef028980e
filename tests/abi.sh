#!/bin/sh
# The shared library exports exactly the functions include/tempfile.h
# declares.  A static-only build (--disable-shared) has no export list:
# there its global symbols are those functions, and the rest keep the
# private prefix tfp_, so that linking it takes no name from a program.
set -eu
lib="$top_builddir/src/.libs/libtempfile.so"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

${CC:-cc} -E -DTEMPFILE_BUILDING -I"$top_srcdir/include" "$top_srcdir/include/tempfile.h" |
	grep -oE '\<tempfile_[a-z_]+ *\(' | sed 's/ *($//' | sort -u > "$tmp/declared"
if [ -f "$lib" ]; then
	# Defined dynamic symbols, less the version nodes (absolute symbols).
	${NM:-nm} -D --defined-only "$lib" | awk '$2 != "A" { print $3 }' |
		sed 's/@.*//' | sort -u > "$tmp/exported"
else
	lib="$top_builddir/src/.libs/libtempfile.a"
	${NM:-nm} -g --defined-only "$lib" | awk 'NF == 3 { print $3 }' | sort -u > "$tmp/global"
	grep '^tempfile_' "$tmp/global" > "$tmp/exported" || :
	if grep -v -e '^tempfile_' -e '^tfp_' "$tmp/global"; then
		echo "FAIL: $lib defines the global symbols above, of neither prefix"
		exit 1
	fi
fi
if ! diff -u "$tmp/declared" "$tmp/exported"; then
	echo "FAIL: exported symbols differ from the header (- declared, + exported)"
	exit 1
fi
echo "PASS: $(wc -l < "$tmp/declared") functions declared and exported, nothing else"
