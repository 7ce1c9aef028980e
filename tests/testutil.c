#include "config.h"

#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <ftw.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

char *tu_base;
char *tu_other_fs;
static char root[64];
static char other_root[64];

/* mkdtemp(buf), made reachable for TU_NOBODY. */
static char *make_private(char *buf)
{
	if (!mkdtemp(buf) || chmod(buf, 0755) < 0) {
		perror("mkdtemp");
		abort();
	}
	return buf;
}

/* In the parent, around the whole test case: what the tests leave behind,
 * even when they fail, goes with the root. */
static void setup_root(void)
{
	/* Not under $TMPDIR: it may be out of TU_NOBODY's reach. */
	strcpy(root, "/tmp/libtempfile-check.XXXXXX");
	make_private(root);
	/* A tmpfs, for tests that cross file systems (they check it is one). */
	strcpy(other_root, "/dev/shm/libtempfile-check.XXXXXX");
	tu_other_fs = mkdtemp(other_root);
}

static void teardown_root(void)
{
	tu_rmtree(root);
	if (tu_other_fs)
		tu_rmtree(other_root);
}

/* In each test's own process: a fresh directory of its own. */
static void setup_test(void)
{
	static char buf[sizeof root + 16];

	snprintf(buf, sizeof buf, "%s/t.XXXXXX", root);
	tu_base = make_private(buf);
	setenv("TMPDIR", tu_base, 1);
	unsetenv("TEMP");
	unsetenv("TMP");
}

TCase *tu_tcase(const char *name, double timeout)
{
	TCase *tc = tcase_create(name);

	tcase_add_unchecked_fixture(tc, setup_root, teardown_root);
	tcase_add_checked_fixture(tc, setup_test, NULL);
	tcase_set_timeout(tc, timeout);
	return tc;
}

char *tu_subdir(const char *name, int for_nobody)
{
	char *path;

	if (asprintf(&path, "%s/%s", tu_base, name) < 0)
		abort();
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		ck_abort_msg("mkdir %s: %s", path, strerror(errno));
	if (for_nobody)
		ck_assert_int_eq(chmod(path, 0777), 0);
	return path;
}

int tu_count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

int tu_no_leak_check;

/* Asked for by the sanitizer runtime, where there is one; exported, since
 * the build hides everything else. */
__attribute__((visibility("default"))) int __lsan_is_turned_off(void);

int __lsan_is_turned_off(void)
{
	return tu_no_leak_check;
}

const int tu_fatal_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGXCPU, SIGXFSZ };
const size_t tu_n_fatal = sizeof tu_fatal_signals / sizeof *tu_fatal_signals;

int tu_default_signals(void)
{
	size_t i;

	for (i = 0; i < tu_n_fatal; i++)
		if (signal(tu_fatal_signals[i], SIG_DFL) == SIG_ERR)
			return -1;
	return 0;
}

#ifdef HAVE___GCOV_DUMP
void __gcov_dump(void); /* libgcov's, found by configure */
#endif

#ifdef HAVE___GCOV_DUMP
/* A limit a test lowered to make the library fail (RLIMIT_FSIZE,
 * RLIMIT_NOFILE, RLIMIT_AS) would make the dump fail too: the soft one goes
 * back up to the hard one, which tests leave alone (raising that takes a
 * privilege that containers may not grant). */
static void lift_limit(int resource)
{
	struct rlimit rl;

	if (getrlimit(resource, &rl) == 0 && rl.rlim_cur != rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(resource, &rl);
	}
}
#endif

void tu_exit(int status)
{
#ifdef HAVE___GCOV_DUMP
	/* Back to root, whose .gcda files these are (tu_drop_to_nobody()). */
	if (geteuid() != 0)
		(void)!seteuid(0);
	lift_limit(RLIMIT_FSIZE);
	lift_limit(RLIMIT_NOFILE);
	lift_limit(RLIMIT_AS);
	__gcov_dump();
#endif
	_exit(status);
}

