/* tempfile_replace, tempfile_commit, tempfile_write_file: src/replace.c,
 * src/preserve.c, src/target.c.  Loop tests run with _i & 1 set without
 * O_TMPFILE: the hidden named file the fallback makes. */
#include "src/internal.h"
#include "testutil.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <unistd.h>
#ifdef HAVE_ACL
# include <acl/libacl.h>
# include <sys/acl.h>
#endif

static char *at(const char *dir, const char *name)
{
	char *p;

	ck_assert_int_ge(asprintf(&p, "%s/%s", dir, name), 0);
	return p;
}

static void use_fallback(int yes)
{
	atomic_store(&tfp_tmpfile_works, !yes);
}

/* Whether replacements in loop test i make a hidden named file. */
static int hidden(int i)
{
	return (i & 1) || !TFP_O_TMPFILE;
}

static tempfile *replace_with(const char *path, unsigned flags, const char *s)
{
	tempfile *tf = tempfile_replace(path, flags);

	ck_assert_msg(tf != NULL, "tempfile_replace %s: %s", path, strerror(errno));
	ck_assert_int_eq(tempfile_write(tf, s, strlen(s)), (ssize_t)strlen(s));
	return tf;
}

static void assert_mode(const char *path, mode_t mode)
{
	struct stat st;

	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert_msg(S_ISREG(st.st_mode), "%s is not a regular file", path);
	ck_assert_uint_eq(st.st_mode & 07777, mode);
}

/* As root: the old file stays until the commit, then mode and owner are
 * taken over from it. */
START_TEST(test_keeps_mode_and_owner)
{
	char *path = at(tu_base, "conf");
	struct stat st;
	tempfile *tf;

	use_fallback(_i & 1);
	tu_write_file(path, "old");
	ck_assert_int_eq(chmod(path, 0644), 0);
	ck_assert_int_eq(chown(path, TU_NOBODY, TU_NOBODY), 0);
	tf = replace_with(path, 0, "new");
	ck_assert_int_eq(tempfile_fileno(tf) > 2, 1);
	if (hidden(_i)) {
		const char *name = tempfile_name(tf);

		ck_assert_ptr_nonnull(name);
		ck_assert_int_eq(strncmp(name, tu_base, strlen(tu_base)), 0);
		ck_assert_int_eq(name[strlen(tu_base) + 1], '.');
	} else {
		ck_assert_ptr_null(tempfile_name(tf));
	}
	tu_assert_file(path, "old");
	ck_assert_int_eq(tempfile_commit(tf), 0);
	tu_assert_file(path, "new");
	assert_mode(path, 0644);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_uid, TU_NOBODY);
	ck_assert_uint_eq(st.st_gid, TU_NOBODY);
	ck_assert_uint_eq(st.st_nlink, 1);
	ck_assert_int_eq(tu_count_entries(tu_base), 1);
	free(path);
}
END_TEST

/* A set-id bit comes along with the owner it was set for. */
START_TEST(test_setuid_with_owner)
{
	char *path = at(tu_base, "tool");
	struct stat st;

	use_fallback(_i & 1);
	tu_write_file(path, "v1");
	ck_assert_int_eq(chown(path, TU_NOBODY, TU_NOBODY), 0);
	ck_assert_int_eq(chmod(path, 06755), 0);
	ck_assert_int_eq(tempfile_commit(replace_with(path, 0, "v2")), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 06755);
	ck_assert_uint_eq(st.st_uid, TU_NOBODY);
	tu_assert_file(path, "v2");
	free(path);
}
END_TEST

/* As nobody, in a directory open to all: root's 04755 file becomes
 * nobody's, and its set-user-id bit does not come along. */
static int setuid_child(void *arg)
{
	const char *path = arg;
	struct stat st;

	if (tempfile_write_file(path, "mine", 4, 0) < 0)
		return 1;
	if (stat(path, &st) < 0 || st.st_uid != TU_NOBODY)
		return 2;
	return (st.st_mode & 07777) == 0755 ? 0 : 3;
}

