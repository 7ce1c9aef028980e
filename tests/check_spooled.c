/* Spooled files: src/spooled.c and the stream backends. */
#include "src/internal.h"
#include "largespool.h"
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

static void assert_read_at(tempfile *tf, off_t off, const void *want, size_t n)
{
	char buf[4096];

	ck_assert_uint_le(n, sizeof buf);
	ck_assert_int_eq(tempfile_seek(tf, off, SEEK_SET), off);
	ck_assert_int_eq(tempfile_read(tf, buf, n), (ssize_t)n);
	ck_assert_mem_eq(buf, want, n);
}

static off_t tell(tempfile *tf)
{
	return tempfile_seek(tf, 0, SEEK_CUR);
}

/* Sanitizer builds: a huge allocation fails as malloc would, with NULL,
 * rather than aborting the test. */
const char *__asan_default_options(void) __attribute__((visibility("default")));
const char *__asan_default_options(void)
{
	return "allocator_may_return_null=1";
}

/* A size or position that memory cannot hold: past SIZE_MAX where size_t
 * is narrower than off_t, else more than any allocation gets. */
static off_t beyond_memory(void)
{
	return (uintmax_t)SIZE_MAX < (uintmax_t)TFP_OFF_MAX / 2 ? (off_t)SIZE_MAX + 11
	                                                       : (off_t)1 << 62;
}

/* tf holds "abc" plus, if it worked, what the call did at beyond_memory(). */
static void assert_abc_kept(tempfile *tf, int r, off_t end)
{
	if (r < 0) {
		ck_assert_msg(errno == EFBIG || errno == ENOMEM, "errno %d", errno);
		end = 3;
	} else {
		ck_assert_int_eq(tempfile_rolled(tf), 1);
	}
	ck_assert_int_eq(tempfile_seek(tf, 0, SEEK_END), end);
	assert_read_at(tf, 0, "abc", 3);
}

START_TEST(test_exact_max_size_stays)
{
	tempfile *tf = tempfile_spooled(10, NULL, NULL, NULL, 0);

	ck_assert_ptr_nonnull(tf);
	ck_assert_ptr_null(tempfile_name(tf));
	ck_assert_int_eq(tempfile_rolled(tf), 0);
	ck_assert_int_eq(tempfile_write(tf, "0123456789", 10), 10);
	ck_assert_int_eq(tempfile_rolled(tf), 0);
	ck_assert_int_eq(tu_count_entries(tu_base), 0);
	ck_assert_int_eq(tempfile_write(tf, "a", 1), 1); /* max_size + 1 */
	ck_assert_int_eq(tempfile_rolled(tf), 1);
	ck_assert_int_eq(tu_count_entries(tu_base), 0); /* an unnamed file */
	ck_assert_int_eq(tell(tf), 11);
	assert_read_at(tf, 0, "0123456789a", 11);
	ck_assert_ptr_null(tempfile_name(tf));
	ck_assert_int_eq(tempfile_close(tf), 0);
}
END_TEST

START_TEST(test_one_big_write_rolls)
{
	tempfile *tf = tempfile_spooled(10, NULL, NULL, NULL, 0);

	ck_assert_int_eq(tempfile_write(tf, "0123456789abc", 13), 13);
	ck_assert_int_eq(tempfile_rolled(tf), 1);
	assert_read_at(tf, 0, "0123456789abc", 13);
	tempfile_close(tf);
}
END_TEST

START_TEST(test_fileno_rolls_over)
{
	tempfile *tf = tempfile_spooled(100, NULL, NULL, NULL, 0);
	char buf[8] = "";
	int fd;

	ck_assert_int_eq(tempfile_write(tf, "abcdef", 6), 6);
	ck_assert_int_eq(tempfile_seek(tf, 2, SEEK_SET), 2);
	fd = tempfile_fileno(tf);
	ck_assert_int_gt(fd, 2);
	ck_assert_int_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	ck_assert_int_eq(tempfile_rolled(tf), 1);
	ck_assert_int_eq(lseek(fd, 0, SEEK_CUR), 2); /* position kept */
	ck_assert_int_eq(read(fd, buf, sizeof buf), 4);
	ck_assert_str_eq(buf, "cdef");
	ck_assert_int_eq(tempfile_fileno(tf), fd);
	tempfile_close(tf);
}
END_TEST

