/* The default directory and prefix: src/tempdir.c and src/path.c. */
#include "src/internal.h"
#include "testutil.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdatomic.h>
#ifdef HAVE_LINUX_FS_H
# include <linux/fs.h>
#endif
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void assert_list(char **list, const char *const *want)
{
	size_t i;

	ck_assert_ptr_nonnull(list);
	for (i = 0; want[i]; i++) {
		ck_assert_ptr_nonnull(list[i]);
		ck_assert_str_eq(list[i], want[i]);
	}
	ck_assert_ptr_null(list[i]);
}

START_TEST(test_candidate_order)
{
	char *cwd = tfp_getcwd();
	const char *want[] = { "/e/tmpdir", "/e/temp", "rel/tmp", "/tmp", "/var/tmp",
	                       "/usr/tmp", cwd, NULL };
	char **list;

	setenv("TMPDIR", "/e/tmpdir", 1);
	setenv("TEMP", "/e/temp", 1);
	setenv("TMP", "rel/tmp", 1);
	list = tempfile_candidate_tempdir_list();
	assert_list(list, want);
	tempfile_strv_free(list);
	free(cwd);
}
END_TEST

START_TEST(test_candidate_empty_skipped)
{
	char *cwd = tfp_getcwd();
	const char *want[] = { "/e/tmp", "/tmp", "/var/tmp", "/usr/tmp", cwd, NULL };
	char **list;

	setenv("TMPDIR", "", 1);
	unsetenv("TEMP");
	setenv("TMP", "/e/tmp", 1);
	list = tempfile_candidate_tempdir_list();
	assert_list(list, want);
	tempfile_strv_free(list);
	tempfile_strv_free(NULL);
	free(cwd);
}
END_TEST

/* The current directory removed: getcwd() fails, the last candidate is
 * "." and a relative candidate, which cannot be made absolute, is passed
 * over for the next. */
static int cwd_gone(void *dir)
{
	const char *want[] = { "rel", dir, "/tmp", "/var/tmp", "/usr/tmp", ".", NULL };
	char **list, *got;
	size_t i;

	REQ(chdir(dir) == 0 && mkdir("gone", 0700) == 0 && chdir("gone") == 0);
	REQ(rmdir("../gone") == 0);
	REQ(setenv("TMPDIR", "rel", 1) == 0 && setenv("TEMP", dir, 1) == 0);
	REQ(unsetenv("TMP") == 0);
	errno = 0;
	REQ(tfp_getcwd() == NULL && errno == ENOENT);
	REQ(tfp_abspath("rel") == NULL && errno == ENOENT);
	errno = 0;
	REQ(tempfile_mkstemp(NULL, NULL, "rel", 0, NULL) == -1 && errno == ENOENT);
	REQ((list = tempfile_candidate_tempdir_list()));
	for (i = 0; want[i]; i++)
		REQ(list[i] && strcmp(list[i], want[i]) == 0);
	REQ(!list[i]);
	tempfile_strv_free(list);
	REQ((got = tempfile_get_default_tempdir()) && strcmp(got, dir) == 0);
	free(got);
	return 0;
}

START_TEST(test_cwd_gone)
{
	ck_assert_int_eq(tu_run(cwd_gone, tu_base, 0), 0);
	ck_assert_int_eq(tu_count_entries(tu_base), 0);
}
END_TEST

/* A current directory longer than getcwd()'s first buffer (256). */
static int long_cwd(void *dir)
{
	char want[1024], *got, *abs;
	size_t len;
	int i;

	REQ(chdir(dir) == 0);
	REQ(strlen(dir) < 200);
	strcpy(want, dir);
	for (i = 0; i < 12; i++) {
		REQ(mkdir("component-of-fifty-characters-long-abcdefghijklm", 0700) == 0);
		REQ(chdir("component-of-fifty-characters-long-abcdefghijklm") == 0);
		strcat(want, "/component-of-fifty-characters-long-abcdefghijklm");
	}
	len = strlen(want);
	REQ(len > 600);
	REQ((got = tfp_getcwd()) && strcmp(got, want) == 0);
	REQ((abs = tfp_abspath("x/.././/y/")));
	REQ(strncmp(abs, want, len) == 0 && strcmp(abs + len, "/y") == 0);
	free(abs);
	free(got);
	return 0;
}