START_TEST(test_setuid_dropped_for_other_owner)
{
	char *dir = tu_subdir("open", 1), *path = at(dir, "tool");

	use_fallback(_i & 1);
	tu_write_file(path, "root's");
	ck_assert_int_eq(chmod(path, 04755), 0);
	ck_assert_int_eq(tu_run(setuid_child, path, 1), 0);
	tu_assert_file(path, "mine");
	ck_assert_int_eq(tu_count_entries(dir), 1);
	free(path);
	free(dir);
}
END_TEST

static int eacces_child(void *arg)
{
	errno = 0;
	if (tempfile_replace(arg, 0) || errno != EACCES)
		return 1;
	return tempfile_write_file(arg, "x", 1, 0) == -1 && errno == EACCES ? 0 : 2;
}

START_TEST(test_unwritable_dir)
{
	char *dir = tu_subdir("closed", 0), *path = at(dir, "f");

	use_fallback(_i & 1);
	ck_assert_int_eq(chmod(dir, 0755), 0);
	ck_assert_int_eq(tu_run(eacces_child, path, 1), 0);
	ck_assert_int_eq(tu_count_entries(dir), 0);
	free(path);
	free(dir);
}
END_TEST

/* A new file gets what open(path, O_CREAT, 0666) would give it. */
START_TEST(test_missing_path_umask)
{
	static const mode_t masks[] = { 022, 077 };
	char *path = at(tu_base, "fresh");

	use_fallback(_i & 1);
	umask(masks[_i >> 1]);
	ck_assert_int_eq(tempfile_commit(replace_with(path, 0, "hi")), 0);
	umask(022);
	tu_assert_file(path, "hi");
	assert_mode(path, 0666 & ~masks[_i >> 1]);
	ck_assert_int_eq(tu_count_entries(tu_base), 1);
	free(path);
}
END_TEST

/* Where /proc does not tell the umask, a probe file does: unnamed, or
 * without O_TMPFILE a hidden one, which is gone afterwards. */
START_TEST(test_umask_without_proc)
{
	char *path = at(tu_base, "fresh");

	use_fallback(_i);
	tfp_proc_status = "/nonexistent/status";
	umask(027);
	ck_assert_int_eq(tempfile_write_file(path, "x", 1, 0), 0);
	umask(022);
	assert_mode(path, 0640);
	ck_assert_int_eq(tu_count_entries(tu_base), 1);
	free(path);
}
END_TEST

/* Without PRESERVE (plain persist), the file keeps its 0600. */
START_TEST(test_persist_without_preserve)
{
	char *path = at(tu_base, "p");
	tempfile *tf = tempfile_named(NULL, NULL, NULL, 0);

	tu_write_file(path, "old");
	ck_assert_int_eq(chmod(path, 0644), 0);
	ck_assert_int_eq(tempfile_persist(tf, path, 0), 0);
	ck_assert_int_eq(tempfile_close(tf), 0);
	assert_mode(path, 0600);
	free(path);
}
END_TEST

START_TEST(test_close_abandons)
{
	char *path = at(tu_base, "keep");
	tempfile *tf;

	use_fallback(_i & 1);
	tu_write_file(path, "as it was");
	tf = replace_with(path, TEMPFILE_DURABLE, "never");
	ck_assert_int_eq(tu_count_entries(tu_base), hidden(_i) ? 2 : 1);
	ck_assert_int_eq(tempfile_close(tf), 0);
	tu_assert_file(path, "as it was");
	ck_assert_int_eq(tu_count_entries(tu_base), 1);
	free(path);
}
END_TEST

static int killed_child(void *arg)
{
	tempfile *tf = tempfile_replace(arg, 0);

	if (!tf || tempfile_write(tf, "half", 4) != 4)
		return 1;
	kill(getpid(), SIGTERM);
	return 2;
}

START_TEST(test_killed_before_commit)
{
	char *path = at(tu_base, "conf");

	use_fallback(_i & 1);
	tu_write_file(path, "intact");
	ck_assert_int_eq(tu_run(killed_child, path, 0), 100 + SIGTERM);
	tu_assert_file(path, "intact");
	ck_assert_int_eq(tu_count_entries(tu_base), 1);
	free(path);
}
END_TEST

