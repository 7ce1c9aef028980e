#!/bin/sh
# Against an installed tree (make installcheck; distcheck runs it too):
# every example builds through pkg-config, shared and static, and passes
# tests/examples.sh; every public function has a manual page that man
# finds.  With TF_LINT_MAN=1 (CI), every page also lints clean.
# Environment: DESTDIR (may be empty), libdir, mandir, includedir, srcdir, CC.
set -eu
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
no() { echo "FAIL: $*"; fail=1; }

PKG_CONFIG_PATH="${DESTDIR:-}$libdir/pkgconfig"
PKG_CONFIG_SYSROOT_DIR="${DESTDIR:-}"
export PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR
pc=${PKG_CONFIG:-pkg-config}
$pc --exists tempfile || { echo "FAIL: pkg-config finds no tempfile in $PKG_CONFIG_PATH"; exit 1; }

for kind in shared static; do
	mkdir "$tmp/$kind"
	for src in "$srcdir"/examples/*.c; do
		prog="$tmp/$kind/$(basename "$src" .c)"
		if [ $kind = shared ]; then
			${CC:-cc} -o "$prog" "$src" $($pc --cflags --libs tempfile) \
				-Wl,-rpath,"${DESTDIR:-}$libdir" || no "$kind build of $src"
		else
			${CC:-cc} -static -o "$prog" "$src" $($pc --static --cflags --libs tempfile) ||
				no "$kind build of $src"
		fi
	done
	if [ $kind = shared ] && ! ldd "$tmp/shared/demo" | grep -q "${DESTDIR:-}$libdir/libtempfile.so"; then
		no "the shared demo does not use the installed library"
	fi
	EXAMPLES_DIR="$tmp/$kind" top_builddir=. sh "$srcdir/tests/examples.sh" || no "$kind examples"
done

man3="${DESTDIR:-}$mandir/man3"
${CC:-cc} -E -I"${DESTDIR:-}$includedir" -x c - <<'C' | grep -oE '\<tempfile_[a-z_]+ *\(' | sed 's/ *($//' | sort -u >"$tmp/functions"
#include <tempfile.h>
C
[ -s "$tmp/functions" ] || no "no function in the installed header"
while read -r f; do
	if command -v man >/dev/null; then
		MANPATH="${DESTDIR:-}$mandir" man -w "$f" >/dev/null 2>&1 || no "man $f: no page"
	else
		[ -e "$man3/$f.3" ] || no "$f: no page $man3/$f.3"
	fi
done <"$tmp/functions"
if [ "${TF_LINT_MAN:-0}" = 1 ]; then
	for page in "$man3"/*.3; do
		out=$(mandoc -Tlint "$page" 2>&1) || true
		[ -z "$out" ] || no "mandoc -Tlint: $out"
		out=$(LC_ALL=C.UTF-8 MANROFFSEQ='' man --warnings -E UTF-8 -l "$page" 2>&1 >/dev/null) || no "man -l $page failed"
		[ -z "$out" ] || no "man --warnings $page: $out"
	done
fi
[ $fail -eq 0 ] || exit 1
echo "PASS: $(ls "$tmp/shared" | wc -l) examples shared and static, $(wc -l <"$tmp/functions") functions with pages"