START_TEST(test_long_cwd)
{
	ck_assert_int_eq(tu_run(long_cwd, tu_base, 0), 0);
}
END_TEST

/* tfp_clean_abs_len() against tfp_abspath(), for every length to 70 and
 * every place of each spelling that makes a path unclean (or only looks
 * like it: a hidden name), each in a buffer of its exact size, so that a
 * read past its end is caught under ASan and valgrind. */
START_TEST(test_clean_len_every_place)
{
	static const char *const marks[] = { "//", "/./", "/../", "/.h", "/..h", "/", "/.", "/.." };
	size_t len, at, m;
	long checked = 0, unclean = 0;

	for (len = 1; len <= 70; len++)
		for (m = 0; m < sizeof marks / sizeof *marks; m++)
			for (at = 0; at + strlen(marks[m]) <= len; at++) {
				char *dir = malloc(len + 1), *abs;
				size_t i, want;

				ck_assert_ptr_nonnull(dir);
				for (i = 0; i < len; i++)
					dir[i] = i % 5 == 0 ? '/' : (char)('a' + i % 26);
				memcpy(dir + at, marks[m], strlen(marks[m]));
				dir[0] = '/';
				dir[len] = '\0';
				ck_assert_ptr_nonnull(abs = tfp_abspath(dir));
				/* Two leading slashes stay as they are (POSIX leaves
				 * their meaning to the system), but are taken for
				 * unclean: abspath() is then asked, which keeps them. */
				want = strcmp(abs, dir) == 0 && strncmp(dir, "//", 2) ? len : 0;
				ck_assert_msg(tfp_clean_abs_len(dir) == want, "\"%s\": %zu, not %zu",
				              dir, tfp_clean_abs_len(dir), want);
				checked++;
				unclean += !want;
				free(abs);
				free(dir);
			}
	/* Both answers were met, many times. */
	ck_assert_int_gt(unclean, 1000);
	ck_assert_int_gt(checked - unclean, 1000);
}
END_TEST

static int same_name(char *out)
{
	memcpy(out, "aaaaaaaa", TEMPFILE_NAME_LEN);
	return 0;
}

/* The named probe (no O_TMPFILE) in a directory where every name it draws
 * is taken: after its tries, the next candidate. */
START_TEST(test_probe_names_taken)
{
	char *taken = tu_subdir("taken", 0), *next = tu_subdir("next", 0);
	char *in_taken = tu_join(taken, "tmpaaaaaaaa"), *got;

	ck_assert_int_eq(mkdir(in_taken, 0700), 0);
	setenv("TMPDIR", taken, 1);
	setenv("TEMP", next, 1);
	atomic_store(&tfp_tmpfile_works, 0);
	tfp_name_hook = same_name;
	got = tempfile_get_default_tempdir();
	tfp_name_hook = NULL;
	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(got, next);
	ck_assert_int_eq(tu_count_entries(taken), 1);
	ck_assert_int_eq(tu_count_entries(next), 0);
	free(got);
	free(in_taken);
	free(taken);
	free(next);
}
END_TEST

static int no_name(char *out)
{
	(void)out;
	errno = EPERM;
	return -1;
}

/* No name to probe with: no directory, and nothing made anywhere. */
START_TEST(test_probe_without_names)
{
	setenv("TMPDIR", tu_base, 1);
	atomic_store(&tfp_tmpfile_works, 0);
	tfp_name_hook = no_name;
	errno = 0;
	ck_assert_ptr_null(tempfile_get_default_tempdir());
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_ptr_null(tempfile_gettempdir());
	tfp_name_hook = NULL;
	ck_assert_int_eq(tu_count_entries(tu_base), 0);
}
END_TEST

/* The directory probe leaves nothing behind in the directory it chose. */
START_TEST(test_default_is_tmpdir)
{
	char *d = tu_subdir("chosen", 0);
	char *got;

	setenv("TMPDIR", d, 1);
	got = tempfile_get_default_tempdir();
	ck_assert_str_eq(got, d);
	ck_assert_int_eq(tu_count_entries(d), 0);
	free(got);
	free(d);
}
END_TEST

