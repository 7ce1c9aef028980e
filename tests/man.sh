#!/bin/sh
# Every function include/tempfile.h declares has a manual page doc/<name>.3,
# every ".so" page points to a page that exists, and every page is installed
# (listed in dist_man3_MANS).
set -eu
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
doc="$top_srcdir/doc"
fail=0

${CC:-cc} -E -DTEMPFILE_BUILDING -I"$top_srcdir/include" "$top_srcdir/include/tempfile.h" |
	grep -oE '\<tempfile_[a-z_]+ *\(' | sed 's/ *($//' | sort -u > "$tmp/declared"
if [ ! -s "$tmp/declared" ]; then
	echo "FAIL: no function found in include/tempfile.h"
	exit 1
fi

while read -r name; do
	if [ ! -f "$doc/$name.3" ]; then
		echo "FAIL: $name has no page doc/$name.3"
		fail=1
	fi
done < "$tmp/declared"
if [ ! -f "$doc/tempfile.3" ]; then
	echo "FAIL: no overview page doc/tempfile.3"
	fail=1
fi

# ".so man3/X.3" is resolved against the top of the manual hierarchy, where
# man3 is this directory.
for page in "$doc"/*.3; do
	target=$(sed -n 's/^\.so[ 	]\{1,\}//p' "$page")
	[ -n "$target" ] || continue
	case $target in
	man3/*.3) ;;
	*)
		echo "FAIL: $(basename "$page"): .so $target is not of the form man3/<page>.3"
		fail=1
		continue
		;;
	esac
	if [ ! -f "$doc/${target#man3/}" ]; then
		echo "FAIL: $(basename "$page"): .so $target: no such page"
		fail=1
	elif grep -q '^\.so' "$doc/${target#man3/}"; then
		echo "FAIL: $(basename "$page"): .so $target is itself a link"
		fail=1
	fi
done

# Every page is installed.
sed -n '/^dist_man3_MANS *=/,/[^\\]$/p' "$top_srcdir/Makefile.am" |
	tr ' \t\\' '\n\n\n' | grep '^doc/.*\.3$' | sort > "$tmp/listed"
(cd "$doc" && ls *.3) | sed 's|^|doc/|' | sort > "$tmp/present"
if ! diff -u "$tmp/present" "$tmp/listed"; then
	echo "FAIL: pages in doc/ differ from dist_man3_MANS in Makefile.am (- in doc/, + listed)"
	fail=1
fi

# Where mandoc is installed (CI installs it), every page lints clean; the
# ".so" pages are checked after installation, as links (tests/installed.sh).
if command -v mandoc >/dev/null; then
	for page in "$doc"/*.3; do
		grep -q '^\.so' "$page" && continue
		out=$(mandoc -Tlint "$page" 2>&1) || true
		[ -z "$out" ] || { echo "FAIL: $out"; fail=1; }
	done
fi

[ "$fail" -eq 0 ] || exit 1
echo "PASS: $(wc -l < "$tmp/declared") functions documented, $(wc -l < "$tmp/present") pages installed"
