#!/bin/sh
# The public header stands alone as strict C99 and as C++.
set -eu
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '#include <tempfile.h>\nint main(void) { return tempfile_version() == 0; }\n' > "$tmp/t.c"

${CC:-cc} -std=c99 -pedantic-errors -Wall -Wextra -Werror -I"$top_srcdir/include" \
	-c "$tmp/t.c" -o "$tmp/c.o"
echo "PASS: C99"
cxx=${CXX:-c++}
if ! command -v "$cxx" >/dev/null 2>&1; then
	echo "FAIL: no C++ compiler ($cxx) to check the header with"
	exit 1
fi
cp "$tmp/t.c" "$tmp/t.cc"
"$cxx" -std=c++11 -pedantic-errors -Wall -Wextra -Werror -I"$top_srcdir/include" \
	-c "$tmp/t.cc" -o "$tmp/cxx.o"
nm "$tmp/cxx.o" | grep -q ' U tempfile_version$' || { echo "FAIL: C++ name mangled"; exit 1; }
echo "PASS: C++"