int tu_drop_to_nobody(void)
{
	if (setgroups(0, NULL) < 0)
		return -1;
#ifdef HAVE___GCOV_DUMP
	/* The kernel checks the effective IDs and capabilities, which this
	 * empties; root stays only the saved set-user-ID, for tu_exit(). */
	if (setresgid(TU_NOBODY, TU_NOBODY, TU_NOBODY) < 0)
		return -1;
	return setresuid(TU_NOBODY, TU_NOBODY, 0);
#else
	if (setgid(TU_NOBODY) < 0)
		return -1;
	return setuid(TU_NOBODY);
#endif
}

int tu_run(int (*fn)(void *), void *arg, int as_nobody)
{
	int status;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		/* Check forwards SIGINT and SIGTERM to the test's process group:
		 * a child starts from the defaults, as a program would. */
		if (tu_default_signals() < 0)
			_exit(98);
		if (as_nobody && tu_drop_to_nobody() < 0)
			tu_exit(99);
		tu_exit(fn(arg));
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		return 100 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

char *tu_join(const char *dir, const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", dir, name) < 0)
		abort();
	return p;
}

struct spawned {
	int (*fn)(void *);
	void *arg;
};

static int run_spawned(void *arg)
{
	struct spawned *s = arg;

	tu_exit(s->fn(s->arg));
}

pid_t tu_spawn(int how, int (*fn)(void *), void *arg)
{
	/* Only the child runs on it, in its own copy of our memory. */
	static char stack[256 * 1024] __attribute__((aligned(16)));
	struct spawned s = { fn, arg };
	pid_t pid;

	/* Through a pointer: under --coverage gcc makes a call of fork()
	 * one of __gcov_fork(), which zeroes the child's counters after the
	 * fork handlers have run, so that what those do would never show. */
	pid_t (*volatile fork_fn)(void) = fork;

	switch (how) {
	case TU_BY_FORK:
		pid = fork_fn();
		break;
#ifdef HAVE__FORK
	case TU_BY_UNDERSCORE_FORK:
		pid = tu_valgrind() ? (pid_t)syscall(SYS_fork) : _Fork();
		break;
#endif
	case TU_BY_CLONE:
		return clone(run_spawned, stack + sizeof stack, SIGCHLD, &s);
	default:
		pid = (pid_t)syscall(SYS_fork);
		break;
	}
	if (pid == 0)
		run_spawned(&s);
	return pid;
}

int tu_reap(pid_t *pid, int n, int seconds, int *failed)
{
	const struct timespec pause = { 0, 1000000 };
	struct timespec start, now;
	int left = 0, hung = 0, status, i;

	for (i = 0; i < n; i++)
		left += pid[i] > 0;
	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		for (i = 0; i < n; i++)
			if (pid[i] > 0 && waitpid(pid[i], &status, WNOHANG) == pid[i]) {
				*failed += !WIFEXITED(status) || WEXITSTATUS(status) != 0;
				pid[i] = 0;
				left--;
			}
		nanosleep(&pause, NULL);
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (left && now.tv_sec - start.tv_sec < seconds);
	for (i = 0; i < n; i++)
		if (pid[i] > 0) {
			kill(pid[i], SIGKILL);
			waitpid(pid[i], &status, 0);
			pid[i] = 0;
			hung++;
		}
	return hung;
}

void tu_write_file(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");

	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	ck_assert_int_ge(fputs(s, f), 0);
	ck_assert_int_eq(fclose(f), 0);
}

void tu_assert_file(const char *path, const char *want)
{
	char buf[256];
	FILE *f = fopen(path, "r");
	size_t n;

	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	ck_assert_str_eq(buf, want);
}

static int rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_DP)
		return rmdir(path) < 0 ? -1 : 0;
	return unlink(path) < 0 ? -1 : 0;
}

static int make_traversable(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)ftw;
	if (type == FTW_D || type == FTW_DNR)
		chmod(path, (st->st_mode & 07777) | 0700);
	return 0;
}

void tu_rmtree(const char *path)
{
	/* Without root, 0000 directories left by a failed test need opening. */
	nftw(path, make_traversable, 16, FTW_PHYS);
	if (nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS) < 0)
		fprintf(stderr, "warning: could not remove %s: %s\n", path, strerror(errno));
}