/* Seeking past max_size alone does not roll over; writing there does, and
 * the gap reads as zeros in memory and on disk. */
START_TEST(test_seek_past_limit_and_gaps)
{
	static const char zeros[8];
	tempfile *tf = tempfile_spooled(16, NULL, NULL, NULL, 0);

	ck_assert_int_eq(tempfile_write(tf, "ab", 2), 2);
	ck_assert_int_eq(tempfile_seek(tf, 6, SEEK_SET), 6);
	ck_assert_int_eq(tempfile_write(tf, "cd", 2), 2); /* gap 2..5 */
	ck_assert_int_eq(tempfile_rolled(tf), 0);
	assert_read_at(tf, 2, zeros, 4);
	assert_read_at(tf, 0, "ab\0\0\0\0cd", 8);
	ck_assert_int_eq(tempfile_seek(tf, 100, SEEK_SET), 100);
	ck_assert_int_eq(tempfile_rolled(tf), 0);
	ck_assert_int_eq(tempfile_seek(tf, 0, SEEK_END), 8);
	ck_assert_int_eq(tempfile_seek(tf, 20, SEEK_CUR), 28);
	ck_assert_int_eq(tempfile_write(tf, "e", 1), 1);
	ck_assert_int_eq(tempfile_rolled(tf), 1);
	assert_read_at(tf, 0, "ab\0\0\0\0cd", 8);
	assert_read_at(tf, 8, zeros, 8);
	assert_read_at(tf, 28, "e", 1);
	ck_assert_int_eq(tempfile_seek(tf, 0, SEEK_END), 29);
	tempfile_close(tf);
}
END_TEST

