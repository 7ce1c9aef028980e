/* More object operations: tempfile_reopen (src/reopen.c), tempfile_keep and
 * tempfile_dir_keep, tempfile_mkunique (src/mkunique.c). */
#include "src/internal.h"
#include "testutil.h"

#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* ---- tempfile_reopen ---- */

enum { NAMED, UNNAMED, UNNAMED_FALLBACK, SPOOLED, SPOOLED_ROLLED, KINDS };

#if defined(HAVE_FOPENCOOKIE) || defined(HAVE_FUNOPEN)
# define SPOOL_STREAMS 1
#else
# define SPOOL_STREAMS 0
#endif

static tempfile *make(int kind, const char *dir)
{
	tempfile *tf;

	atomic_store(&tfp_tmpfile_works, kind != UNNAMED_FALLBACK);
	switch (kind) {
	case NAMED:
		return tempfile_named(NULL, NULL, dir, 0);
	case SPOOLED:
	case SPOOLED_ROLLED:
		tf = tempfile_spooled(0, NULL, NULL, dir, 0);
		if (tf && kind == SPOOLED_ROLLED && tempfile_rollover(tf) < 0) {
			tempfile_close(tf);
			return NULL;
		}
		return tf;
	default:
		return tempfile_unnamed(NULL, NULL, dir, 0);
	}
}

