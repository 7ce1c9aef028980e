#!/bin/sh
# The fault driver wraps every function the library calls that can fail:
# each undefined symbol of the library's objects is either in wrap.opts
# (the linker's --wrap options) or below, among those that cannot fail (or
# fail only for a bad argument, EINVAL), or it is a new call the driver
# would never make fail, and this test fails naming it.
set -eu
: "${top_builddir:?}" "${top_srcdir:?}" "${NM:=nm}"
fault_wrapped=$(sed -n 's/^--wrap=//p' "$top_srcdir/tests/fault/wrap.opts")
exempt='
_GLOBAL_OFFSET_TABLE_ __errno_location __tls_get_addr ___tls_get_addr __stack_chk_fail __assert_fail
abort bcmp memcmp memcpy memmove memset memchr strchr strcmp strncmp strcspn strlen strnlen
strrchr strspn strstr strtoul snprintf getenv secure_getenv fileno fwide
arc4random_buf getpid geteuid getuid getgid getegid clock_gettime sysconf munmap raise signal
sigaction sigaddset sigemptyset sigfillset sigprocmask pthread_sigmask
closedir rewinddir acl_free acl_delete_perm acl_get_permset acl_get_tag_type acl_set_permset
'
lib=$top_builddir/src/.libs/libtempfile-core.a
test -f "$lib" || { echo "no $lib" >&2; exit 1; }
missing=
for s in $($NM -u "$lib" | awk 'NF == 2 { print $2 } NF == 1 && !/:$/ { print $1 }' | sort -u); do
	case $s in
	tfp_*|tempfile_*|__asan_*|__ubsan_*|__gcov_*|__sanitizer_*|__lsan_*|__llvm_*|__msan_*|__tsan_*) continue ;;
	__*_chk) case " $fault_wrapped " in *" $s "*) ;; *) continue ;; esac ;;
	esac
	case " $(echo $fault_wrapped $exempt) " in
	*" $s "*) ;;
	*) missing="$missing $s" ;;
	esac
done
if [ -n "$missing" ]; then
	echo "calls the fault driver does not wrap:$missing" >&2
	echo "add each to tests/fault/wrap.opts and tests/fault/wrap.c," >&2
	echo "or, if it cannot fail, to the list in $0" >&2
	exit 1
fi
echo "every call the library makes that can fail is wrapped"