START_TEST(test_missing_and_file_skipped)
{
	char *d = tu_subdir("second", 0);
	char *missing, *file, *got;
	FILE *f;

	ck_assert_int_ge(asprintf(&missing, "%s/missing", tu_base), 0);
	ck_assert_int_ge(asprintf(&file, "%s/file", tu_base), 0);
	ck_assert_ptr_nonnull(f = fopen(file, "w"));
	fclose(f);
	setenv("TMPDIR", missing, 1);
	setenv("TEMP", file, 1);
	setenv("TMP", d, 1);
	got = tempfile_get_default_tempdir();
	ck_assert_str_eq(got, d);
	free(got);
	free(missing);
	free(file);
	free(d);
}
END_TEST

static int unwritable_child(void *arg)
{
	char *got;

	(void)arg;
	int r;

	got = tempfile_get_default_tempdir();
	if (!got)
		return 2;
	r = strcmp(got, getenv("TMP")) == 0 ? 0 : 3;
	free(got);
	return r;
}

/* As an unprivileged user, a directory it cannot write to is passed over. */
START_TEST(test_unwritable_skipped)
{
	char *locked = tu_subdir("locked", 0);
	char *open_dir = tu_subdir("open", 1);

	ck_assert_int_eq(chmod(locked, 0755), 0);
	setenv("TMPDIR", locked, 1);
	setenv("TMP", open_dir, 1);
	ck_assert_int_eq(tu_run(unwritable_child, NULL, 1), 0);
	ck_assert_int_eq(tu_count_entries(locked), 0);
	ck_assert_int_eq(tu_count_entries(open_dir), 0);
	free(locked);
	free(open_dir);
}
END_TEST

START_TEST(test_normalised)
{
	char *a = tu_subdir("a", 0);
	char *got;

	ck_assert_int_eq(chdir(tu_base), 0);
	setenv("TMPDIR", "a/./../a//", 1);
	got = tempfile_get_default_tempdir();
	ck_assert_str_eq(got, a);
	free(got);
	/* "." is returned absolute too. */
	ck_assert_int_eq(chdir(a), 0);
	setenv("TMPDIR", ".", 1);
	got = tempfile_get_default_tempdir();
	ck_assert_str_eq(got, a);
	free(got);
	free(a);
}
END_TEST

START_TEST(test_abspath)
{
	static const char *const cases[][2] = {
		{ "/", "/" }, { "//", "//" }, { "///", "/" }, { "//a//b/", "//a/b" },
		{ "///a", "/a" }, { "/a/./b/../c", "/a/c" }, { "/..", "/" },
		{ "/a/../..", "/" }, { "/a/b/../../..", "/" }, { "/./a/.", "/a" },
		{ "/a/..b/.c", "/a/..b/.c" }, { "/a/b/c/../../d", "/a/d" },
		{ "//..//a", "//a" },
	};
	size_t i;
	char *got, *cwd;

	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		got = tfp_abspath(cases[i][0]);
		ck_assert_msg(got && strcmp(got, cases[i][1]) == 0, "abspath(%s) = %s, not %s",
		              cases[i][0], got ? got : "NULL", cases[i][1]);
		free(got);
	}
	ck_assert_int_eq(chdir(tu_base), 0);
	cwd = tfp_getcwd();
	got = tfp_abspath("");
	ck_assert_str_eq(got, cwd);
	free(got);
	got = tfp_abspath("x/../y/");
	ck_assert_str_eq(got + strlen(cwd), "/y");
	free(got);
	free(cwd);
}
END_TEST

START_TEST(test_cached_and_reprobed)
{
	char *first = tu_subdir("first", 0), *second = tu_subdir("second", 0);
	const char *a, *b;

	setenv("TMPDIR", first, 1);
	a = tempfile_gettempdir();
	ck_assert_str_eq(a, first);
	setenv("TMPDIR", second, 1);
	ck_assert_ptr_eq(tempfile_gettempdir(), a); /* chosen once */
	ck_assert_int_eq(tempfile_settempdir(NULL), 0);
	b = tempfile_gettempdir();
	ck_assert_str_eq(b, second);
	ck_assert_str_eq(a, first); /* the old string is still valid */
	free(first);
	free(second);
}
END_TEST

