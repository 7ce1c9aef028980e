/* Named and unnamed file objects: src/wrapper.c and src/unnamed.c. */
#include "src/internal.h"
#include "testutil.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <wchar.h>

/* Reads the whole file from the start through the object. */
static void assert_object_contents(tempfile *tf, const char *want)
{
	char buf[256] = "";
	ssize_t n;

	ck_assert_int_eq(tempfile_seek(tf, 0, SEEK_SET), 0);
	n = tempfile_read(tf, buf, sizeof buf - 1);
	ck_assert_int_ge(n, 0);
	buf[n] = '\0';
	ck_assert_str_eq(buf, want);
}

static int next_free_fd(void)
{
	int fd = dup(0);

	close(fd);
	return fd;
}

START_TEST(test_named_lifecycle)
{
	tempfile *tf = tempfile_named(".s", "p-", NULL, 0);
	const char *name;
	struct stat st;
	int fd;

	ck_assert_ptr_nonnull(tf);
	name = tempfile_name(tf);
	ck_assert_ptr_nonnull(name);
	ck_assert_int_eq(strncmp(name, tu_base, strlen(tu_base)), 0);
	ck_assert_str_eq(name + strlen(name) - 2, ".s");
	ck_assert_int_eq(lstat(name, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	fd = tempfile_fileno(tf);
	ck_assert_int_gt(fd, 2);
	ck_assert_int_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	ck_assert_int_eq(tempfile_rolled(tf), 1);
	ck_assert_int_eq(tempfile_rollover(tf), 0);
	ck_assert_int_eq(tempfile_write(tf, "hello", 5), 5);
	tu_assert_file(name, "hello");
	assert_object_contents(tf, "hello");
	ck_assert_int_eq(tempfile_truncate(tf, 2), 0);
	assert_object_contents(tf, "he");
	ck_assert_int_eq(tempfile_close(tf), 0);
	ck_assert_int_eq(tu_count_entries(tu_base), 0);
	ck_assert_int_eq(fcntl(fd, F_GETFD), -1); /* descriptor closed */
	ck_assert_int_eq(tempfile_close(NULL), 0);
}
END_TEST

START_TEST(test_named_keep)
{
	tempfile *tf = tempfile_named(NULL, NULL, NULL, TEMPFILE_KEEP);
	char *name = strdup(tempfile_name(tf));

	ck_assert_int_eq(tempfile_write(tf, "kept", 4), 4);
	ck_assert_int_eq(tempfile_close(tf), 0);
	tu_assert_file(name, "kept");
	free(name);
}
END_TEST

START_TEST(test_named_removed_by_hand)
{
	tempfile *tf = tempfile_named(NULL, NULL, NULL, 0);

	ck_assert_int_eq(unlink(tempfile_name(tf)), 0);
	ck_assert_int_eq(tempfile_close(tf), 0);
}
END_TEST

START_TEST(test_stream)
{
	tempfile *tf = _i == 0 ? tempfile_named(NULL, NULL, NULL, 0)
	                       : tempfile_unnamed(NULL, NULL, NULL, 0);
	char buf[64];
	FILE *f;

	ck_assert_ptr_nonnull(tf);
	f = tempfile_stream(tf);
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_eq(tempfile_stream(tf), f);
	ck_assert_int_gt(fileno(f), 2);
	ck_assert_int_eq(fcntl(fileno(f), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	ck_assert_int_gt(fprintf(f, "line %d\n", 1), 0);
	/* A direct call sees what the stream wrote, without fflush. */
	assert_object_contents(tf, "line 1\n");
	ck_assert_int_eq(tempfile_write(tf, "two\n", 4), 4);
	ck_assert_int_eq(fseek(f, 0, SEEK_SET), 0);
	ck_assert_ptr_nonnull(fgets(buf, sizeof buf, f));
	ck_assert_str_eq(buf, "line 1\n");
	ck_assert_ptr_nonnull(fgets(buf, sizeof buf, f));
	ck_assert_str_eq(buf, "two\n");
	if (_i == 0)
		tu_assert_file(tempfile_name(tf), "line 1\ntwo\n");
	/* Unflushed stream output reaches the file at close. */
	ck_assert_int_ge(fputs("three\n", f), 0);
	if (_i == 0) {
		char *name = strdup(tempfile_name(tf));
		tf->flags |= TEMPFILE_KEEP;
		ck_assert_int_eq(tempfile_close(tf), 0);
		tu_assert_file(name, "line 1\ntwo\nthree\n");
		free(name);
	} else {
		ck_assert_int_eq(tempfile_close(tf), 0);
	}
}
END_TEST

START_TEST(test_append)
{
	tempfile *tf = _i == 0 ? tempfile_named(NULL, NULL, NULL, TEMPFILE_APPEND)
	             : _i == 1 ? tempfile_unnamed(NULL, NULL, NULL, TEMPFILE_APPEND)
	                       : tempfile_spooled(100, NULL, NULL, NULL, TEMPFILE_APPEND);

	ck_assert_ptr_nonnull(tf);
	ck_assert_int_eq(tempfile_write(tf, "abc", 3), 3);
	ck_assert_int_eq(tempfile_seek(tf, 0, SEEK_SET), 0);
	ck_assert_int_eq(tempfile_write(tf, "def", 3), 3);
	assert_object_contents(tf, "abcdef");
	ck_assert_int_eq(tempfile_seek(tf, 1, SEEK_SET), 1);
	ck_assert_int_eq(fseek(tempfile_stream(tf), 1, SEEK_SET), 0);
	ck_assert_int_ge(fputs("gh", tempfile_stream(tf)), 0);
	/* The stream knows its writes go to the end, before any flush. */
	ck_assert_int_eq(ftell(tempfile_stream(tf)), 8);
	ck_assert_int_eq(fflush(tempfile_stream(tf)), 0);
	assert_object_contents(tf, "abcdefgh");
	ck_assert_int_eq(tempfile_close(tf), 0);
	ck_assert_int_eq(tu_count_entries(tu_base), 0);
}
END_TEST

START_TEST(test_unnamed)
{
	tempfile *tf;
	int fd;

	atomic_store(&tfp_tmpfile_works, !_i);
	tf = tempfile_unnamed(".s", "p", NULL, 0);
	ck_assert_ptr_nonnull(tf);
	ck_assert_ptr_null(tempfile_name(tf));
	ck_assert_int_eq(tf->linkable, TFP_O_TMPFILE && !_i);
	ck_assert_int_eq(tu_count_entries(tu_base), 0);
	fd = tempfile_fileno(tf);
	ck_assert_int_gt(fd, 2);
	ck_assert_int_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	ck_assert_int_eq(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDWR);
	ck_assert_int_eq(tempfile_write(tf, "data", 4), 4);
	assert_object_contents(tf, "data");
	/* Its directory can go while it is open: nothing is in it. */
	ck_assert_int_eq(rmdir(tu_base), 0);
	assert_object_contents(tf, "data");
	ck_assert_int_eq(tempfile_close(tf), 0);
}
END_TEST

START_TEST(test_unnamed_no_leak)
{
	int before = next_free_fd(), i;

	atomic_store(&tfp_tmpfile_works, !_i);
	for (i = 0; i < 1000; i++) {
		tempfile *tf = tempfile_unnamed(NULL, NULL, NULL, 0);
		ck_assert_ptr_nonnull(tf);
		if (i % 2)
			ck_assert_ptr_nonnull(tempfile_stream(tf));
		ck_assert_int_eq(tempfile_close(tf), 0);
	}
	ck_assert_int_eq(next_free_fd(), before);
	ck_assert_int_eq(tu_count_entries(tu_base), 0);
}
END_TEST

START_TEST(test_closefd)
{
	tempfile *tf = tempfile_named(NULL, NULL, NULL, 0);
	char *name = strdup(tempfile_name(tf));
	char c;

	ck_assert_ptr_nonnull(tempfile_stream(tf));
	ck_assert_int_ge(fputs("buffered", tempfile_stream(tf)), 0);
	ck_assert_int_eq(tempfile_closefd(tf), 0);
	tu_assert_file(name, "buffered"); /* the stream was flushed */
	ck_assert_str_eq(tempfile_name(tf), name);
	errno = 0;
	ck_assert_int_eq(tempfile_read(tf, &c, 1), -1);
	ck_assert_int_eq(errno, EBADF);
	ck_assert_int_eq(tempfile_write(tf, "x", 1), -1);
	ck_assert_int_eq(errno, EBADF);
	ck_assert_int_eq(tempfile_seek(tf, 0, SEEK_SET), -1);
	ck_assert_int_eq(errno, EBADF);
	ck_assert_int_eq(tempfile_truncate(tf, 0), -1);
	ck_assert_int_eq(errno, EBADF);
	ck_assert_int_eq(tempfile_fileno(tf), -1);
	ck_assert_int_eq(errno, EBADF);
	ck_assert_ptr_null(tempfile_stream(tf));
	ck_assert_int_eq(errno, EBADF);
	ck_assert_int_eq(tempfile_closefd(tf), 0); /* again: nothing to do */
	ck_assert_int_eq(access(name, F_OK), 0);
	ck_assert_int_eq(tempfile_close(tf), 0);
	ck_assert_int_eq(access(name, F_OK), -1);
	free(name);
}
END_TEST

/* Many pending files, few descriptors. */
START_TEST(test_closefd_many)
{
	enum { N = 300 };
	tempfile *tfs[N];
	int before = next_free_fd(), i;

	for (i = 0; i < N; i++) {
		tfs[i] = tempfile_named(NULL, NULL, NULL, 0);
		ck_assert_ptr_nonnull(tfs[i]);
		ck_assert_int_eq(tempfile_closefd(tfs[i]), 0);
	}
	ck_assert_int_eq(next_free_fd(), before);
	ck_assert_int_eq(tu_count_entries(tu_base), N);
	for (i = 0; i < N; i++)
		ck_assert_int_eq(tempfile_close(tfs[i]), 0);
	ck_assert_int_eq(tu_count_entries(tu_base), 0);
}
END_TEST

static tempfile *construct(int kind, const char *suffix, const char *prefix,
                           const char *dir, unsigned flags)
{
	switch (kind) {
	case 0: return tempfile_named(suffix, prefix, dir, flags);
	case 1: return tempfile_unnamed(suffix, prefix, dir, flags);
	default: return tempfile_spooled(10, suffix, prefix, dir, flags);
	}
}

static void assert_fails(int kind, const char *suffix, const char *prefix,
                         const char *dir, unsigned flags, int want)
{
	errno = 0;
	ck_assert_ptr_null(construct(kind, suffix, prefix, dir, flags));
	ck_assert_int_eq(errno, want);
}

START_TEST(test_bad_arguments)
{
	char *missing, *file;
	FILE *f;

	ck_assert_int_ge(asprintf(&missing, "%s/missing", tu_base), 0);
	ck_assert_int_ge(asprintf(&file, "%s/file", tu_base), 0);
	ck_assert_ptr_nonnull(f = fopen(file, "w"));
	fclose(f);
	assert_fails(_i, NULL, "a/b", NULL, 0, EINVAL);
	assert_fails(_i, "/", NULL, NULL, 0, EINVAL);
	assert_fails(_i, NULL, NULL, missing, 0, ENOENT);
	assert_fails(_i, NULL, NULL, file, 0, ENOTDIR);
	assert_fails(_i, NULL, NULL, NULL, TEMPFILE_IGNORE_CLEANUP_ERRORS, EINVAL);
	assert_fails(_i, NULL, NULL, NULL, 0x100, EINVAL);
	atomic_store(&tfp_tmpfile_works, 0);
	assert_fails(_i, NULL, NULL, missing, 0, ENOENT);
	assert_fails(_i, NULL, "a/b", NULL, 0, EINVAL);
	ck_assert_int_eq(tu_count_entries(tu_base), 1);
	free(missing);
	free(file);
}
END_TEST

static int stdio_closed_child(void *arg)
{
	int kind;

	(void)arg;
	close(0);
	close(1);
	close(2);
	for (kind = 0; kind < 3; kind++) {
		tempfile *tf = construct(kind, NULL, NULL, NULL, 0);
		FILE *f = tf ? tempfile_stream(tf) : NULL;

		/* A spooled file's stream has no descriptor of its own. */
		if (!f || tempfile_fileno(tf) <= 2 || (fileno(f) <= 2 && fileno(f) != -1))
			return 1 + kind;
		tempfile_close(tf);
	}
	return 0;
}

START_TEST(test_stdio_closed)
{
	ck_assert_int_eq(tu_run(stdio_closed_child, NULL, 0), 0);
	ck_assert_int_eq(tu_count_entries(tu_base), 0);
}
END_TEST

/* ---- Cleanup at exit ---- */

static int exit_child(void *arg)
{
	int how = *(int *)arg;
	tempfile *gone = tempfile_named(".gone", NULL, NULL, TEMPFILE_CLEANUP_AT_EXIT);
	tempfile *kept = tempfile_named(".kept", NULL, NULL,
	                                TEMPFILE_CLEANUP_AT_EXIT | TEMPFILE_KEEP);
	tempfile *moved = tempfile_named(NULL, NULL, NULL, TEMPFILE_CLEANUP_AT_EXIT);
	char *dest;

	if (!gone || !kept || !moved || asprintf(&dest, "%s/persisted", tu_base) < 0)
		return 1;
	if (tempfile_persist(moved, dest, 0) < 0)
		return 2;
	if (how == SIGTERM)
		raise(SIGTERM);
	else if (how == 1)
		tempfile_cleanup_all();
	else
		exit(0);
	free(dest);
	return tempfile_close(gone) == 0 && tempfile_close(kept) == 0 &&
	       tempfile_close(moved) == 0 ? 3 : 4;
}

/* exit(), death by SIGTERM, and tempfile_cleanup_all() by hand remove what
 * asked for it, and only that. */
START_TEST(test_cleanup_at_exit)
{
	static const int hows[] = { 0, SIGTERM, 1 };
	int how = hows[_i];
	char *persisted;

	ck_assert_int_ge(asprintf(&persisted, "%s/persisted", tu_base), 0);
	ck_assert_int_eq(tu_run(exit_child, &how, 0),
	                 how == SIGTERM ? 100 + SIGTERM : how == 1 ? 3 : 0);
	ck_assert_int_eq(tu_count_entries(tu_base), 2);
	ck_assert_int_eq(access(persisted, F_OK), 0);
	free(persisted);
}
END_TEST

/* named, unnamed, spooled in memory, spooled on disk */
static tempfile *construct_any(int kind, unsigned flags)
{
	tempfile *tf = kind < 2 ? construct(kind, NULL, NULL, NULL, flags)
	                        : tempfile_spooled(0, NULL, NULL, NULL, flags);

	ck_assert_ptr_nonnull(tf);
	if (kind == 3)
		ck_assert_int_eq(tempfile_rollover(tf), 0);
	return tf;
}

/* After ungetc() the stream's position is one before what it read; a
 * direct call starts there too.  Every kind, plain and append. */
START_TEST(test_ungetc_then_direct)
{
	tempfile *tf = construct_any(_i % 4, _i < 4 ? 0 : TEMPFILE_APPEND);
	FILE *f = tempfile_stream(tf);
	char buf[4] = "";
	int i;

	ck_assert_int_eq(tempfile_write(tf, "0123456789", 10), 10);
	ck_assert_int_eq(fseek(f, 0, SEEK_SET), 0);
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(fgetc(f), '0' + i);
	ck_assert_int_eq(ungetc('4', f), '4');
	ck_assert_int_eq(ftello(f), 4);
	ck_assert_int_eq(tempfile_seek(tf, 0, SEEK_CUR), 4);
	ck_assert_int_eq(tempfile_read(tf, buf, 2), 2);
	ck_assert_str_eq(buf, "45");
	/* A character other than the one read back, as C allows too. */
	ck_assert_int_eq(fseek(f, 8, SEEK_SET), 0);
	ck_assert_int_eq(fgetc(f), '8');
	ck_assert_int_eq(ungetc('x', f), 'x');
	ck_assert_int_eq(ftello(f), 8);
	ck_assert_int_eq(tempfile_read(tf, buf, 2), 2);
	ck_assert_str_eq(buf, "89");
	ck_assert_int_eq(tempfile_close(tf), 0);
}
END_TEST

/* ungetc() of another character than the one read, then fseek(SEEK_CUR),
 * on a stream whose reads all came from what a seek read ahead (so that no
 * read made glibc orient it): the seek starts from the pushed-back
 * character's place, as C says (found by fuzzing: glibc skipped the rest
 * of the buffer on a stream not yet oriented).  Every kind, plain and
 * append. */
START_TEST(test_ungetc_then_seek_cur)
{
	tempfile *tf = construct_any(_i % 4, _i < 4 ? 0 : TEMPFILE_APPEND);
	FILE *f = tempfile_stream(tf);
	char buf[100];

	ck_assert_int_lt(fwide(f, 0), 0);
	memset(buf, 'a', sizeof buf);
	ck_assert_int_eq(tempfile_write(tf, buf, 99), 99);
	ck_assert_int_eq(fseeko(f, 10, SEEK_SET), 0);
	ck_assert_int_eq(fseeko(f, 15, SEEK_SET), 0);
	ck_assert_uint_eq(fread(buf, 1, 2, f), 2);
	ck_assert_int_eq(ungetc('x', f), 'x');
	ck_assert_int_eq(ftello(f), 16);
	ck_assert_int_eq(fseeko(f, 13, SEEK_CUR), 0);
	ck_assert_int_eq(ftello(f), 29);
	ck_assert_int_eq(fgetc(f), 'a');
	ck_assert_int_eq(tempfile_seek(tf, 0, SEEK_CUR), 30);
	ck_assert_int_eq(tempfile_close(tf), 0);
}
END_TEST

/* Writes the stream holds and a direct call after them agree too. */
START_TEST(test_stream_then_direct)
{
	tempfile *tf = construct_any(_i, 0);
	FILE *f = tempfile_stream(tf);
	char buf[4] = "";

	ck_assert_int_eq(tempfile_write(tf, "0123456789", 10), 10);
	ck_assert_int_eq(fseek(f, 2, SEEK_SET), 0);
	ck_assert_int_eq(fputc('x', f), 'x');
	ck_assert_int_eq(tempfile_read(tf, buf, 2), 2);
	ck_assert_str_eq(buf, "34");
	ck_assert_int_eq(fseek(f, 0, SEEK_SET), 0);
	ck_assert_int_eq(fgetc(f), '0');
	ck_assert_int_eq(tempfile_write(tf, "y", 1), 1);
	assert_object_contents(tf, "0yx3456789");
	ck_assert_int_eq(tempfile_close(tf), 0);
}
END_TEST

static int close_error_child(void *arg)
{
	struct rlimit lim;
	tempfile *tf = tempfile_named(NULL, NULL, NULL, 0);
	char big[64];

	(void)arg;
	memset(big, 'x', sizeof big);
	if (!tf || getrlimit(RLIMIT_FSIZE, &lim) < 0)
		return 1;
	lim.rlim_cur = 16; /* the soft limit only: tu_exit() lifts it */
	if (signal(SIGXFSZ, SIG_IGN) == SIG_ERR || setrlimit(RLIMIT_FSIZE, &lim) < 0)
		return 1;
	/* Buffered: only the flush at close finds the file too large. */
	if (fwrite(big, 1, sizeof big, tempfile_stream(tf)) != sizeof big)
		return 2;
	if (unlink(tempfile_name(tf)) < 0)
		return 3;
	errno = 0;
	if (tempfile_close(tf) != -1)
		return 4;
	return errno == EFBIG ? 0 : 10 + (errno & 0x7f);
}

/* The first error is the one reported: the flush's, not the ENOENT of a
 * file someone else already removed. */
START_TEST(test_close_reports_first_error)
{
	ck_assert_int_eq(tu_run(close_error_child, NULL, 0), 0);
	ck_assert_int_eq(tu_count_entries(tu_base), 0);
}
END_TEST

/* A NULL buffer is EFAULT whatever the kind, as read(2) and write(2) say. */
START_TEST(test_null_buffer)
{
	tempfile *tf = construct_any(_i, 0);

	ck_assert_int_eq(tempfile_write(tf, "abc", 3), 3);
	ck_assert_int_eq(tempfile_seek(tf, 0, SEEK_SET), 0);
	errno = 0;
	ck_assert_int_eq(tempfile_read(tf, NULL, 2), -1);
	ck_assert_int_eq(errno, EFAULT);
	errno = 0;
	ck_assert_int_eq(tempfile_write(tf, NULL, 2), -1);
	ck_assert_int_eq(errno, EFAULT);
	ck_assert_int_eq(tempfile_read(tf, NULL, 0), 0);
	ck_assert_int_eq(tempfile_write(tf, NULL, 0), 0);
	assert_object_contents(tf, "abc");
	ck_assert_int_eq(tempfile_close(tf), 0);
}
END_TEST

/* closefd(NULL) is EBADF, as for a closed descriptor. */
START_TEST(test_closefd_null)
{
	errno = 0;
	ck_assert_int_eq(tempfile_closefd(NULL), -1);
	ck_assert_int_eq(errno, EBADF);
}
END_TEST

/* A spool in memory takes any off_t as lseek(2) does, and refuses one
 * past the largest (EOVERFLOW), its position unchanged. */
START_TEST(test_spool_seek_overflow)
{
	tempfile *tf = tempfile_spooled(0, NULL, NULL, NULL, 0);

	ck_assert_ptr_nonnull(tf);
	ck_assert_int_eq(tempfile_seek(tf, 10, SEEK_SET), 10);
	errno = 0;
	ck_assert_int_eq(tempfile_seek(tf, TFP_OFF_MAX, SEEK_CUR), -1);
	ck_assert_int_eq(errno, EOVERFLOW);
	ck_assert_int_eq(tempfile_seek(tf, TFP_OFF_MAX - 10, SEEK_CUR), TFP_OFF_MAX);
	ck_assert(!tempfile_rolled(tf));
	ck_assert_int_eq(tempfile_close(tf), 0);
}
END_TEST

/* The program closed the descriptor itself: close says EBADF, and still
 * removes the file and frees tf. */
START_TEST(test_close_after_own_close)
{
	tempfile *tf = tempfile_named(NULL, NULL, NULL, 0);

	ck_assert_ptr_nonnull(tf);
	ck_assert_int_eq(close(tempfile_fileno(tf)), 0);
	errno = 0;
	ck_assert_int_eq(tempfile_close(tf), -1);
	ck_assert_int_eq(errno, EBADF);
	ck_assert_int_eq(tu_count_entries(tu_base), 0);
}
END_TEST

/* As nobody, in a directory made read-only after the file: close cannot
 * remove it, says EACCES, and frees tf all the same. */
static int close_read_only_dir_child(void *arg)
{
	const char *dir = arg;
	tempfile *tf = tempfile_named(NULL, NULL, dir, 0);

	REQ(tf && chmod(dir, 0555) == 0);
	errno = 0;
	REQ(tempfile_close(tf) == -1 && errno == EACCES);
	REQ(tu_count_entries(dir) == 1);
	return 0;
}

START_TEST(test_close_read_only_dir_as_nobody)
{
	char *dir = tu_subdir("ro", 1);

	ck_assert_int_eq(chown(dir, TU_NOBODY, TU_NOBODY), 0);
	ck_assert_int_eq(tu_run(close_read_only_dir_child, dir, 1), 0);
	ck_assert_int_eq(tu_count_entries(dir), 1);
	free(dir);
}
END_TEST

/* dir "" is the current directory, as for tempfile_mkstemp() (Python's
 * os.path.join("", name)): for unnamed files with O_TMPFILE (_i 0) and
 * without (1), and for spooled ones, at construction and rollover (2).
 * Found by tests/fuzz/fuzz_args: these failed with ENOENT. */
START_TEST(test_empty_dir_is_cwd)
{
	tempfile *tf;

	ck_assert_int_eq(chdir(tu_base), 0);
	atomic_store(&tfp_tmpfile_works, _i != 1);
	tf = _i < 2 ? tempfile_unnamed(NULL, NULL, "", 0) : tempfile_spooled(0, NULL, NULL, "", 0);
	ck_assert_ptr_nonnull(tf);
	ck_assert_int_eq(tempfile_write(tf, "data", 4), 4);
	ck_assert_int_eq(tempfile_rollover(tf), 0);
	ck_assert_int_gt(tempfile_fileno(tf), 2);
	assert_object_contents(tf, "data");
	ck_assert_int_eq(tu_count_entries(tu_base), 0);
	ck_assert_int_eq(tempfile_close(tf), 0);
	ck_assert_int_eq(chdir("/"), 0);
}
END_TEST

static Suite *wrapper_suite(void)
{
	Suite *s = suite_create("wrapper");
	TCase *tc = tu_tcase("files", 60);

	tcase_add_test(tc, test_named_lifecycle);
	tcase_add_test(tc, test_named_keep);
	tcase_add_test(tc, test_named_removed_by_hand);
	tcase_add_loop_test(tc, test_stream, 0, 2);
	tcase_add_loop_test(tc, test_append, 0, 3);
	tcase_add_loop_test(tc, test_unnamed, 0, 2);
	tcase_add_loop_test(tc, test_unnamed_no_leak, 0, 2);
	tcase_add_test(tc, test_closefd);
	tcase_add_test(tc, test_closefd_many);
	tcase_add_loop_test(tc, test_bad_arguments, 0, 3);
	tcase_add_test(tc, test_stdio_closed);
	tcase_add_loop_test(tc, test_cleanup_at_exit, 0, 3);
	tcase_add_loop_test(tc, test_ungetc_then_direct, 0, 8);
	tcase_add_loop_test(tc, test_ungetc_then_seek_cur, 0, 8);
	tcase_add_loop_test(tc, test_stream_then_direct, 0, 4);
	tcase_add_test(tc, test_close_reports_first_error);
	tcase_add_loop_test(tc, test_null_buffer, 0, 4);
	tcase_add_test(tc, test_closefd_null);
	tcase_add_test(tc, test_spool_seek_overflow);
	tcase_add_test(tc, test_close_after_own_close);
	tcase_add_test(tc, test_close_read_only_dir_as_nobody);
	tcase_add_loop_test(tc, test_empty_dir_is_cwd, 0, 3);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_main(wrapper_suite());
}
