/* tempfile_persist: src/persist.c and the noreplace backends. */
#include "src/internal.h"
#include "testutil.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <limits.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef HAVE_ACL
# include <sys/acl.h>
#endif

enum { NAMED, UNNAMED, UNNAMED_COPY, SPOOLED, KINDS };

static tempfile *make(int kind)
{
	atomic_store(&tfp_tmpfile_works, kind != UNNAMED_COPY);
	switch (kind) {
	case NAMED: return tempfile_named(NULL, NULL, NULL, 0);
	case SPOOLED: return tempfile_spooled(0, NULL, NULL, NULL, 0);
	default: return tempfile_unnamed(NULL, NULL, NULL, 0);
	}
}

static char *target(const char *name)
{
	char *p;

	ck_assert_int_ge(asprintf(&p, "%s/%s", tu_base, name), 0);
	return p;
}

START_TEST(test_persist_each_kind)
{
	tempfile *tf = make(_i);
	char *dest = target("kept.txt");
	char *old = tf->name ? strdup(tf->name) : NULL;
	struct stat st;

	ck_assert_int_eq(tempfile_write(tf, "first", 5), 5);
	ck_assert_ptr_nonnull(tempfile_stream(tf));
	ck_assert_int_eq(tempfile_persist(tf, dest, 0), 0);
	ck_assert_str_eq(tempfile_name(tf), dest);
	tu_assert_file(dest, "first");
	ck_assert_int_eq(stat(dest, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	ck_assert_uint_eq(st.st_nlink, 1);
	if (old)
		ck_assert_int_eq(access(old, F_OK), -1);
	/* Writes after persisting, direct and through the stream, land in it. */
	ck_assert_int_eq(tempfile_write(tf, "+more", 5), 5);
	ck_assert_int_ge(fputs("+stream", tempfile_stream(tf)), 0);
	ck_assert_int_eq(tempfile_close(tf), 0);
	tu_assert_file(dest, "first+more+stream");
	ck_assert_int_eq(tu_count_entries(tu_base), 1); /* nothing on the side */
	free(dest);
	free(old);
}
END_TEST

START_TEST(test_replace_is_whole)
{
	tempfile *tf = make(_i);
	char *dest = target("dest");

	tu_write_file(dest, "old contents");
	ck_assert_int_eq(tempfile_write(tf, "new", 3), 3);
	ck_assert_int_eq(tempfile_persist(tf, dest, TEMPFILE_DURABLE), 0);
	tu_assert_file(dest, "new");
	ck_assert_int_eq(tempfile_close(tf), 0);
	tu_assert_file(dest, "new");
	ck_assert_int_eq(tu_count_entries(tu_base), 1);
	free(dest);
}
END_TEST

START_TEST(test_noclobber_refuses)
{
	tempfile *tf = make(_i);
	char *dest = target("taken"), *free_dest = target("free");
	char *old = tf->name ? strdup(tf->name) : NULL;

	tu_write_file(dest, "precious");
	ck_assert_int_eq(tempfile_write(tf, "temp", 4), 4);
	errno = 0;
	ck_assert_int_eq(tempfile_persist(tf, dest, TEMPFILE_NOCLOBBER), -1);
	ck_assert_int_eq(errno, EEXIST);
	tu_assert_file(dest, "precious");
	/* The object is as it was, and still usable. */
	ck_assert_int_eq(tempfile_persist(tf, dest, TEMPFILE_NOCLOBBER | TEMPFILE_DURABLE), -1);
	if (old) {
		ck_assert_str_eq(tempfile_name(tf), old);
		tu_assert_file(old, "temp");
	} else {
		ck_assert_ptr_null(tempfile_name(tf));
	}
	ck_assert_int_eq(tu_count_entries(tu_base), old ? 2 : 1);
	ck_assert_int_eq(tempfile_write(tf, "!", 1), 1);
	ck_assert_int_eq(tempfile_persist(tf, free_dest, TEMPFILE_NOCLOBBER), 0);
	ck_assert_int_eq(tempfile_close(tf), 0);
	tu_assert_file(free_dest, "temp!");
	tu_assert_file(dest, "precious");
	ck_assert_int_eq(tu_count_entries(tu_base), 2);
	free(dest);
	free(free_dest);
	free(old);
}
END_TEST

START_TEST(test_bad_arguments)
{
	tempfile *tf = make(_i);
	char *missing = target("no/such/dir/x");

	errno = 0;
	ck_assert_int_eq(tempfile_persist(tf, NULL, 0), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(tempfile_persist(tf, missing, 0x10), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(tempfile_persist(NULL, missing, 0), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(tempfile_persist(tf, missing, 0), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(tempfile_persist(tf, missing, TEMPFILE_NOCLOBBER), -1);
	ck_assert_int_eq(errno, ENOENT);
	/* A spool is still in memory, untouched. */
	ck_assert_int_eq(tempfile_rolled(tf), _i != SPOOLED);
	ck_assert_int_eq(tempfile_write(tf, "ok", 2), 2);
	ck_assert_int_eq(tempfile_close(tf), 0);
	ck_assert_int_eq(tu_count_entries(tu_base), 0);
	free(missing);
}
END_TEST

/* A named file can be persisted after its descriptor is closed; an unnamed
 * one cannot, its data went with the descriptor. */
START_TEST(test_after_closefd)
{
	tempfile *tf = make(_i);
	char *dest = target("later");

	ck_assert_int_eq(tempfile_write(tf, "data", 4), 4);
	ck_assert_int_eq(tempfile_closefd(tf), 0);
	if (_i == NAMED) {
		ck_assert_int_eq(tempfile_persist(tf, dest, TEMPFILE_DURABLE), 0);
		ck_assert_int_eq(tempfile_close(tf), 0);
		tu_assert_file(dest, "data");
	} else {
		errno = 0;
		ck_assert_int_eq(tempfile_persist(tf, dest, 0), -1);
		ck_assert_int_eq(errno, EBADF);
		ck_assert_int_eq(tempfile_close(tf), 0);
		ck_assert_int_eq(access(dest, F_OK), -1);
	}
	free(dest);
}
END_TEST

/* Persisting twice moves the file again. */
START_TEST(test_persist_twice)
{
	tempfile *tf = make(_i);
	char *a = target("a"), *b = target("b");

	ck_assert_int_eq(tempfile_write(tf, "x", 1), 1);
	ck_assert_int_eq(tempfile_persist(tf, a, 0), 0);
	ck_assert_int_eq(tempfile_persist(tf, b, TEMPFILE_NOCLOBBER), 0);
	ck_assert_int_eq(access(a, F_OK), -1);
	tu_assert_file(b, "x");
	ck_assert_int_eq(tempfile_close(tf), 0);
	tu_assert_file(b, "x");
	free(a);
	free(b);
}
END_TEST

static int unprivileged_link_child(void *arg)
{
	tempfile *tf;
	char *dest = arg;

	atomic_store(&tfp_tmpfile_works, 1);
	tf = tempfile_unnamed(NULL, NULL, NULL, 0);
	if (!tf || tempfile_write(tf, "mine", 4) != 4)
		return 1;
	if (tf->linkable != (TFP_O_TMPFILE != 0))
		return 2;
	/* Without CAP_DAC_READ_SEARCH, linkat(AT_EMPTY_PATH) is refused
	 * (since Linux 6.10, unless the caller's credentials are the very
	 * ones the file was opened with: setuid() makes new ones). */
	if (setuid(TU_NOBODY) < 0 || tempfile_persist(tf, dest, TEMPFILE_NOCLOBBER) < 0)
		return 3;
	return tempfile_close(tf) == 0 ? 0 : 4;
}

START_TEST(test_link_unprivileged)
{
	char *dir = tu_subdir("nobody", 1), *dest;

	ck_assert_int_ge(asprintf(&dest, "%s/linked", dir), 0);
	setenv("TMPDIR", dir, 1);
	ck_assert_int_eq(tu_run(unprivileged_link_child, dest, 1), 0);
	tu_assert_file(dest, "mine");
	ck_assert_int_eq(tu_count_entries(dir), 1);
	free(dest);
	free(dir);
}
END_TEST

/* ---- A thread with a descriptor table of its own ----
 * /proc/self/fd is the main thread's table: there the numbers of the
 * thread's descriptors hold other files (decoys), so a link or an ACL read
 * through /proc/self/fd/N would reach the wrong file. */
struct own_table {
	char *dir, *dest, *decoy_file, *decoy_dir;
	pthread_barrier_t made, decoyed;
	int fd, failed;
};

static void *persist_in_own_table(void *arg)
{
	struct own_table *o = arg;
	tempfile *tf = NULL;

	o->fd = -1;
	atomic_store(&tfp_tmpfile_works, 1);
	if (unshare(CLONE_FILES) == 0 && (tf = tempfile_unnamed(NULL, NULL, o->dir, 0)) &&
	    tempfile_write(tf, "mine", 4) == 4 && setuid(TU_NOBODY) == 0)
		o->fd = tempfile_fileno(tf);
	pthread_barrier_wait(&o->made);
	pthread_barrier_wait(&o->decoyed);
	/* As TU_NOBODY, with credentials that setuid() made anew (see
	 * unprivileged_link_child), linkat(AT_EMPTY_PATH) is refused: the
	 * link is made through /proc. */
	if (o->fd < 0 ||
	    tempfile_persist(tf, o->dest, TEMPFILE_NOCLOBBER | TEMPFILE_PRESERVE) < 0)
		o->failed = 1;
	if (tf && tempfile_close(tf) < 0)
		o->failed = 1;
	return NULL;
}

static int own_table_child(void *arg)
{
	struct own_table *o = arg;
	int file = open(o->decoy_file, O_RDONLY | O_CLOEXEC);
	int dir = open(o->decoy_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	pthread_t t;
	int i;

	REQ(file >= 0 && dir >= 0);
	REQ(pthread_barrier_init(&o->made, NULL, 2) == 0);
	REQ(pthread_barrier_init(&o->decoyed, NULL, 2) == 0);
	REQ(pthread_create(&t, NULL, persist_in_own_table, o) == 0);
	pthread_barrier_wait(&o->made);
	/* The file's number holds the decoy file here, the numbers the
	 * thread opens its target directory at hold the decoy directory. */
	for (i = 0; o->fd >= 0 && i < 16; i++)
		if (fcntl(o->fd + i, F_GETFD) < 0)
			REQ(dup2(i ? dir : file, o->fd + i) == o->fd + i);
	pthread_barrier_wait(&o->decoyed);
	REQ(pthread_join(t, NULL) == 0);
	REQ(o->fd >= 0);
	return o->failed;
}

#ifdef HAVE_ACL
static void set_default_acl(const char *dir, const char *text)
{
	acl_t acl = acl_from_text(text);

	ck_assert_ptr_nonnull(acl);
	ck_assert_msg(acl_set_file(dir, ACL_TYPE_DEFAULT, acl) == 0, "acl_set_file: %s",
	              strerror(errno));
	acl_free(acl);
}
#endif

START_TEST(test_thread_own_table)
{
	char *dir = tu_subdir("own", 1), *decoy_dir = tu_subdir("decoy", 1);
	struct own_table o = { 0 };
	struct stat st;

	o.dir = dir;
	o.dest = tu_join(dir, "linked");
	o.decoy_file = tu_join(decoy_dir, "file");
	o.decoy_dir = decoy_dir;
	tu_write_file(o.decoy_file, "decoy");
	/* Its owner could link it (fs.protected_hardlinks). */
	ck_assert_int_eq(chown(o.decoy_file, TU_NOBODY, TU_NOBODY), 0);
#ifdef HAVE_ACL
	/* PRESERVE gives a new file its directory's default ACL. */
	set_default_acl(dir, "u::rw-,g::r--,o::---");
	set_default_acl(decoy_dir, "u::rw-,g::rw-,o::rw-");
#endif
	ck_assert_int_eq(tu_run(own_table_child, &o, 1), 0);
	tu_assert_file(o.dest, "mine");
	ck_assert_int_eq(stat(o.dest, &st), 0);
#ifdef HAVE_ACL
	ck_assert_uint_eq(st.st_mode & 07777, 0640);
#endif
	ck_assert_int_eq(tu_count_entries(dir), 1);
	free(o.dest);
	free(o.decoy_file);
	free(decoy_dir);
	free(dir);
}
END_TEST

/* The link-and-unlink way every noreplace backend falls back on. */
START_TEST(test_link_noreplace)
{
	char *a = target("a"), *b = target("b"), *c = target("c");

	tu_write_file(a, "A");
	tu_write_file(b, "B");
	errno = 0;
	ck_assert_int_eq(tfp_link_noreplace(AT_FDCWD, a, AT_FDCWD, b), -1);
	ck_assert_int_eq(errno, EEXIST);
	tu_assert_file(a, "A");
	tu_assert_file(b, "B");
	ck_assert_int_eq(tfp_link_noreplace(AT_FDCWD, a, AT_FDCWD, c), 0);
	ck_assert_int_eq(access(a, F_OK), -1);
	tu_assert_file(c, "A");
	ck_assert_int_eq(tfp_rename_noreplace(AT_FDCWD, c, AT_FDCWD, b), -1);
	ck_assert_int_eq(errno, EEXIST);
	ck_assert_int_eq(tfp_rename_noreplace(AT_FDCWD, c, AT_FDCWD, a), 0);
	tu_assert_file(a, "A");
	free(a);
	free(b);
	free(c);
}
END_TEST

/* The old name cannot go (its directory is read-only to the caller): the
 * new one goes again, and the file stays where it was. */
static int link_unlink_fails(void *arg)
{
	char **p = arg;

	errno = 0;
	REQ(tfp_link_noreplace(AT_FDCWD, p[0], AT_FDCWD, p[1]) == -1);
	REQ(errno == EACCES);
	REQ(access(p[0], F_OK) == 0);
	REQ(access(p[1], F_OK) == -1 && errno == ENOENT);
	return 0;
}

START_TEST(test_link_noreplace_unlink_fails)
{
	char *from = tu_subdir("from", 0), *to = tu_subdir("to", 1);
	char *p[2] = { tu_join(from, "a"), tu_join(to, "b") };

	tu_write_file(p[0], "A");
	/* Readable and writable: protected_hardlinks lets anyone link it. */
	ck_assert_int_eq(chmod(p[0], 0666), 0);
	ck_assert_int_eq(chmod(from, 0555), 0);
	ck_assert_int_eq(tu_run(link_unlink_fails, p, 1), 0);
	tu_assert_file(p[0], "A");
	ck_assert_int_eq(tu_count_entries(to), 0);
	free(p[0]);
	free(p[1]);
	free(from);
	free(to);
}
END_TEST

#if defined(HAVE_RENAMEAT2) && defined(SYS_renameat2)
/* renameat2(2) missing (ENOSYS: before Linux 3.15) or its flag refused by
 * the file system (EINVAL): persisting without replacing still refuses a
 * taken name and still takes a free one. */
static int no_renameat2(void *arg)
{
	int err = *(int *)arg;
	char *taken = tu_join(tu_base, "taken"), *free_name = tu_join(tu_base, "free");
	tempfile *tf;

	REQ(tu_deny_syscall(SYS_renameat2, err) == 0);
	REQ((tf = tempfile_named(NULL, NULL, NULL, 0)));
	REQ(tempfile_write(tf, "new", 3) == 3);
	errno = 0;
	REQ(tempfile_persist(tf, taken, TEMPFILE_NOCLOBBER) == -1 && errno == EEXIST);
	REQ(tempfile_persist(tf, free_name, TEMPFILE_NOCLOBBER) == 0);
	REQ(tempfile_close(tf) == 0);
	REQ(tu_count_entries(tu_base) == 2);
	free(taken);
	free(free_name);
	return 0;
}

START_TEST(test_no_renameat2)
{
	int err = _i ? EINVAL : ENOSYS;
	char *taken = target("taken"), *free_name = target("free");

	tu_write_file(taken, "precious");
	ck_assert_int_eq(tu_run(no_renameat2, &err, 0), 0);
	tu_assert_file(taken, "precious");
	tu_assert_file(free_name, "new");
	free(taken);
	free(free_name);
}
END_TEST
#endif

static void assert_other_fs(void)
{
	struct stat a, b;

	ck_assert_msg(tu_other_fs != NULL, "no private directory on /dev/shm");
	ck_assert_int_eq(stat(tu_other_fs, &a), 0);
	ck_assert_int_eq(stat(tu_base, &b), 0);
	ck_assert_msg(a.st_dev != b.st_dev, "/dev/shm and %s share a file system", tu_base);
}

/* Every kind, made on another file system than the target (a spool both
 * in memory and rolled over): copied beside the target, never EXDEV. */
START_TEST(test_across_file_systems)
{
	char *dest = target("across");
	tempfile *tf;

	assert_other_fs();
	atomic_store(&tfp_tmpfile_works, _i != UNNAMED_COPY);
	switch (_i) {
	case NAMED: tf = tempfile_named(NULL, NULL, tu_other_fs, TEMPFILE_CLEANUP_AT_EXIT); break;
	case SPOOLED: tf = tempfile_spooled(4, NULL, NULL, tu_other_fs, 0); break;
	case KINDS: tf = tempfile_spooled(0, NULL, NULL, tu_other_fs, 0); break;
	default: tf = tempfile_unnamed(NULL, NULL, tu_other_fs, 0); break;
	}
	ck_assert_ptr_nonnull(tf);
	ck_assert_int_eq(tempfile_write(tf, "far", 3), 3);
	ck_assert_int_eq(tempfile_persist(tf, dest, (_i & 1 ? TEMPFILE_NOCLOBBER : 0) |
	                                               TEMPFILE_DURABLE), 0);
	ck_assert_str_eq(tempfile_name(tf), dest);
	ck_assert_int_eq(tu_count_entries(tu_other_fs), 0);
	ck_assert_int_eq(tempfile_write(tf, "!", 1), 1);
	ck_assert_int_eq(tempfile_close(tf), 0);
	tu_assert_file(dest, "far!");
	ck_assert_int_eq(tu_count_entries(tu_base), 1);
	free(dest);
}
END_TEST

/* Someone put another file at tf's temporary name: tf's own contents are
 * placed, and the stranger's file is left alone. */
START_TEST(test_temp_name_replaced)
{
	tempfile *tf = tempfile_named(NULL, NULL, NULL, TEMPFILE_CLEANUP_AT_EXIT);
	char *dest = target("dest"), *other = target("other"), *old;

	ck_assert_ptr_nonnull(tf);
	old = strdup(tempfile_name(tf));
	ck_assert_int_eq(tempfile_write(tf, "mine", 4), 4);
	tu_write_file(other, "stranger");
	ck_assert_int_eq(rename(other, old), 0);
	ck_assert_int_eq(tempfile_persist(tf, dest, _i ? TEMPFILE_NOCLOBBER : 0), 0);
	tu_assert_file(dest, "mine");
	tu_assert_file(old, "stranger");
	ck_assert_int_eq(tempfile_write(tf, "+", 1), 1);
	ck_assert_int_eq(tempfile_close(tf), 0);
	tu_assert_file(dest, "mine+");
	tu_assert_file(old, "stranger");
	ck_assert_int_eq(tu_count_entries(tu_base), 2);
	free(dest);
	free(other);
	free(old);
}
END_TEST

START_TEST(test_temp_name_removed)
{
	tempfile *tf = tempfile_named(NULL, NULL, NULL, 0);
	char *dest = target("dest");

	ck_assert_ptr_nonnull(tf);
	ck_assert_int_eq(tempfile_write(tf, "still here", 10), 10);
	ck_assert_int_eq(unlink(tempfile_name(tf)), 0);
	ck_assert_int_eq(tempfile_persist(tf, dest, TEMPFILE_DURABLE), 0);
	ck_assert_int_eq(tempfile_close(tf), 0);
	tu_assert_file(dest, "still here");
	ck_assert_int_eq(tu_count_entries(tu_base), 1);
	free(dest);
}
END_TEST

/* After closefd tf holds only the name: if that leads elsewhere, ESTALE. */
START_TEST(test_closed_temp_name_replaced)
{
	tempfile *tf = tempfile_named(NULL, NULL, NULL, 0);
	char *dest = target("dest"), *other = target("other"), *old;

	ck_assert_ptr_nonnull(tf);
	old = strdup(tempfile_name(tf));
	ck_assert_int_eq(tempfile_closefd(tf), 0);
	tu_write_file(other, "stranger");
	ck_assert_int_eq(rename(other, old), 0);
	errno = 0;
	ck_assert_int_eq(tempfile_persist(tf, dest, 0), -1);
	ck_assert_int_eq(errno, ESTALE);
	ck_assert_int_eq(access(dest, F_OK), -1);
	tu_assert_file(old, "stranger");
	ck_assert_int_eq(unlink(old), 0);
	ck_assert_int_eq(tempfile_close(tf), 0);
	free(dest);
	free(other);
	free(old);
}
END_TEST

/* Relative to a directory descriptor, and to AT_FDCWD. */
START_TEST(test_persistat)
{
	char *sub = tu_subdir("sub", 0), *want;
	tempfile *tf = make(_i);
	int dfd = open(sub, O_RDONLY | TFP_O_DIRECTORY);

	ck_assert_int_ge(dfd, 0);
	ck_assert_int_eq(tempfile_write(tf, "at", 2), 2);
	ck_assert_int_eq(tempfile_persistat(tf, dfd, "x", TEMPFILE_DURABLE), 0);
	want = target("sub/x");
	ck_assert_str_eq(tempfile_name(tf), want);
	tu_assert_file(want, "at");
	free(want);
	ck_assert_int_eq(chdir(tu_base), 0);
	ck_assert_int_eq(tempfile_persistat(tf, AT_FDCWD, "y", 0), 0);
	ck_assert_int_eq(chdir("/"), 0);
	want = target("y");
	ck_assert_str_eq(tempfile_name(tf), want);
	ck_assert_int_eq(tempfile_close(tf), 0);
	tu_assert_file(want, "at");
	ck_assert_int_eq(tu_count_entries(sub), 0);
	ck_assert_int_eq(tu_count_entries(tu_base), 2);
	errno = 0;
	tf = make(_i);
	ck_assert_int_eq(tempfile_persistat(tf, -1, "z", 0), -1);
	ck_assert_int_eq(errno, EBADF);
	ck_assert_int_eq(tempfile_close(tf), 0);
	close(dfd);
	free(want);
	free(sub);
}
END_TEST

/* "l/../x" is where the kernel says, l being a link to a/b: a/x, not x. */
START_TEST(test_kernel_resolves_dotdot)
{
	char *ab = tu_subdir("a", 0), *want = target("a/x"), *given = target("l/../x");
	tempfile *tf = make(_i);

	free(ab);
	ab = tu_subdir("a/b", 0);
	ck_assert_int_eq(chdir(tu_base), 0);
	ck_assert_int_eq(symlink("a/b", "l"), 0);
	ck_assert_int_eq(tempfile_write(tf, "k", 1), 1);
	ck_assert_int_eq(tempfile_persist(tf, "l/../x", 0), 0);
	ck_assert_int_eq(chdir("/"), 0);
	ck_assert_str_eq(tempfile_name(tf), given);
	tu_assert_file(want, "k");
	ck_assert_int_eq(tu_count_entries(tu_base), 2); /* a and l */
	ck_assert_int_eq(tempfile_close(tf), 0);
	free(ab);
	free(want);
	free(given);
}
END_TEST

/* PRESERVE takes the replaced file's mode, for every kind. */
START_TEST(test_preserve_mode)
{
	char *dest = target("conf");
	tempfile *tf = make(_i);
	struct stat st;

	tu_write_file(dest, "old");
	ck_assert_int_eq(chmod(dest, 0604), 0);
	ck_assert_int_eq(tempfile_write(tf, "new", 3), 3);
	ck_assert_int_eq(tempfile_persist(tf, dest, TEMPFILE_PRESERVE | TEMPFILE_DURABLE), 0);
	ck_assert_int_eq(tempfile_close(tf), 0);
	tu_assert_file(dest, "new");
	ck_assert_int_eq(stat(dest, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0604);
	ck_assert_int_eq(tu_count_entries(tu_base), 1);
	free(dest);
}
END_TEST

/* A named file moved out of another directory, durably. */
START_TEST(test_from_other_directory)
{
	char *sub = tu_subdir("from", 0), *dest = target("dest");
	tempfile *tf = tempfile_named(NULL, NULL, sub, TEMPFILE_CLEANUP_AT_EXIT);

	ck_assert_ptr_nonnull(tf);
	ck_assert_int_eq(tempfile_write(tf, "moved", 5), 5);
	ck_assert_int_eq(tempfile_persist(tf, dest, TEMPFILE_DURABLE | TEMPFILE_NOCLOBBER), 0);
	ck_assert_int_eq(tu_count_entries(sub), 0);
	ck_assert_int_eq(tempfile_close(tf), 0);
	tu_assert_file(dest, "moved");
	free(sub);
	free(dest);
}
END_TEST

/* Persisting onto another name of the very file leaves one name: rename(2)
 * between two links of one inode does nothing and keeps both.  Also with
 * TEMPFILE_DURABLE (_i & 2), which flushes the file before it drops it, and
 * from another directory (_i & 4). */
START_TEST(test_onto_own_hard_link)
{
	char *sub = _i & 4 ? tu_subdir("from", 0) : NULL;
	tempfile *tf = tempfile_named(NULL, NULL, sub, 0);
	char *dest = target("alias"), *old;
	struct stat st;

	ck_assert_ptr_nonnull(tf);
	old = strdup(tempfile_name(tf));
	ck_assert_int_eq(tempfile_write(tf, "one", 3), 3);
	ck_assert_int_eq(link(old, dest), 0);
	ck_assert_int_eq(tempfile_persist(tf, dest, (_i & 1 ? TEMPFILE_NOCLOBBER : 0) |
	                                          (_i & 2 ? TEMPFILE_DURABLE : 0)), 0);
	ck_assert_int_eq(access(old, F_OK), -1);
	ck_assert_int_eq(stat(dest, &st), 0);
	ck_assert_uint_eq(st.st_nlink, 1);
	ck_assert_str_eq(tempfile_name(tf), dest);
	ck_assert_int_eq(tempfile_close(tf), 0);
	tu_assert_file(dest, "one");
	if (sub)
		ck_assert_int_eq(tu_count_entries(sub), 0);
	ck_assert_int_eq(tu_count_entries(tu_base), sub ? 2 : 1);
	free(sub);
	free(dest);
	free(old);
}
END_TEST

/* The temporary name removed by the program, the target another name of
 * the file: persist has nothing to move or drop, and succeeds. */
START_TEST(test_onto_own_hard_link_name_gone)
{
	tempfile *tf = tempfile_named(NULL, NULL, NULL, 0);
	char *dest = target("alias");
	struct stat st;

	ck_assert_ptr_nonnull(tf);
	ck_assert_int_eq(tempfile_write(tf, "two", 3), 3);
	ck_assert_int_eq(link(tempfile_name(tf), dest), 0);
	ck_assert_int_eq(unlink(tempfile_name(tf)), 0);
	ck_assert_int_eq(tempfile_persist(tf, dest, 0), 0);
	ck_assert_int_eq(stat(dest, &st), 0);
	ck_assert_uint_eq(st.st_nlink, 1);
	ck_assert_str_eq(tempfile_name(tf), dest);
	ck_assert_int_eq(tempfile_close(tf), 0);
	tu_assert_file(dest, "two");
	ck_assert_int_eq(tu_count_entries(tu_base), 1);
	free(dest);
}
END_TEST

/* A bind mount of the same file system: one device number, yet rename(2)
 * and linkat(2) across it say EXDEV.  Persist copies then (named or
 * unnamed, by _i passed in arg), and leaves no temporary name behind. */
static int bind_child(void *arg)
{
	int unnamed = *(int *)arg;
	char *from = tu_join(tu_base, "from"), *real = tu_join(tu_base, "real");
	char *bind = tu_join(tu_base, "bind"), *dest = tu_join(bind, "dest");
	char *seen = tu_join(real, "dest");
	struct stat a, b;
	char buf[16];
	tempfile *tf;
	int fd;

	REQ(unshare(CLONE_NEWNS) == 0);
	REQ(mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) == 0);
	REQ(mkdir(from, 0700) == 0 && mkdir(real, 0700) == 0 && mkdir(bind, 0700) == 0);
	REQ(mount(real, bind, "none", MS_BIND, NULL) == 0);
	REQ(stat(from, &a) == 0 && stat(bind, &b) == 0 && a.st_dev == b.st_dev);
	tf = unnamed ? tempfile_unnamed(NULL, NULL, from, 0) : tempfile_named(NULL, NULL, from, 0);
	REQ(tf && tempfile_write(tf, "bound", 5) == 5);
	REQ(tempfile_persist(tf, dest, 0) == 0);
	REQ(tempfile_close(tf) == 0);
	REQ(tu_count_entries(from) == 0 && tu_count_entries(real) == 1);
	REQ((fd = open(seen, O_RDONLY | O_CLOEXEC)) >= 0 && read(fd, buf, sizeof buf) == 5);
	REQ(close(fd) == 0 && memcmp(buf, "bound", 5) == 0);
	REQ(umount(bind) == 0 && unlink(seen) == 0);
	REQ(rmdir(from) == 0 && rmdir(real) == 0 && rmdir(bind) == 0);
	free(from);
	free(real);
	free(bind);
	free(dest);
	free(seen);
	return 0;
}

START_TEST(test_across_bind_mount)
{
	int unnamed = _i;

	ck_assert_int_eq(tu_run(bind_child, &unnamed, 0), 0);
	ck_assert_int_eq(tu_count_entries(tu_base), 0);
}
END_TEST

/* A disk that fills up while the copy beside the target is written (here
 * the file size limit): persist fails, the target and the object are as
 * they were, and nothing is left beside it. */
static int full_disk_steps(int kind, const char *dest)
{
	char big[8192];
	struct rlimit rl;
	tempfile *tf;

	memset(big, 'b', sizeof big);
	atomic_store(&tfp_tmpfile_works, kind != UNNAMED_COPY);
	tf = kind == NAMED ? tempfile_named(NULL, NULL, tu_other_fs, 0) : make(kind);
	if (!tf || tempfile_write(tf, big, sizeof big) != (ssize_t)sizeof big)
		return 1;
	tu_write_file(dest, "old");
	signal(SIGXFSZ, SIG_IGN);
	if (getrlimit(RLIMIT_FSIZE, &rl) < 0)
		return 2;
	rl.rlim_cur = 4096; /* the soft limit only: tu_exit() lifts it */
	if (setrlimit(RLIMIT_FSIZE, &rl) < 0)
		return 2;
	errno = 0;
	/* An O_TMPFILE file is linked, not copied: it gets through. */
	if (kind == UNNAMED && TFP_O_TMPFILE != 0)
		return tempfile_persist(tf, dest, 0) == 0 && tempfile_close(tf) == 0 ? 0 : 3;
	if (tempfile_persist(tf, dest, 0) != -1 || errno != EFBIG)
		return 4;
	if (tu_count_entries(tu_base) != 1 || tempfile_rolled(tf) != (kind != SPOOLED))
		return 5;
	if (tempfile_seek(tf, 0, SEEK_SET) != 0 || tempfile_read(tf, big, sizeof big) != (ssize_t)sizeof big)
		return 6;
	return tempfile_close(tf) == 0 ? 0 : 7;
}

static int full_disk_child(void *arg)
{
	char *dest = target("dest");
	int r = full_disk_steps(*(int *)arg, dest);

	free(dest);
	return r;
}

START_TEST(test_full_disk)
{
	char *dest = target("dest");

	assert_other_fs();
	ck_assert_int_eq(tu_run(full_disk_child, &_i, 0), 0);
	if (_i != UNNAMED || !TFP_O_TMPFILE)
		tu_assert_file(dest, "old");
	ck_assert_int_eq(tu_count_entries(tu_base), 1);
	ck_assert_int_eq(tu_count_entries(tu_other_fs), 0);
	free(dest);
}
END_TEST

/* Whether dir holds an entry starting with ".tmp": a side file. */
static int has_side_file(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int found = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)))
		found |= strncmp(e->d_name, ".tmp", 4) == 0;
	closedir(d);
	return found;
}

/* Copies 64 MiB across file systems, telling the parent when it starts. */
static void slow_persist_child(int ready)
{
	tempfile *tf;
	char *dest = target("dest");

	signal(SIGTERM, SIG_DFL);
	tf = tempfile_named(NULL, NULL, tu_other_fs, TEMPFILE_CLEANUP_AT_EXIT);
	if (!tf || tempfile_truncate(tf, 64 << 20) < 0 || write(ready, "x", 1) != 1)
		_exit(1);
	_exit(tempfile_persist(tf, dest, 0) < 0 ? 2 : 3);
}

/* A fatal signal while the copy beside the target exists: the side file
 * goes with the process.  The parent kills as soon as it sees the copy. */
START_TEST(test_signal_during_copy)
{
	int ready[2], status, seen = 0, i;
	char c;
	pid_t pid;

	assert_other_fs();
	ck_assert_int_eq(pipe(ready), 0);
	fflush(NULL);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		slow_persist_child(ready[1]);
	close(ready[1]);
	ck_assert_int_eq(read(ready[0], &c, 1), 1);
	close(ready[0]);
	for (i = 0; i < 200000 && !seen; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			ck_abort_msg("the copy was never seen (child status %d)", status);
		seen = has_side_file(tu_base);
	}
	kill(pid, seen ? SIGTERM : SIGKILL);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(seen, "the copy was never seen");
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
	ck_assert_int_eq(has_side_file(tu_base), 0);
	ck_assert_int_eq(tu_count_entries(tu_other_fs), 0);
}
END_TEST

/* A refused NOCLOBBER|PRESERVE persist leaves tf's file as it was: the
 * owner and mode it took from the target for the rename go back. */
START_TEST(test_noclobber_preserve_undone)
{
	char *path = target("theirs");
	tempfile *tf = tempfile_named(NULL, NULL, NULL, 0);
	struct stat st;

	ck_assert_ptr_nonnull(tf);
	tu_write_file(path, "theirs");
	ck_assert_int_eq(chown(path, TU_NOBODY, TU_NOBODY), 0);
	ck_assert_int_eq(chmod(path, 0644), 0);
	errno = 0;
	ck_assert_int_eq(tempfile_persist(tf, path, TEMPFILE_NOCLOBBER | TEMPFILE_PRESERVE), -1);
	ck_assert_int_eq(errno, EEXIST);
	ck_assert_int_eq(fstat(tempfile_fileno(tf), &st), 0);
	ck_assert_uint_eq(st.st_uid, getuid());
	ck_assert_uint_eq(st.st_gid, getgid());
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	tu_assert_file(path, "theirs");
	ck_assert_int_eq(tempfile_close(tf), 0);
	ck_assert_int_eq(tu_count_entries(tu_base), 1);
	free(path);
}
END_TEST

/* After closefd, to another file system: the copy is made from the file
 * the name still leads to, and the name is what tf keeps; close keeps the
 * copy and removes the temporary name. */
START_TEST(test_closed_across_file_systems)
{
	tempfile *tf = tempfile_named(NULL, NULL, NULL, 0);
	char *path, *old;

	if (!tu_other_fs)
		ck_abort_msg("no /dev/shm to persist across");
	path = tu_join(tu_other_fs, "copied");
	ck_assert_ptr_nonnull(tf);
	old = strdup(tempfile_name(tf));
	ck_assert_int_eq(tempfile_write(tf, "closed", 6), 6);
	ck_assert_int_eq(tempfile_closefd(tf), 0);
	ck_assert_int_eq(tempfile_persist(tf, path, 0), 0);
	ck_assert_str_eq(tempfile_name(tf), path);
	tu_assert_file(path, "closed");
	ck_assert_int_eq(access(old, F_OK), -1);
	ck_assert_int_eq(tempfile_close(tf), 0);
	tu_assert_file(path, "closed");
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(tu_count_entries(tu_base), 0);
	free(old);
	free(path);
}
END_TEST

/* tempfile_cleanup_all() removed the temporary name, and then:
 *  0: someone made a file there: persist still places tf's data (by copy)
 *     and leaves the newcomer alone, as close does;
 *  1: tf's file was linked back there: the name leads to it, but it is the
 *     cleanup's, gone: no rename, ENOENT, and the link stays where it is. */
START_TEST(test_after_cleanup_all)
{
	tempfile *tf = tempfile_named(NULL, NULL, NULL, TEMPFILE_CLEANUP_AT_EXIT);
	char *path = target("saved"), *spare = target("spare"), *old;

	ck_assert_ptr_nonnull(tf);
	old = strdup(tempfile_name(tf));
	ck_assert_int_eq(tempfile_write(tf, "data", 4), 4);
	ck_assert_int_eq(link(old, spare), 0);
	tempfile_cleanup_all();
	ck_assert_int_eq(access(old, F_OK), -1);
	if (_i == 0) {
		tu_write_file(old, "newcomer");
		ck_assert_int_eq(tempfile_persist(tf, path, 0), 0);
		tu_assert_file(path, "data");
		ck_assert_int_eq(unlink(path), 0);
		ck_assert_int_eq(unlink(spare), 0);
	} else {
		ck_assert_int_eq(rename(spare, old), 0);
		errno = 0;
		ck_assert_int_eq(tempfile_persist(tf, path, 0), -1);
		ck_assert_int_eq(errno, ENOENT);
		ck_assert_int_eq(access(path, F_OK), -1);
	}
	ck_assert_int_eq(tempfile_close(tf), 0);
	tu_assert_file(old, _i == 0 ? "newcomer" : "data");
	ck_assert_int_eq(unlink(old), 0);
	ck_assert_int_eq(tu_count_entries(tu_base), 0);
	free(old);
	free(spare);
	free(path);
}
END_TEST

/* Targets that name no file: "" (ENOENT), a directory with a trailing
 * '/' (EISDIR), through a link whose text ends in '/' (EISDIR) or leads
 * into a missing directory (ENOENT).  tf stays as it was. */
START_TEST(test_targets_that_are_no_file)
{
	tempfile *tf = make(_i);
	char *dir = tu_subdir("d", 0), *slash, *l1 = target("l1"), *l2 = target("l2");
	const char *bad[] = { "", NULL, l1, l2 };
	const int want[] = { ENOENT, EISDIR, EISDIR, ENOENT };
	size_t i;

	ck_assert_ptr_nonnull(tf);
	ck_assert_int_ge(asprintf(&slash, "%s/", dir), 0);
	bad[1] = slash;
	ck_assert_int_eq(symlink("d/", l1), 0);
	ck_assert_int_eq(symlink("missing/x", l2), 0);
	ck_assert_int_eq(tempfile_write(tf, "kept", 4), 4);
	for (i = 0; i < sizeof bad / sizeof *bad; i++) {
		errno = 0;
		ck_assert_int_eq(tempfile_persist(tf, bad[i], TEMPFILE_FOLLOW), -1);
		ck_assert_msg(errno == want[i], "%s: %s", bad[i], strerror(errno));
	}
	ck_assert_int_eq(tu_count_entries(dir), 0);
	ck_assert_int_eq(tempfile_close(tf), 0);
	ck_assert_int_eq(tu_count_entries(tu_base), 3);
	free(slash);
	free(dir);
	free(l1);
	free(l2);
}
END_TEST

/* A link text longer than the first buffer readlink() gets is followed. */
START_TEST(test_follow_long_link_text)
{
	tempfile *tf = make(_i);
	char *dir = tu_subdir("d", 0), *link = target("long"), *text, *real;
	struct stat a, b;
	size_t n = 0;

	ck_assert_ptr_nonnull(tf);
	text = malloc(1024);
	ck_assert_ptr_nonnull(text);
	for (n = 0; n < 300; n += 2)
		memcpy(text + n, "./", 2);
	strcpy(text + n, "d/real");
	ck_assert_int_eq(symlink(text, link), 0);
	ck_assert_int_eq(tempfile_write(tf, "far", 3), 3);
	ck_assert_int_eq(tempfile_persist(tf, link, TEMPFILE_FOLLOW), 0);
	real = tu_join(dir, "real");
	tu_assert_file(real, "far");
	/* The kernel's path, not one shortened by hand: the same file. */
	ck_assert_int_eq(stat(tempfile_name(tf), &a), 0);
	ck_assert_int_eq(stat(real, &b), 0);
	ck_assert(a.st_dev == b.st_dev && a.st_ino == b.st_ino);
	ck_assert_int_eq(tempfile_close(tf), 0);
	free(real);
	free(text);
	free(link);
	free(dir);
}
END_TEST

/* After closefd with the name gone, there is nothing to place: ENOENT. */
START_TEST(test_closed_name_removed)
{
	tempfile *tf = make(NAMED);
	char *dest = target("later");

	ck_assert_ptr_nonnull(tf);
	ck_assert_int_eq(tempfile_closefd(tf), 0);
	ck_assert_int_eq(unlink(tempfile_name(tf)), 0);
	errno = 0;
	ck_assert_int_eq(tempfile_persist(tf, dest, 0), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(tempfile_close(tf), 0);
	ck_assert_int_eq(tu_count_entries(tu_base), 0);
	free(dest);
}
END_TEST

/* An absolute link text is followed from the root, whatever directory
 * holds the link. */
START_TEST(test_follow_absolute_link)
{
	tempfile *tf = make(_i);
	char *dir = tu_subdir("d", 0), *real = tu_join(dir, "real"), *link = target("abs");

	ck_assert_ptr_nonnull(tf);
	ck_assert_int_eq(symlink(real, link), 0);
	ck_assert_int_eq(tempfile_write(tf, "abs", 3), 3);
	ck_assert_int_eq(tempfile_persist(tf, link, TEMPFILE_FOLLOW), 0);
	ck_assert_str_eq(tempfile_name(tf), real);
	tu_assert_file(link, "abs");
	ck_assert_int_eq(tempfile_close(tf), 0);
	free(link);
	free(real);
	free(dir);
}
END_TEST

/* As nobody, a target directory that can be listed but not searched
 * (root's, 0744): the target cannot be looked at, with or without FOLLOW:
 * EACCES, nothing placed, tf as it was. */
static int unsearchable_target_child(void *arg)
{
	char *path = tu_join(arg, "x");
	tempfile *tf = tempfile_named(NULL, NULL, tu_base, 0);
	unsigned flags[] = { 0, TEMPFILE_FOLLOW };
	size_t i;

	REQ(tf && tempfile_write(tf, "mine", 4) == 4);
	for (i = 0; i < 2; i++) {
		errno = 0;
		REQ(tempfile_persist(tf, path, flags[i]) == -1 && errno == EACCES);
	}
	REQ(access(tempfile_name(tf), F_OK) == 0);
	REQ(tempfile_close(tf) == 0);
	free(path);
	return 0;
}

START_TEST(test_unsearchable_target_as_nobody)
{
	char *dir = tu_subdir("d", 0);

	ck_assert_int_eq(chmod(dir, 0744), 0);
	ck_assert_int_eq(chmod(tu_base, 0777), 0);
	ck_assert_int_eq(tu_run(unsearchable_target_child, dir, 1), 0);
	ck_assert_int_eq(tu_count_entries(dir), 0);
	ck_assert_int_eq(tu_count_entries(tu_base), 1);
	free(dir);
}
END_TEST

/* A named file whose name persist cannot look up (its directory lost
 * search permission) is not taken for one whose name someone replaced:
 * the copy put in place would leave the temporary name behind, no longer
 * the object's nor registered.  persist fails instead, nothing changed. */
static int unsearchable_child(void *arg)
{
	char *top = arg, *from = tu_join(top, "from"), *dest = tu_join(top, "dest");
	tempfile *tf;
	char *name;
	int r, e;

	REQ(mkdir(from, 0700) == 0);
	REQ((tf = tempfile_named(NULL, NULL, from, 0)) != NULL);
	REQ((name = strdup(tempfile_name(tf))) != NULL);
	REQ(tempfile_write(tf, "mine", 4) == 4);
	REQ(chmod(from, 0600) == 0);
	r = tempfile_persist(tf, dest, 0);
	e = errno;
	REQ(chmod(from, 0700) == 0);
	REQ(access(name, F_OK) == 0);
	errno = e;
	REQ(r == -1 && e == EACCES);
	REQ(access(dest, F_OK) == -1 && errno == ENOENT);
	REQ(tempfile_close(tf) == 0);
	REQ(access(name, F_OK) == -1 && errno == ENOENT);
	free(name);
	free(from);
	free(dest);
	return 0;
}

START_TEST(test_temp_name_unsearchable)
{
	char *dir = tu_subdir("nobody", 1);

	ck_assert_int_eq(tu_run(unsearchable_child, dir, 1), 0);
	ck_assert_int_eq(tu_count_entries(dir), 1); /* from/, empty */
	free(dir);
}
END_TEST

/* What the stream holds goes into the file first; when that flush fails
 * (the file-size limit), nothing is placed: the flush's EFBIG. */
static int stream_flush_fails_child(void *arg)
{
	const char *dest = arg;
	tempfile *tf = tempfile_named(NULL, NULL, NULL, 0);
	struct rlimit rl;
	char big[64];

	memset(big, 's', sizeof big);
	REQ(tf && fwrite(big, 1, sizeof big, tempfile_stream(tf)) == sizeof big);
	REQ(getrlimit(RLIMIT_FSIZE, &rl) == 0);
	rl.rlim_cur = 16; /* the soft limit only: tu_exit() lifts it */
	REQ(signal(SIGXFSZ, SIG_IGN) != SIG_ERR && setrlimit(RLIMIT_FSIZE, &rl) == 0);
	errno = 0;
	REQ(tempfile_persist(tf, dest, 0) == -1 && errno == EFBIG);
	REQ(access(dest, F_OK) == -1);
	tempfile_close(tf);
	return 0;
}

START_TEST(test_stream_flush_fails)
{
	char *dest = target("dest");

	ck_assert_int_eq(tu_run(stream_flush_fails_child, dest, 0), 0);
	ck_assert_int_eq(tu_count_entries(tu_base), 0);
	free(dest);
}
END_TEST

#ifdef TF_FAULT_WRAP
#include "tests/fault/fault.h"

/* A named file persisted onto another file system (a copy). */
static tempfile *named_for_copy(const char *data)
{
	tempfile *tf = tempfile_named(NULL, NULL, NULL, 0);

	ck_assert_ptr_nonnull(tf);
	ck_assert_int_eq(tempfile_write(tf, data, strlen(data)), (ssize_t)strlen(data));
	return tf;
}

/* What a persist with one call failing did. */
struct outcome {
	int r, err, reached, left, placed, placed_after_close;
};

/* Persists a named file holding "mine" to tu_other_fs/d (a copy) with the
 * n-th call to name failing with err (n LONG_MAX: none); *calls gets how
 * many there were.  Removes what it made: a failed test leaves nothing
 * for the next ones. */
static struct outcome persist_failing(const char *name, long n, int err, long *calls)
{
	char *d = tu_join(tu_other_fs, "d");
	tempfile *tf = named_for_copy("mine");
	struct outcome o;

	fault_arm_call(name, n, err);
	o.r = tempfile_persist(tf, d, 0);
	o.err = errno;
	o.reached = fault_disarm();
	if (calls)
		*calls = fault_count();
	o.left = tu_count_entries(tu_base);
	o.placed = access(d, F_OK) == 0;
	tempfile_close(tf);
	o.placed_after_close = access(d, F_OK) == 0;
	unlink(d);
	free(d);
	return o;
}

/* The copy is in place but the temporary name cannot be checked (the last
 * lookup persist makes fails): persist says so, rather than succeed with
 * the name left behind, no longer the object's. */
START_TEST(test_old_name_unchecked)
{
	struct outcome o;
	long n;

	o = persist_failing("fstatat64", LONG_MAX, EIO, &n);
	ck_assert_int_eq(o.r, 0);
	ck_assert_int_gt(n, 0);
	o = persist_failing("fstatat64", n, EIO, NULL);
	ck_assert_int_eq(o.reached, 1);
	ck_assert_int_eq(o.r, -1);
	ck_assert_int_eq(o.err, EIO);
	ck_assert_int_eq(o.placed, 1);
	ck_assert_int_eq(o.placed_after_close, 1);
}
END_TEST

/* The copy is in place but the object cannot take it over (dup3, or
 * where there is none dup2, fails): the temporary name goes all the same. */
START_TEST(test_take_over_fails)
{
#ifdef HAVE_DUP3
	struct outcome o = persist_failing("dup3", 1, EBUSY, NULL);
#else
	struct outcome o = persist_failing("dup2", 1, EBUSY, NULL);
#endif

	ck_assert_int_eq(o.reached, 1);
	ck_assert_int_eq(o.r, -1);
	ck_assert_int_eq(o.err, EBUSY);
	ck_assert_int_eq(o.left, 0);
	ck_assert_int_eq(o.placed, 1);
	ck_assert_int_eq(o.placed_after_close, 1);
}
END_TEST
#endif

static Suite *persist_suite(void)
{
	Suite *s = suite_create("persist");
	TCase *tc = tu_tcase("persist", 60);

	tcase_add_loop_test(tc, test_persist_each_kind, 0, KINDS);
	tcase_add_loop_test(tc, test_replace_is_whole, 0, KINDS);
	tcase_add_loop_test(tc, test_noclobber_refuses, 0, KINDS);
	tcase_add_loop_test(tc, test_bad_arguments, 0, KINDS);
	tcase_add_loop_test(tc, test_after_closefd, 0, KINDS);
	tcase_add_loop_test(tc, test_persist_twice, 0, KINDS);
	tcase_add_test(tc, test_link_unprivileged);
	tcase_add_test(tc, test_thread_own_table);
	tcase_add_loop_test(tc, test_across_file_systems, 0, KINDS + 1);
	tcase_add_loop_test(tc, test_temp_name_replaced, 0, 2);
	tcase_add_test(tc, test_temp_name_removed);
	tcase_add_test(tc, test_temp_name_unsearchable);
#ifdef TF_FAULT_WRAP
	tcase_add_test(tc, test_old_name_unchecked);
	tcase_add_test(tc, test_take_over_fails);
#endif
	tcase_add_test(tc, test_closed_temp_name_replaced);
	tcase_add_loop_test(tc, test_persistat, 0, KINDS);
	tcase_add_loop_test(tc, test_kernel_resolves_dotdot, 0, KINDS);
	tcase_add_loop_test(tc, test_preserve_mode, 0, KINDS);
	tcase_add_test(tc, test_from_other_directory);
	tcase_add_loop_test(tc, test_full_disk, 0, KINDS);
	tcase_add_test(tc, test_signal_during_copy);
	tcase_add_test(tc, test_link_noreplace);
	tcase_add_test(tc, test_link_noreplace_unlink_fails);
#if defined(HAVE_RENAMEAT2) && defined(SYS_renameat2)
	tcase_add_loop_test(tc, test_no_renameat2, 0, 2);
#endif
	tcase_add_loop_test(tc, test_onto_own_hard_link, 0, 8);
	tcase_add_test(tc, test_onto_own_hard_link_name_gone);
	tcase_add_loop_test(tc, test_across_bind_mount, 0, 2);
	tcase_add_test(tc, test_noclobber_preserve_undone);
	tcase_add_test(tc, test_closed_across_file_systems);
	tcase_add_loop_test(tc, test_after_cleanup_all, 0, 2);
	tcase_add_loop_test(tc, test_targets_that_are_no_file, 0, KINDS);
	tcase_add_loop_test(tc, test_follow_long_link_text, 0, KINDS);
	tcase_add_test(tc, test_closed_name_removed);
	tcase_add_loop_test(tc, test_follow_absolute_link, 0, KINDS);
	tcase_add_test(tc, test_unsearchable_target_as_nobody);
	tcase_add_test(tc, test_stream_flush_fails);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_main(persist_suite());
}
