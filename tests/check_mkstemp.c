/* mkstemp, mkdtemp, mktemp and the *at variants: src/mkstemp.c. */
#define TEMPFILE_NO_DEPRECATED_WARNINGS 1
#include "src/internal.h"
#include "testutil.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHARSET "abcdefghijklmnopqrstuvwxyz0123456789_"

/* Checks that path is dir + "/" + prefix + 8 name characters + suffix. */
static void assert_shape(const char *path, const char *dir, const char *prefix,
                         const char *suffix)
{
	size_t dl = strlen(dir), pl = strlen(prefix), sl = strlen(suffix);

	ck_assert_msg(path[0] == '/', "%s is not absolute", path);
	ck_assert_uint_eq(strlen(path), dl + 1 + pl + TEMPFILE_NAME_LEN + sl);
	ck_assert_msg(strncmp(path, dir, dl) == 0 && path[dl] == '/', "%s not in %s", path, dir);
	ck_assert_msg(strncmp(path + dl + 1, prefix, pl) == 0, "%s: prefix %s", path, prefix);
	path += dl + 1 + pl;
	ck_assert_uint_ge(strspn(path, CHARSET), TEMPFILE_NAME_LEN);
	ck_assert_str_eq(path + TEMPFILE_NAME_LEN, suffix);
}

static void assert_mode(const char *path, mode_t type, mode_t mode)
{
	struct stat st;

	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & S_IFMT, type);
	ck_assert_uint_eq(st.st_mode & 07777, mode);
}

static void assert_fd_ok(int fd)
{
	ck_assert_int_gt(fd, 2);
	ck_assert_int_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	ck_assert_int_eq(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDWR);
}

static const char *const affixes[] = { NULL, "", "x.y" };

/* Every combination of prefix, suffix and directory, defaults included. */
START_TEST(test_shapes)
{
	char *sub = tu_subdir("sub", 0);
	const char *dirs[] = { NULL, sub, ".", "" };
	size_t p, s, d;

	ck_assert_int_eq(chdir(sub), 0);
	for (p = 0; p < 3; p++)
		for (s = 0; s < 3; s++)
			for (d = 0; d < 4; d++) {
				const char *pre = affixes[p] ? affixes[p] : "tmp";
				const char *suf = affixes[s] ? affixes[s] : "";
				const char *where = d ? sub : tu_base;
				char *path = NULL, *dpath;
				int fd = tempfile_mkstemp(affixes[s], affixes[p], dirs[d], 0, &path);

				ck_assert_int_ge(fd, 0);
				assert_shape(path, where, pre, suf);
				assert_mode(path, S_IFREG, 0600);
				assert_fd_ok(fd);
				ck_assert_int_eq(unlink(path), 0);
				close(fd);
				free(path);

				dpath = tempfile_mkdtemp(affixes[s], affixes[p], dirs[d]);
				ck_assert_ptr_nonnull(dpath);
				assert_shape(dpath, where, pre, suf);
				assert_mode(dpath, S_IFDIR, 0700);
				ck_assert_int_eq(rmdir(dpath), 0);
				free(dpath);

				dpath = tempfile_mktemp(affixes[s], affixes[p], dirs[d]);
				ck_assert_ptr_nonnull(dpath);
				assert_shape(dpath, where, pre, suf);
				ck_assert_int_eq(access(dpath, F_OK), -1);
				free(dpath);
			}
	ck_assert_int_eq(tu_count_entries(sub), 0);
	ck_assert_int_eq(tu_count_entries(tu_base), 1);
	free(sub);
}
END_TEST

START_TEST(test_modes_under_umask_0)
{
	char *path = NULL, *dpath;
	int fd;

	umask(0);
	fd = tempfile_mkstemp(NULL, NULL, NULL, 0, &path);
	ck_assert_int_ge(fd, 0);
	assert_mode(path, S_IFREG, 0600);
	dpath = tempfile_mkdtemp(NULL, NULL, NULL);
	assert_mode(dpath, S_IFDIR, 0700);
	close(fd);
	unlink(path);
	rmdir(dpath);
	free(path);
	free(dpath);
	umask(077);
	fd = tempfile_mkstemp(NULL, NULL, NULL, 0, NULL);
	ck_assert_int_ge(fd, 0);
	close(fd);
}
END_TEST

