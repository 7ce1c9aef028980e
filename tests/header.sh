#!/bin/sh
# The public header stands alone as strict C99 and as C++, with the flags
# tempfile.pc gives; without them it either has a 64-bit off_t anyway or
# fails to compile, saying what to add.
set -eu
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '#include <tempfile.h>\nint main(void) { return tempfile_version() == 0; }\n' > "$tmp/t.c"
# What `pkg-config --cflags tempfile` adds besides the -I.
pcflags=$(sed -n 's/^Cflags://p' "$top_builddir/tempfile.pc" | tr ' ' '\n' | grep -v '^-I' | tr '\n' ' ')
inc="-I$top_srcdir/include"

# shellcheck disable=SC2086 # CC, CXX and pcflags are word lists
${CC:-cc} -std=c99 -pedantic-errors -Wall -Wextra -Werror $pcflags $inc \
	-c "$tmp/t.c" -o "$tmp/c.o"
echo "PASS: C99"

printf '#include <tempfile.h>\ntypedef char off_t_is_64_bits[sizeof(off_t) >= 8 ? 1 : -1];\n' > "$tmp/bare.c"
cp "$tmp/bare.c" "$tmp/bare.cc"
# The header without tempfile.pc's flags: compiler, standard, file.
bare() {
	# shellcheck disable=SC2086
	if $1 -std=$2 -Wall -Wextra -Werror $inc -c "$3" -o "$tmp/bare.o" 2> "$tmp/err"; then
		echo "PASS: $2 without flags: a 64-bit off_t anyway"
	elif grep -q '_FILE_OFFSET_BITS=64' "$tmp/err"; then
		echo "PASS: $2 without flags: the error names _FILE_OFFSET_BITS=64"
	else
		cat "$tmp/err"
		echo "FAIL: $2 without flags: neither a 64-bit off_t nor the message"
		exit 1
	fi
}
bare "${CC:-cc}" c99 "$tmp/bare.c"
bare "${CC:-cc}" c11 "$tmp/bare.c"

cxx=${CXX:-c++}
if ! command -v "${cxx%% *}" >/dev/null 2>&1; then
	echo "FAIL: no C++ compiler ($cxx) to check the header with"
	exit 1
fi
cp "$tmp/t.c" "$tmp/t.cc"
# shellcheck disable=SC2086
$cxx -std=c++11 -pedantic-errors -Wall -Wextra -Werror $pcflags $inc \
	-c "$tmp/t.cc" -o "$tmp/cxx.o"
nm "$tmp/cxx.o" | grep -q ' U tempfile_version$' || { echo "FAIL: C++ name mangled"; exit 1; }
echo "PASS: C++"
bare "$cxx" c++98 "$tmp/bare.cc"
bare "$cxx" c++11 "$tmp/bare.cc"