START_TEST(test_settempdir_as_given)
{
	const char *a;
	char *path = NULL;

	ck_assert_int_eq(tempfile_settempdir("no/such/dir/./"), 0);
	a = tempfile_gettempdir();
	ck_assert_str_eq(a, "no/such/dir/./");
	ck_assert_int_eq(tempfile_mkstemp(NULL, NULL, NULL, 0, &path), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_ptr_null(path);
	ck_assert_int_eq(tempfile_settempdir(tu_base), 0);
	ck_assert_str_eq(tempfile_gettempdir(), tu_base);
	ck_assert_str_eq(a, "no/such/dir/./");
	errno = 0;
	ck_assert_int_eq(tempfile_settempdir(""), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_str_eq(tempfile_gettempdir(), tu_base);
}
END_TEST

START_TEST(test_prefix)
{
	const char *p;

	ck_assert_str_eq(tempfile_gettempprefix(), "tmp");
	ck_assert_int_eq(tempfile_settempprefix("abc-"), 0);
	p = tempfile_gettempprefix();
	ck_assert_str_eq(p, "abc-");
	ck_assert_int_eq(tempfile_settempprefix("a/b"), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_str_eq(tempfile_gettempprefix(), "abc-");
	ck_assert_int_eq(tempfile_settempprefix(""), 0);
	ck_assert_str_eq(tempfile_gettempprefix(), "");
	ck_assert_int_eq(tempfile_settempprefix(NULL), 0);
	ck_assert_str_eq(tempfile_gettempprefix(), "tmp");
	ck_assert_str_eq(p, "abc-");
	ck_assert_int_eq(tempfile_settempprefix("abc-"), 0);
	ck_assert_ptr_eq(tempfile_gettempprefix(), p); /* interned, not leaked */
}
END_TEST

static int no_write_child(void *arg)
{
	struct rlimit rl;
	char *got;

	(void)arg;
	/* Every write fails with EFBIG (SIGXFSZ ignored).  The soft limit
	 * only: tu_exit() raises it again for the coverage counters. */
	signal(SIGXFSZ, SIG_IGN);
	if (getrlimit(RLIMIT_FSIZE, &rl) < 0)
		return 2;
	rl.rlim_cur = 0;
	if (setrlimit(RLIMIT_FSIZE, &rl) < 0)
		return 2;
	got = tempfile_get_default_tempdir();
	if (got)
		return 3;
	if (errno != ENOENT)
		return 4;
	return tempfile_gettempdir() == NULL && errno == ENOENT ? 0 : 5;
}

/* When the probe's write fails, the probe file is still removed, and with
 * no usable directory at all the answer is ENOENT. */
START_TEST(test_probe_write_fails)
{
	char *d = tu_subdir("nowrite", 0);

	setenv("TMPDIR", d, 1);
	ck_assert_int_eq(chdir(d), 0);
	ck_assert_int_eq(tu_run(no_write_child, NULL, 0), 0);
	ck_assert_int_eq(tu_count_entries(d), 0);
	free(d);
}
END_TEST

enum { RACERS = 8 };

static void *first_use(void *arg)
{
	*(const char **)arg = tempfile_gettempdir();
	return NULL;
}

/* Threads that race to the first use all get the one directory. */
START_TEST(test_first_use_race)
{
	char *dirs[3];
	pthread_t t[RACERS];
	const char *got[RACERS];
	int i;

	for (i = 0; i < 3; i++) {
		char name[16];
		snprintf(name, sizeof name, "r%d", i);
		dirs[i] = tu_subdir(name, 0);
	}
	setenv("TMPDIR", dirs[0], 1);
	for (i = 0; i < RACERS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, first_use, &got[i]), 0);
	for (i = 0; i < RACERS; i++)
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
	for (i = 0; i < RACERS; i++)
		ck_assert_ptr_eq(got[i], got[0]);
	ck_assert_str_eq(got[0], dirs[0]);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(tu_count_entries(dirs[i]), 0);
		free(dirs[i]);
	}
}
END_TEST

static char flip_b[] = "/flip/bb";

static void *flip_setting(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < 20000; i++)
		tempfile_settempdir(i % 2 ? "/flip/a" : flip_b);
	return NULL;
}

/* Strings handed out stay readable while another thread changes them. */
START_TEST(test_setting_changes_under_reader)
{
	pthread_t t;
	int i;

	ck_assert_int_eq(pthread_create(&t, NULL, flip_setting, NULL), 0);
	for (i = 0; i < 20000; i++) {
		const char *d = tempfile_gettempdir();
		ck_assert(strcmp(d, "/flip/a") == 0 || strcmp(d, "/flip/bb") == 0 ||
		          strcmp(d, tu_base) == 0);
	}
	ck_assert_int_eq(pthread_join(t, NULL), 0);
}
END_TEST