/* An exec'd program does not inherit the descriptor. */
START_TEST(test_cloexec_across_exec)
{
	char *path = NULL, cmd[64];
	int fd = tempfile_mkstemp(NULL, NULL, NULL, 0, &path), status;
	pid_t pid;

	ck_assert_int_ge(fd, 0);
	snprintf(cmd, sizeof cmd, "exec 2>/dev/null; echo leaked >&%d", fd);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		tu_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) != 0 && WEXITSTATUS(status) != 127);
	ck_assert_int_eq(lseek(fd, 0, SEEK_END), 0);
	/* The same command can write to a descriptor it did inherit. */
	ck_assert_int_eq(fcntl(fd, F_SETFD, 0), 0);
	pid = fork();
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		tu_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_int_eq(lseek(fd, 0, SEEK_END), 7); /* "leaked\n" */
	close(fd);
	unlink(path);
	free(path);
}
END_TEST

START_TEST(test_read_write)
{
	char buf[6] = "";
	int fd = tempfile_mkstemp(NULL, NULL, NULL, 0, NULL);

	ck_assert_int_eq(write(fd, "hello", 5), 5);
	ck_assert_int_eq(pread(fd, buf, 5, 0), 5);
	ck_assert_str_eq(buf, "hello");
	close(fd);
}
END_TEST

START_TEST(test_flags)
{
	static const int good[] = { O_APPEND, O_SYNC, O_DSYNC, O_APPEND | O_SYNC, O_NOATIME };
	static const int bad[] = { O_WRONLY, O_TRUNC, O_NONBLOCK, O_CREAT, O_DIRECTORY, -1, 1 << 30 };
	size_t i;
	char *path;

	ck_assert_int_eq(chdir(tu_base), 0);
	for (i = 0; i < sizeof good / sizeof *good; i++) {
		int fd = tempfile_mkstemp(NULL, NULL, NULL, good[i], &path);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(fcntl(fd, F_GETFL) & good[i], good[i]);
		close(fd);
		unlink(path);
		free(path);
		fd = tempfile_mkstempat(AT_FDCWD, NULL, NULL, good[i], NULL);
		ck_assert_int_ge(fd, 0);
		close(fd);
	}
	/* The mkstemp files were removed; the mkstempat ones are in the cwd. */
	ck_assert_int_eq(tu_count_entries(tu_base), (int)(sizeof good / sizeof *good));
	for (i = 0; i < sizeof bad / sizeof *bad; i++) {
		errno = 0;
		path = NULL;
		ck_assert_int_eq(tempfile_mkstemp(NULL, NULL, NULL, bad[i], &path), -1);
		ck_assert_int_eq(errno, EINVAL);
		ck_assert_ptr_null(path);
		ck_assert_int_eq(tempfile_mkstempat(AT_FDCWD, NULL, NULL, bad[i], NULL), -1);
		ck_assert_int_eq(errno, EINVAL);
	}
	ck_assert_int_eq(tu_count_entries(tu_base), (int)(sizeof good / sizeof *good));
}
END_TEST

/* Runs every creating function with these arguments and checks that each
 * fails with want, creating nothing in dir. */
static int expect_failure_but(int skip, const char *suffix, const char *prefix,
                              const char *dir, int want)
{
	char untouched[] = "untouched";
	char *out = untouched, *got;
	int dfd, r = 0;

	errno = 0;
	if (tempfile_mkstemp(suffix, prefix, dir, 0, &out) != -1 || errno != want)
		r |= 1;
	errno = 0;
	if ((got = tempfile_mkdtemp(suffix, prefix, dir)) != NULL || errno != want)
		r |= 2;
	free(got);
	errno = 0;
	/* (mktemp() names but creates nothing: where it may, it succeeds.) */
	if ((got = tempfile_mktemp(suffix, prefix, dir)) != NULL || errno != want)
		r |= 4;
	free(got);
	r &= ~skip;
	dfd = open(dir ? dir : ".", O_RDONLY | O_DIRECTORY);
	if (dfd >= 0) {
		errno = 0;
		if (tempfile_mkstempat(dfd, suffix, prefix, 0, &out) != -1 || errno != want)
			r |= 8;
		errno = 0;
		if (tempfile_mkdtempat(dfd, suffix, prefix, &out) != -1 || errno != want)
			r |= 16;
		close(dfd);
	}
	if (out != untouched)
		r |= 32;
	return r;
}

static int expect_failure(const char *suffix, const char *prefix, const char *dir, int want)
{
	return expect_failure_but(0, suffix, prefix, dir, want);
}

