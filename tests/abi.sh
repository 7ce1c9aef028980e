#!/bin/sh
# The shared library exports exactly the functions include/tempfile.h declares.
set -eu
lib="$top_builddir/src/.libs/libtempfile.so"
if [ ! -f "$lib" ]; then
	echo "SKIP: no shared library (built with --disable-shared)"
	exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

${CC:-cc} -E -DTEMPFILE_BUILDING -I"$top_srcdir/include" "$top_srcdir/include/tempfile.h" |
	grep -oE '\<tempfile_[a-z_]+ *\(' | sed 's/ *($//' | sort -u > "$tmp/declared"
# Defined dynamic symbols, less the version nodes (absolute symbols).
${NM:-nm} -D --defined-only "$lib" | awk '$2 != "A" { print $3 }' |
	sed 's/@.*//' | sort -u > "$tmp/exported"

if ! diff -u "$tmp/declared" "$tmp/exported"; then
	echo "FAIL: exported symbols differ from the header (- declared, + exported)"
	exit 1
fi
echo "PASS: $(wc -l < "$tmp/declared") functions declared and exported, nothing else"