static double thread_seconds(void)
{
	struct timespec ts;

	ck_assert_int_eq(clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts), 0);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Seconds of CPU for n distinct settings from first on; _i: which one. */
static double set_batch(int which, long first, long n)
{
	double t0 = thread_seconds();
	char s[32];
	long i;

	for (i = first; i < first + n; i++) {
		snprintf(s, sizeof s, "/d/%07ld", i);
		if (which)
			ck_assert_int_eq(tempfile_settempprefix(s + 3), 0);
		else
			ck_assert_int_eq(tempfile_settempdir(s), 0);
	}
	return thread_seconds() - t0;
}

/* Every distinct setting is kept until exit, but finding whether one is
 * already kept must not scan them all: the third batch costs about what
 * the first did (a linear scan made it 4.5 times as much).  CPU time, and
 * 50 ms of slack, so that a busy machine cannot fail it. */
START_TEST(test_many_settings)
{
	enum { BATCH = 20000 };
	const char *first;
	double t[3];
	int b;

	for (b = 0; b < 3; b++)
		t[b] = set_batch(_i, (long)b * BATCH, BATCH);
	fprintf(stderr, "%s: %d distinct settings: %.3f s, %.3f s, %.3f s\n",
	        _i ? "prefix" : "tempdir", BATCH, t[0], t[1], t[2]);
	ck_assert_msg(t[2] < 3 * t[0] + 0.05, "%.3f s, then %.3f s", t[0], t[2]);
	/* Still interned: the same string again is the same pointer. */
	if (_i) {
		ck_assert_int_eq(tempfile_settempprefix("0000000"), 0);
		first = tempfile_gettempprefix();
		ck_assert_int_eq(tempfile_settempprefix("0000001"), 0);
		ck_assert_int_eq(tempfile_settempprefix("0000000"), 0);
		ck_assert_ptr_eq(tempfile_gettempprefix(), first);
	} else {
		ck_assert_int_eq(tempfile_settempdir("/d/0000000"), 0);
		first = tempfile_gettempdir();
		ck_assert_int_eq(tempfile_settempdir("/d/0000001"), 0);
		ck_assert_int_eq(tempfile_settempdir("/d/0000000"), 0);
		ck_assert_ptr_eq(tempfile_gettempdir(), first);
	}
}
END_TEST

enum { HAMMERS = 3, CHILDREN_PER_WAY = 20 };

static atomic_int stop_hammers;
static char *hammer_dirs[2];

/* Changes the settings as fast as it can: the directory (0), the prefix
 * (1), or forgets the directory and probes again (2). */
static void *hammer(void *arg)
{
	long what = (long)arg;
	char pfx[16];
	unsigned i;

	for (i = 0; !atomic_load(&stop_hammers); i++) {
		if (what == 0) {
			tempfile_settempdir(hammer_dirs[i % 2]);
		} else if (what == 1) {
			snprintf(pfx, sizeof pfx, "p%u-", i % 8);
			tempfile_settempprefix(pfx);
		} else {
			tempfile_settempdir(NULL);
			tempfile_gettempdir();
		}
	}
	return NULL;
}

static int use_settings(void *unused)
{
	char *path;
	int fd;

	(void)unused;
	REQ(tempfile_gettempdir() != NULL);
	fd = tempfile_mkstemp(NULL, NULL, NULL, 0, &path);
	REQ(fd >= 0);
	unlink(path);
	free(path);
	return 0;
}

/* A child made while other threads change the settings must never block
 * in the library, however it was made (a fork hook sees fork() only). */