/* The automake harness keeps a test's output in its .log; the summary line
 * also goes to the console through descriptor 9 (AM_TESTS_FD_REDIRECT), so
 * that a run of 'make check' shows how many checks each suite ran. */
static void summary_to_console(SRunner *sr)
{
	int saved;

	if (fcntl(9, F_GETFD) < 0 || fflush(stdout) != 0 || (saved = dup(1)) < 0)
		return;
	if (dup2(9, 1) >= 0) {
		srunner_print(sr, CK_MINIMAL);
		fflush(stdout);
		dup2(saved, 1);
	}
	close(saved);
}

int tu_rounds(int n)
{
	const char *slow = getenv("TU_SLOW");

	if (!slow || strcmp(slow, "1") != 0)
		return n;
	return n / 10 > 0 ? n / 10 : 1;
}

int tu_valgrind(void)
{
	const char *preload = getenv("LD_PRELOAD");

	return preload && strstr(preload, "vgpreload_core") != NULL;
}

int tu_main(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	summary_to_console(sr);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

int tu_private_mounts(void)
{
	if (unshare(CLONE_NEWNS) < 0)
		return -1;
	return mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL);
}

/* The seccomp filter ABI of the kernel (Documentation/userspace-api/
 * seccomp_filter.rst), spelt out here because musl ships no kernel headers:
 * classic BPF over struct seccomp_data { int nr; __u32 arch; __u64
 * instruction_pointer; __u64 args[6]; }. */
struct tu_bpf_insn {
	unsigned short code;
	unsigned char jt, jf;
	unsigned int k;
};

struct tu_bpf_prog {
	unsigned short len;
	struct tu_bpf_insn *insns;
};

#define TU_BPF_LD_W_ABS 0x20    /* BPF_LD | BPF_W | BPF_ABS */
#define TU_BPF_JEQ_K 0x15       /* BPF_JMP | BPF_JEQ | BPF_K */
#define TU_BPF_JSET_K 0x45      /* BPF_JMP | BPF_JSET | BPF_K */
#define TU_BPF_RET_K 0x06       /* BPF_RET | BPF_K */
#define TU_SECCOMP_MODE_FILTER 2
#define TU_SECCOMP_RET_ERRNO 0x00050000U
#define TU_SECCOMP_RET_ALLOW 0x7fff0000U
/* Where the low 32 bits of args[i] are. */
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
# define TU_ARG_LOW(i) (16U + 8U * (unsigned)(i) + 4U)
#else
# define TU_ARG_LOW(i) (16U + 8U * (unsigned)(i))
#endif

int tu_deny_syscall_if(long nr, int arg, unsigned long mask, int err)
{
	struct tu_bpf_insn insns[] = {
		{ TU_BPF_LD_W_ABS, 0, 0, 0 },
		{ TU_BPF_JEQ_K, 0, 3, (unsigned)nr },
		{ TU_BPF_LD_W_ABS, 0, 0, TU_ARG_LOW(arg < 0 ? 0 : arg) },
		{ TU_BPF_JSET_K, 0, 1, arg < 0 ? ~0U : (unsigned)mask },
		{ TU_BPF_RET_K, 0, 0, TU_SECCOMP_RET_ERRNO | ((unsigned)err & 0xffff) },
		{ TU_BPF_RET_K, 0, 0, TU_SECCOMP_RET_ALLOW },
	};
	struct tu_bpf_prog prog = { sizeof insns / sizeof *insns, insns };

	if (arg < 0) { /* every call: skip the test of the argument */
		insns[2] = insns[0];
		insns[3] = (struct tu_bpf_insn){ TU_BPF_JEQ_K, 0, 0, 0 };
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	return prctl(PR_SET_SECCOMP, TU_SECCOMP_MODE_FILTER, &prog, 0, 0);
}

int tu_deny_syscall(long nr, int err)
{
	return tu_deny_syscall_if(nr, -1, 0, err);
}
