/*
 * Replacing a file atomically: tempfile_replace(), tempfile_commit() and
 * tempfile_write_file().  The new contents go into a file in the target's
 * directory (unnamed where O_TMPFILE works there, else a hidden named file
 * registered for cleanup), so that the commit is one link or rename on one
 * file system; the commit is tempfile_persist() with TEMPFILE_PRESERVE.
 */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REPLACE_FLAGS (TEMPFILE_NOCLOBBER | TEMPFILE_DURABLE | TEMPFILE_PRESERVE | \
                       TEMPFILE_FOLLOW)

/* A new file in t's directory for tf: unnamed, or hidden and registered. */
static int make_file(tempfile *tf, const struct tfp_target *t)
{
	struct tfp_side side;
	int fd = tfp_open_tmpfile(t->dirfd, ".", O_RDWR | TFP_O_CLOEXEC);

	if (fd >= 0) {
		tf->fd = fd;
		tf->linkable = 1;
		return 0;
	}
	if (fd == -2)
		return -1;
	fd = tfp_side_create(t, &side, tfp_create_file, 0);
	if (fd < 0)
		return -1;
	/* tempfile_close() removes it, with the registration, as for any
	 * named file. */
	tf->fd = fd;
	tf->name = side.path;
	tf->exit_slot = side.slot;
	return 0;
}

tempfile *tempfile_replace(const char *path, unsigned flags)
{
	struct tfp_target t;
	tempfile *tf;
	int r, saved;

	if (!path || (flags & ~REPLACE_FLAGS)) {
		errno = EINVAL;
		return NULL;
	}
	if (!(tf = tfp_object_new(0)))
		return NULL;
	tf->target_flags = flags | TEMPFILE_PRESERVE;
	if (!(tf->target = strdup(path))) {
		free(tf);
		errno = ENOMEM;
		return NULL;
	}
	/* Where the commit will put it: beside the file that a link leads
	 * to, with TEMPFILE_FOLLOW.  The commit looks the path up again. */
	r = tfp_target_open(&t, AT_FDCWD, path, (flags & TEMPFILE_FOLLOW) != 0);
	if (r == 0) {
		r = make_file(tf, &t);
		tfp_target_close(&t);
	}
	if (r < 0) {
		saved = errno;
		free(tf->target);
		free(tf);
		errno = saved;
		return NULL;
	}
	return tf;
}

int tempfile_commit(tempfile *tf)
{
	int r, saved;

	if (!tf) {
		errno = EINVAL;
		return -1;
	}
	if (!tf->target || tf->closed) {
		saved = tf->target ? EBADF : EINVAL;
		tempfile_close(tf);
		errno = saved;
		return -1;
	}
	r = tempfile_persist(tf, tf->target, tf->target_flags);
	saved = errno;
	/* Not persisted: close removes the temporary file.  Persisted with
	 * -1: only a flush after the file was in place failed. */
	if (tempfile_close(tf) < 0 && r == 0)
		return -1;
	errno = saved;
	return r;
}

int tempfile_write_file(const char *path, const void *data, size_t len, unsigned flags)
{
	const char *p = data;
	tempfile *tf;
	int saved;

	if (!data && len) {
		errno = EINVAL;
		return -1;
	}
	if (!(tf = tempfile_replace(path, flags)))
		return -1;
	while (len) {
		ssize_t n = tempfile_write(tf, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* 0 for a write of len > 0 is no file's answer; EIO if
			 * ever (that arm is excluded from coverage). */
			saved = n < 0 ? errno : EIO; /* GCOVR_EXCL_BR_LINE */
			tempfile_close(tf);
			errno = saved;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return tempfile_commit(tf);
}
