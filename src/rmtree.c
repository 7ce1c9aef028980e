/* Removing a tree through directory descriptors (see internal.h).
 *
 * Every entry is named relative to the descriptor of the directory that
 * holds it, and a subdirectory is entered only through openat() with
 * O_NOFOLLOW|O_DIRECTORY: when someone swaps a subdirectory for a symbolic
 * link, that open fails and the link itself is unlinked, so the walk never
 * leaves the tree, whatever is renamed while it runs.  Permissions are only
 * ever changed through a descriptor checked to be a directory of the tree,
 * never by path: CPython's CVE-2023-6597 was a chmod() that followed a link.
 *
 * Async-signal-safe with the getdents64 backend (tempfile_cleanup_all() runs
 * this from signal handlers): no allocation, no stdio, no lock.  Each level
 * of depth costs one descriptor and one struct tfp_dirents of stack.
 */
#include "internal.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#ifdef O_PATH
# define TFP_O_PATH O_PATH
#else
# define TFP_O_PATH O_RDONLY
#endif

/* O_NONBLOCK: without O_DIRECTORY, a FIFO swapped in must not hang us. */
#define SUBDIR_FLAGS (O_RDONLY | O_NONBLOCK | TFP_O_DIRECTORY | TFP_O_CLOEXEC)

/* Passes over one directory.  A pass after the first picks up what the file
 * system skipped while entries went, or what appeared meanwhile; the cap
 * stops a writer racing the removal from holding an exiting process. */
#define MAX_PASSES 4

static int fail(int *err)
{
	if (!*err)
		*err = errno;
	return -1;
}

/* The return value for the first errno met, err (0: none). */
static int result(int err)
{
	if (!err)
		return 0;
	errno = err;
	return -1;
}

/* "/proc/self/fd/N" by hand: snprintf() is not async-signal-safe. */
static void proc_fd_path(char *buf, int fd)
{
	static const char pre[] = "/proc/self/fd/";
	char digits[3 * sizeof fd];
	unsigned v = (unsigned)fd;
	size_t n = 0;

	do
		digits[n++] = (char)('0' + v % 10);
	while (v /= 10);
	memcpy(buf, pre, sizeof pre - 1);
	buf += sizeof pre - 1;
	while (n)
		*buf++ = digits[--n];
	*buf = '\0';
}

/* fchmod() refuses O_PATH descriptors on Linux.  Newer kernels and C
 * libraries take AT_EMPTY_PATH instead (glibc 2.36 does not); the /proc
 * link works everywhere /proc is mounted and names the very inode the
 * descriptor holds, not whatever a path names now. */
static int chmod_fd(int fd, mode_t mode)
{
	char proc[sizeof "/proc/self/fd/" + 3 * sizeof fd];

	if (fchmod(fd, mode) == 0)
		return 0;
	if (TFP_AT_EMPTY_PATH && fchmodat(fd, "", mode, TFP_AT_EMPTY_PATH) == 0)
		return 0;
	proc_fd_path(proc, fd);
	return chmod(proc, mode);
}

/* Gives the owner rwx on fd, once fstat() says it is a directory: with
 * O_PATH|O_NOFOLLOW, fd may hold a symbolic link, which is left alone. */
static int make_owner_rwx(int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	if ((st.st_mode & S_IRWXU) == S_IRWXU)
		return 0;
	return chmod_fd(fd, (st.st_mode & 07777) | S_IRWXU);
}

/* Where there is no O_NOFOLLOW, openat() follows a link swapped in for
 * name; the open is then only trusted if it reached the very directory
 * that fstatat() found there without following. */
static int open_nofollow(int dirfd, const char *name, int flags)
{
	struct stat seen, got;
	int fd;

	if (TFP_O_NOFOLLOW)
		return openat(dirfd, name, flags | TFP_O_NOFOLLOW);
	if (fstatat(dirfd, name, &seen, AT_SYMLINK_NOFOLLOW) < 0)
		return -1;
	if (!S_ISDIR(seen.st_mode)) {
		errno = S_ISLNK(seen.st_mode) ? ELOOP : ENOTDIR;
		return -1;
	}
	fd = openat(dirfd, name, flags);
	if (fd >= 0 && (fstat(fd, &got) < 0 || got.st_dev != seen.st_dev ||
	                got.st_ino != seen.st_ino)) {
		close(fd);
		errno = ELOOP;
		return -1;
	}
	return fd;
}

