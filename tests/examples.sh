#!/bin/sh
# Runs the example programs (built by make check, or against the installed
# library by tests/installed.sh, which sets EXAMPLES_DIR) and checks what
# each one promises.
set -eu
ex=$(cd "${EXAMPLES_DIR:-$top_builddir/examples}" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export TMPDIR="$tmp"
fail=0
no() { echo "FAIL: $*"; fail=1; }

# demo: the README's tour, every object once.
(cd "$tmp" && "$ex/demo" >"$tmp/demo.out") || no "demo failed: $(cat "$tmp/demo.out")"

# spool-buffer: in memory, and rolled over past 64 KiB.
out=$("$ex/spool-buffer" 10 2>"$tmp/err") || no "spool-buffer 10 failed"
[ "$out" = "line " ] || no "spool-buffer 10 printed '$out'"
# (In memory where the C library can make a stream over memory; a build
# without one rolls over for the stream: either way every byte is there.)
grep -q "^spool-buffer: 280 bytes, " "$tmp/err" || no "spool-buffer 10: $(cat "$tmp/err")"
"$ex/spool-buffer" 10000 >/dev/null 2>"$tmp/err" || no "spool-buffer 10000 failed"
grep -q "^spool-buffer: 308890 bytes, rolled over to disk" "$tmp/err" ||
	no "spool-buffer 10000: $(cat "$tmp/err")"

# scratch-dir: the tree gone after exit().
dir=$("$ex/scratch-dir") || no "scratch-dir failed"
case $dir in "$tmp"/job-*) ;; *) no "scratch-dir made '$dir'" ;; esac
[ ! -e "$dir" ] || no "scratch-dir left $dir after exit()"

# Ctrl-C: the process dies of SIGINT, its directory gone first.  A shell
# starts background jobs with SIGINT ignored (and make may run us so),
# which the library respects: env restores the default for the example.
env --default-signal=INT "$ex/scratch-dir" 30 >"$tmp/out" &
pid=$!
i=0
while [ ! -s "$tmp/out" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
dir=$(cat "$tmp/out")
[ -d "$dir/work" ] || no "scratch-dir 30: no tree at '$dir'"
kill -INT $pid
status=0
wait $pid || status=$?
[ $status -eq 130 ] || no "scratch-dir after SIGINT: status $status, not 130"
[ ! -e "$dir" ] || no "scratch-dir left $dir after SIGINT"

# save-config: checks its own promise (contents replaced, mode kept).
out=$("$ex/save-config") || no "save-config failed: $out"
case $out in "replaced $tmp"/save-config-*"/app.conf, mode 0640 kept") ;; *) no "save-config printed '$out'" ;; esac

# unix-socket: a working socket in a private directory, gone at exit.
out=$("$ex/unix-socket") || no "unix-socket failed"
case $out in "$tmp"/sock-*/tmp*.sock\ hello) ;; *) no "unix-socket printed '$out'" ;; esac
[ ! -e "$(dirname "${out% *}")" ] || no "unix-socket left its directory"

[ $fail -eq 0 ] || exit 1
echo "PASS: examples"