START_TEST(test_bad_affixes)
{
	char longname[300];

	ck_assert_int_eq(expect_failure(NULL, "a/b", tu_base, EINVAL), 0);
	ck_assert_int_eq(expect_failure("/x", NULL, tu_base, EINVAL), 0);
	ck_assert_int_eq(expect_failure("x/", "", tu_base, EINVAL), 0);
	memset(longname, 'a', sizeof longname);
	longname[248] = '\0';
	ck_assert_int_eq(expect_failure(NULL, longname, tu_base, ENAMETOOLONG), 0);
	ck_assert_int_eq(expect_failure(longname + 100, longname + 100, tu_base, ENAMETOOLONG), 0);
	ck_assert_int_eq(tu_count_entries(tu_base), 0);
	/* 247 + 8 = 255 characters still fit. */
	longname[247] = '\0';
	ck_assert_int_ge(tempfile_mkstemp(NULL, longname, tu_base, 0, NULL), 0);
	ck_assert_int_eq(tu_count_entries(tu_base), 1);
}
END_TEST

/* What tempfile_unnamed (0) or tempfile_spooled (1) does with these. */
static int make_object(int spooled, const char *suffix, const char *prefix)
{
	tempfile *tf = spooled ? tempfile_spooled(10, suffix, prefix, tu_base, 0)
	                       : tempfile_unnamed(suffix, prefix, tu_base, 0);

	if (!tf)
		return errno;
	tempfile_close(tf);
	return 0;
}

/* Too long a name is refused up front by the constructors that may never
 * make one, whether O_TMPFILE works or not.  _i: spooled, O_TMPFILE. */
START_TEST(test_unnamed_name_too_long)
{
	int spooled = _i % 2;
	char longname[301];

	atomic_store(&tfp_tmpfile_works, _i / 2);
	memset(longname, 'a', sizeof longname);
	longname[300] = '\0';
	ck_assert_int_eq(make_object(spooled, NULL, longname), ENAMETOOLONG);
	ck_assert_int_eq(make_object(spooled, longname + 52, NULL), ENAMETOOLONG);
	ck_assert_int_eq(make_object(spooled, longname + 150, longname + 150), ENAMETOOLONG);
	ck_assert_int_eq(make_object(spooled, "a/b", longname), EINVAL);
	/* The default prefix counts too. */
	ck_assert_int_eq(tempfile_settempprefix(longname + 52), 0);
	ck_assert_int_eq(make_object(spooled, NULL, NULL), ENAMETOOLONG);
	ck_assert_int_eq(tempfile_settempprefix(NULL), 0);
	/* 247 + 8 = 255 characters still fit. */
	ck_assert_int_eq(make_object(spooled, NULL, longname + 53), 0);
	ck_assert_int_eq(make_object(spooled, longname + 53, ""), 0);
	ck_assert_int_eq(tu_count_entries(tu_base), 0);
}
END_TEST

#if HAVE_DECL_O_TMPFILE && defined(SYS_openat)
/* How O_TMPFILE fails, and whether a named file made and unlinked must
 * then do instead: EISDIR is a kernel before 3.11 (O_TMPFILE read as
 * O_DIRECTORY: never tried again), EOPNOTSUPP a file system without it;
 * ENOSPC would fail the same way again. */
static const struct {
	int err, fallback, still_tried;
} tmpfile_failures[] = {
	{ EISDIR, 1, 0 }, { EOPNOTSUPP, 1, 1 }, { EINVAL, 1, 1 }, { ENOSPC, 0, 1 },
};

static int tmpfile_fails(void *arg)
{
	int i = *(int *)arg;
	char *dir = tu_join(tu_base, "d");
	char buf[4] = "";
	tempfile *tf;

	REQ(mkdir(dir, 0700) == 0);
	REQ(tu_deny_syscall_if(SYS_openat, 2, O_TMPFILE & ~O_DIRECTORY,
	                       tmpfile_failures[i].err) == 0);
	errno = 0;
	tf = tempfile_unnamed(NULL, NULL, dir, 0);
	if (!tmpfile_failures[i].fallback) {
		REQ(!tf && errno == tmpfile_failures[i].err);
	} else {
		REQ(tf && !tempfile_name(tf));
		REQ(tempfile_write(tf, "abc", 3) == 3);
		REQ(tempfile_seek(tf, 0, SEEK_SET) == 0);
		REQ(tempfile_read(tf, buf, 3) == 3 && memcmp(buf, "abc", 3) == 0);
		REQ(tempfile_close(tf) == 0);
	}
	REQ(tu_count_entries(dir) == 0);
	REQ(atomic_load(&tfp_tmpfile_works) == tmpfile_failures[i].still_tried);
	free(dir);
	return 0;
}

