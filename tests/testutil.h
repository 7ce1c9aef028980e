/* Shared helpers for the Check suites. */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#include <check.h>
#include <sys/types.h>

/* uid and gid that permission tests drop to (root ignores permissions). */
#define TU_NOBODY 65534

/* A private directory for the running test, inside one that the parent
 * process makes before the test case and removes after it, failed tests
 * included.  Mode 0755, so TU_NOBODY can reach what is inside. */
extern char *tu_base;

/* A private directory on /dev/shm, made and removed like the one that
 * holds tu_base; NULL if it could not be made. */
extern char *tu_other_fs;

/* A test case whose tests run with tu_base made and $TMPDIR set to it, and
 * with the given timeout in seconds. */
TCase *tu_tcase(const char *name, double timeout);

/* A new directory under tu_base (mode 0700, or 0777 when for_nobody);
 * malloc()ed path, never NULL. */
char *tu_subdir(const char *name, int for_nobody);

/* Entries in dir besides . and .., or -1. */
int tu_count_entries(const char *dir);

/* Runs fn(arg) in a child process with SIGINT and SIGTERM at their
 * defaults, as TU_NOBODY if as_nobody, and returns
 * what fn returned (its exit status), or 100 + signal if it was killed. */
int tu_run(int (*fn)(void *), void *arg, int as_nobody);

/* _exit(status) for a test's child processes, after writing out their
 * coverage data when built with --coverage (else _exit() loses it). */
void tu_exit(int status) __attribute__((noreturn));

/* Creates or replaces the file path holding s. */
void tu_write_file(const char *path, const char *s);

/* Asserts that the file path holds exactly want (under 256 bytes). */
void tu_assert_file(const char *path, const char *want);

/* Removes a tree (as root, whatever its permissions). */
void tu_rmtree(const char *path);

/* Runs the suite and returns the process exit status. */
int tu_main(Suite *s);

#endif
