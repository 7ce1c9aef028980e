/* Directory removal at its limits: src/rmtree.c and the identity checks of
 * src/tempdirectory.c.  Descriptors that the program freed and the kernel
 * gave to another directory, mount points inside the tree, trees far deeper
 * than any stack or descriptor table, and locked directories without /proc. */
#include "src/internal.h"
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int exists_at(int dirfd, const char *name)
{
	struct stat st;

	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static int exists(const char *path)
{
	return exists_at(AT_FDCWD, path);
}

/* A file holding "data" at dirfd/name. */
static int put_file(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	REQ(fd >= 0);
	REQ(write(fd, "data", 4) == 4);
	REQ(close(fd) == 0);
	return 0;
}

static int open_dir(int dirfd, const char *name)
{
	return openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- Something outside the tree that must stay exactly as it is ---- */

/* base/outside (0751) holding a file and a subdirectory. */
static int make_outside(const char *base)
{
	char *o = tu_join(base, "outside");
	int fd;

	REQ(mkdir(o, 0700) == 0);
	REQ((fd = open_dir(AT_FDCWD, o)) >= 0);
	REQ(put_file(fd, "f") == 0 && mkdirat(fd, "sub", 0700) == 0);
	REQ(fchmod(fd, 0751) == 0);
	close(fd);
	free(o);
	return 0;
}

static int outside_intact(const char *base)
{
	char *o = tu_join(base, "outside");
	struct stat st;
	int fd;

	REQ(lstat(o, &st) == 0 && (st.st_mode & 07777) == 0751);
	REQ(tu_count_entries(o) == 2);
	REQ((fd = open_dir(AT_FDCWD, o)) >= 0);
	REQ(fstatat(fd, "f", &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_size == 4);
	REQ(fstatat(fd, "sub", &st, AT_SYMLINK_NOFOLLOW) == 0 && (st.st_mode & 07777) == 0700);
	close(fd);
	free(o);
	return 0;
}

/* ---- 1. A descriptor the program freed and the kernel reused ---- */

/* The tree's descriptor handed to fdopendir() and closed with closedir(),
 * its number then given to another directory: cleanup must find its own
 * tree by path, and leave the other directory, and the descriptor that is
 * now the program's, alone. */
static int reuse_number(const tempfile_dir *d, const char *other)
{
	int fd = tempfile_dir_fd(d), ofd;
	DIR *dir = fdopendir(fd);

	REQ(dir != NULL);
	REQ(closedir(dir) == 0);
	REQ((ofd = open_dir(AT_FDCWD, other)) >= 0);
	if (ofd != fd) { /* the kernel gives the lowest number free */
		REQ(dup2(ofd, fd) == fd);
		close(ofd);
	}
	return fd;
}

static int stale_fd_child(void *arg)
{
	const char *base = arg;
	char *other = tu_join(base, "outside"), *path;
	tempfile_dir *d;
	int fd, tfd;

	REQ(make_outside(base) == 0);
	REQ((d = tempfile_dir_new(NULL, NULL, base, 0)) != NULL);
	path = strdup(tempfile_dir_name(d));
	REQ((tfd = open_dir(AT_FDCWD, path)) >= 0);
	REQ(put_file(tfd, "f") == 0 && mkdirat(tfd, "sub", 0500) == 0);
	close(tfd);
	fd = reuse_number(d, other);
	REQ(fd > 2);
	REQ(tempfile_dir_cleanup(d) == 0);
	REQ(!exists(path));
	REQ(outside_intact(base) == 0);
	REQ(tempfile_dir_close(d) == 0);
	/* Still open: it is the program's now, not the object's. */
	REQ(fcntl(fd, F_GETFD) >= 0);
	REQ(outside_intact(base) == 0);
	REQ(tu_count_entries(base) == 1);
	free(path);
	free(other);
	return 0;
}

START_TEST(test_stale_fd)
{
	ck_assert_int_eq(tu_run(stale_fd_child, tu_base, 0), 0);
}
END_TEST

/* Stale descriptor and the path moved away: nothing identifies the tree
 * any more, so cleanup touches nothing and says so. */
static int stale_fd_moved_child(void *arg)
{
	const char *base = arg;
	char *other = tu_join(base, "outside"), *moved = tu_join(base, "moved");
	tempfile_dir *d;
	int fd, mfd;

	REQ(make_outside(base) == 0);
	REQ((d = tempfile_dir_new(NULL, NULL, base, 0)) != NULL);
	fd = reuse_number(d, other);
	REQ(fd > 2);
	REQ(rename(tempfile_dir_name(d), moved) == 0);
	REQ((mfd = open_dir(AT_FDCWD, moved)) >= 0);
	REQ(put_file(mfd, "f") == 0);
	/* Another directory now at the path: not ours either. */
	REQ(mkdir(tempfile_dir_name(d), 0700) == 0);
	errno = 0;
	REQ(tempfile_dir_cleanup(d) == -1 && errno == ESTALE);
	REQ(exists(tempfile_dir_name(d)));
	REQ(exists_at(mfd, "f"));
	REQ(outside_intact(base) == 0);
	errno = 0;
	REQ(tempfile_dir_close(d) == -1 && errno == ESTALE);
	REQ(fcntl(fd, F_GETFD) >= 0);
	REQ(outside_intact(base) == 0 && exists_at(mfd, "f"));
	close(mfd);
	free(other);
	free(moved);
	return 0;
}

START_TEST(test_stale_fd_path_moved)
{
	ck_assert_int_eq(tu_run(stale_fd_moved_child, tu_base, 0), 0);
}
END_TEST

/* Stale descriptor, the tree removed by the program and another directory
 * made at its path, which file systems such as ext4 give the same inode
 * number: only the birth time tells them apart. */
static int stale_fd_reused_inode_child(void *arg)
{
	const char *base = arg;
	char *other = tu_join(base, "outside"), *path;
	tempfile_dir *d;
	struct stat before, after;
	int fd, nfd, dfd, i;
	char aside[32];

	REQ(make_outside(base) == 0);
	REQ((d = tempfile_dir_new(NULL, NULL, base, 0)) != NULL);
	path = strdup(tempfile_dir_name(d));
	REQ(stat(path, &before) == 0 && (dfd = open_dir(AT_FDCWD, base)) >= 0);
	fd = reuse_number(d, other);
	REQ(fd > 2);
	/* Inodes that are not the one wanted are kept aside, taken. */
	REQ(rmdir(path) == 0);
	for (i = 0; i < 64; i++) {
		snprintf(aside, sizeof aside, "aside%d", i);
		REQ(mkdir(path, 0700) == 0 && stat(path, &after) == 0);
		if (after.st_ino == before.st_ino || i == 63)
			break;
		REQ(renameat(AT_FDCWD, path, dfd, aside) == 0);
	}
	if (after.st_ino != before.st_ino)
		fprintf(stderr, "note: inode %lu not reused here\n", (unsigned long)before.st_ino);
	REQ((nfd = open_dir(AT_FDCWD, path)) >= 0 && put_file(nfd, "f") == 0);
	errno = 0;
	REQ(tempfile_dir_cleanup(d) == -1 && errno == ESTALE);
	REQ(exists_at(nfd, "f") && exists(path));
	REQ(tempfile_dir_close(d) == -1 && errno == ESTALE);
	REQ(exists_at(nfd, "f") && outside_intact(base) == 0);
	close(nfd);
	close(dfd);
	free(path);
	free(other);
	return 0;
}

START_TEST(test_stale_fd_inode_reused)
{
	ck_assert_int_eq(tu_run(stale_fd_reused_inode_child, tu_base, 0), 0);
}
END_TEST

/* The same through the exit registry: exit() removes the tree, not the
 * directory that got its descriptor number. */
static tempfile_dir *volatile exit_dir; /* reachable, for LeakSanitizer */

static int stale_fd_exit_child(void *arg)
{
	const char *base = arg;
	char *other = tu_join(base, "outside");
	tempfile_dir *d;

	REQ(make_outside(base) == 0);
	REQ((d = exit_dir = tempfile_dir_new(NULL, NULL, base, TEMPFILE_CLEANUP_AT_EXIT)) != NULL);
	REQ(reuse_number(d, other) > 2);
	free(other);
	exit(0);
}

START_TEST(test_stale_fd_at_exit)
{
	fflush(NULL);
	ck_assert_int_eq(tu_run(stale_fd_exit_child, tu_base, 0), 0);
	ck_assert_int_eq(outside_intact(tu_base), 0);
	ck_assert_int_eq(tu_count_entries(tu_base), 1);
}
END_TEST

/* ---- 2. Mount points inside the tree ---- */

/* As root in a mount namespace of its own: a bind mount of a private
 * directory and a tmpfs, both inside the tree.  Cleanup removes all else,
 * leaves both mounts and what they hold, and says EBUSY. */
static int mounts_child(void *arg)
{
	const char *base = arg;
#if defined(HAVE_STATX) || defined(HAVE_NAME_TO_HANDLE_AT)
	char *priv = tu_join(base, "private"), *top;
#else
	/* Mount ids unknown: only a mount of another device can show. */
	char *priv = tu_join(tu_other_fs ? tu_other_fs : base, "private"), *top;
#endif
	tempfile_dir *d;
	int fd, a, m;
	struct stat st;

	REQ(unshare(CLONE_NEWNS) == 0);
	REQ(mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) == 0);
	REQ(mkdir(priv, 0700) == 0);
	REQ((fd = open_dir(AT_FDCWD, priv)) >= 0 && put_file(fd, "keep") == 0);
	REQ((d = tempfile_dir_new(NULL, NULL, base, 0)) != NULL);
	top = strdup(tempfile_dir_name(d));
	fd = tempfile_dir_fd(d);
	REQ(put_file(fd, "f") == 0 && mkdirat(fd, "a", 0700) == 0 && mkdirat(fd, "b", 0700) == 0);
	REQ(mkdirat(fd, "m2", 0700) == 0 && (a = open_dir(fd, "a")) >= 0);
	REQ(put_file(a, "f") == 0 && mkdirat(a, "m1", 0700) == 0 && mkdirat(a, "z", 0700) == 0);
	REQ((m = open_dir(fd, "b")) >= 0 && put_file(m, "g") == 0 && close(m) == 0);
	REQ(chdir(top) == 0);
	REQ(mount(priv, "a/m1", "none", MS_BIND, NULL) == 0); /* type ignored; valgrind reads it */
	REQ(mount("tmpfs", "m2", "tmpfs", 0, "mode=0500") == 0);
	REQ((m = open_dir(fd, "m2")) >= 0 && fchmod(m, 0700) == 0 && put_file(m, "t") == 0);
	REQ(fchmod(m, 0500) == 0 && close(m) == 0);
	REQ(chdir("/") == 0);

	errno = 0;
	REQ(tempfile_dir_cleanup(d) == -1 && errno == EBUSY);
	REQ(tu_count_entries(priv) == 1 && exists_at(a, "m1/keep"));
	REQ(tu_count_entries(top) == 2 && exists_at(fd, "m2/t"));
	REQ(fstatat(fd, "m2", &st, AT_SYMLINK_NOFOLLOW) == 0 && (st.st_mode & 07777) == 0500);
	REQ(tu_count_entries(base) == (strncmp(priv, base, strlen(base)) == 0 ? 2 : 1));
	/* a holds only the mount point now. */
	REQ(!exists_at(a, "f") && !exists_at(a, "z") && exists_at(a, "m1"));
	close(a);
	REQ(chdir(top) == 0 && umount("a/m1") == 0 && umount("m2") == 0 && chdir("/") == 0);
	REQ(tempfile_dir_close(d) == 0);
	REQ(!exists(top) && tu_count_entries(priv) == 1);
	free(top);
	free(priv);
	return 0;
}

START_TEST(test_mount_points)
{
	ck_assert_int_eq(tu_run(mounts_child, tu_base, 0), 0);
}
END_TEST

/* A mount at the bottom of a chain deeper than the records the walk can
 * keep without mapping memory: it still ends, with EBUSY, and removes
 * everything but the mount and the way to it. */
static int deep_mount_child(void *arg)
{
	const char *base = arg;
	tempfile_dir *d;
	int fd, next, i;

	REQ(unshare(CLONE_NEWNS) == 0);
	REQ(mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) == 0);
	tfp_levels_no_map = 1;
	REQ((d = tempfile_dir_new(NULL, NULL, base, 0)) != NULL);
	fd = tempfile_dir_fd(d);
	for (i = 0; i < 40; i++) {
		REQ(put_file(fd, "f") == 0 && mkdirat(fd, "e", 0700) == 0);
		REQ(mkdirat(fd, "d", 0700) == 0 && (next = open_dir(fd, "d")) >= 0);
		if (fd != tempfile_dir_fd(d))
			close(fd);
		fd = next;
	}
	REQ(fchdir(fd) == 0 && mkdir("m", 0700) == 0);
	REQ(mount("tmpfs", "m", "tmpfs", 0, NULL) == 0 && put_file(fd, "m/t") == 0);
	REQ(put_file(fd, "g") == 0 && chdir("/") == 0);
	errno = 0;
	REQ(tempfile_dir_cleanup(d) == -1 && errno == EBUSY);
	REQ(exists_at(fd, "m/t") && !exists_at(fd, "g") && tu_count_entries(base) == 1);
	REQ(!exists_at(tempfile_dir_fd(d), "f") && !exists_at(tempfile_dir_fd(d), "e"));
	REQ(fchdir(fd) == 0 && umount("m") == 0 && chdir("/") == 0);
	close(fd);
	REQ(tempfile_dir_close(d) == 0);
	REQ(tu_count_entries(base) == 0);
	return 0;
}

START_TEST(test_deep_mount_no_memory)
{
	ck_assert_int_eq(tu_run(deep_mount_child, tu_base, 0), 0);
}
END_TEST

/* ---- 13. A locked subdirectory, without /proc ---- */

/* As nobody, who cannot open a 0000 directory: only a chmod through an
 * O_PATH descriptor unlocks it, and fchmodat2() is the way without /proc
 * (Linux 6.6 and later; the kernels CI runs on have it).  A build that
 * knows no AT_EMPTY_PATH has no way: there, cleanup must say EACCES. */
#if defined(__linux__) && !defined(SYS_fchmodat2)
# define SYS_fchmodat2 452 /* as in src/dirfd.c */
#endif

/* Whether fchmodat2() works here: valgrind (before 3.22) says ENOSYS, as a
 * kernel before 6.6 does.  fd is a directory of ours, already 0700. */
static int kernel_has_fchmodat2(int fd)
{
#if defined(SYS_fchmodat2) && HAVE_DECL_AT_EMPTY_PATH
	return syscall(SYS_fchmodat2, fd, "", 0700, AT_EMPTY_PATH) == 0 || errno != ENOSYS;
#else
	(void)fd;
	return 0;
#endif
}

static int no_proc_child(void *x)
{
	tempfile_dir *d;
	char *path;
	int fd, sub;

	tfp_chmod_no_proc = 1;
	REQ((d = tempfile_dir_new(NULL, NULL, x, 0)) != NULL);
	path = strdup(tempfile_dir_name(d));
	fd = tempfile_dir_fd(d);
	REQ(mkdirat(fd, "locked", 0700) == 0 && (sub = open_dir(fd, "locked")) >= 0);
	REQ(put_file(sub, "f") == 0 && mkdirat(sub, "inner", 0700) == 0);
	REQ(fchmodat(sub, "inner", 0, 0) == 0 && fchmod(sub, 0) == 0 && close(sub) == 0);
	if (!HAVE_DECL_AT_EMPTY_PATH || !kernel_has_fchmodat2(fd)) {
		errno = 0;
		REQ(tempfile_dir_cleanup(d) == -1 && errno == EACCES);
		tfp_chmod_no_proc = 0;
	}
	REQ(tempfile_dir_cleanup(d) == 0);
	REQ(!exists(path));
	REQ(tempfile_dir_close(d) == 0);
	free(path);
	return 0;
}

/* Runs fn in a child (as nobody if asked) on a fresh directory x, which it
 * must leave empty. */
static void run_on_x(int (*fn)(void *), int as_nobody)
{
	char *x = tu_subdir("x", as_nobody);

	ck_assert_int_eq(tu_run(fn, x, as_nobody), 0);
	ck_assert_int_eq(tu_count_entries(x), 0);
	free(x);
}

START_TEST(test_locked_without_proc_as_nobody)
{
	run_on_x(no_proc_child, 1);
}
END_TEST

/* ---- The top directory, by its parent's descriptor ---- */

/* Only file systems known to keep positions while entries go let a
 * directory read in one batch skip its second pass; /proc is none of them. */
START_TEST(test_positions_stable)
{
	int fd = open("/dev/shm", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int pfd = open("/proc/self", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_ge(pfd, 0);
#if defined HAVE_FSTATFS && defined HAVE_SYS_VFS_H
	ck_assert_int_eq(tfp_positions_stable(fd), 1); /* tmpfs */
#else
	ck_assert_int_eq(tfp_positions_stable(fd), 0); /* cannot tell */
#endif
	ck_assert_int_eq(tfp_positions_stable(pfd), 0);
	close(fd);
	close(pfd);
	ck_assert_int_eq(tfp_positions_stable(fd), 0); /* EBADF */
}
END_TEST

/* The directory holding the tree was renamed: the path leads nowhere, but
 * the tree's parent is still where its name is its own. */
START_TEST(test_parent_renamed)
{
	char *p = tu_subdir("p", 0), *q = tu_join(tu_base, "q");
	tempfile_dir *d = tempfile_dir_new(NULL, NULL, p, 0);

	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(put_file(tempfile_dir_fd(d), "f"), 0);
	ck_assert_int_eq(rename(p, q), 0);
	ck_assert_int_eq(tempfile_dir_cleanup(d), 0);
	ck_assert_int_eq(tu_count_entries(q), 0);
	ck_assert_int_eq(tempfile_dir_close(d), 0);
	free(p);
	free(q);
}
END_TEST

/* The tree itself was renamed, nothing made at its path: the name is gone,
 * the contents go all the same (the tree is not gone: its descriptor says
 * so), and the moved top stays, no error. */
START_TEST(test_top_renamed)
{
	char *moved = tu_join(tu_base, "moved");
	tempfile_dir *d = tempfile_dir_new(NULL, NULL, tu_base, 0);
	int fd;

	ck_assert_ptr_nonnull(d);
	fd = tempfile_dir_fd(d);
	ck_assert_int_eq(put_file(fd, "f"), 0);
	ck_assert_int_eq(mkdirat(fd, "sub", 0700), 0);
	ck_assert_int_eq(rename(tempfile_dir_name(d), moved), 0);
	ck_assert_int_eq(tempfile_dir_close(d), 0);
	ck_assert(exists(moved));
	ck_assert_int_eq(tu_count_entries(moved), 0);
	ck_assert_int_eq(rmdir(moved), 0);
	free(moved);
}
END_TEST

/* ---- 4. Depth: constant stack, a few descriptors ---- */

/* DEEP levels: a tenth of them under TU_SLOW (tu_rounds), still more than
 * descriptors or PATH_MAX allow. */
enum { DEEP = 100000, SIGNAL_DEEP = 300 };

/* A chain depth levels deep under dirfd, built through descriptors (no
 * path is ever longer than one name), with a file at the bottom. */
static int build_chain(int dirfd, long depth)
{
	int fd = dirfd;
	long i;

	for (i = 0; i < depth; i++) {
		int next;

		REQ(mkdirat(fd, "d", 0700) == 0);
		REQ((next = open_dir(fd, "d")) >= 0);
		if (fd != dirfd)
			close(fd);
		fd = next;
	}
	REQ(put_file(fd, "f") == 0);
	if (fd != dirfd)
		close(fd);
	return 0;
}

/* Wide: a directory of 300 subdirectories, each with a file and a
 * subdirectory, and files between them; the walk comes back to it 600
 * times, by position or (the readdir build) by reading it again. */
START_TEST(test_wide)
{
	tempfile_dir *d = tempfile_dir_new(NULL, NULL, NULL, 0);
	char *path = strdup(tempfile_dir_name(d)), name[16];
	int top = tempfile_dir_fd(d), i, fd;

	ck_assert_int_eq(make_outside(tu_base), 0);
	for (i = 0; i < 300; i++) {
		snprintf(name, sizeof name, "d%d", i);
		ck_assert_int_eq(mkdirat(top, name, 0700), 0);
		ck_assert_int_ge(fd = open_dir(top, name), 0);
		ck_assert_int_eq(build_chain(fd, 1), 0);
		ck_assert_int_eq(put_file(fd, "g"), 0);
		close(fd);
		snprintf(name, sizeof name, "f%d", i);
		ck_assert_int_eq(put_file(top, name), 0);
	}
	ck_assert_int_eq(tempfile_dir_cleanup(d), 0);
	ck_assert(!exists(path));
	ck_assert_int_eq(tempfile_dir_close(d), 0);
	ck_assert_int_eq(outside_intact(tu_base), 0);
	ck_assert_int_eq(tu_count_entries(tu_base), 1);
	free(path);
}
END_TEST

/* A tree directory with a deep chain, and the outside in base. */
static tempfile_dir *deep_tree(const char *base, long depth, unsigned flags)
{
	tempfile_dir *d;

	if (make_outside(base) != 0 || !(d = tempfile_dir_new(NULL, NULL, base, flags)))
		return NULL;
	if (build_chain(tempfile_dir_fd(d), depth) != 0)
		return NULL;
	return d;
}

/* Whatever a failed run left in the private directory: tu_rmtree() goes
 * by path and cannot remove a chain this deep. */
static void remove_leftovers(const char *dir)
{
	char *cmd;

	if (asprintf(&cmd, "rm -rf -- '%s'/*", dir) < 0)
		abort();
	if (system(cmd) != 0)
		fprintf(stderr, "warning: %s failed\n", cmd);
	free(cmd);
}

/* Where the deep trees grow: tmpfs if there is one, whose speed the
 * removal's own cost shows against, rather than the disk's. */
static char *deep_base(void)
{
	char *x;

	if (!tu_other_fs)
		return tu_subdir("x", 0);
	x = tu_join(tu_other_fs, "deep.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(x));
	return x;
}

static void run_deep(int (*child)(void *), const char *what)
{
	char *x = deep_base();
	double t0 = now();
	int status;

	fflush(NULL);
	status = tu_run(child, x, 0);
	fprintf(stderr, "%s: %.3f s (building included)\n", what, now() - t0);
	if (status != 0)
		remove_leftovers(x);
	ck_assert_int_eq(status, 0);
	ck_assert_int_eq(outside_intact(x), 0);
	ck_assert_int_eq(tu_count_entries(x), 1);
	free(x);
}

/* The removal itself, timed, in the child. */
static int remove_timed(tempfile_dir *d, const char *what)
{
	char *path = strdup(tempfile_dir_name(d));
	double t0 = now();

	REQ(tempfile_dir_close(d) == 0);
	fprintf(stderr, "%s: removal %.3f s\n", what, now() - t0);
	REQ(!exists(path));
	free(path);
	return 0;
}

/* The highest descriptor open now. */
static int highest_fd(void)
{
	struct rlimit rl;
	int fd, top = -1;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -1;
	for (fd = 0; (rlim_t)fd < rl.rlim_cur && fd < 65536; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			top = fd;
	return top;
}

static int deep_few_fds_child(void *x)
{
	tempfile_dir *d = deep_tree(x, tu_rounds(DEEP), 0);
	struct rlimit rl;

	REQ(d != NULL);
	REQ(getrlimit(RLIMIT_NOFILE, &rl) == 0);
	rl.rlim_cur = (rlim_t)highest_fd() + 1 + 16;
	REQ(setrlimit(RLIMIT_NOFILE, &rl) == 0);
	REQ(remove_timed(d, "DEEP levels, 16 descriptors") == 0);
	return outside_intact(x);
}

START_TEST(test_deep_few_descriptors)
{
	run_deep(deep_few_fds_child, "DEEP levels, 16 descriptors");
}
END_TEST

/* Two descriptors to spare, the fewest the walk needs below the top (the
 * level it empties, the one it opens; the readdir backend reads a copy of
 * the first: one more): a tree four deep still goes. */
#if defined HAVE_GETDENTS64 && HAVE_DECL_GETDENTS64
# define WALK_FDS 2
#else
# define WALK_FDS 3
#endif
static int two_fds_child(void *x)
{
	tempfile_dir *d = tempfile_dir_new(NULL, NULL, x, 0);
	struct rlimit rl;
	int fd, i, r, top;

	REQ(d != NULL);
	fd = tempfile_dir_fd(d);
	for (i = 0; i < 4; i++) {
		int sub;

		REQ(mkdirat(fd, "a", 0700) == 0 && (sub = open_dir(fd, "a")) >= 0);
		if (fd != tempfile_dir_fd(d))
			close(fd);
		fd = sub;
	}
	REQ(put_file(fd, "f") == 0);
	close(fd);
	/* No gap below the highest descriptor: exactly two to spare. */
	for (i = 0, top = highest_fd(); i < top; i++)
		if (fcntl(i, F_GETFD) < 0)
			REQ(open("/dev/null", O_RDONLY | O_CLOEXEC) == i);
	REQ(getrlimit(RLIMIT_NOFILE, &rl) == 0);
	rl.rlim_cur = (rlim_t)highest_fd() + 1 + WALK_FDS;
	REQ(setrlimit(RLIMIT_NOFILE, &rl) == 0);
	r = tempfile_dir_close(d);
	REQ(r == 0);
	return tu_count_entries(x) == 0 ? 0 : 1;
}

START_TEST(test_two_descriptors_to_spare)
{
	run_on_x(two_fds_child, 0);
}
END_TEST

struct small_stack {
	tempfile_dir *d;
	int (*fn)(struct small_stack *);
	int result;
};

static void *small_stack_main(void *arg)
{
	struct small_stack *s = arg;

	s->result = s->fn(s);
	return NULL;
}

/* Runs s->fn(s) in a thread with a 64 KiB stack. */
static int on_small_stack(struct small_stack *s)
{
	pthread_attr_t attr;
	pthread_t t;

	s->result = -1;
	REQ(pthread_attr_init(&attr) == 0);
	REQ(pthread_attr_setstacksize(&attr, 64 * 1024) == 0);
	REQ(pthread_create(&t, &attr, small_stack_main, s) == 0);
	REQ(pthread_join(t, NULL) == 0);
	pthread_attr_destroy(&attr);
	return s->result;
}

static int close_deep(struct small_stack *s)
{
	return remove_timed(s->d, "DEEP levels, 64 KiB thread stack");
}

static int deep_thread_child(void *x)
{
	struct small_stack s;

	REQ((s.d = deep_tree(x, tu_rounds(DEEP), 0)) != NULL);
	s.fn = close_deep;
	REQ(on_small_stack(&s) == 0);
	return outside_intact(x);
}

START_TEST(test_deep_small_thread_stack)
{
	run_deep(deep_thread_child, "DEEP levels, 64 KiB thread stack");
}
END_TEST

/* The program's own handler, on an alternate stack of SIGSTKSZ bytes. */
static void cleanup_handler(int sig)
{
	(void)sig;
	tempfile_cleanup_all();
}

static int deep_altstack_child(void *x)
{
	tempfile_dir *d = deep_tree(x, SIGNAL_DEEP, TEMPFILE_CLEANUP_AT_EXIT);
	char *path;
	struct sigaction sa;
	stack_t ss;

	long page = sysconf(_SC_PAGESIZE);
	char *map;

	REQ(d != NULL);
	path = strdup(tempfile_dir_name(d));
	/* With a page no one may touch below it: a handler that ran off the
	 * bottom would write into whatever lies there, silently. */
	ss.ss_size = SIGSTKSZ;
	/* valgrind's own signal frame holds three copies of the registers
	 * (its guest state and two shadows): far more than the kernel's. */
	if (tu_valgrind())
		ss.ss_size += 64 * 1024;
	ss.ss_flags = 0;
	map = mmap(NULL, (size_t)page + ss.ss_size, PROT_READ | PROT_WRITE,
	           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	REQ(map != MAP_FAILED && mprotect(map, (size_t)page, PROT_NONE) == 0);
	ss.ss_sp = map + page;
	REQ(sigaltstack(&ss, NULL) == 0);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = cleanup_handler;
	sa.sa_flags = SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	REQ(sigaction(SIGUSR1, &sa, NULL) == 0);
	REQ(raise(SIGUSR1) == 0);
	REQ(!exists(path));
	REQ(outside_intact(x) == 0);
	REQ(tempfile_dir_close(d) == 0);
	free(path);
	ss.ss_flags = SS_DISABLE;
	REQ(sigaltstack(&ss, NULL) == 0);
	munmap(map, (size_t)page + ss.ss_size);
	return 0;
}

START_TEST(test_deep_alternate_signal_stack)
{
	run_deep(deep_altstack_child, "300 levels, own handler on SIGSTKSZ");
}
END_TEST

/* The library's own SIGTERM handler, run on a 64 KiB thread stack. */
static int raise_term(struct small_stack *s)
{
	(void)s;
	raise(SIGTERM);
	return 1; /* not reached: the process dies of SIGTERM */
}

static int deep_sigterm_child(void *x)
{
	struct small_stack s;

	REQ(signal(SIGTERM, SIG_DFL) != SIG_ERR);
	REQ((s.d = deep_tree(x, SIGNAL_DEEP, TEMPFILE_CLEANUP_AT_EXIT)) != NULL);
	s.fn = raise_term;
	on_small_stack(&s);
	return 1;
}

START_TEST(test_deep_library_handler)
{
	char *x = deep_base();
	int status;

	fflush(NULL);
	status = tu_run(deep_sigterm_child, x, 0);
	if (status != 100 + SIGTERM)
		remove_leftovers(x);
	ck_assert_int_eq(status, 100 + SIGTERM);
	ck_assert_int_eq(outside_intact(x), 0);
	ck_assert_int_eq(tu_count_entries(x), 1);
	free(x);
}
END_TEST

/* ---- A level that fails stops nothing else ---- */

/* As nobody, in a tree of nobody's: root's directories that can be listed
 * but not searched (0744) or not even listed (0711), deep down and among
 * many others.  Everything else goes, and the call says EACCES. */
static tempfile_dir *unsearchable;

static int unsearchable_child(void *arg)
{
	const char *path = tempfile_dir_name(unsearchable);
	int fd;

	(void)arg;
	errno = 0;
	REQ(tempfile_dir_cleanup(unsearchable) == -1 && errno == EACCES);
	REQ(tu_count_entries(path) == 2);
	REQ((fd = open_dir(AT_FDCWD, path)) >= 0);
	REQ(exists_at(fd, "a0/d/d/r744") && exists_at(fd, "a5/r711"));
	REQ(!exists_at(fd, "a0/g") && !exists_at(fd, "a0/d/d/d") && !exists_at(fd, "a5/d"));
	close(fd);
	return 0;
}

/* Everything but root's directories (and what they hold) to nobody. */
static int to_nobody(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	if (strstr(path, "/r7"))
		return 0;
	return lchown(path, TU_NOBODY, TU_NOBODY) < 0 ? -1 : 0;
}

static int make_root_dir(int dirfd, const char *name, mode_t mode)
{
	int fd;

	REQ(mkdirat(dirfd, name, 0700) == 0 && (fd = open_dir(dirfd, name)) >= 0);
	REQ(put_file(fd, "f") == 0 && fchmod(fd, mode) == 0 && close(fd) == 0);
	return 0;
}

START_TEST(test_unsearchable_as_nobody)
{
	tempfile_dir *d = unsearchable = tempfile_dir_new(NULL, NULL, NULL, 0);
	int top = tempfile_dir_fd(d), i, fd;
	char name[8];

	for (i = 0; i < 10; i++) {
		snprintf(name, sizeof name, "a%d", i);
		ck_assert_int_eq(mkdirat(top, name, 0700), 0);
		ck_assert_int_ge(fd = open_dir(top, name), 0);
		ck_assert_int_eq(build_chain(fd, 3), 0);
		ck_assert_int_eq(put_file(fd, "g"), 0);
		if (i == 0)
			ck_assert_int_eq(make_root_dir(fd, "d/d/r744", 0744), 0);
		if (i == 5)
			ck_assert_int_eq(make_root_dir(fd, "r711", 0711), 0);
		close(fd);
	}
	ck_assert_int_eq(nftw(tempfile_dir_name(d), to_nobody, 16, FTW_PHYS), 0);
	ck_assert_int_eq(tu_run(unsearchable_child, NULL, 1), 0);
	ck_assert_int_eq(tempfile_dir_close(d), 0);
	ck_assert_int_eq(tu_count_entries(tu_base), 0);
}
END_TEST

/* ---- What nobody may not remove ---- */

/* root's sticky directory (1777) in a tree of nobody's holds a file of
 * root's: nobody may enter it but not unlink the file, which stays, with
 * the directory; all else goes, and the call says EPERM. */
static tempfile_dir *sticky;

static int sticky_child(void *arg)
{
	const char *path = tempfile_dir_name(sticky);
	int fd;

	(void)arg;
	errno = 0;
	REQ(tempfile_dir_cleanup(sticky) == -1 && errno == EPERM);
	REQ(tu_count_entries(path) == 1);
	REQ((fd = open_dir(AT_FDCWD, path)) >= 0);
	REQ(exists_at(fd, "s/f") && tu_count_entries(path) == 1);
	close(fd);
	return 0;
}

START_TEST(test_sticky_as_nobody)
{
	char *x = tu_subdir("x", 1);
	tempfile_dir *d = sticky = tempfile_dir_new(NULL, NULL, x, 0);
	int top = tempfile_dir_fd(d), s;

	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(mkdirat(top, "s", 0700), 0);
	ck_assert_int_ge(s = open_dir(top, "s"), 0);
	ck_assert_int_eq(put_file(s, "f"), 0);
	ck_assert_int_eq(fchmod(s, 01777), 0);
	ck_assert_int_eq(put_file(s, "g"), 0);
	ck_assert_int_eq(fchownat(s, "g", TU_NOBODY, TU_NOBODY, 0), 0);
	close(s);
	ck_assert_int_eq(build_chain(top, 3), 0);
	ck_assert_int_eq(nftw(tempfile_dir_name(d), to_nobody, 16, FTW_PHYS), 0);
	ck_assert_int_eq(fchownat(top, "s", 0, 0, AT_SYMLINK_NOFOLLOW), 0);
	ck_assert_int_eq(fchownat(top, "s/f", 0, 0, AT_SYMLINK_NOFOLLOW), 0);
	ck_assert_int_eq(tu_run(sticky_child, NULL, 1), 0);
	ck_assert_int_eq(tempfile_dir_close(d), 0);
	ck_assert_int_eq(tu_count_entries(x), 0);
	free(x);
}
END_TEST

/* A mount point that nobody cannot open (a tmpfs of nobody's, mode 0000)
 * is looked at through an O_PATH descriptor, found to be a mount, and left
 * alone, unopened and unchanged: EBUSY.  (The tree is made in the new
 * namespace: a descriptor from the old one would not see the mount.) */
static int locked_mount_child(void *arg)
{
	const char *x = arg;
	tempfile_dir *d;
	struct stat st;
	char *m;

	REQ(unshare(CLONE_NEWNS) == 0);
	REQ(mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) == 0);
	REQ((d = tempfile_dir_new(NULL, NULL, x, 0)) != NULL);
	m = tu_join(tempfile_dir_name(d), "m");
	REQ(mkdir(m, 0700) == 0 && put_file(tempfile_dir_fd(d), "f") == 0);
	REQ(nftw(tempfile_dir_name(d), to_nobody, 16, FTW_PHYS) == 0);
	REQ(mount("tmpfs", m, "tmpfs", 0, "mode=0000,uid=65534") == 0);
	REQ(tu_drop_to_nobody() == 0);
	errno = 0;
	REQ(tempfile_dir_cleanup(d) == -1 && errno == EBUSY);
	REQ(lstat(m, &st) == 0 && (st.st_mode & 07777) == 0 && st.st_uid == TU_NOBODY);
	REQ(tu_count_entries(tempfile_dir_name(d)) == 1);
	REQ(tempfile_dir_keep(d) == 0 && tempfile_dir_close(d) == 0);
	free(m);
	return 0;
}

START_TEST(test_locked_mount_as_nobody)
{
	char *x = tu_subdir("x", 1);

	ck_assert_int_eq(tu_run(locked_mount_child, x, 0), 0);
	/* The mount went with the child's namespace: the tree is plain. */
	ck_assert_int_eq(tu_count_entries(x), 1);
	tu_rmtree(x);
	free(x);
}
END_TEST

/* The top directory itself is root's and unsearchable (0600), nobody's
 * descriptor on it still reads it: nobody cannot chmod it, nor reach its
 * parent through it, so it goes by its path.  Empty, it goes, and that is
 * success; with a file in it, nothing can go: EACCES. */
static tempfile_dir *root_top;

static int root_top_child(void *arg)
{
	const char *path = tempfile_dir_name(root_top);
	int full = *(int *)arg;

	errno = 0;
	if (full) {
		REQ(tempfile_dir_cleanup(root_top) == -1 && errno == EACCES);
		REQ(exists(path));
	} else {
		REQ(tempfile_dir_cleanup(root_top) == 0);
		REQ(!exists(path));
	}
	return 0;
}

START_TEST(test_root_top_as_nobody)
{
	char *x = tu_subdir("x", 1);
	tempfile_dir *d = root_top = tempfile_dir_new(NULL, NULL, x, 0);
	int full = _i;

	ck_assert_ptr_nonnull(d);
	if (full)
		ck_assert_int_eq(put_file(tempfile_dir_fd(d), "f"), 0);
	ck_assert_int_eq(fchmod(tempfile_dir_fd(d), 0600), 0);
	ck_assert_int_eq(tu_run(root_top_child, &full, 1), 0);
	ck_assert_int_eq(tempfile_dir_close(d), 0);
	ck_assert_int_eq(tu_count_entries(x), 0);
	free(x);
}
END_TEST

/* The directory holding the tree is root's and closed to nobody (0700):
 * nobody's emptied top, reached through its descriptor, cannot be looked
 * up in it, neither through ".." (a top of nobody's) nor by its path (an
 * unsearchable top of root's): it stays, and the call says EACCES. */
static tempfile_dir *closed_parent;

static int closed_parent_child(void *arg)
{
	(void)arg;
	errno = 0;
	REQ(tempfile_dir_cleanup(closed_parent) == -1 && errno == EACCES);
	return 0;
}

START_TEST(test_top_in_closed_parent_as_nobody)
{
	char *x = tu_subdir("x", 1);
	tempfile_dir *d = closed_parent = tempfile_dir_new(NULL, NULL, x, 0);
	int top = tempfile_dir_fd(d);

	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(put_file(top, "f"), 0);
	if (_i == 0)
		ck_assert_int_eq(nftw(tempfile_dir_name(d), to_nobody, 16, FTW_PHYS), 0);
	else
		ck_assert_int_eq(unlinkat(top, "f", 0) == 0 && fchmod(top, 0600) == 0, 1);
	ck_assert_int_eq(chmod(x, 0700), 0);
	ck_assert_int_eq(tu_run(closed_parent_child, NULL, 1), 0);
	ck_assert_int_eq(tu_count_entries(x), 1);
	ck_assert_int_eq(tu_count_entries(tempfile_dir_name(d)), 0);
	ck_assert_int_eq(tempfile_dir_close(d), 0);
	ck_assert_int_eq(tu_count_entries(x), 0);
	free(x);
}
END_TEST

/* ---- The helpers underneath: levels.c and dirfd.c ---- */

/* Without mapped memory the records wrap at 8: the deepest 8 stay, the
 * shallower ones are reported lost (NULL), and a reset finds none lost. */
START_TEST(test_levels_wrap)
{
	struct tfp_levels lv;
	size_t d;

	tfp_levels_no_map = 1;
	tfp_levels_init(&lv);
	ck_assert_ptr_eq(tfp_levels_at(&lv, 0), &lv.top);
	ck_assert_ptr_null(tfp_levels_push(&lv, 0));
	for (d = 1; d <= 20; d++)
		tfp_levels_push(&lv, d)->resume = (off_t)d;
	ck_assert_int_eq(lv.mapped, 0);
	ck_assert_ptr_null(tfp_levels_at(&lv, 12));
	for (d = 13; d <= 20; d++)
		ck_assert_int_eq(tfp_levels_at(&lv, d)->resume, (off_t)d);
	/* Once wrapped, no more growing is tried, even deeper. */
	ck_assert_ptr_nonnull(tfp_levels_push(&lv, 21));
	ck_assert_ptr_null(tfp_levels_at(&lv, 13));
	tfp_levels_reset(&lv);
	ck_assert_ptr_nonnull(tfp_levels_at(&lv, 1));
	tfp_levels_free(&lv);
	tfp_levels_no_map = 0;
}
END_TEST

/* With memory, records move into a mapping as they outgrow the structure
 * and keep what they held; none is lost however deep. */
START_TEST(test_levels_grow)
{
	struct tfp_levels lv;
	size_t d;

	tfp_levels_init(&lv);
	for (d = 1; d <= 3000; d++)
		tfp_levels_push(&lv, d)->kept = d;
	ck_assert_uint_gt(lv.mapped, 0);
	ck_assert_int_eq(lv.wraps, 0);
	for (d = 1; d <= 3000; d++)
		ck_assert_uint_eq(tfp_levels_at(&lv, d)->kept, d);
	tfp_levels_free(&lv);
	ck_assert_uint_eq(lv.mapped, 0);
}
END_TEST

/* When the address space is full, the records wrap as without mapping. */
static int levels_no_memory_child(void *arg)
{
	struct tfp_levels lv;
	struct rlimit old, rl;
	unsigned long pages;
	FILE *f = fopen("/proc/self/statm", "r");
	size_t d;
	int ok;

	(void)arg;
	REQ(f && fscanf(f, "%lu", &pages) == 1 && fclose(f) == 0);
	REQ(getrlimit(RLIMIT_AS, &old) == 0);
	rl = old;
	/* Below what is mapped already (allowed): no new mapping fits. */
	rl.rlim_cur = (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) / 2;
	tfp_levels_init(&lv);
	REQ(setrlimit(RLIMIT_AS, &rl) == 0);
	for (d = 1; d <= 20; d++)
		tfp_levels_push(&lv, d)->kept = d;
	REQ(setrlimit(RLIMIT_AS, &old) == 0);
	ok = lv.mapped == 0 && lv.wraps && !tfp_levels_at(&lv, 12) &&
	     tfp_levels_at(&lv, 13)->kept == 13 && tfp_levels_at(&lv, 20)->kept == 20;
	REQ(ok);
	tfp_levels_free(&lv);
	return 0;
}

START_TEST(test_levels_no_memory)
{
	ck_assert_int_eq(tu_run(levels_no_memory_child, NULL, 0), 0);
}
END_TEST

#if defined HAVE_GETDENTS64 && HAVE_DECL_GETDENTS64 /* configure.ac picks that backend */
/* The getdents64 reader on what is no directory: lseek() refuses a pipe,
 * getdents64() a regular file. */
START_TEST(test_dirents_not_a_directory)
{
	struct tfp_dirents it;
	const char *name;
	char *path = tu_join(tu_base, "file");
	int p[2], fd, maybe_dir;

	ck_assert_int_eq(pipe(p), 0);
	errno = 0;
	ck_assert_int_eq(tfp_dirents_open(&it, p[0], 0), -1);
	ck_assert_int_eq(errno, ESPIPE);
	tu_write_file(path, "x");
	ck_assert_int_ge(fd = open(path, O_RDONLY | O_CLOEXEC), 0);
	ck_assert_int_eq(tfp_dirents_open(&it, fd, 0), 0);
	errno = 0;
	ck_assert_int_eq(tfp_dirents_next(&it, &name, &maybe_dir), -1);
	ck_assert_int_eq(errno, ENOTDIR);
	tfp_dirents_close(&it);
	close(fd);
	close(p[0]);
	close(p[1]);
	ck_assert_int_eq(unlink(path), 0);
	free(path);
}
END_TEST
#endif

#ifdef HAVE_NAME_TO_HANDLE_AT
/* The mount-id fallback rmtree uses where statx() cannot say: a bind
 * mount of a directory of the same file system is another mount, a plain
 * subdirectory is not, and a name that is not there cannot say (0). */
static int mount_point_at_child(void *arg)
{
	const char *base = arg;
	int fd;

	REQ(unshare(CLONE_NEWNS) == 0);
	REQ(mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) == 0);
	REQ((fd = open_dir(AT_FDCWD, base)) >= 0);
	REQ(mkdirat(fd, "plain", 0700) == 0 && mkdirat(fd, "bound", 0700) == 0);
	REQ(fchdir(fd) == 0 && mount("plain", "bound", "none", MS_BIND, NULL) == 0);
	REQ(tfp_mount_point_at(fd, "plain") == 0);
	REQ(tfp_mount_point_at(fd, "bound") == 1);
	REQ(tfp_mount_point_at(fd, "missing") == 0);
	REQ(umount("bound") == 0 && chdir("/") == 0);
	REQ(unlinkat(fd, "plain", AT_REMOVEDIR) == 0 && unlinkat(fd, "bound", AT_REMOVEDIR) == 0);
	close(fd);
	return 0;
}

START_TEST(test_mount_point_at)
{
	ck_assert_int_eq(tu_run(mount_point_at_child, tu_base, 0), 0);
	ck_assert_int_eq(tu_count_entries(tu_base), 0);
}
END_TEST

/* A directory whose file system gives no file handle (/proc) has an id by
 * its inode alone, and matches it; a tree's id matches only its own. */
START_TEST(test_dir_id_without_handle)
{
	struct tfp_dir_id id, other;
	struct stat st;
	int fd = open("/proc/self", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int tfd = open_dir(AT_FDCWD, tu_base);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_ge(tfd, 0);
	ck_assert_int_eq(tfp_dir_id_of(fd, &id), 0);
	ck_assert_uint_eq(id.handle_len, 0);
	ck_assert(tfp_dir_fd_is(fd, &id, &st));
	ck_assert_int_eq(tfp_dir_id_of(tfd, &other), 0);
	ck_assert_uint_gt(other.handle_len, 0);
	ck_assert(tfp_dir_fd_is(tfd, &other, &st));
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_uint_eq(st.st_ino, other.node.ino);
	ck_assert(!tfp_dir_fd_is(fd, &other, &st));
	ck_assert(!tfp_dir_fd_is(tfd, &id, &st));
	/* Same inode, another handle (the generation a new inode gets), of
	 * another length or type; or no handle known: the inode decides. */
	other.handle[0] ^= 1;
	ck_assert(!tfp_dir_fd_is(tfd, &other, &st));
	other.handle[0] ^= 1;
	other.handle_len++;
	ck_assert(!tfp_dir_fd_is(tfd, &other, &st));
	other.handle_len--;
	other.handle_type++;
	ck_assert(!tfp_dir_fd_is(tfd, &other, &st));
	other.handle_len = 0;
	ck_assert(tfp_dir_fd_is(tfd, &other, &st));
	/* Another inode of the same file system. */
	ck_assert_int_eq(tfp_dir_id_of(tfd, &other), 0);
	other.node.ino++;
	ck_assert(!tfp_dir_fd_is(tfd, &other, &st));
	/* Without handles there are no mount ids either: it cannot say. */
	ck_assert_int_eq(tfp_mount_point_at(fd, "net"), 0);
	close(fd);
	close(tfd);
}
END_TEST

#endif

/* A path whose last component is longer than a name: the top is looked
 * for by that path (ENAMETOOLONG), never through a buffer it would
 * overflow; its contents go all the same, through the descriptor. */
START_TEST(test_top_name_too_long)
{
	char *top = tu_subdir("top", 0), *path, *tail = malloc(NAME_MAX + 2);
	struct tfp_dir_id id;
	int fd, via = -1;

	ck_assert_ptr_nonnull(tail);
	memset(tail, 'n', NAME_MAX + 1);
	tail[NAME_MAX + 1] = '\0';
	path = tu_join(tu_base, tail);
	ck_assert_int_ge(fd = open_dir(AT_FDCWD, top), 0);
	ck_assert_int_eq(put_file(fd, "f"), 0);
	ck_assert_int_eq(tfp_dir_id_of(fd, &id), 0);
	errno = 0;
	ck_assert_int_eq(tfp_rmtree(fd, path, &id, &via), -1);
	ck_assert_int_eq(errno, ENAMETOOLONG);
	ck_assert_int_eq(via, 1);
	ck_assert(!exists_at(fd, "f"));
	ck_assert(exists(top));
	close(fd);
	ck_assert_int_eq(rmdir(top), 0);
	free(path);
	free(tail);
	free(top);
}
END_TEST

/* As nobody, root's directories cannot be given rwx by any of the ways,
 * O_PATH or not; the mode stays, and the error is the kernel's EPERM (or
 * EACCES where the /proc way is off). */
static int owner_rwx_child(void *arg)
{
	const char *dir = arg;
	struct stat st;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), pfd;

	/* A number of two digits, for the /proc path. */
	REQ((pfd = open(dir, TFP_O_PATH | O_CLOEXEC)) >= 0 && dup2(pfd, 42) == 42);
	close(pfd);
	pfd = 42;
	REQ(fd >= 0 && fstat(fd, &st) == 0);
	errno = 0;
	REQ(tfp_make_owner_rwx(fd, st.st_mode) == -1 && errno == EPERM);
	errno = 0;
	REQ(tfp_make_owner_rwx(pfd, st.st_mode) == -1 && errno == EPERM);
	tfp_chmod_no_proc = 1;
	errno = 0;
	REQ(tfp_make_owner_rwx(pfd, st.st_mode) == -1 && errno == EACCES);
	tfp_chmod_no_proc = 0;
	/* Already rwx for its owner: nothing to do, whoever asks. */
	REQ(tfp_make_owner_rwx(pfd, S_IFDIR | 0700) == 0);
	REQ(stat(dir, &st) == 0 && (st.st_mode & 07777) == 0555);
	close(fd);
	close(pfd);
	return 0;
}

START_TEST(test_owner_rwx_refused_as_nobody)
{
	char *dir = tu_subdir("roots", 0);

	ck_assert_int_eq(chmod(dir, 0555), 0);
	ck_assert_int_eq(chmod(tu_base, 0755), 0);
	ck_assert_int_eq(tu_run(owner_rwx_child, dir, 1), 0);
	free(dir);
}
END_TEST

static Suite *rmtree_suite(void)
{
	Suite *s = suite_create("rmtree");
	TCase *id = tu_tcase("identity", 60);
	TCase *deep = tu_tcase("depth", 120);

	tcase_add_test(id, test_stale_fd);
	tcase_add_test(id, test_stale_fd_path_moved);
	tcase_add_test(id, test_stale_fd_inode_reused);
	tcase_add_test(id, test_stale_fd_at_exit);
	tcase_add_test(id, test_mount_points);
	tcase_add_test(id, test_deep_mount_no_memory);
	tcase_add_test(id, test_locked_without_proc_as_nobody);
	tcase_add_test(id, test_parent_renamed);
	tcase_add_test(id, test_top_renamed);
	tcase_add_test(id, test_positions_stable);
	tcase_add_test(id, test_two_descriptors_to_spare);
	tcase_add_test(id, test_unsearchable_as_nobody);
	tcase_add_test(id, test_sticky_as_nobody);
	tcase_add_test(id, test_locked_mount_as_nobody);
	tcase_add_loop_test(id, test_root_top_as_nobody, 0, 2);
	tcase_add_loop_test(id, test_top_in_closed_parent_as_nobody, 0, 2);
	tcase_add_test(id, test_levels_wrap);
	tcase_add_test(id, test_levels_grow);
	tcase_add_test(id, test_levels_no_memory);
#if defined HAVE_GETDENTS64 && HAVE_DECL_GETDENTS64 /* the getdents64 backend */
	tcase_add_test(id, test_dirents_not_a_directory);
#endif
#ifdef HAVE_NAME_TO_HANDLE_AT /* else no handles, no mount ids */
	tcase_add_test(id, test_mount_point_at);
	tcase_add_test(id, test_dir_id_without_handle);
#endif
	tcase_add_test(id, test_owner_rwx_refused_as_nobody);
	tcase_add_test(id, test_top_name_too_long);
	suite_add_tcase(s, id);

	tcase_add_test(deep, test_wide);
	tcase_add_test(deep, test_deep_few_descriptors);
	tcase_add_test(deep, test_deep_small_thread_stack);
	tcase_add_test(deep, test_deep_alternate_signal_stack);
	tcase_add_test(deep, test_deep_library_handler);
	suite_add_tcase(s, deep);
	return s;
}

int main(void)
{
	return tu_main(rmtree_suite());
}