START_TEST(test_noclobber)
{
	char *path = at(tu_base, "taken"), *other = at(tu_base, "free");

	use_fallback(_i & 1);
	tu_write_file(path, "precious");
	errno = 0;
	ck_assert_int_eq(tempfile_commit(replace_with(path, TEMPFILE_NOCLOBBER, "x")), -1);
	ck_assert_int_eq(errno, EEXIST);
	tu_assert_file(path, "precious");
	ck_assert_int_eq(tu_count_entries(tu_base), 1);
	ck_assert_int_eq(tempfile_write_file(other, "y", 1, TEMPFILE_NOCLOBBER), 0);
	tu_assert_file(other, "y");
	ck_assert_int_eq(tu_count_entries(tu_base), 2);
	free(path);
	free(other);
}
END_TEST

static void assert_link(const char *path, const char *want)
{
	char buf[PATH_MAX];
	ssize_t n = readlink(path, buf, sizeof buf - 1);

	ck_assert_msg(n >= 0, "%s: %s", path, strerror(errno));
	buf[n] = '\0';
	ck_assert_str_eq(buf, want);
}

/* first -> sub/second -> ../real (relative to sub/). */
static void make_chain(char **first, char **real)
{
	char *sub = tu_subdir("sub", 0), *second = at(sub, "second");

	*first = at(tu_base, "first");
	*real = at(tu_base, "real");
	tu_write_file(*real, "old");
	ck_assert_int_eq(chmod(*real, 0640), 0);
	ck_assert_int_eq(symlink("../real", second), 0);
	ck_assert_int_eq(symlink("sub/second", *first), 0);
	free(sub);
	free(second);
}

START_TEST(test_follow_chain)
{
	char *first, *real;

	use_fallback(_i & 1);
	make_chain(&first, &real);
	ck_assert_int_eq(tempfile_write_file(first, "new", 3, TEMPFILE_FOLLOW | TEMPFILE_DURABLE), 0);
	assert_link(first, "sub/second");
	tu_assert_file(real, "new");
	assert_mode(real, 0640);
	ck_assert_int_eq(tu_count_entries(tu_base), 3);
	free(first);
	free(real);
}
END_TEST

START_TEST(test_without_follow_replaces_link)
{
	char *first, *real;

	use_fallback(_i & 1);
	umask(022);
	make_chain(&first, &real);
	ck_assert_int_eq(tempfile_write_file(first, "new", 3, 0), 0);
	tu_assert_file(first, "new");
	assert_mode(first, 0644); /* a new file: the link's mode means nothing */
	tu_assert_file(real, "old");
	ck_assert_int_eq(tu_count_entries(tu_base), 3);
	free(first);
	free(real);
}
END_TEST

/* 41 links in a row, and a link to itself: ELOOP, nothing made. */
START_TEST(test_follow_too_long)
{
	char *self = at(tu_base, "self"), *name, *target;
	int i;

	for (i = 0; i < 41; i++) {
		name = NULL;
		ck_assert_int_ge(asprintf(&name, "%s/l%d", tu_base, i), 0);
		ck_assert_int_ge(asprintf(&target, "l%d", i + 1), 0);
		ck_assert_int_eq(symlink(target, name), 0);
		free(target);
		free(name);
	}
	name = at(tu_base, "l41");
	tu_write_file(name, "end");
	free(name);
	ck_assert_int_eq(symlink("self", self), 0);
	name = at(tu_base, "l0");
	errno = 0;
	ck_assert_ptr_null(tempfile_replace(name, TEMPFILE_FOLLOW));
	ck_assert_int_eq(errno, ELOOP);
	ck_assert_int_eq(tempfile_write_file(self, "x", 1, TEMPFILE_FOLLOW), -1);
	ck_assert_int_eq(errno, ELOOP);
	free(name);
	/* One link fewer is fine. */
	name = at(tu_base, "l1");
	ck_assert_int_eq(tempfile_write_file(name, "new", 3, TEMPFILE_FOLLOW), 0);
	free(name);
	name = at(tu_base, "l41");
	tu_assert_file(name, "new");
	ck_assert_int_eq(tu_count_entries(tu_base), 43);
	free(name);
	free(self);
}
END_TEST