START_TEST(test_tmpfile_fails)
{
	int i = _i;

	ck_assert_int_eq(tu_run(tmpfile_fails, &i, 0), 0);
}
END_TEST
#endif

START_TEST(test_bad_dirs)
{
	char *missing, *file;
	FILE *f;

	ck_assert_int_ge(asprintf(&missing, "%s/missing", tu_base), 0);
	ck_assert_int_ge(asprintf(&file, "%s/file", tu_base), 0);
	ck_assert_ptr_nonnull(f = fopen(file, "w"));
	fclose(f);
	ck_assert_int_eq(expect_failure(NULL, NULL, missing, ENOENT), 0);
	ck_assert_int_eq(expect_failure(NULL, NULL, file, ENOTDIR), 0);
	ck_assert_int_eq(tu_count_entries(tu_base), 1);
	ck_assert_int_eq(tempfile_mkstempat(-1, NULL, NULL, 0, NULL), -1);
	ck_assert_int_eq(errno, EBADF);
	ck_assert_int_eq(tempfile_mkdtempat(12345, NULL, NULL, NULL), -1);
	ck_assert_int_eq(errno, EBADF);
	free(missing);
	free(file);
}
END_TEST

/* mktemp() creates nothing, so only a directory it cannot search fails it. */
static int eacces_child(void *dir)
{
	return expect_failure_but(4, NULL, NULL, dir, EACCES);
}

static int eacces_all_child(void *dir)
{
	return expect_failure(NULL, NULL, dir, EACCES);
}

START_TEST(test_eacces_as_nobody)
{
	char *locked = tu_subdir("locked", 0);
	char *hidden = tu_subdir("locked-x", 0);
	char *inner;

	ck_assert_int_eq(chmod(locked, 0755), 0); /* not writable for nobody */
	ck_assert_int_eq(tu_run(eacces_child, locked, 1), 0);
	/* Not searchable: even mktemp cannot check a name. */
	ck_assert_int_ge(asprintf(&inner, "%s/inner", hidden), 0);
	ck_assert_int_eq(mkdir(inner, 0777), 0);
	ck_assert_int_eq(chmod(hidden, 0700), 0);
	ck_assert_int_eq(tu_run(eacces_all_child, inner, 1), 0);
	ck_assert_int_eq(tu_count_entries(locked), 0);
	ck_assert_int_eq(tu_count_entries(inner), 0);
	free(inner);
	free(locked);
	free(hidden);
}
END_TEST

START_TEST(test_many_open)
{
	enum { N = 100 };
	int fds[N], i, j;

	for (i = 0; i < N; i++) {
		fds[i] = tempfile_mkstemp(NULL, NULL, NULL, 0, NULL);
		ck_assert_int_gt(fds[i], 2);
		for (j = 0; j < i; j++)
			ck_assert_int_ne(fds[i], fds[j]);
	}
	ck_assert_int_eq(tu_count_entries(tu_base), N);
	for (i = 0; i < N; i++)
		close(fds[i]);
}
END_TEST

/* ---- Collisions, made certain through the name hook ---- */

static const char *scripted[8];
static long hook_calls;

static int scripted_names(char *out)
{
	const char *name = scripted[hook_calls < 8 ? hook_calls : 7];

	hook_calls++;
	memcpy(out, name, TEMPFILE_NAME_LEN);
	return 0;
}

static void script(const char *a, const char *b, const char *c)
{
	int i;

	for (i = 0; i < 8; i++)
		scripted[i] = i == 0 ? a : i == 1 ? b : c;
	hook_calls = 0;
	tfp_name_hook = scripted_names;
}

