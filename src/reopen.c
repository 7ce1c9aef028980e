/*
 * tempfile_reopen(): a second open file description on tf's file, with an
 * offset of its own (Rust's reopen).  dup(2) would share the offset.
 *
 * A named file is opened by its name and checked to be tf's file; where the
 * name was removed or replaced meanwhile, and for files with no name, it is
 * opened through /proc/thread-self/fd/N (procfd.c), whose "magic links" open the very
 * file a descriptor holds.  Falling back to /proc rather than failing at once
 * with ESTALE gives the caller what it asked for, tf's file, whatever its
 * name has become; ESTALE is left for systems without /proc.
 */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

/* The link is only a reopen where the kernel makes it one: elsewhere
 * /proc/self/fd or /dev/fd may dup() the descriptor, sharing its offset. */
#ifdef __linux__
# define PROC_REOPEN 1
#else
# define PROC_REOPEN 0
#endif

static int check_flags(int flags)
{
	int acc = flags & O_ACCMODE;

	if ((flags & ~(O_ACCMODE | O_APPEND)) ||
	    (acc != O_RDONLY && acc != O_WRONLY && acc != O_RDWR)) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

static int same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* path opened with flags if it leads to the file want describes: the
 * descriptor; -2 when it leads to another file; -1 with errno. */
static int open_same(const char *path, int flags, const struct stat *want)
{
	/* Whatever the name leads to by now: a FIFO must not make open()
	 * wait for a writer, nor a terminal become the controlling one. */
	int fd = open(path, flags | TFP_O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0) {
		tfp_close_keep_errno(fd);
		return -1;
	}
	if (!same_file(&st, want)) {
		close(fd);
		return -2;
	}
	if (fcntl(fd, F_SETFL, flags & O_APPEND) < 0) {
		tfp_close_keep_errno(fd);
		return -1;
	}
	return tfp_fd_settle(fd);
}

/* By name: -2 when the name no longer leads to tf's file, for the caller
 * to go through /proc; other failures (EACCES for a file made read-only,
 * EMFILE, ...) concern the file itself and would only repeat there. */
static int open_by_name(const char *name, int flags, const struct stat *want)
{
	struct stat st;
	int fd = open_same(name, flags | TFP_O_NOFOLLOW, want);

	if (fd == -1) {
		int saved = errno;

		if (tfp_lstat(name, &st) < 0 || !same_file(&st, want))
			return -2;
		errno = saved;
	}
	return fd;
}

/* Through /proc/thread-self/fd/N (procfd.c: a thread may have a descriptor
 * table of its own); unavailable is the errno where that cannot be: no
 * /proc (a chroot, a container, another system), or one that is not the
 * kernel's. */
static int open_by_proc(int fd, int flags, const struct stat *want, int unavailable)
{
	char path[TFP_PROC_FD_PATH_SIZE];
	int r = -2;

	if (PROC_REOPEN) {
		tfp_proc_fd_path(path, fd);
		r = open_same(path, flags, want);
	}
	if (r == -2 || (r == -1 && (errno == ENOENT || errno == ENOTDIR))) {
		errno = unavailable;
		return -1;
	}
	return r;
}

int tempfile_reopen(tempfile *tf, int flags)
{
	struct stat want;
	int fd, r;

	if (check_flags(flags) < 0)
		return -1;
	/* The new descriptor sees what the stream wrote; a spool rolls over. */
	if ((fd = tempfile_fileno(tf)) < 0 || fstat(fd, &want) < 0)
		return -1;
	if (tf->name && (r = open_by_name(tf->name, flags, &want)) != -2)
		return r;
	return open_by_proc(fd, flags, &want, tf->name ? ESTALE : ENOTSUP);
}
