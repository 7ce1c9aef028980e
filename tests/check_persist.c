/* tempfile_persist: src/persist.c and the noreplace backends. */
#include "src/internal.h"
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
	/* Without CAP_DAC_READ_SEARCH, linkat(AT_EMPTY_PATH) is refused. */
	if (tempfile_persist(tf, dest, TEMPFILE_NOCLOBBER) < 0)
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

/* The link-and-unlink way every noreplace backend falls back on. */
START_TEST(test_link_noreplace)
{
	char *a = target("a"), *b = target("b"), *c = target("c");

	tu_write_file(a, "A");
	tu_write_file(b, "B");
	errno = 0;
	ck_assert_int_eq(tfp_link_noreplace(a, b), -1);
	ck_assert_int_eq(errno, EEXIST);
	tu_assert_file(a, "A");
	tu_assert_file(b, "B");
	ck_assert_int_eq(tfp_link_noreplace(a, c), 0);
	ck_assert_int_eq(access(a, F_OK), -1);
	tu_assert_file(c, "A");
	ck_assert_int_eq(tfp_rename_noreplace(c, b), -1);
	ck_assert_int_eq(errno, EEXIST);
	ck_assert_int_eq(tfp_rename_noreplace(c, a), 0);
	tu_assert_file(a, "A");
	free(a);
	free(b);
	free(c);
}
END_TEST

/* Files made on another file system than the target: an O_TMPFILE inode
 * cannot be linked across, so it is copied; a spool goes straight there. */
START_TEST(test_across_file_systems)
{
	const char *shm = tu_other_fs;
	char *dest = target("across");
	struct stat a, b;
	tempfile *tf;

	ck_assert_msg(shm != NULL, "no private directory on /dev/shm");
	ck_assert_int_eq(stat(shm, &a), 0);
	ck_assert_int_eq(stat(tu_base, &b), 0);
	ck_assert_msg(a.st_dev != b.st_dev, "/dev/shm and %s share a file system", tu_base);
	atomic_store(&tfp_tmpfile_works, 1);
	tf = _i ? tempfile_spooled(4, NULL, NULL, shm, 0) : tempfile_unnamed(NULL, NULL, shm, 0);
	ck_assert_ptr_nonnull(tf);
	ck_assert_int_eq(tempfile_write(tf, "far", 3), 3);
	ck_assert_int_eq(tempfile_persist(tf, dest, TEMPFILE_NOCLOBBER), 0);
	ck_assert_int_eq(tempfile_write(tf, "!", 1), 1);
	ck_assert_int_eq(tempfile_close(tf), 0);
	tu_assert_file(dest, "far!");
	ck_assert_int_eq(tu_count_entries(shm), 0);
	free(dest);
}
END_TEST

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
	tcase_add_loop_test(tc, test_across_file_systems, 0, 2);
	tcase_add_test(tc, test_link_noreplace);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_main(persist_suite());
}