START_TEST(test_eexist_retry)
{
	char *a, *b, *path;
	int fd;

	ck_assert_int_ge(asprintf(&a, "%s/tmpaaaaaaaa", tu_base), 0);
	ck_assert_int_ge(asprintf(&b, "%s/tmpbbbbbbbb", tu_base), 0);
	ck_assert_int_eq(mkdir(a, 0700), 0);     /* taken by a directory */
	ck_assert_int_eq(symlink("/nonexistent", b), 0); /* by a dangling link */
	ck_assert_ptr_nonnull(tempfile_gettempdir()); /* probe before scripting */

	script("aaaaaaaa", "bbbbbbbb", "cccccccc");
	fd = tempfile_mkstemp(NULL, NULL, NULL, 0, &path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(hook_calls, 3);
	ck_assert_str_eq(strrchr(path, '/'), "/tmpcccccccc");
	close(fd);
	free(path);

	script("aaaaaaaa", "cccccccc", "dddddddd"); /* ...and by a file */
	path = tempfile_mkdtemp(NULL, NULL, NULL);
	ck_assert_int_eq(hook_calls, 3);
	ck_assert_str_eq(strrchr(path, '/'), "/tmpdddddddd");
	free(path);

	script("aaaaaaaa", "cccccccc", "eeeeeeee");
	path = tempfile_mktemp(NULL, NULL, NULL);
	ck_assert_int_eq(hook_calls, 3);
	ck_assert_str_eq(strrchr(path, '/'), "/tmpeeeeeeee");
	free(path);
#ifdef HAVE_LSTAT
	/* A dangling link is taken too; stat() alone cannot tell. */
	script("bbbbbbbb", "ffffffff", "ffffffff");
	path = tempfile_mktemp(NULL, NULL, NULL);
	ck_assert_str_eq(strrchr(path, '/'), "/tmpffffffff");
	free(path);
#endif
	tfp_name_hook = NULL;
	free(a);
	free(b);
}
END_TEST

START_TEST(test_eexist_exhausted)
{
	char *a;
	int dfd = open(tu_base, O_RDONLY | O_DIRECTORY);

	ck_assert_int_ge(asprintf(&a, "%s/tmpaaaaaaaa", tu_base), 0);
	ck_assert_int_eq(mkdir(a, 0700), 0);
	ck_assert_ptr_nonnull(tempfile_gettempdir());
	script("aaaaaaaa", "aaaaaaaa", "aaaaaaaa");
	ck_assert_int_eq(tempfile_mkstemp(NULL, NULL, NULL, 0, NULL), -1);
	ck_assert_int_eq(errno, EEXIST);
	ck_assert_int_eq(hook_calls, TEMPFILE_TMP_MAX);
	hook_calls = 0;
	ck_assert_ptr_null(tempfile_mkdtemp(NULL, NULL, NULL));
	ck_assert_int_eq(errno, EEXIST);
	ck_assert_int_eq(hook_calls, TEMPFILE_TMP_MAX);
	hook_calls = 0;
	ck_assert_int_eq(tempfile_mkdtempat(dfd, NULL, NULL, NULL), -1);
	ck_assert_int_eq(errno, EEXIST);
	ck_assert_int_eq(hook_calls, TEMPFILE_TMP_MAX);
	ck_assert_int_eq(tu_count_entries(tu_base), 1);
	tfp_name_hook = NULL;
	close(dfd);
	free(a);
}
END_TEST

static int one_try_child(void *dir)
{
	script("aaaaaaaa", "bbbbbbbb", "cccccccc");
	if (tempfile_mkstemp(NULL, NULL, dir, 0, NULL) != -1 || errno != EACCES)
		return 1;
	return hook_calls == 1 ? 0 : 2;
}

/* Any error but EEXIST ends the call at the first name. */
START_TEST(test_other_errors_not_retried)
{
	char *locked = tu_subdir("locked", 0);

	ck_assert_int_eq(chmod(locked, 0755), 0);
	ck_assert_int_eq(tu_run(one_try_child, locked, 1), 0);
	free(locked);
}
END_TEST

/* ---- Threads, descriptors, *at ---- */

enum { THREADS = 4, PER_THREAD = 250 };

static void *create_many(void *arg)
{
	int i;

	for (i = 0; i < PER_THREAD; i++) {
		int fd = tempfile_mkstemp(NULL, NULL, arg, 0, NULL);
		if (fd < 0)
			return arg;
		close(fd);
	}
	return NULL;
}

START_TEST(test_threads_one_dir)
{
	pthread_t t[THREADS];
	void *ret;
	int i;

	for (i = 0; i < THREADS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, create_many, tu_base), 0);
	for (i = 0; i < THREADS; i++) {
		ck_assert_int_eq(pthread_join(t[i], &ret), 0);
		ck_assert_ptr_null(ret);
	}
	ck_assert_int_eq(tu_count_entries(tu_base), THREADS * PER_THREAD);
}
END_TEST

