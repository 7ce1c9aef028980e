# TF_PROBE_CFLAGS(VARIABLE, FLAGS)
# Appends to VARIABLE each of FLAGS that the C compiler accepts without a
# warning (tried with -Werror, so clang's "unknown option" warnings count).
AC_DEFUN([TF_PROBE_CFLAGS], [
  for tf_flag in $2; do
    AS_VAR_PUSHDEF([tf_cache], [tf_cv_cflag_$tf_flag])
    AC_CACHE_CHECK([whether $CC accepts $tf_flag], [tf_cache], [
      tf_save_CFLAGS=$CFLAGS
      CFLAGS="$CFLAGS -Werror $tf_flag"
      AC_COMPILE_IFELSE([AC_LANG_PROGRAM([], [])],
        [AS_VAR_SET([tf_cache], [yes])], [AS_VAR_SET([tf_cache], [no])])
      CFLAGS=$tf_save_CFLAGS])
    AS_VAR_IF([tf_cache], [yes], [$1="$$1 $tf_flag"])
    AS_VAR_POPDEF([tf_cache])
  done
])
