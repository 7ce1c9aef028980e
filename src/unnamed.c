/*
 * Files with no name: Python's TemporaryFile.  O_TMPFILE where the kernel
 * and the file system take it; otherwise a file created exclusively and
 * unlinked before anyone is told of it.
 */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

/* Cleared for good once the kernel shows it has no O_TMPFILE at all. */
atomic_int tfp_tmpfile_works = 1;

int tfp_open_tmpfile(int dirfd, const char *dir, int oflags)
{
	int fd;

	if (!TFP_O_TMPFILE || !atomic_load_explicit(&tfp_tmpfile_works, memory_order_relaxed))
		return -1;
	/* Without O_EXCL, so that persist can linkat() it into place. */
	fd = openat(dirfd, dir, oflags | TFP_O_TMPFILE, 0600);
	if (fd >= 0) {
		fd = tfp_fd_settle(fd);
		return fd >= 0 ? fd : -2;
	}
	switch (errno) {
	case EISDIR: /* before Linux 3.11, O_TMPFILE reads as O_DIRECTORY */
		atomic_store_explicit(&tfp_tmpfile_works, 0, memory_order_relaxed);
		return -1;
	case EOPNOTSUPP: /* this file system */
	case EINVAL:
		return -1;
	default:
		return -2;
	}
}

/* Creates a file and unlinks it, with the fatal signals held off between,
 * and registered in between with TEMPFILE_CLEANUP_AT_EXIT, for a handler
 * that runs in another thread meanwhile. */
static int create_unlinked(const char *suffix, const char *prefix, const char *dir,
                           int oflags, unsigned flags)
{
	struct tfp_exit_slot *slot = NULL;
	sigset_t old;
	char *path = NULL;
	int fd = -1;

	tfp_block_fatal_signals(&old);
	if (!(flags & TEMPFILE_CLEANUP_AT_EXIT) || (flags & TEMPFILE_KEEP) ||
	    (slot = tfp_exit_reserve()))
		fd = tempfile_mkstemp(suffix, prefix, dir, oflags & O_APPEND, &path);
	if (fd >= 0) {
		tfp_exit_commit(slot, path, -1);
		/* Unless a handler in another thread got there first. */
		if (!tfp_exit_claim(slot) && unlink(path) < 0) {
			int saved = errno;

			close(fd);
			errno = saved;
			fd = -1;
		}
	}
	tfp_exit_unregister(slot);
	tfp_restore_signals(&old);
	free(path);
	return fd;
}

int tfp_unnamed_fd(const char *suffix, const char *prefix, const char *dir,
                   unsigned flags, int *linkable)
{
	int oflags = O_RDWR | TFP_O_CLOEXEC | (flags & TEMPFILE_APPEND ? O_APPEND : 0);
	int fd;

	if (tfp_check_name(suffix, prefix) < 0)
		return -1;
	if (!dir && !(dir = tempfile_gettempdir()))
		return -1;
	/* "" is the current directory, as for tempfile_mkstemp(); open("")
	 * would say ENOENT. */
	fd = tfp_open_tmpfile(AT_FDCWD, *dir ? dir : ".", oflags);
	if (fd != -1) {
		*linkable = 1;
		return fd >= 0 ? fd : -1;
	}
	*linkable = 0;
	return create_unlinked(suffix, prefix, dir, oflags, flags);
}