START_TEST(test_fork_while_setting)
{
	enum { N = CHILDREN_PER_WAY * 3 };
	pthread_t t[HAMMERS];
	pid_t pid[N];
	struct timespec pause = { 0, 200000 };
	int i, hung, failed = 0;

	hammer_dirs[0] = tu_subdir("h0", 0);
	hammer_dirs[1] = tu_subdir("h1", 0);
	for (i = 0; i < HAMMERS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, hammer, (void *)(long)i), 0);
	for (i = 0; i < N; i++) {
		int how = i % 3;

#ifndef __GLIBC__
		/* musl's malloc has one lock, which _Fork() and SYS_fork leave
		 * held in the child when a hammer thread was inside malloc: the
		 * child then hangs in libc, not in us (POSIX allows such a
		 * child only async-signal-safe calls).  glibc's fork-less
		 * children get arenas no other thread holds. */
		how = TU_BY_FORK;
#endif
		if (TU_TSAN) /* testutil.h */
			how = TU_BY_FORK;
		pid[i] = tu_spawn(how, use_settings, NULL);
		nanosleep(&pause, NULL);
	}
	atomic_store(&stop_hammers, 1);
	for (i = 0; i < HAMMERS; i++)
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
	for (i = 0; i < N; i++)
		ck_assert_int_gt(pid[i], 0);
	hung = tu_reap(pid, N, 10, &failed);
	ck_assert_msg(hung == 0, "%d of %d children hung", hung, N);
	ck_assert_int_eq(failed, 0);
	free(hammer_dirs[0]);
	free(hammer_dirs[1]);
}
END_TEST

#ifndef FS_IOC_GETFLAGS /* musl's headers: the kernel ABI */
# define FS_IOC_GETFLAGS _IOR('f', 1, long)
# define FS_IOC_SETFLAGS _IOW('f', 2, long)
# define FS_APPEND_FL 0x00000020
#endif

/* Sets or clears the append-only attribute (chattr +a) of dir; -1 with
 * errno where its file system has no such thing. */
static int set_append_only(const char *dir, int on)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), flags, r = -1;

	if (fd < 0)
		return -1;
	if (ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0) {
		flags = on ? flags | FS_APPEND_FL : flags & ~FS_APPEND_FL;
		r = ioctl(fd, FS_IOC_SETFLAGS, &flags);
	}
	close(fd);
	return r;
}

/* A directory where files can be made but not removed (chattr +a, for
 * real: root can set it on ext4 and on tmpfs since Linux 6.0, which hold
 * tu_base and tu_other_fs) is not chosen, and keeps no probe file, whether
 * the probe can use O_TMPFILE (_i) or not. */
START_TEST(test_append_only_skipped)
{
	char *d = tu_subdir("fallback", 0), *ao, *got;
	int n;

	atomic_store(&tfp_tmpfile_works, _i);
	ck_assert_int_ge(asprintf(&ao, "%s/append-only", tu_base), 0);
	ck_assert_int_eq(mkdir(ao, 0700), 0);
	if (set_append_only(ao, 1) < 0 && tu_other_fs) {
		free(ao);
		ck_assert_int_ge(asprintf(&ao, "%s/append-only.%d", tu_other_fs, (int)getpid()), 0);
		ck_assert_int_eq(mkdir(ao, 0700), 0);
	}
	ck_assert_msg(set_append_only(ao, 1) == 0, "chattr +a %s: %s", ao, strerror(errno));
	setenv("TMPDIR", ao, 1);
	setenv("TMP", d, 1);
	got = tempfile_get_default_tempdir();
	n = tu_count_entries(ao);
	/* Undone before asserting, so that the directory can go. */
	ck_assert_int_eq(set_append_only(ao, 0), 0);
	tu_rmtree(ao);
	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(got, d);
	ck_assert_int_eq(n, 0);
	free(got);
	free(ao);
	free(d);
}
END_TEST

/* The hooks act in hook_dir only: a regression must not leave probe files
 * in the other candidates (/tmp, /var/tmp, the current directory). */
static int unlink_calls;
static const char *hook_dir;

static int in_hook_dir(const char *path)
{
	return strncmp(path, hook_dir, strlen(hook_dir)) == 0;
}

/* Fails with EINTR, then EBUSY; then removes. */
static int flaky_unlink(const char *path)
{
	static const int transient[] = { EINTR, EBUSY };

	if (in_hook_dir(path) && unlink_calls++ < 2) {
		errno = transient[unlink_calls - 1];
		return -1;
	}
	return unlink(path);
}

/* Never removes: as where a security module forbids it. */
static int failing_unlink(const char *path)
{
	if (!in_hook_dir(path))
		return unlink(path);
	unlink_calls++;
	errno = EPERM;
	return -1;
}