static int stdio_closed_child(void *arg)
{
	char *name;
	int dfd, fd;

	(void)arg;
	dfd = open(tu_base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	close(0);
	close(1);
	close(2);
	fd = tempfile_mkstemp(NULL, NULL, NULL, 0, NULL);
	if (fd <= 2 || !(fcntl(fd, F_GETFD) & FD_CLOEXEC))
		return 1;
	fd = tempfile_mkstempat(dfd, NULL, NULL, 0, &name);
	if (fd <= 2 || !(fcntl(fd, F_GETFD) & FD_CLOEXEC))
		return 2;
	free(name);
	/* The lowest free descriptors are still 0, 1 and 2. */
	fd = open("/dev/null", O_RDONLY);
	return fd == 0 ? 0 : 3;
}

START_TEST(test_stdio_closed)
{
	ck_assert_int_eq(tu_run(stdio_closed_child, NULL, 0), 0);
	ck_assert_int_eq(tu_count_entries(tu_base), 2);
}
END_TEST

START_TEST(test_at_variants)
{
	char *sub = tu_subdir("at", 0), *name = NULL, *dname = NULL;
	int dfd = open(sub, O_RDONLY | O_DIRECTORY), fd;
	struct stat st;

	fd = tempfile_mkstempat(dfd, ".s", "p-", 0, &name);
	assert_fd_ok(fd);
	ck_assert_ptr_nonnull(name);
	ck_assert_ptr_null(strchr(name, '/'));
	ck_assert_uint_eq(strlen(name), 2 + TEMPFILE_NAME_LEN + 2);
	ck_assert_int_eq(fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_int_eq(tempfile_mkdtempat(dfd, NULL, "d-", &dname), 0);
	ck_assert_int_eq(strncmp(dname, "d-", 2), 0);
	ck_assert_int_eq(fstatat(dfd, dname, &st, AT_SYMLINK_NOFOLLOW), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0700);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_int_eq(tempfile_mkdtempat(dfd, NULL, NULL, NULL), 0);
	ck_assert_int_eq(tu_count_entries(sub), 3);
	/* AT_FDCWD: relative to the current directory. */
	ck_assert_int_eq(chdir(sub), 0);
	free(name);
	fd = tempfile_mkstempat(AT_FDCWD, NULL, NULL, 0, &name);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(access(name, F_OK), 0);
	ck_assert_int_eq(tu_count_entries(sub), 4);
	close(dfd);
	free(name);
	free(dname);
	free(sub);
}
END_TEST

START_TEST(test_mktemp_creates_nothing)
{
	char *names[50];
	int i;

	for (i = 0; i < 50; i++) {
		names[i] = tempfile_mktemp(".x", NULL, NULL);
		ck_assert_ptr_nonnull(names[i]);
		assert_shape(names[i], tu_base, "tmp", ".x");
	}
	ck_assert_int_eq(tu_count_entries(tu_base), 0);
	for (i = 0; i < 50; i++)
		free(names[i]);
}
END_TEST

START_TEST(test_version)
{
	char want[32];

	snprintf(want, sizeof want, "%d.%d.%d", TEMPFILE_VERSION_MAJOR,
	         TEMPFILE_VERSION_MINOR, TEMPFILE_VERSION_MICRO);
	ck_assert_str_eq(tempfile_version(), want);
	ck_assert_str_eq(tempfile_version(), PACKAGE_VERSION);
}
END_TEST

/* ---- Directories as the caller spells them ---- */

/* A directory given with ".", "..", doubled or trailing '/' is reported,
 * and used, as os.path.abspath() spells it. */
START_TEST(test_dir_spellings)
{
	static const char *const tails[] = {
		"/", "/.", "//", "/sub/..", "/./sub/../", "/sub/../sub/..//.",
	};
	char *sub = tu_subdir("sub", 0), *hidden = tu_subdir(".hid", 0), *dir, *path;
	size_t i;
	int fd;

	for (i = 0; i < sizeof tails / sizeof *tails; i++) {
		ck_assert_int_ge(asprintf(&dir, "%s%s", tu_base, tails[i]), 0);
		fd = tempfile_mkstemp(NULL, "s-", dir, 0, &path);
		ck_assert_int_gt(fd, 2);
		assert_shape(path, tu_base, "s-", "");
		assert_mode(path, S_IFREG, 0600);
		ck_assert_int_eq(unlink(path), 0);
		close(fd);
		free(path);
		free(dir);
	}
	/* A hidden component is no "." or "..": kept as it is. */
	fd = tempfile_mkstemp(NULL, NULL, hidden, 0, &path);
	ck_assert_int_gt(fd, 2);
	assert_shape(path, hidden, "tmp", "");
	close(fd);
	free(path);
	free(hidden);
	hidden = tu_subdir("..hid", 0);
	fd = tempfile_mkstemp(NULL, NULL, hidden, 0, &path);
	ck_assert_int_gt(fd, 2);
	assert_shape(path, hidden, "tmp", "");
	close(fd);
	free(path);
	free(hidden);
	free(sub);
}
END_TEST

/* The same for short absolute paths (mktemp(): nothing is made). */
START_TEST(test_short_dir_spellings)
{
	static const struct {
		const char *dir, *want;
	} cases[] = {
		{ "/", "" }, { "/.", "" }, { "/..", "" }, { "/../", "" },
		{ "/tmp", "/tmp" }, { "/tmp/", "/tmp" }, { "/./tmp", "/tmp" },
		{ "/../tmp", "/tmp" }, { "/tmp/.", "/tmp" }, { "/tmp/..", "" },
		{ "/tmp//", "/tmp" }, { "//tmp", "//tmp" },
	};
	size_t i;

	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		char *path = tempfile_mktemp(NULL, NULL, cases[i].dir);

		ck_assert_msg(path != NULL, "%s: %s", cases[i].dir, strerror(errno));
		assert_shape(path, cases[i].want, "tmp", "");
		free(path);
	}
}
END_TEST

/* ---- mktemp()'s failures ---- */

static int no_name(char *out)
{
	(void)out;
	errno = EPERM;
	return -1;
}

START_TEST(test_mktemp_failures)
{
	char *file = tu_join(tu_base, "file"), *in_file = tu_join(file, "x");

	tu_write_file(file, "");
	ck_assert_ptr_null(tempfile_mktemp(NULL, NULL, file));
	ck_assert_int_eq(errno, ENOTDIR);
	ck_assert_ptr_null(tempfile_mktemp(NULL, NULL, in_file));
	ck_assert_int_eq(errno, ENOTDIR);
	tfp_name_hook = no_name;
	ck_assert_ptr_null(tempfile_mktemp(NULL, NULL, tu_base));
	ck_assert_int_eq(errno, EPERM);
	tfp_name_hook = NULL;
	free(in_file);
	free(file);
}
END_TEST

START_TEST(test_mktemp_exhausted)
{
	char *a;

	ck_assert_int_ge(asprintf(&a, "%s/tmpaaaaaaaa", tu_base), 0);
	tu_write_file(a, "");
	script("aaaaaaaa", "aaaaaaaa", "aaaaaaaa");
	ck_assert_ptr_null(tempfile_mktemp(NULL, NULL, tu_base));
	ck_assert_int_eq(errno, EEXIST);
	ck_assert_int_eq(hook_calls, TEMPFILE_TMP_MAX);
	tfp_name_hook = NULL;
	free(a);
}
END_TEST

/* A directory it may not look into: no name it could not check. */
static int mktemp_unsearchable(void *dir)
{
	errno = 0;
	REQ(tempfile_mktemp(NULL, NULL, dir) == NULL);
	REQ(errno == EACCES);
	return 0;
}

START_TEST(test_mktemp_unsearchable)
{
	char *locked = tu_subdir("locked", 0);

	ck_assert_int_eq(chmod(locked, 0600), 0);
	ck_assert_int_eq(tu_run(mktemp_unsearchable, locked, 1), 0);
	free(locked);
}
END_TEST

/* Standard streams closed and no descriptor above them allowed: the file
 * or directory the kernel gives 0 cannot move up, so the call fails as
 * open(2) would (EMFILE) and leaves nothing behind, registration included. */
static int no_high_fd_child(void *dir)
{
	struct rlimit rl;
	char *name = NULL;
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), i;

	REQ(dfd > 2);
	close(0);
	close(1);
	close(2);
	REQ(getrlimit(RLIMIT_NOFILE, &rl) == 0);
	rl.rlim_cur = 3;
	REQ(setrlimit(RLIMIT_NOFILE, &rl) == 0);
	errno = 0;
	REQ(tempfile_mkstemp(NULL, NULL, dir, 0, NULL) == -1 && errno == EMFILE);
	errno = 0;
	REQ(tempfile_mkstempat(dfd, NULL, NULL, 0, &name) == -1 && errno == EMFILE);
	REQ(name == NULL);
	for (i = 0; i < 2; i++) {
		unsigned flags = i ? TEMPFILE_CLEANUP_AT_EXIT : 0;

		errno = 0;
		REQ(tempfile_dir_new(NULL, NULL, dir, flags) == NULL && errno == EMFILE);
		errno = 0;
		REQ(tempfile_named(NULL, NULL, dir, flags) == NULL && errno == EMFILE);
		errno = 0;
		REQ(tempfile_unnamed(NULL, NULL, dir, flags) == NULL && errno == EMFILE);
	}
	REQ(tu_count_entries(dir) == 0);
	/* Nothing kept open either: the lowest descriptor is free again. */
	REQ(open("/dev/null", O_RDONLY) == 0);
	return 0;
}