START_TEST(test_write_file_empty)
{
	char *path = at(tu_base, "empty");
	struct stat st;

	use_fallback(_i & 1);
	tu_write_file(path, "something");
	ck_assert_int_eq(tempfile_write_file(path, NULL, 0, 0), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_size, 0);
	ck_assert_int_eq(tempfile_write_file(path, "", 0, TEMPFILE_DURABLE), 0);
	ck_assert_int_eq(tu_count_entries(tu_base), 1);
	free(path);
}
END_TEST

START_TEST(test_missing_dir)
{
	char *path = at(tu_base, "no/such/file");

	use_fallback(_i & 1);
	errno = 0;
	ck_assert_int_eq(tempfile_write_file(path, "x", 1, 0), -1);
	ck_assert_int_eq(errno, ENOENT);
	errno = 0;
	ck_assert_ptr_null(tempfile_replace(path, 0));
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(tu_count_entries(tu_base), 0);
	free(path);
}
END_TEST

START_TEST(test_bad_arguments)
{
	char *path = at(tu_base, "x");
	tempfile *tf;

	errno = 0;
	ck_assert_ptr_null(tempfile_replace(NULL, 0));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(tempfile_replace(path, 0x100));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(tempfile_write_file(path, NULL, 1, 0), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(tempfile_commit(NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	/* Not a replacement: EINVAL, and tf is freed with its file. */
	tf = tempfile_named(NULL, NULL, NULL, 0);
	ck_assert_ptr_nonnull(tf);
	errno = 0;
	ck_assert_int_eq(tempfile_commit(tf), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(tu_count_entries(tu_base), 0);
	free(path);
}
END_TEST

/* A commit that fails leaves path as it was and the new file gone. */
START_TEST(test_commit_fails_cleanly)
{
	char *path = at(tu_base, "becomes-a-dir"), *inner;
	tempfile *tf;

	use_fallback(_i & 1);
	tf = replace_with(path, 0, "x");
	ck_assert_int_eq(mkdir(path, 0700), 0);
	inner = at(path, "inside");
	tu_write_file(inner, "kept");
	errno = 0;
	ck_assert_int_eq(tempfile_commit(tf), -1);
	ck_assert_int_ne(errno, 0);
	tu_assert_file(inner, "kept");
	ck_assert_int_eq(tu_count_entries(tu_base), 1);
	free(inner);
	free(path);
}
END_TEST

/* The hidden name stays short whatever the target's length. */
START_TEST(test_long_target_name)
{
	char name[NAME_MAX + 1], *path;
	tempfile *tf;

	use_fallback(_i & 1);
	memset(name, 'n', NAME_MAX);
	name[NAME_MAX] = '\0';
	path = at(tu_base, name);
	tf = replace_with(path, 0, "long");
	if (tempfile_name(tf))
		ck_assert_uint_le(strlen(strrchr(tempfile_name(tf), '/') + 1), NAME_MAX);
	ck_assert_int_eq(tempfile_commit(tf), 0);
	tu_assert_file(path, "long");
	ck_assert_int_eq(tu_count_entries(tu_base), 1);
	free(path);
}
END_TEST

/* A relative path is the current directory's at the call. */
START_TEST(test_relative_path)
{
	char *path = at(tu_base, "rel");

	use_fallback(_i & 1);
	ck_assert_int_eq(chdir(tu_base), 0);
	ck_assert_int_eq(tempfile_write_file("rel", "here", 4, 0), 0);
	ck_assert_int_eq(chdir("/"), 0);
	tu_assert_file(path, "here");
	free(path);
}
END_TEST

#ifdef HAVE_ACL
/* A directory's default ACL wins over the umask, as for open(2). */
START_TEST(test_default_acl)
{
	char *dir = tu_subdir("acl", 0), *path = at(dir, "f"), *text;
	acl_t acl = acl_from_text("u::rwx,g::r-x,o::---,u:65534:rwx,m::rwx");
	struct stat st;

	use_fallback(_i & 1);
	ck_assert_ptr_nonnull(acl);
	ck_assert_msg(acl_set_file(dir, ACL_TYPE_DEFAULT, acl) == 0, "acl_set_file: %s",
	              strerror(errno));
	acl_free(acl);
	umask(077);
	ck_assert_int_eq(tempfile_write_file(path, "acl", 3, 0), 0);
	umask(022);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0660);
	acl = acl_get_file(path, ACL_TYPE_ACCESS);
	ck_assert_ptr_nonnull(acl);
	text = acl_to_any_text(acl, NULL, ',', TEXT_NUMERIC_IDS);
	ck_assert_ptr_nonnull(strstr(text, "user:65534:rwx"));
	acl_free(text);
	acl_free(acl);
	free(path);
	free(dir);
}
END_TEST
#endif

/* A replacement, and a persist that copies, from a 64 KiB thread stack. */
static void *small_stack_thread(void *arg)
{
	char *path = at(tu_base, "small"), *copy = at(tu_base, "copied");
	tempfile *tf = tempfile_spooled(0, NULL, NULL, NULL, 0);
	static char big[200000];
	intptr_t r = 0;

	(void)arg;
	memset(big, 's', sizeof big);
	if (tempfile_write_file(path, big, sizeof big, TEMPFILE_DURABLE) < 0)
		r = 1;
	else if (!tf || tempfile_write(tf, big, sizeof big) != (ssize_t)sizeof big ||
	         tempfile_rollover(tf) < 0 || tempfile_persist(tf, copy, TEMPFILE_PRESERVE) < 0)
		r = 2;
	tempfile_close(tf);
	free(path);
	free(copy);
	return (void *)r;
}

START_TEST(test_small_stack)
{
	pthread_attr_t attr;
	pthread_t t;
	void *ret;

	use_fallback(_i & 1);
	ck_assert_int_eq(pthread_attr_init(&attr), 0);
	ck_assert_int_eq(pthread_attr_setstacksize(&attr, 64 * 1024), 0);
	ck_assert_int_eq(pthread_create(&t, &attr, small_stack_thread, NULL), 0);
	ck_assert_int_eq(pthread_join(t, &ret), 0);
	ck_assert_ptr_null(ret);
	pthread_attr_destroy(&attr);
	ck_assert_int_eq(tu_count_entries(tu_base), 2);
}
END_TEST

/* What /proc/self/status says of the umask is used only when it is a
 * clean octal number up to 0777; anything else (no such line, no number,
 * too large, a file too long to read whole, an unreadable one) falls back
 * to the probe, which finds the real umask (027) all the same. */
START_TEST(test_umask_status_forms)
{
	static const char *const forms[] = {
		"Name:\tx\nUmask:\t0077\n", "Name:\tx\nState:\tR\n", "Name:\tx\nUmask:\tnone\n",
		"Name:\tx\nUmask:\t7777\n", NULL, "",
	};
	char *dir = tu_subdir("d", 0), *status = at(tu_base, "status"), *path = at(dir, "f");
	char big[8192];

	use_fallback(_i & 1);
	if (forms[_i / 2]) {
		tu_write_file(status, forms[_i / 2]);
	} else {
		memset(big, 'x', sizeof big - 1);
		big[sizeof big - 1] = '\0';
		memcpy(big + sizeof big - 20, "\nUmask:\t0077\n", 13);
		tu_write_file(status, big);
	}
	/* An unreadable one: a directory. */
	tfp_proc_status = forms[_i / 2] && !*forms[_i / 2] ? dir : status;
	umask(027);
	ck_assert_int_eq(tempfile_write_file(path, "x", 1, 0), 0);
	umask(022);
	tfp_proc_status = "/proc/self/status";
	assert_mode(path, _i / 2 == 0 ? 0600 : 0640);
	ck_assert_int_eq(tu_count_entries(dir), 1);
	free(path);
	free(status);
	free(dir);
}
END_TEST

#ifdef HAVE_ACL
/* A default ACL with no mask entry: the group entry stands for the group
 * bits, and loses execute as the others do; the umask plays no part. */
START_TEST(test_default_acl_without_mask)
{
	char *dir = tu_subdir("acl", 0), *path = at(dir, "f");
	acl_t acl = acl_from_text("u::rwx,g::rwx,o::r-x");

	use_fallback(_i);
	ck_assert_ptr_nonnull(acl);
	ck_assert_int_eq(acl_set_file(dir, ACL_TYPE_DEFAULT, acl), 0);
	acl_free(acl);
	umask(077);
	ck_assert_int_eq(tempfile_write_file(path, "acl", 3, 0), 0);
	umask(022);
	assert_mode(path, 0664);
	free(path);
	free(dir);
}
END_TEST
#endif

/* A write that fails part way (the file-size limit) fails
 * tempfile_write_file(): the old file stays whole, no new file is left. */
static int write_fails_child(void *arg)
{
	const char *path = arg;
	struct rlimit lim;
	char big[64];

	memset(big, 'n', sizeof big);
	REQ(getrlimit(RLIMIT_FSIZE, &lim) == 0);
	lim.rlim_cur = 16;
	REQ(signal(SIGXFSZ, SIG_IGN) != SIG_ERR && setrlimit(RLIMIT_FSIZE, &lim) == 0);
	errno = 0;
	REQ(tempfile_write_file(path, big, sizeof big, 0) == -1 && errno == EFBIG);
	return 0;
}

START_TEST(test_write_file_write_fails)
{
	char *dir = tu_subdir("d", 0), *path = at(dir, "old");

	use_fallback(_i);
	tu_write_file(path, "old");
	ck_assert_int_eq(tu_run(write_fails_child, path, 0), 0);
	tu_assert_file(path, "old");
	ck_assert_int_eq(tu_count_entries(dir), 1);
	free(path);
	free(dir);
}
END_TEST

/* A commit after closefd has no data to place: EBADF, the target stays
 * as it was, and tf is freed with its file. */
START_TEST(test_commit_after_closefd)
{
	char *path = at(tu_base, "t");
	tempfile *tf;

	use_fallback(_i);
	tu_write_file(path, "before");
	tf = replace_with(path, 0, "after");
	ck_assert_int_eq(tempfile_closefd(tf), 0);
	errno = 0;
	ck_assert_int_eq(tempfile_commit(tf), -1);
	ck_assert_int_eq(errno, EBADF);
	tu_assert_file(path, "before");
	ck_assert_int_eq(tu_count_entries(tu_base), 1);
	free(path);
}
END_TEST

#ifdef HAVE_ACL
/* Without /proc (an empty tmpfs over it, in a mount namespace of its
 * own): the default ACL is read by the directory's path, the umask by a
 * probe file; both still give the new file what open(2) would. */
static int no_proc_acl_child(void *arg)
{
	const char *dir = arg;
	char *with = at(dir, "acl"), *path = at(with, "f"), *plain = at(dir, "plain");
	acl_t acl = acl_from_text("u::rwx,g::r-x,o::---,u:65534:rwx,m::rwx");
	struct stat st;

	REQ(acl && mkdir(with, 0700) == 0 && acl_set_file(with, ACL_TYPE_DEFAULT, acl) == 0);
	acl_free(acl);
	REQ(unshare(CLONE_NEWNS) == 0);
	REQ(mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) == 0);
	REQ(mount("tmpfs", "/proc", "tmpfs", 0, NULL) == 0);
	REQ(access("/proc/self", F_OK) == -1);
	umask(077);
	REQ(tempfile_write_file(path, "acl", 3, 0) == 0);
	REQ(stat(path, &st) == 0 && (st.st_mode & 0777) == 0660);
	REQ((acl = acl_get_file(path, ACL_TYPE_ACCESS)) != NULL);
	REQ(acl_entries(acl) == 5);
	acl_free(acl);
	umask(027);
	REQ(tempfile_write_file(plain, "p", 1, 0) == 0);
	REQ(stat(plain, &st) == 0 && (st.st_mode & 0777) == 0640);
	REQ(tu_count_entries(dir) == 2 && tu_count_entries(with) == 1);
	free(with);
	free(path);
	free(plain);
	return 0;
}

START_TEST(test_default_acl_without_proc)
{
	char *dir = tu_subdir("d", 0);

	use_fallback(_i);
	ck_assert_int_eq(tu_run(no_proc_acl_child, dir, 0), 0);
	free(dir);
}
END_TEST

/* A file system without POSIX ACLs (ramfs: acl_get_file() says ENOTSUP):
 * no default ACL to inherit, so the umask alone narrows the new file. */
static int no_acl_fs_child(void *arg)
{
	const char *dir = arg;
	char *path = at(dir, "f");
	struct stat st;

	REQ(unshare(CLONE_NEWNS) == 0);
	REQ(mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) == 0);
	REQ(mount("ramfs", dir, "ramfs", 0, "mode=0700") == 0);
	errno = 0;
	REQ(acl_get_file(dir, ACL_TYPE_DEFAULT) == NULL && errno == ENOTSUP);
	umask(027);
	REQ(tempfile_write_file(path, "r", 1, 0) == 0);
	REQ(stat(path, &st) == 0 && (st.st_mode & 0777) == 0640);
	REQ(tu_count_entries(dir) == 1 && unlink(path) == 0);
	REQ(umount(dir) == 0);
	free(path);
	return 0;
}

START_TEST(test_fs_without_acls)
{
	char *dir = tu_subdir("ram", 0);

	use_fallback(_i);
	ck_assert_int_eq(tu_run(no_acl_fs_child, dir, 0), 0);
	ck_assert_int_eq(tu_count_entries(dir), 0);
	free(dir);
}
END_TEST
#endif

static Suite *replace_suite(void)
{
	Suite *s = suite_create("replace");
	TCase *tc = tu_tcase("replace", 60);

	tcase_add_loop_test(tc, test_keeps_mode_and_owner, 0, 2);
	tcase_add_loop_test(tc, test_setuid_with_owner, 0, 2);
	tcase_add_loop_test(tc, test_setuid_dropped_for_other_owner, 0, 2);
	tcase_add_loop_test(tc, test_unwritable_dir, 0, 2);
	tcase_add_loop_test(tc, test_missing_path_umask, 0, 4);
	tcase_add_loop_test(tc, test_umask_without_proc, 0, 2);
	tcase_add_test(tc, test_persist_without_preserve);
	tcase_add_loop_test(tc, test_close_abandons, 0, 2);
	tcase_add_loop_test(tc, test_killed_before_commit, 0, 2);
	tcase_add_loop_test(tc, test_noclobber, 0, 2);
	tcase_add_loop_test(tc, test_follow_chain, 0, 2);
	tcase_add_loop_test(tc, test_without_follow_replaces_link, 0, 2);
	tcase_add_test(tc, test_follow_too_long);
	tcase_add_loop_test(tc, test_write_file_empty, 0, 2);
	tcase_add_loop_test(tc, test_missing_dir, 0, 2);
	tcase_add_test(tc, test_bad_arguments);
	tcase_add_loop_test(tc, test_commit_fails_cleanly, 0, 2);
	tcase_add_loop_test(tc, test_long_target_name, 0, 2);
	tcase_add_loop_test(tc, test_relative_path, 0, 2);
	tcase_add_loop_test(tc, test_small_stack, 0, 2);
	tcase_add_loop_test(tc, test_write_file_write_fails, 0, 2);
	tcase_add_loop_test(tc, test_umask_status_forms, 0, 12);
	tcase_add_loop_test(tc, test_commit_after_closefd, 0, 2);
#ifdef HAVE_ACL
	tcase_add_loop_test(tc, test_default_acl, 0, 2);
	tcase_add_loop_test(tc, test_default_acl_without_proc, 0, 2);
	tcase_add_loop_test(tc, test_fs_without_acls, 0, 2);
	tcase_add_loop_test(tc, test_default_acl_without_mask, 0, 2);
#endif
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_main(replace_suite());
}
