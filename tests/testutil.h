/* Shared helpers for the Check suites. */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#include <check.h>
#include <sys/types.h>

/* For code that runs in child processes (tu_run), where ck_assert cannot
 * report: says what failed and makes the child's status non-zero.  (Needs
 * <errno.h>, <stdio.h> and <string.h>.) */
#define REQ(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: %s failed (errno: %s)\n", __FILE__, \
		        __LINE__, #cond, strerror(errno)); \
		return 1; \
	} \
} while (0)

/* 1 in a build with ThreadSanitizer (gcc says __SANITIZE_THREAD__, clang
 * __has_feature).  Its runtime takes its own locks around fork() only, in
 * an interceptor: a child made by _Fork(), SYS_fork or clone() while another
 * thread runs can inherit one of them held and hang in the runtime (never
 * in the library), so such tests make their children with fork() there. */
#if defined(__SANITIZE_THREAD__)
# define TU_TSAN 1
#elif defined(__has_feature)
# if __has_feature(thread_sanitizer)
#  define TU_TSAN 1
# endif
#endif
#ifndef TU_TSAN
# define TU_TSAN 0
#endif

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

/* The fatal signals of API.md, which the library handles where they are at
 * their defaults, and how many. */
extern const int tu_fatal_signals[];
extern const size_t tu_n_fatal;

/* Sets them to their defaults: Check's runner handles some, and its test
 * processes inherit that.  0, or -1 with errno. */
int tu_default_signals(void);

/* Runs fn(arg) in a child process with the fatal signals at their
 * defaults, as TU_NOBODY if as_nobody, and returns
 * what fn returned (its exit status), or 100 + signal if it was killed. */
int tu_run(int (*fn)(void *), void *arg, int as_nobody);

/* malloc()ed "dir/name"; never NULL. */
char *tu_join(const char *dir, const char *name);

/* The ways a child process can be made; a pthread_atfork() hook sees only
 * the first.  TU_BY_UNDERSCORE_FORK is syscall(SYS_fork) where the C library
 * has no _Fork(). */
enum { TU_BY_FORK, TU_BY_UNDERSCORE_FORK, TU_BY_SYSCALL, TU_BY_CLONE, TU_N_WAYS };

/* Starts a child made the given way (TU_BY_CLONE: clone() without
 * CLONE_VM, on a stack of its own) that runs _exit(fn(arg)).  Returns its
 * pid, or -1 with errno; the caller waits for it. */
pid_t tu_spawn(int how, int (*fn)(void *), void *arg);

/* Waits up to seconds for the n children in pid[] (entries <= 0 are
 * skipped; each is set to 0 once reaped) and kills those still running:
 * returns how many that were; adds those that exited with a nonzero status
 * or died of a signal to *failed. */
int tu_reap(pid_t *pid, int n, int seconds, int *failed);

/* _exit(status) for a test's child processes, after writing out their
 * coverage data when built with --coverage (else _exit() loses it).  For
 * that, a child lowers only soft limits (RLIMIT_FSIZE, RLIMIT_NOFILE,
 * RLIMIT_AS), which this lifts back to the hard ones first. */
void tu_exit(int status) __attribute__((noreturn));

/* Makes this process TU_NOBODY (uid, gid, no supplementary groups): 0, or
 * -1 with errno.  In coverage builds root stays the saved set-user-ID, so
 * that tu_exit() can write into root's coverage files; permissions are
 * checked against the effective IDs, with no capability, all the same. */
int tu_drop_to_nobody(void);

/* Creates or replaces the file path holding s. */
void tu_write_file(const char *path, const char *s);

/* Asserts that the file path holds exactly want (under 256 bytes). */
void tu_assert_file(const char *path, const char *want);

/* Removes a tree (as root, whatever its permissions). */
void tu_rmtree(const char *path);

/* Set after unshare(CLONE_NEWPID): LeakSanitizer cannot check for leaks at
 * exit in such a process or its children (it stops the world through a
 * clone() into the new namespace and looks itself up in a /proc that
 * belongs to another), so its check at exit is off from then on. */
extern int tu_no_leak_check;

/* n, or a tenth of it (at least 1) where the environment has TU_SLOW=1:
 * for the rounds of stress loops under valgrind (.ci/checkers), which runs
 * them tens of times slower.  Every test still runs. */
int tu_rounds(int n);
/* For a child process, as root: a mount namespace of its own, its mounts
 * private, so that what it mounts stays there.  0, or -1 with errno. */
int tu_private_mounts(void);

/* For a child process: from now on, system call nr fails at once with err
 * (a seccomp filter), as where the kernel lacks it (ENOSYS) or a sandbox
 * forbids it.  0, or -1 with errno. */
int tu_deny_syscall(long nr, int err);
/* The same for the calls whose argument arg (0 to 5) has a bit of mask
 * (in its low 32 bits) set. */
int tu_deny_syscall_if(long nr, int arg, unsigned long mask, int err);

/* 1 under valgrind (its preloaded core is in LD_PRELOAD).  valgrind 3.19
 * does not model glibc's _Fork(): its child carries on as the parent.  Tests
 * make such children with SYS_fork there, the same call without the C
 * library's wrapper (no fork hooks either). */
int tu_valgrind(void);

/* Runs the suite and returns the process exit status. */
int tu_main(Suite *s);

#endif