/* Whether fd is on tf's very file. */
static int same_file(tempfile *tf, int fd)
{
	struct stat a, b;

	return fstat(tempfile_fileno(tf), &a) == 0 && fstat(fd, &b) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* reopen on tf, which holds "hello world" at offset 11, as it should be:
 * own offset, its own open file description, close-on-exec, above 2.
 * Leaves tf holding "Jello world". */
static int check_reopened(tempfile *tf)
{
	char buf[32];
	int fd = tempfile_reopen(tf, O_RDWR), fl;

	REQ(fd > STDERR_FILENO);
	REQ(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	fl = fcntl(fd, F_GETFL);
	REQ((fl & O_ACCMODE) == O_RDWR && !(fl & (O_APPEND | O_NONBLOCK)));
	REQ(same_file(tf, fd));
	REQ(lseek(fd, 0, SEEK_CUR) == 0);
	REQ(read(fd, buf, sizeof buf) == 11 && memcmp(buf, "hello world", 11) == 0);
	REQ(pwrite(fd, "J", 1, 0) == 1);
	REQ(tempfile_seek(tf, 0, SEEK_CUR) == 11);
	REQ(tempfile_seek(tf, 0, SEEK_SET) == 0);
	REQ(tempfile_read(tf, buf, sizeof buf) == 11 && memcmp(buf, "Jello world", 11) == 0);
	REQ(lseek(fd, 0, SEEK_CUR) == 11);
	/* Not a dup(): moving one leaves the other. */
	REQ(lseek(fd, 3, SEEK_SET) == 3 && tempfile_seek(tf, 0, SEEK_CUR) == 11);
	REQ(close(fd) == 0);
	return 0;
}

/* The content written through the stream, not yet flushed, and through
 * the direct calls. */
static int fill(tempfile *tf)
{
	FILE *f = tempfile_stream(tf);

	REQ(tempfile_write(tf, "hello", 5) == 5);
	REQ(f && fputs(" world", f) >= 0);
	return 0;
}

START_TEST(test_reopen_each_kind)
{
	tempfile *tf = make(_i, NULL);
	struct stat st;

	ck_assert_ptr_nonnull(tf);
	ck_assert_int_eq(fill(tf), 0);
	/* With no stream over memory, asking for one rolled the spool over. */
	ck_assert_int_eq(tempfile_rolled(tf), _i != SPOOLED || !SPOOL_STREAMS);
	ck_assert_int_eq(check_reopened(tf), 0);
	ck_assert_int_eq(tempfile_rolled(tf), 1);
	/* The kinds are what they claim: unnamed ones have no name at all,
	 * and only O_TMPFILE ones can be linked into place. */
	ck_assert_int_eq(fstat(tempfile_fileno(tf), &st), 0);
	ck_assert_uint_eq(st.st_nlink, _i == NAMED);
	ck_assert_int_eq(tf->linkable, _i != NAMED && _i != UNNAMED_FALLBACK && TFP_O_TMPFILE);
	ck_assert_int_eq(tempfile_close(tf), 0);
	ck_assert_int_eq(tu_count_entries(tu_base), 0);
}
END_TEST

START_TEST(test_reopen_modes)
{
	tempfile *tf = make(_i, NULL);
	char c, buf[8];
	int fd;

	ck_assert_int_eq(tempfile_write(tf, "abc", 3), 3);
	fd = tempfile_reopen(tf, O_RDONLY);
	ck_assert_int_gt(fd, STDERR_FILENO);
	ck_assert_int_eq(fcntl(fd, F_GETFL) & (O_ACCMODE | O_APPEND), O_RDONLY);
	ck_assert_int_eq(write(fd, "x", 1), -1);
	ck_assert_int_eq(errno, EBADF);
	ck_assert_int_eq(read(fd, &c, 1), 1);
	ck_assert_int_eq(c, 'a');
	close(fd);

	fd = tempfile_reopen(tf, O_WRONLY | O_APPEND);
	ck_assert_int_gt(fd, STDERR_FILENO);
	ck_assert_int_eq(fcntl(fd, F_GETFL) & (O_ACCMODE | O_APPEND | O_NONBLOCK),
	                 O_WRONLY | O_APPEND);
	ck_assert_int_eq(read(fd, &c, 1), -1);
	ck_assert_int_eq(errno, EBADF);
	ck_assert_int_eq(write(fd, "d", 1), 1);
	close(fd);

	ck_assert_int_eq(tempfile_seek(tf, 0, SEEK_END), 4);
	/* The caller's descriptor outlives the object. */
	fd = tempfile_reopen(tf, O_RDONLY);
	ck_assert_int_gt(fd, STDERR_FILENO);
	ck_assert_int_eq(tempfile_close(tf), 0);
	ck_assert_int_eq(tu_count_entries(tu_base), 0);
	ck_assert_int_eq(pread(fd, buf, sizeof buf, 0), 4);
	ck_assert_int_eq(memcmp(buf, "abcd", 4), 0);
	close(fd);
}
END_TEST

START_TEST(test_reopen_bad_flags)
{
	static const int bad[] = { O_CREAT, O_TRUNC, O_RDWR | O_CREAT, O_WRONLY | O_TRUNC,
	                           O_RDWR | O_EXCL, O_RDONLY | O_CLOEXEC, O_ACCMODE,
	                           O_RDWR | O_NONBLOCK, 0x40000000, -1 };
	tempfile *tf = make(_i, NULL);
	size_t i;

	for (i = 0; i < sizeof bad / sizeof *bad; i++) {
		errno = 0;
		ck_assert_int_eq(tempfile_reopen(tf, bad[i]), -1);
		ck_assert_int_eq(errno, EINVAL);
	}
	/* Refused before anything happens: a spool stays in memory. */
	ck_assert_int_eq(tempfile_rolled(tf), _i != SPOOLED);
	ck_assert_int_eq(tempfile_closefd(tf), 0);
	ck_assert_int_eq(tempfile_reopen(tf, O_RDWR), -1);
	ck_assert_int_eq(errno, EBADF);
	ck_assert_int_eq(tempfile_close(tf), 0);
	ck_assert_int_eq(tempfile_reopen(NULL, O_RDWR), -1);
	ck_assert_int_eq(errno, EBADF);
	ck_assert_int_eq(tu_count_entries(tu_base), 0);
}
END_TEST

enum { REMOVED, RENAMED_OVER, SYMLINK, FIFO, DIRECTORY, HARDLINK_OTHER, SWAPS };

/* Whatever now stands at tf's name, the reopened descriptor is on tf's
 * file (through /proc), never on the newcomer. */
static int reopen_after_swap(void *arg)
{
	int how = *(int *)arg;
	tempfile *tf = tempfile_named(NULL, NULL, NULL, 0);
	char *name, *other = tu_join(tu_base, "other"), buf[16];
	int fd;

	REQ(tf && tempfile_write(tf, "mine", 4) == 4);
	name = strdup(tempfile_name(tf));
	tu_write_file(other, "theirs");
	switch (how) {
	case REMOVED: REQ(unlink(name) == 0); break;
	case RENAMED_OVER: REQ(rename(other, name) == 0); break;
	case SYMLINK: REQ(unlink(name) == 0 && symlink(other, name) == 0); break;
	case FIFO: REQ(unlink(name) == 0 && mkfifo(name, 0600) == 0); break;
	case DIRECTORY: REQ(unlink(name) == 0 && mkdir(name, 0700) == 0); break;
	case HARDLINK_OTHER: REQ(unlink(name) == 0 && link(other, name) == 0); break;
	}
	/* O_WRONLY: a FIFO without a reader would block an open() forever. */
	fd = tempfile_reopen(tf, how == FIFO ? O_WRONLY : O_RDWR);
	REQ(fd > STDERR_FILENO && same_file(tf, fd));
	if (how != FIFO)
		REQ(pread(fd, buf, sizeof buf, 0) == 4 && memcmp(buf, "mine", 4) == 0);
	REQ(pwrite(fd, "M", 1, 0) == 1);
	REQ(tempfile_seek(tf, 0, SEEK_SET) == 0 && tempfile_read(tf, buf, 4) == 4);
	REQ(memcmp(buf, "Mine", 4) == 0);
	if (how == DIRECTORY)
		REQ(rmdir(name) == 0);
	else
		REQ(unlink(name) == 0 || errno == ENOENT);
	unlink(other);
	REQ(tempfile_close(tf) == 0);
	close(fd);
	free(name);
	free(other);
	return 0;
}

START_TEST(test_reopen_name_swapped)
{
	int how = _i;

	ck_assert_int_eq(tu_run(reopen_after_swap, &how, 0), 0);
	ck_assert_int_eq(tu_count_entries(tu_base), 0);
}
END_TEST

START_TEST(test_reopen_after_persist)
{
	tempfile *tf = make(_i, NULL);
	char *dest = tu_join(tu_base, "kept");

	ck_assert_int_eq(fill(tf), 0);
	ck_assert_int_eq(tempfile_persist(tf, dest, 0), 0);
	ck_assert_int_eq(check_reopened(tf), 0);
	ck_assert_int_eq(tempfile_close(tf), 0);
	tu_assert_file(dest, "Jello world");
	ck_assert_int_eq(unlink(dest), 0);
	free(dest);
}
END_TEST

/* A file made read-only cannot be reopened for writing, by its name or
 * through /proc: EACCES, as open(2) says, also where there is no /proc
 * (not ESTALE: the name still leads to the file). */
static int reopen_read_only(const char *dir, int no_proc)
{
	int kind, fd;

	for (kind = 0; kind < KINDS; kind++) {
		tempfile *tf = make(kind, dir);

		REQ(tf && tempfile_write(tf, "ro", 2) == 2);
		REQ(fchmod(tempfile_fileno(tf), 0400) == 0);
		errno = 0;
		REQ(tempfile_reopen(tf, O_RDWR) == -1);
		REQ(errno == (no_proc && kind != NAMED ? ENOTSUP : EACCES));
		fd = tempfile_reopen(tf, O_RDONLY);
		REQ(no_proc && kind != NAMED ? fd == -1 : fd > STDERR_FILENO);
		if (fd >= 0)
			close(fd);
		REQ(tempfile_close(tf) == 0);
	}
	return 0;
}

/* The /proc links are followed as the file's owner, not as root. */
static int reopen_as_nobody(void *dir)
{
	int kind;

	for (kind = 0; kind < KINDS; kind++) {
		tempfile *tf = make(kind, dir);

		REQ(tf && fill(tf) == 0);
		REQ(check_reopened(tf) == 0);
		if (kind == NAMED) {
			/* The name now someone else's file: through /proc. */
			REQ(unlink(tempfile_name(tf)) == 0);
			tu_write_file(tempfile_name(tf), "a newcomer");
			REQ(tempfile_seek(tf, 0, SEEK_SET) == 0 && tempfile_write(tf, "h", 1) == 1);
			REQ(tempfile_seek(tf, 11, SEEK_SET) == 11);
			REQ(check_reopened(tf) == 0);
		}
		REQ(tempfile_close(tf) == 0);
	}
	return reopen_read_only(dir, 0);
}

START_TEST(test_reopen_as_nobody)
{
	char *dir = tu_subdir("nobody", 1);

	ck_assert_int_eq(tu_run(reopen_as_nobody, dir, 1), 0);
	ck_assert_int_eq(tu_count_entries(dir), 0);
	free(dir);
}
END_TEST

/* Without /proc (a private mount namespace with an empty tmpfs over it):
 * a named file is still reopened by its name, a file with no name cannot
 * be, and neither can one whose name now leads elsewhere. */
static int reopen_without_proc(void *dir)
{
	tempfile *tf;
	int kind, fd;

	REQ(unshare(CLONE_NEWNS) == 0);
	REQ(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0);
	REQ(mount("none", "/proc", "tmpfs", 0, NULL) == 0);
	REQ(access("/proc/self", F_OK) == -1);
	for (kind = 0; kind < KINDS; kind++) {
		tf = make(kind, NULL);
		REQ(tf && fill(tf) == 0);
		if (kind == NAMED) {
			REQ(check_reopened(tf) == 0);
		} else {
			errno = 0;
			REQ(tempfile_reopen(tf, O_RDWR) == -1 && errno == ENOTSUP);
		}
		REQ(tempfile_close(tf) == 0);
	}
	tf = make(NAMED, NULL);
	REQ(tf && unlink(tempfile_name(tf)) == 0);
	tu_write_file(tempfile_name(tf), "a newcomer");
	errno = 0;
	REQ((fd = tempfile_reopen(tf, O_RDONLY)) == -1 && errno == ESTALE);
	REQ(tempfile_close(tf) == 0);
	REQ(setgroups(0, NULL) == 0 && setgid(TU_NOBODY) == 0 && setuid(TU_NOBODY) == 0);
	return reopen_read_only(dir, 1);
}

START_TEST(test_reopen_without_proc)
{
	char *dir = tu_subdir("nobody", 1);

	ck_assert_msg(geteuid() == 0, "needs root (unshare, mount), as in CI");
	ck_assert_int_eq(tu_run(reopen_without_proc, dir, 0), 0);
	ck_assert_int_eq(tu_count_entries(tu_base), 1);
	ck_assert_int_eq(tu_count_entries(dir), 0);
	free(dir);
}
END_TEST

/* A thread with a descriptor table of its own: /proc/self/fd is the main
 * thread's, which does not have the thread's new descriptors. */
static void *reopen_in_own_table(void *arg)
{
	int kind;

	(void)arg;
	if (unshare(CLONE_FILES) < 0)
		return (void *)(intptr_t)1;
	for (kind = 0; kind < KINDS; kind++) {
		tempfile *tf = make(kind, NULL);

		if (!tf || fill(tf) < 0)
			return (void *)(intptr_t)2;
		/* A named file too, once its name is gone. */
		if (kind == NAMED && unlink(tempfile_name(tf)) < 0)
			return (void *)(intptr_t)3;
		if (check_reopened(tf) != 0)
			return (void *)(intptr_t)4;
		if (tempfile_close(tf) < 0)
			return (void *)(intptr_t)5;
	}
	return NULL;
}

static int reopen_thread_table(void *arg)
{
	pthread_t t;
	void *ret;

	(void)arg;
	REQ(pthread_create(&t, NULL, reopen_in_own_table, NULL) == 0);
	REQ(pthread_join(t, &ret) == 0);
	/* 1 unshare, 2 make, 3 unlink, 4 reopen, 5 close failed */
	return (int)(intptr_t)ret;
}

START_TEST(test_reopen_thread_own_table)
{
	ck_assert_int_eq(tu_run(reopen_thread_table, NULL, 0), 0);
	ck_assert_int_eq(tu_count_entries(tu_base), 0);
}
END_TEST

/* Out of descriptors: EMFILE, as open(2) says (not ESTALE or ENOTSUP). */
static int reopen_no_descriptors(void *arg)
{
	tempfile *tf[KINDS];
	struct rlimit rl;
	int kind, fd;

	(void)arg;
	for (kind = 0; kind < KINDS; kind++) {
		REQ((tf[kind] = make(kind, NULL)) && fill(tf[kind]) == 0);
		REQ(tempfile_fileno(tf[kind]) >= 0);
	}
	REQ((fd = dup(0)) >= 0);
	close(fd);
	REQ(getrlimit(RLIMIT_NOFILE, &rl) == 0);
	rl.rlim_cur = (rlim_t)fd; /* soft only: tu_exit() raises it again */
	REQ(setrlimit(RLIMIT_NOFILE, &rl) == 0);
	for (kind = 0; kind < KINDS; kind++) {
		errno = 0;
		REQ(tempfile_reopen(tf[kind], O_RDONLY) == -1 && errno == EMFILE);
	}
	for (kind = 0; kind < KINDS; kind++)
		REQ(tempfile_close(tf[kind]) == 0);
	return 0;
}

START_TEST(test_reopen_no_descriptors)
{
	ck_assert_int_eq(tu_run(reopen_no_descriptors, NULL, 0), 0);
	ck_assert_int_eq(tu_count_entries(tu_base), 0);
}
END_TEST

static int reopen_stdio_closed(void *arg)
{
	int kind, fd;

	(void)arg;
	for (kind = 0; kind < KINDS; kind++) {
		tempfile *tf = make(kind, NULL);

		REQ(tf);
		close(STDIN_FILENO);
		close(STDOUT_FILENO);
		close(STDERR_FILENO);
		fd = tempfile_reopen(tf, O_RDWR);
		if (fd <= STDERR_FILENO || !(fcntl(fd, F_GETFD) & FD_CLOEXEC))
			return 10 + kind;
		/* The lowest free descriptors are still 0, 1 and 2. */
		if (open("/dev/null", O_RDONLY) != 0)
			return 20 + kind;
		close(fd);
		tempfile_close(tf);
	}
	return 0;
}

START_TEST(test_reopen_stdio_closed)
{
	ck_assert_int_eq(tu_run(reopen_stdio_closed, NULL, 0), 0);
	ck_assert_int_eq(tu_count_entries(tu_base), 0);
}
END_TEST

/* ---- tempfile_keep, tempfile_dir_keep ---- */

START_TEST(test_keep_close)
{
	unsigned flags = _i ? TEMPFILE_CLEANUP_AT_EXIT : 0;
	tempfile *tf = tempfile_named(NULL, NULL, NULL, flags);
	tempfile_dir *d = tempfile_dir_new(NULL, NULL, NULL, flags);
	char *file, *dir, *inside;

	ck_assert_ptr_nonnull(tf);
	ck_assert_ptr_nonnull(d);
	file = strdup(tempfile_name(tf));
	dir = strdup(tempfile_dir_name(d));
	inside = tu_join(dir, "inside");
	tu_write_file(inside, "x");
	ck_assert_int_eq(tempfile_write(tf, "kept", 4), 4);
	ck_assert_int_eq(tempfile_keep(tf), 0);
	ck_assert_int_eq(tempfile_keep(tf), 0); /* twice is fine */
	ck_assert_int_eq(tempfile_dir_keep(d), 0);
	/* Unregistered: cleanup_all, as at exit, leaves them too. */
	tempfile_cleanup_all();
	ck_assert_int_eq(tempfile_close(tf), 0);
	ck_assert_int_eq(tempfile_dir_close(d), 0);
	tu_assert_file(file, "kept");
	tu_assert_file(inside, "x");
	unlink(file);
	unlink(inside);
	rmdir(dir);
	free(file);
	free(dir);
	free(inside);
}
END_TEST

/* After closefd too: the object still owns the name until close. */
START_TEST(test_keep_after_closefd)
{
	tempfile *tf = tempfile_named(NULL, NULL, NULL, TEMPFILE_CLEANUP_AT_EXIT);
	char *file = strdup(tempfile_name(tf));

	ck_assert_int_eq(tempfile_write(tf, "k", 1), 1);
	ck_assert_int_eq(tempfile_closefd(tf), 0);
	ck_assert_int_eq(tempfile_keep(tf), 0);
	ck_assert_int_eq(tempfile_close(tf), 0);
	tu_assert_file(file, "k");
	unlink(file);
	free(file);
}
END_TEST

/* Files with no name have nothing to keep: 0, and close still works. */
START_TEST(test_keep_nameless)
{
	tempfile *tf = make(_i + UNNAMED, NULL);

	ck_assert_int_eq(tempfile_write(tf, "x", 1), 1);
	ck_assert_int_eq(tempfile_keep(tf), 0);
	ck_assert_int_eq(tempfile_close(tf), 0);
	ck_assert_int_eq(tu_count_entries(tu_base), 0);
}
END_TEST

START_TEST(test_keep_null)
{
	errno = 0;
	ck_assert_int_eq(tempfile_keep(NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(tempfile_dir_keep(NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

/* _i: bit 0 keep, bit 1 TEMPFILE_CLEANUP_AT_EXIT, bit 2 die of SIGTERM
 * rather than exit(). */
static int keep_then_end(void *arg)
{
	int how = *(int *)arg;
	unsigned flags = how & 2 ? TEMPFILE_CLEANUP_AT_EXIT : 0;
	tempfile *tf = tempfile_named(NULL, NULL, NULL, flags);
	tempfile_dir *d = tempfile_dir_new(NULL, NULL, NULL, flags);

	REQ(tf && d);
	if (how & 1)
		REQ(tempfile_keep(tf) == 0 && tempfile_dir_keep(d) == 0);
	if (how & 4)
		raise(SIGTERM);
	exit(0);
}

START_TEST(test_keep_at_exit)
{
	int how = _i;
	int gone = (how & 2) && !(how & 1);

	ck_assert_int_eq(tu_run(keep_then_end, &how, 0), how & 4 ? 100 + SIGTERM : 0);
	/* Without keep, cleanup at exit removes both: the test can tell. */
	ck_assert_int_eq(tu_count_entries(tu_base), gone ? 0 : 2);
}
END_TEST

/* ---- tempfile_mkunique ---- */

static long calls;
static const char *scripted[3];

static int scripted_names(char *out)
{
	memcpy(out, scripted[calls < 2 ? calls : 2], TEMPFILE_NAME_LEN);
	return 0;
}

static void script(const char *a, const char *b, const char *c)
{
	scripted[0] = a;
	scripted[1] = b;
	scripted[2] = c;
	tfp_name_hook = scripted_names;
}

struct sock {
	const char *dir; /* where dirfd is, for bind()'s path */
	int fd;
};

static int bind_socket(int dirfd, const char *name, void *arg)
{
	struct sock *s = arg;
	struct sockaddr_un sa;

	(void)dirfd;
	calls++;
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	if ((size_t)snprintf(sa.sun_path, sizeof sa.sun_path, "%s/%s", s->dir, name) >=
	    sizeof sa.sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return bind(s->fd, (struct sockaddr *)&sa, sizeof sa);
}

static int make_fifo(int dirfd, const char *name, void *arg)
{
	(void)arg;
	calls++;
	return mkfifoat(dirfd, name, 0600);
}

static int make_symlink(int dirfd, const char *name, void *target)
{
	calls++;
	return symlinkat(target, dirfd, name);
}

static int make_hardlink(int dirfd, const char *name, void *target)
{
	calls++;
	return linkat(AT_FDCWD, target, dirfd, name, 0);
}

/* Files, descriptors returned as they are. */
static int make_file(int dirfd, const char *name, void *arg)
{
	(void)arg;
	calls++;
	return openat(dirfd, name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
}

/* use_cwd 0: a directory descriptor on dir; 1: AT_FDCWD from inside it. */
static int in_dir(const char *dir, int use_cwd)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	ck_assert_int_ge(dfd, 0);
	if (!use_cwd)
		return dfd;
	ck_assert_int_eq(fchdir(dfd), 0);
	close(dfd);
	return AT_FDCWD;
}

START_TEST(test_mkunique_socket)
{
	char *sub = tu_subdir("sock", 0), *name = NULL, *taken, *path;
	struct sock s = { sub, -1 }, other = { sub, -1 };
	int dfd = in_dir(sub, _i);
	struct stat st;

	/* The first name is a live socket's: bind() says EADDRINUSE. */
	taken = tu_join(sub, "s-aaaaaaaa.sock");
	other.fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_eq(bind_socket(AT_FDCWD, "s-aaaaaaaa.sock", &other), 0);
	s.fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_ge(s.fd, 0);
	calls = 0;
	script("aaaaaaaa", "bbbbbbbb", "cccccccc");
	ck_assert_int_eq(tempfile_mkunique(dfd, ".sock", "s-", bind_socket, &s, &name), 0);
	tfp_name_hook = NULL;
	ck_assert_int_eq(calls, 2);
	ck_assert_str_eq(name, "s-bbbbbbbb.sock");
	path = tu_join(sub, name);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_int_eq(listen(s.fd, 1), 0);
	close(s.fd);
	close(other.fd);
	unlink(path);
	unlink(taken);
	if (dfd != AT_FDCWD)
		close(dfd);
	free(taken);
	free(path);
	free(name);
	free(sub);
}
END_TEST

START_TEST(test_mkunique_fifo_and_links)
{
	char *sub = tu_subdir("links", 0), *name = NULL, *path, *taken, buf[16];
	char target[] = "target";
	int dfd = in_dir(sub, _i), fd;
	struct stat st;
	ssize_t n;

	taken = tu_join(sub, "tmpaaaaaaaa");
	tu_write_file(taken, "taken");

	/* A FIFO; the first name is taken by a file: EEXIST, next. */
	calls = 0;
	script("aaaaaaaa", "ffffffff", "ffffffff");
	ck_assert_int_eq(tempfile_mkunique(dfd, NULL, NULL, make_fifo, NULL, &name), 0);
	ck_assert_int_eq(calls, 2);
	ck_assert_str_eq(name, "tmpffffffff");
	path = tu_join(sub, name);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISFIFO(st.st_mode));
	free(path);
	free(name);

	/* A symbolic link, the first name taken by the FIFO. */
	calls = 0;
	script("ffffffff", "llllllll", "llllllll");
	ck_assert_int_eq(tempfile_mkunique(dfd, "", "tmp", make_symlink, target, &name), 0);
	ck_assert_str_eq(name, "tmpllllllll");
	ck_assert_int_eq(calls, 2);
	path = tu_join(sub, name);
	n = readlink(path, buf, sizeof buf);
	ck_assert_int_eq(n, 6);
	ck_assert_int_eq(memcmp(buf, "target", 6), 0);
	free(path);
	free(name);

	/* A hard link. */
	tfp_name_hook = NULL;
	ck_assert_int_eq(tempfile_mkunique(dfd, NULL, "h-", make_hardlink, taken, &name), 0);
	path = tu_join(sub, name);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert_uint_eq(st.st_nlink, 2);
	free(path);
	free(name);

	/* What create returns is returned: here a descriptor; name may be NULL. */
	fd = tempfile_mkunique(dfd, NULL, NULL, make_file, NULL, NULL);
	ck_assert_int_gt(fd, STDERR_FILENO);
	ck_assert_int_eq(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDWR);
	close(fd);
	ck_assert_int_eq(tu_count_entries(sub), 5);
	if (dfd != AT_FDCWD)
		close(dfd);
	free(taken);
	free(sub);
}
END_TEST

/* Fails with *err, returning -2 (any negative value is a failure). */
static int refuse(int dirfd, const char *name, void *err)
{
	(void)dirfd;
	(void)name;
	calls++;
	errno = *(int *)err;
	return -2;
}

/* Only EEXIST and EADDRINUSE try another name. */
START_TEST(test_mkunique_stops_at_once)
{
	static const int errs[] = { EACCES, ENOENT, ENOSPC, EINVAL, EPERM };
	char sentinel[] = "unchanged", *name = sentinel;
	size_t i;

	for (i = 0; i < sizeof errs / sizeof *errs; i++) {
		int err = errs[i];

		calls = 0;
		errno = 0;
		ck_assert_int_eq(tempfile_mkunique(AT_FDCWD, NULL, NULL, refuse, &err, &name), -1);
		ck_assert_int_eq(errno, err);
		ck_assert_int_eq(calls, 1);
		ck_assert_ptr_eq(name, sentinel);
	}
}
END_TEST

static int always_taken(int dirfd, const char *name, void *arg)
{
	(void)dirfd;
	(void)name;
	(void)arg;
	errno = calls++ % 2 ? EADDRINUSE : EEXIST;
	return -1;
}

START_TEST(test_mkunique_gives_up)
{
	char sentinel[] = "unchanged", *name = sentinel;
	int dfd = in_dir(tu_base, _i);

	calls = 0;
	errno = 0;
	ck_assert_int_eq(tempfile_mkunique(dfd, NULL, NULL, always_taken, NULL, &name), -1);
	ck_assert_int_eq(errno, EEXIST);
	ck_assert_int_eq(calls, TEMPFILE_TMP_MAX);
	ck_assert_ptr_eq(name, sentinel);
	if (dfd != AT_FDCWD)
		close(dfd);
}
END_TEST

START_TEST(test_mkunique_bad_arguments)
{
	char long_prefix[NAME_MAX + 1], *name = NULL;

	memset(long_prefix, 'p', sizeof long_prefix - 1);
	long_prefix[sizeof long_prefix - 1] = '\0';
	calls = 0;
	errno = 0;
	ck_assert_int_eq(tempfile_mkunique(AT_FDCWD, NULL, NULL, NULL, NULL, &name), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(tempfile_mkunique(AT_FDCWD, NULL, "a/b", make_file, NULL, &name), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(tempfile_mkunique(AT_FDCWD, "/x", NULL, make_file, NULL, &name), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(tempfile_mkunique(AT_FDCWD, NULL, long_prefix, make_file, NULL, &name), -1);
	ck_assert_int_eq(errno, ENAMETOOLONG);
	errno = 0;
	ck_assert_int_eq(tempfile_mkunique(-1, NULL, NULL, make_file, NULL, &name), -1);
	ck_assert_int_eq(errno, EBADF);
	ck_assert_int_eq(calls, 1);
	ck_assert_ptr_null(name);
	ck_assert_int_eq(tu_count_entries(tu_base), 0);
}
END_TEST

static Suite *objops_suite(void)
{
	Suite *s = suite_create("objops");
	TCase *tc = tu_tcase("reopen", 60);

	tcase_add_loop_test(tc, test_reopen_each_kind, 0, KINDS);
	tcase_add_loop_test(tc, test_reopen_modes, 0, KINDS);
	tcase_add_loop_test(tc, test_reopen_bad_flags, 0, KINDS);
	tcase_add_loop_test(tc, test_reopen_name_swapped, 0, SWAPS);
	tcase_add_loop_test(tc, test_reopen_after_persist, 0, KINDS);
	tcase_add_test(tc, test_reopen_as_nobody);
	tcase_add_test(tc, test_reopen_without_proc);
	tcase_add_test(tc, test_reopen_stdio_closed);
	tcase_add_test(tc, test_reopen_no_descriptors);
	tcase_add_test(tc, test_reopen_thread_own_table);
	suite_add_tcase(s, tc);

	tc = tu_tcase("keep", 60);
	tcase_add_loop_test(tc, test_keep_close, 0, 2);
	tcase_add_test(tc, test_keep_after_closefd);
	tcase_add_loop_test(tc, test_keep_nameless, 0, KINDS - UNNAMED);
	tcase_add_test(tc, test_keep_null);
	tcase_add_loop_test(tc, test_keep_at_exit, 0, 8);
	suite_add_tcase(s, tc);

	tc = tu_tcase("mkunique", 60);
	tcase_add_loop_test(tc, test_mkunique_socket, 0, 2);
	tcase_add_loop_test(tc, test_mkunique_fifo_and_links, 0, 2);
	tcase_add_test(tc, test_mkunique_stops_at_once);
	tcase_add_loop_test(tc, test_mkunique_gives_up, 0, 2);
	tcase_add_test(tc, test_mkunique_bad_arguments);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_main(objops_suite());
}