START_TEST(test_bad_seeks)
{
	tempfile *tf = tempfile_spooled(16, NULL, NULL, NULL, 0);

	ck_assert_int_eq(tempfile_write(tf, "abc", 3), 3);
	errno = 0;
	ck_assert_int_eq(tempfile_seek(tf, -1, SEEK_SET), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(tempfile_seek(tf, -4, SEEK_CUR), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(tempfile_seek(tf, -4, SEEK_END), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(tempfile_seek(tf, 0, 42), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(tell(tf), 3); /* unchanged */
	ck_assert_int_eq(tempfile_seek(tf, -3, SEEK_CUR), 0);
	ck_assert_int_eq(tempfile_truncate(tf, -1), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(tempfile_rolled(tf), 0);
	tempfile_close(tf);
}
END_TEST

START_TEST(test_truncate)
{
	static const char zeros[6];
	tempfile *tf = tempfile_spooled(10, NULL, NULL, NULL, 0);

	ck_assert_int_eq(tempfile_write(tf, "abcdefgh", 8), 8);
	ck_assert_int_eq(tempfile_truncate(tf, 3), 0);
	ck_assert_int_eq(tell(tf), 8); /* position unchanged, as ftruncate */
	ck_assert_int_eq(tempfile_seek(tf, 0, SEEK_END), 3);
	ck_assert_int_eq(tempfile_truncate(tf, 10), 0); /* grow within limit */
	ck_assert_int_eq(tempfile_rolled(tf), 0);
	assert_read_at(tf, 0, "abc", 3);
	assert_read_at(tf, 3, zeros, 6); /* what was cut reads as zeros */
	ck_assert_int_eq(tempfile_truncate(tf, 11), 0); /* past it */
	ck_assert_int_eq(tempfile_rolled(tf), 1);
	ck_assert_int_eq(tempfile_seek(tf, 0, SEEK_END), 11);
	assert_read_at(tf, 0, "abc\0\0\0\0\0\0\0\0", 11);
	ck_assert_int_eq(tempfile_truncate(tf, 1), 0);
	ck_assert_int_eq(tempfile_seek(tf, 0, SEEK_END), 1);
	tempfile_close(tf);
}
END_TEST

START_TEST(test_read_across_rollover)
{
	tempfile *tf = tempfile_spooled(16, NULL, NULL, NULL, 0);
	char buf[32] = "";

	ck_assert_int_eq(tempfile_write(tf, "0123456789", 10), 10);
	ck_assert_int_eq(tempfile_seek(tf, 0, SEEK_SET), 0);
	ck_assert_int_eq(tempfile_read(tf, buf, 4), 4);
	ck_assert_int_eq(tempfile_seek(tf, 0, SEEK_END), 10);
	ck_assert_int_eq(tempfile_write(tf, "abcdefghij", 10), 10);
	ck_assert_int_eq(tempfile_rolled(tf), 1);
	ck_assert_int_eq(tempfile_seek(tf, 4, SEEK_SET), 4);
	ck_assert_int_eq(tempfile_read(tf, buf, sizeof buf), 16);
	ck_assert_mem_eq(buf, "456789abcdefghij", 16);
	ck_assert_int_eq(tempfile_read(tf, buf, sizeof buf), 0); /* EOF */
	tempfile_close(tf);
}
END_TEST

START_TEST(test_stream_crosses_limit)
{
	tempfile *tf = tempfile_spooled(100, NULL, NULL, NULL, 0);
	FILE *f = tempfile_stream(tf);
	char line[32];
	int i;

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(tempfile_rolled(tf), fileno(f) >= 0);
	for (i = 0; i < 10; i++)
		ck_assert_int_eq(fprintf(f, "line %02d\n", i), 8); /* 80 bytes */
	ck_assert_int_eq(fflush(f), 0);
	if (fileno(f) < 0) /* a stream over memory */
		ck_assert_int_eq(tempfile_rolled(tf), 0);
	for (; i < 20; i++)
		ck_assert_int_eq(fprintf(f, "line %02d\n", i), 8); /* 160 bytes */
	ck_assert_int_eq(fflush(f), 0);
	ck_assert_int_eq(tempfile_rolled(tf), 1);
	ck_assert_int_eq(tempfile_seek(tf, 0, SEEK_END), 160);
	ck_assert_int_eq(fseek(f, 72, SEEK_SET), 0);
	ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
	ck_assert_str_eq(line, "line 09\n");
	ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
	ck_assert_str_eq(line, "line 10\n");
	assert_read_at(tf, 152, "line 19\n", 8);
	ck_assert_int_eq(tempfile_close(tf), 0);
	ck_assert_int_eq(tu_count_entries(tu_base), 0);
}
END_TEST

START_TEST(test_stream_in_memory)
{
	tempfile *tf = tempfile_spooled(0, NULL, NULL, NULL, 0);
	FILE *f = tempfile_stream(tf);
	char line[32];

	ck_assert_int_ge(fputs("first\nsecond\n", f), 0);
	ck_assert_int_eq(fseek(f, 6, SEEK_SET), 0);
	ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
	ck_assert_str_eq(line, "second\n");
	ck_assert_int_eq(ftell(f), 13);
	/* Direct calls after stream reads see the stream's position. */
	ck_assert_int_eq(fseek(f, 0, SEEK_SET), 0);
	ck_assert_int_eq(fgetc(f), 'f');
	ck_assert_int_eq(tell(tf), 1);
	ck_assert_int_eq(tempfile_rolled(tf), fileno(f) >= 0);
	tempfile_close(tf);
}
END_TEST

START_TEST(test_never_by_size)
{
	enum { N = 1 << 20 };
	tempfile *tf = tempfile_spooled(0, NULL, NULL, NULL, 0);
	char *big = malloc(N);

	memset(big, 'x', N);
	ck_assert_int_eq(tempfile_write(tf, big, N), N);
	ck_assert_int_eq(tempfile_truncate(tf, 2 * N), 0);
	ck_assert_int_eq(tempfile_rolled(tf), 0);
	ck_assert_int_eq(tempfile_rollover(tf), 0);
	ck_assert_int_eq(tempfile_rolled(tf), 1);
	ck_assert_int_eq(tempfile_rollover(tf), 0); /* again: nothing to do */
	ck_assert_int_eq(tempfile_seek(tf, 0, SEEK_END), 2 * N);
	assert_read_at(tf, N - 4, "xxxx\0\0\0\0", 8);
	tempfile_close(tf);
	free(big);
}
END_TEST

/* The rollover goes to the directory and names given at construction. */
START_TEST(test_rollover_dir)
{
	char *sub = tu_subdir("spool", 0), *other = tu_subdir("other", 0);
	tempfile *tf;

	ck_assert_int_eq(tempfile_settempdir(other), 0);
	atomic_store(&tfp_tmpfile_works, !_i);
	tf = tempfile_spooled(4, ".sfx", "pfx", sub, 0);
	ck_assert_int_eq(tempfile_write(tf, "12345", 5), 5);
	ck_assert_int_eq(tempfile_rolled(tf), 1);
	ck_assert_int_eq(tf->linkable, TFP_O_TMPFILE && !_i);
	ck_assert_int_eq(tu_count_entries(sub), 0);
	ck_assert_int_eq(tu_count_entries(other), 0);
	/* Only the closing removes it from the object's reach. */
	ck_assert_int_eq(rmdir(sub), 0);
	assert_read_at(tf, 0, "12345", 5);
	ck_assert_int_eq(tempfile_close(tf), 0);
	free(sub);
	free(other);
}
END_TEST

/* A failed rollover leaves the data in memory, untouched. */
START_TEST(test_failed_rollover)
{
	char *sub = tu_subdir("gone", 0);
	tempfile *tf = tempfile_spooled(4, NULL, NULL, sub, 0);

	ck_assert_int_eq(tempfile_write(tf, "1234", 4), 4);
	ck_assert_int_eq(rmdir(sub), 0);
	errno = 0;
	ck_assert_int_eq(tempfile_write(tf, "5", 1), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(tempfile_fileno(tf), -1);
	ck_assert_int_eq(tempfile_rolled(tf), 0);
	assert_read_at(tf, 0, "1234", 4);
	ck_assert_int_eq(tempfile_close(tf), 0);
	free(sub);
}
END_TEST

/* A seek of the stream before the start fails and moves nothing. */
START_TEST(test_stream_bad_seek)
{
	tempfile *tf = tempfile_spooled(100, NULL, NULL, NULL, 0);
	FILE *f = tempfile_stream(tf);
	char buf[4] = "";

	ck_assert_ptr_nonnull(f);
	ck_assert_int_ge(fputs("abc", f), 0);
	errno = 0;
	ck_assert_int_eq(fseeko(f, -10, SEEK_SET), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(ftello(f), 3);
	ck_assert_int_eq(fseeko(f, 0, SEEK_SET), 0);
	ck_assert_uint_eq(fread(buf, 1, 3, f), 3);
	ck_assert_str_eq(buf, "abc");
	ck_assert_int_eq(tempfile_close(tf), 0);
}
END_TEST

/* A write inside the bytes the stream read ahead, then a seek relative to
 * where it ends: with fflush() first (the way tempfile_read(3), BUGS, gives
 * around glibc's fopencookie() defect) or SEEK_SET, the stream stands
 * after the write, and the write landed where it should, in memory and on
 * disk. */
START_TEST(test_stream_write_in_read_ahead)
{
	tempfile *tf = tempfile_spooled(_i ? 4 : 100, NULL, NULL, NULL, 0);
	FILE *f = tempfile_stream(tf);
	char buf[9] = "";

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(tempfile_write(tf, "ABCDEFGH", 8), 8);
	ck_assert_int_eq(fseeko(f, 0, SEEK_SET), 0);
	ck_assert_uint_eq(fread(buf, 1, 3, f), 3);
	ck_assert_int_eq(fseeko(f, 2, SEEK_SET), 0);
	ck_assert_uint_eq(fwrite("xy", 1, 2, f), 2);
	ck_assert_int_eq(ftello(f), 4);
	ck_assert_int_eq(fflush(f), 0);
	ck_assert_int_eq(fseeko(f, 1, SEEK_CUR), 0);
	ck_assert_int_eq(ftello(f), 5);
	ck_assert_uint_eq(fwrite("z", 1, 1, f), 1);
	ck_assert_int_eq(fseeko(f, 7, SEEK_SET), 0);
	ck_assert_int_eq(ftello(f), 7);
	ck_assert_int_eq(fseeko(f, 0, SEEK_SET), 0);
	ck_assert_uint_eq(fread(buf, 1, 8, f), 8);
	ck_assert_str_eq(buf, "ABxyEzGH");
	ck_assert_int_eq(tempfile_rolled(tf), _i || fileno(f) >= 0);
	assert_read_at(tf, 0, "ABxyEzGH", 8);
	ck_assert_int_eq(tempfile_close(tf), 0);
}
END_TEST

/* A rollover onto a full file system: the file is made but the spool's
 * bytes do not fit; they stay in memory, and the file goes again. */
static int full_rollover(void *dir)
{
	char fill[4096], *filler = tu_join(dir, "filler");
	tempfile *tf;
	int fd;

	memset(fill, 'f', sizeof fill);
	REQ(tu_private_mounts() == 0);
	REQ(mount("tmpfs", dir, "tmpfs", 0, "size=4k,mode=0700") == 0);
	REQ((fd = open(filler, O_WRONLY | O_CREAT, 0600)) >= 0);
	REQ(write(fd, fill, sizeof fill) == (ssize_t)sizeof fill);
	REQ(write(fd, fill, 1) == -1 && errno == ENOSPC);
	close(fd);
	REQ((tf = tempfile_spooled(4, NULL, NULL, dir, 0)));
	REQ(tempfile_write(tf, "1234", 4) == 4);
	errno = 0;
	REQ(tempfile_write(tf, "5", 1) == -1 && errno == ENOSPC);
	REQ(tempfile_rolled(tf) == 0);
	REQ(tempfile_seek(tf, 0, SEEK_SET) == 0);
	REQ(tempfile_read(tf, fill, 5) == 4 && memcmp(fill, "1234", 4) == 0);
	REQ(tu_count_entries(dir) == 1);
	REQ(tempfile_close(tf) == 0);
	free(filler);
	return 0;
}

START_TEST(test_full_rollover)
{
	char *dir = tu_subdir("full", 0);

	ck_assert_msg(geteuid() == 0, "needs root (unshare, mount), as in CI");
	ck_assert_int_eq(tu_run(full_rollover, dir, 0), 0);
	free(dir);
}
END_TEST

/* Whether the page at off in tf's spool is in memory (mincore()). */
static int resident(tempfile *tf, size_t off)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t at = ((uintptr_t)tf->spool->data + off) & ~(page - 1);
	unsigned char v = 0;

	return mincore((void *)at, (size_t)page, &v) == 0 && (v & 1);
}

/* On a tmpfs of 1 MiB, a rollover of LARGE bytes has given back the
 * memory of what it wrote when the file system fills: it reads that back,
 * and the spool is whole, in memory, where it stood (_i 0).  Should the
 * reading back fail too (pread() refused, _i 1), the call fails with EIO,
 * and so does every later access to the contents; closing still works.
 * Either way the file goes.  (_i 1 also sees that the memory was given
 * back: nothing read it again.) */
static int large_full_rollover(void *arg)
{
	const char *const *a = arg;
	const char *dir = a[0];
	int lost = a[1] != NULL, fd, gives;
	char c;
	tempfile *tf;

	tfp_spool_release_min = LARGE_RELEASE_MIN;
	REQ(tu_private_mounts() == 0);
	REQ(mount("tmpfs", dir, "tmpfs", 0, "size=1m,mode=0700") == 0);
	REQ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0);
	gives = tfp_fs_in_memory(fd);
	close(fd);
	/* Where configure finds fstatfs(), tmpfs is known; without it (CI's
	 * fallback build) the memory is never given back, and refusing
	 * pread() takes nothing away. */
#if defined HAVE_FSTATFS && defined HAVE_SYS_VFS_H
	REQ(gives);
#endif
	lost = lost && gives;
	REQ((tf = large_spool(dir)));
	REQ(resident(tf, LARGE / 6));
	REQ(!a[1] || tu_deny_syscall(SYS_pread64, EIO) == 0);
	errno = 0;
	REQ(tempfile_rollover(tf) == -1 && errno == (lost ? EIO : ENOSPC));
	REQ(tempfile_rolled(tf) == 0);
	REQ(tu_count_entries(dir) == 0);
	if (!lost) {
		REQ(resident(tf, LARGE / 6));
		REQ(large_holds(tf));
	} else {
		/* The first chunk's memory was given back, and stays so. */
		REQ(!resident(tf, LARGE / 6));
		REQ(tempfile_seek(tf, 0, SEEK_SET) == 0);
		errno = 0;
		REQ(tempfile_read(tf, &c, 1) == -1 && errno == EIO);
		errno = 0;
		REQ(tempfile_write(tf, "x", 1) == -1 && errno == EIO);
		errno = 0;
		REQ(tempfile_truncate(tf, 1) == -1 && errno == EIO);
		errno = 0;
		REQ(tempfile_fileno(tf) == -1 && errno == EIO);
		REQ(tu_count_entries(dir) == 0);
	}
	REQ(tempfile_close(tf) == 0);
	return 0;
}

START_TEST(test_large_full_rollover)
{
	char *dir = tu_subdir("large", 0);
	const char *arg[2] = { dir, _i ? "lost" : NULL };

	ck_assert_msg(geteuid() == 0, "needs root (unshare, mount), as in CI");
	ck_assert_int_eq(tu_run(large_full_rollover, (void *)arg, 0), 0);
	free(dir);
}
END_TEST

/* A large rollover that works: every byte and the position arrive, onto
 * tmpfs (given back as it goes, _i 0) and onto the file system of the
 * tests' directory (_i 1: tmpfs too, or a disk's, written whole, then
 * freed). */
static int large_rollover(void *arg)
{
	const char *const *a = arg;
	const char *dir = a[0];
	tempfile *tf;

	tfp_spool_release_min = LARGE_RELEASE_MIN;
	if (a[1]) {
		REQ(tu_private_mounts() == 0);
		REQ(mount("tmpfs", dir, "tmpfs", 0, "size=8m,mode=0700") == 0);
	}
	REQ((tf = large_spool(dir)));
	REQ(tempfile_rollover(tf) == 0 && tempfile_rolled(tf));
	REQ(large_holds(tf));
	REQ(tempfile_write(tf, "!", 1) == 1 && tempfile_seek(tf, 0, SEEK_END) == (off_t)LARGE);
	REQ(tempfile_close(tf) == 0);
	REQ(tu_count_entries(dir) == 0);
	return 0;
}

START_TEST(test_large_rollover)
{
	char *dir = tu_subdir("large", 0);
	const char *arg[2] = { dir, _i ? NULL : "tmpfs" };

	ck_assert_msg(geteuid() == 0, "needs root (unshare, mount), as in CI");
	ck_assert_int_eq(tu_run(large_rollover, (void *)arg, 0), 0);
	free(dir);
}
END_TEST

/* What the stream holds reaches the descriptor tempfile_fileno() gives. */
START_TEST(test_fileno_flushes_stream)
{
	tempfile *tf = tempfile_spooled(100, NULL, NULL, NULL, 0);
	char buf[8] = "";

	ck_assert_int_ge(fputs("held", tempfile_stream(tf)), 0);
	ck_assert_int_eq(pread(tempfile_fileno(tf), buf, sizeof buf - 1, 0), 4);
	ck_assert_str_eq(buf, "held");
	tempfile_close(tf);
}
END_TEST

START_TEST(test_closefd_spooled)
{
	tempfile *tf = tempfile_spooled(4, NULL, NULL, NULL, 0);
	char c;

	ck_assert_int_eq(tempfile_write(tf, "12", 2), 2);
	ck_assert_int_eq(tempfile_closefd(tf), 0);
	ck_assert_int_eq(tempfile_read(tf, &c, 1), -1);
	ck_assert_int_eq(errno, EBADF);
	ck_assert_int_eq(tempfile_close(tf), 0);
}
END_TEST

/* Never a silent truncation to what size_t holds: the spool goes to disk
 * or the call fails, the contents intact. */
START_TEST(test_truncate_beyond_memory)
{
	tempfile *tf = tempfile_spooled(0, NULL, NULL, NULL, 0);
	off_t big = beyond_memory();
	int r;

	ck_assert_int_eq(tempfile_write(tf, "abc", 3), 3);
	errno = 0;
	r = tempfile_truncate(tf, big);
	assert_abc_kept(tf, r, big);
	ck_assert_int_eq(tempfile_close(tf), 0);
}
END_TEST

START_TEST(test_write_beyond_memory)
{
	tempfile *tf = tempfile_spooled(0, NULL, NULL, NULL, 0);
	off_t big = beyond_memory();
	char c = 0;
	ssize_t w;

	ck_assert_int_eq(tempfile_write(tf, "abc", 3), 3);
	/* A seek alone is arithmetic: it neither fails nor rolls over. */
	ck_assert_int_eq(tempfile_seek(tf, big, SEEK_SET), big);
	ck_assert_int_eq(tempfile_rolled(tf), 0);
	ck_assert_int_eq(tempfile_seek(tf, 0, SEEK_CUR), big);
	ck_assert_int_eq(tempfile_read(tf, &c, 1), 0);
	errno = 0;
	w = tempfile_write(tf, "x", 1);
	assert_abc_kept(tf, (int)w, big + 1);
	if (w == 1)
		assert_read_at(tf, big, "x", 1);
	ck_assert_int_eq(tempfile_close(tf), 0);
}
END_TEST

/* write(2) of nothing changes nothing, wherever the position is. */
START_TEST(test_zero_length_write)
{
	tempfile *tf = tempfile_spooled(4, NULL, NULL, NULL, 0);

	ck_assert_int_eq(tempfile_write(tf, "", 0), 0); /* empty: no data yet */
	ck_assert_int_eq(tempfile_seek(tf, 0, SEEK_END), 0);
	ck_assert_int_eq(tempfile_write(tf, "ab", 2), 2);
	ck_assert_int_eq(tempfile_seek(tf, 3, SEEK_SET), 3);
	ck_assert_int_eq(tempfile_write(tf, "", 0), 0);
	ck_assert_int_eq(tempfile_seek(tf, 10, SEEK_SET), 10); /* past max_size */
	ck_assert_int_eq(tempfile_write(tf, "", 0), 0);
	ck_assert_int_eq(tempfile_rolled(tf), 0);
	ck_assert_int_eq(tell(tf), 10);
	ck_assert_int_eq(tempfile_seek(tf, 0, SEEK_END), 2);
	ck_assert_int_eq(tempfile_close(tf), 0);
}
END_TEST

/* A write(2) that stops short (here at the file size limit) does not end
 * a stream's write with a bare error flag: fopencookie() takes a short
 * count for an error, so the stream writes all or says why it could not. */
static int short_write_child(void *arg)
{
	struct rlimit rl = { 60, 60 };
	tempfile *tf = tempfile_spooled(16, NULL, NULL, NULL, 0);
	FILE *f = tempfile_stream(tf);
	char buf[100];

	TFP_UNUSED(arg);
	memset(buf, 'a', sizeof buf);
	REQ(tf && f);
	REQ(signal(SIGXFSZ, SIG_IGN) != SIG_ERR);
	REQ(setrlimit(RLIMIT_FSIZE, &rl) == 0);
	REQ(fwrite(buf, 1, sizeof buf, f) == sizeof buf);
	errno = 0;
	REQ(fflush(f) == EOF);
	REQ(errno == EFBIG);
	REQ(tempfile_seek(tf, 0, SEEK_END) == 60);
	REQ(tempfile_close(tf) == 0);
	return 0;
}

START_TEST(test_stream_short_write)
{
	ck_assert_int_eq(tu_run(short_write_child, NULL, 0), 0);
}
END_TEST

/* The in-memory half alone, as wrapper.c's callers never drive it: a
 * write at the last position an off_t holds, or a size that no allocation
 * gets, fails with ENOMEM and leaves the spool as it was (past SIZE_MAX
 * where size_t is the narrower, in realloc() where not). */
START_TEST(test_spool_limits)
{
	struct tfp_spool *sp = calloc(1, sizeof *sp);
	char buf[4] = "";

	ck_assert_ptr_nonnull(sp);
	ck_assert_int_eq(tfp_spool_write(sp, NULL, 0), 0); /* no data yet */
	ck_assert_int_eq(tfp_spool_write(sp, "abc", 3), 3);
	sp->pos = (off_t)((uintmax_t)SIZE_MAX < (uintmax_t)TFP_OFF_MAX ? SIZE_MAX - 1
	                                                               : (size_t)TFP_OFF_MAX);
	errno = 0;
	ck_assert_int_eq(tfp_spool_write(sp, "de", 2), -1);
	ck_assert_int_eq(errno, ENOMEM);
	errno = 0;
	ck_assert_int_eq(tfp_spool_truncate(sp, SIZE_MAX), -1);
	ck_assert_int_eq(errno, ENOMEM);
	ck_assert_uint_eq(sp->size, 3);
	ck_assert_int_eq(tfp_spool_read(sp, buf, 3), 0); /* still past the end */
	sp->pos = 0;
	ck_assert_int_eq(tfp_spool_read(sp, buf, sizeof buf), 3);
	ck_assert_str_eq(buf, "abc");
	tfp_spool_free(sp);
	tfp_spool_free(NULL);
}
END_TEST

static Suite *spooled_suite(void)
{
	Suite *s = suite_create("spooled");
	TCase *tc = tu_tcase("spooled", 60);

	tcase_add_test(tc, test_exact_max_size_stays);
	tcase_add_test(tc, test_one_big_write_rolls);
	tcase_add_test(tc, test_fileno_rolls_over);
	tcase_add_test(tc, test_seek_past_limit_and_gaps);
	tcase_add_test(tc, test_bad_seeks);
	tcase_add_test(tc, test_truncate);
	tcase_add_test(tc, test_read_across_rollover);
	tcase_add_test(tc, test_stream_crosses_limit);
	tcase_add_test(tc, test_stream_in_memory);
	tcase_add_test(tc, test_never_by_size);
	tcase_add_loop_test(tc, test_rollover_dir, 0, 2);
	tcase_add_test(tc, test_failed_rollover);
	tcase_add_test(tc, test_fileno_flushes_stream);
	tcase_add_test(tc, test_closefd_spooled);
	tcase_add_test(tc, test_truncate_beyond_memory);
	tcase_add_test(tc, test_write_beyond_memory);
	tcase_add_test(tc, test_zero_length_write);
	tcase_add_test(tc, test_stream_short_write);
	tcase_add_test(tc, test_spool_limits);
	tcase_add_test(tc, test_full_rollover);
	tcase_add_loop_test(tc, test_large_full_rollover, 0, 2);
	tcase_add_loop_test(tc, test_large_rollover, 0, 2);
	tcase_add_test(tc, test_stream_bad_seek);
	tcase_add_loop_test(tc, test_stream_write_in_read_ahead, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_main(spooled_suite());
}