START_TEST(test_no_high_fd)
{
	char *dir = tu_subdir("nofd", 0);

	ck_assert_int_eq(tu_run(no_high_fd_child, dir, 0), 0);
	ck_assert_int_eq(tu_count_entries(dir), 0);
	free(dir);
}
END_TEST

/* The descriptor helpers on descriptors that are not open. */
START_TEST(test_fd_helpers)
{
	int fd = open("/dev/null", O_RDONLY), d;

	ck_assert_int_gt(fd, 2);
	ck_assert_int_eq(tfp_set_cloexec(fd), 0);
	ck_assert_int_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	d = tfp_dup(fd);
	ck_assert_int_gt(d, 2);
	ck_assert_int_eq(fcntl(d, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	ck_assert_int_eq(tfp_dup_onto(fd, d), 0);
	ck_assert_int_eq(fcntl(d, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	close(d);
	errno = 0;
	ck_assert_int_eq(tfp_set_cloexec(d), -1);
	ck_assert_int_eq(errno, EBADF);
	ck_assert_int_eq(tfp_dup(d), -1);
	ck_assert_int_eq(errno, EBADF);
	ck_assert_int_eq(tfp_dup_onto(d, fd), -1);
	ck_assert_int_eq(errno, EBADF);
	ck_assert_ptr_null(tfp_fd_stream(d, 0));
	ck_assert_int_eq(errno, EBADF);
	/* An error's errno survives the close of a failure path. */
	errno = ENOSPC;
	tfp_close_keep_errno(fd);
	ck_assert_int_eq(errno, ENOSPC);
	ck_assert_int_eq(fcntl(fd, F_GETFD), -1);
}
END_TEST

static Suite *mkstemp_suite(void)
{
	Suite *s = suite_create("mkstemp");
	TCase *tc = tu_tcase("mkstemp", 60);

	tcase_add_test(tc, test_shapes);
	tcase_add_test(tc, test_modes_under_umask_0);
	tcase_add_test(tc, test_cloexec_across_exec);
	tcase_add_test(tc, test_read_write);
	tcase_add_test(tc, test_flags);
	tcase_add_test(tc, test_bad_affixes);
	tcase_add_loop_test(tc, test_unnamed_name_too_long, 0, 4);
	tcase_add_test(tc, test_bad_dirs);
	tcase_add_test(tc, test_eacces_as_nobody);
	tcase_add_test(tc, test_many_open);
	tcase_add_test(tc, test_eexist_retry);
	tcase_add_test(tc, test_eexist_exhausted);
	tcase_add_test(tc, test_other_errors_not_retried);
	tcase_add_test(tc, test_threads_one_dir);
	tcase_add_test(tc, test_stdio_closed);
	tcase_add_test(tc, test_at_variants);
	tcase_add_test(tc, test_mktemp_creates_nothing);
	tcase_add_test(tc, test_version);
	tcase_add_test(tc, test_dir_spellings);
	tcase_add_test(tc, test_short_dir_spellings);
	tcase_add_test(tc, test_mktemp_failures);
	tcase_add_test(tc, test_mktemp_exhausted);
	tcase_add_test(tc, test_mktemp_unsearchable);
	tcase_add_test(tc, test_no_high_fd);
	tcase_add_test(tc, test_fd_helpers);
#if HAVE_DECL_O_TMPFILE && defined(SYS_openat)
	tcase_add_loop_test(tc, test_tmpfile_fails, 0,
	                    (int)(sizeof tmpfile_failures / sizeof *tmpfile_failures));
#endif
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_main(mkstemp_suite());
}