/* The named probe retries a removal that failed for a moment. */
START_TEST(test_probe_unlink_transient)
{
	char *d = tu_subdir("flaky", 0), *got;

	atomic_store(&tfp_tmpfile_works, 0);
	setenv("TMPDIR", d, 1);
	hook_dir = d;
	tfp_probe_unlink_hook = flaky_unlink;
	got = tempfile_get_default_tempdir();
	tfp_probe_unlink_hook = NULL;
	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(got, d);
	ck_assert_int_eq(unlink_calls, 3);
	ck_assert_int_eq(tu_count_entries(d), 0);
	free(got);
	free(d);
}
END_TEST

/* A directory that cannot remove its probe file is not chosen; with
 * O_TMPFILE (_i, where configure found it) there is no file to remove. */
START_TEST(test_probe_unlink_fails)
{
	char *bad = tu_subdir("bad", 0), *good = tu_subdir("good", 0), *got;
	int unnamed = _i && TFP_O_TMPFILE != 0;

	atomic_store(&tfp_tmpfile_works, _i);
	setenv("TMPDIR", bad, 1);
	setenv("TMP", good, 1);
	hook_dir = bad;
	tfp_probe_unlink_hook = failing_unlink;
	got = tempfile_get_default_tempdir();
	tfp_probe_unlink_hook = NULL;
	ck_assert_ptr_nonnull(got);
	if (unnamed) {
		ck_assert_str_eq(got, bad);
		ck_assert_int_eq(unlink_calls, 0);
	} else {
		ck_assert_str_eq(got, good);
		ck_assert_int_ge(unlink_calls, 1);
	}
	ck_assert_int_eq(tu_count_entries(good), 0);
	free(got);
	free(bad);
	free(good);
}
END_TEST

static int probe_forever(void *unused)
{
	sigset_t none;

	(void)unused;
	signal(SIGTERM, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (;;)
		free(tempfile_get_default_tempdir());
	return 0;
}

/* However a SIGTERM falls across the named probe, it leaves no file. */
START_TEST(test_probe_under_sigterm)
{
	enum { ROUNDS = 200 };
	char *d = tu_subdir("killed", 0);
	sigset_t term, old;
	int i, status, left = 0;

	atomic_store(&tfp_tmpfile_works, 0);
	setenv("TMPDIR", d, 1);
	srand((unsigned)getpid());
	/* Held until the child has its default action back. */
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	ck_assert_int_eq(sigprocmask(SIG_BLOCK, &term, &old), 0);
	for (i = 0; i < ROUNDS && !left; i++) {
		struct timespec pause = { 0, 20000 + rand() % 2000000 };
		pid_t pid = tu_spawn(TU_BY_FORK, probe_forever, NULL);

		ck_assert_int_gt(pid, 0);
		nanosleep(&pause, NULL);
		kill(pid, SIGTERM);
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
		left = tu_count_entries(d);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	ck_assert_msg(left == 0, "round %d left %d probe files", i, left);
	free(d);
}
END_TEST

static Suite *tempdir_suite(void)
{
	Suite *s = suite_create("tempdir");
	TCase *tc = tu_tcase("tempdir", 30);

	tcase_add_test(tc, test_candidate_order);
	tcase_add_test(tc, test_candidate_empty_skipped);
	tcase_add_test(tc, test_cwd_gone);
	tcase_add_test(tc, test_long_cwd);
	tcase_add_test(tc, test_clean_len_every_place);
	tcase_add_test(tc, test_probe_names_taken);
	tcase_add_test(tc, test_probe_without_names);
	tcase_add_test(tc, test_default_is_tmpdir);
	tcase_add_test(tc, test_missing_and_file_skipped);
	tcase_add_test(tc, test_unwritable_skipped);
	tcase_add_test(tc, test_normalised);
	tcase_add_test(tc, test_abspath);
	tcase_add_test(tc, test_cached_and_reprobed);
	tcase_add_test(tc, test_settempdir_as_given);
	tcase_add_test(tc, test_prefix);
	tcase_add_test(tc, test_probe_write_fails);
	tcase_add_test(tc, test_first_use_race);
	tcase_add_test(tc, test_setting_changes_under_reader);
	tcase_add_loop_test(tc, test_many_settings, 0, 2);
	tcase_add_test(tc, test_fork_while_setting);
	tcase_add_loop_test(tc, test_append_only_skipped, 0, 2);
	tcase_add_test(tc, test_probe_unlink_transient);
	tcase_add_loop_test(tc, test_probe_unlink_fails, 0, 2);
	tcase_add_test(tc, test_probe_under_sigterm);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_main(tempdir_suite());
}