/* Opens the subdirectory name of dirfd, never through a link.  One its
 * owner locked (0000) is unlocked first, through an O_PATH descriptor:
 * that needs no permission on the directory itself. */
static int open_subdir(int dirfd, const char *name)
{
	int fd = open_nofollow(dirfd, name, SUBDIR_FLAGS);

	if (fd < 0 && errno == EACCES) {
		int pfd = open_nofollow(dirfd, name, TFP_O_PATH | TFP_O_CLOEXEC);

		if (pfd < 0)
			return -1;
		make_owner_rwx(pfd); /* if it fails, the open below says why */
		close(pfd);
		fd = open_nofollow(dirfd, name, SUBDIR_FLAGS);
	}
	return tfp_fd_settle(fd);
}

/* O_NOFOLLOW met a symbolic link (FreeBSD says EMLINK), or O_DIRECTORY a
 * file: either way the entry is unlinked, not entered. */
static int not_a_dir(int e)
{
	return e == ENOTDIR || e == ELOOP || e == EMLINK;
}

static void remove_contents(int dirfd, int *err);

/* Removes the subdirectory name of dirfd, or what stands there now. */
static int remove_subdir(int dirfd, const char *name, int *err)
{
	int fd = open_subdir(dirfd, name);

	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		if (!not_a_dir(errno))
			return fail(err);
		if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
			return 0;
		return fail(err);
	}
	make_owner_rwx(fd); /* a 0500 directory; if it fails, unlinkat says why */
	remove_contents(fd, err);
	close(fd);
	/* If name is a link by now, this fails and a later pass unlinks it. */
	if (unlinkat(dirfd, name, AT_REMOVEDIR) == 0 || errno == ENOENT)
		return 0;
	return fail(err);
}

/* Removes one entry of dirfd: 0, or -1 with the first errno kept in *err. */
static int remove_entry(int dirfd, const char *name, int maybe_dir, int *err)
{
	if (!maybe_dir) {
		if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
			return 0;
		/* Linux says EISDIR, POSIX EPERM: it became a directory. */
		if (errno != EISDIR && errno != EPERM)
			return fail(err);
	}
	return remove_subdir(dirfd, name, err);
}

static int is_dot_or_dotdot(const char *name)
{
	return name[0] == '.' && (!name[1] || (name[1] == '.' && !name[2]));
}

/* One pass over dirfd; *seen and *removed count its entries. */
static void remove_pass(int dirfd, int *err, long *seen, long *removed)
{
	struct tfp_dirents it;
	const char *name;
	int maybe_dir, r;

	if (tfp_dirents_open(&it, dirfd) < 0) {
		fail(err);
		return;
	}
	while ((r = tfp_dirents_next(&it, &name, &maybe_dir)) > 0) {
		if (is_dot_or_dotdot(name))
			continue;
		++*seen;
		if (remove_entry(dirfd, name, maybe_dir, err) == 0)
			++*removed;
	}
	/* ENOENT: the directory itself was removed meanwhile; nothing left. */
	if (r < 0 && errno != ENOENT)
		fail(err);
	tfp_dirents_close(&it);
}

static void remove_contents(int dirfd, int *err)
{
	int pass;

	for (pass = 0; pass < MAX_PASSES; pass++) {
		long seen = 0, removed = 0;

		remove_pass(dirfd, err, &seen, &removed);
		if (!seen || !removed)
			break;
	}
}

int tfp_rmtree_contents(int dirfd)
{
	int err = 0;

	remove_contents(dirfd, &err);
	return result(err);
}

int tfp_rmtree(int dirfd, const char *path)
{
	struct stat st, now;
	int err = 0;

	if (fstat(dirfd, &st) < 0)
		return -1;
	if (st.st_nlink == 0)
		return 0; /* someone removed it already */
	/* The owner may have locked the top directory itself. */
	if (make_owner_rwx(dirfd) < 0)
		fail(&err);
	remove_contents(dirfd, &err);
	/* Only our directory goes: path may name another one by now. */
	if (tfp_lstat(path, &now) < 0) {
		if (errno != ENOENT)
			fail(&err);
	} else if (now.st_dev == st.st_dev && now.st_ino == st.st_ino &&
	           rmdir(path) < 0 && errno != ENOENT) {
		fail(&err);
	}
	return result(err);
}
