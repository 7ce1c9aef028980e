/*
 * persist: a permanent name for a temporary file.  A named file is renamed;
 * an O_TMPFILE file is linked into place; any other file, and a spool in
 * memory, is copied into a new file beside the target, which is then put
 * in place.  Replacing goes
 * through a rename, so the target names the old file or the new, never a
 * partial one.
 */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PERSIST_FLAGS (TEMPFILE_NOCLOBBER | TEMPFILE_DURABLE)
#define SIDE_PREFIX ".tmp"

/* The directory part of an absolute path, malloc()ed. */
static char *parent_of(const char *path)
{
	size_t len = (size_t)(strrchr(path, '/') - path);
	char *dir = strndup(path, len ? len : 1);

	if (!dir)
		errno = ENOMEM;
	return dir;
}

/* fsync() of what path names, opened with flags just for that. */
static int fsync_path(const char *path, int flags)
{
	int fd = open(path, O_RDONLY | TFP_O_CLOEXEC | flags), r;

	if (fd < 0)
		return -1;
	r = fsync(fd);
	close(fd);
	return r;
}

static int fsync_dir_of(const char *path)
{
	char *dir = parent_of(path);
	int r;

	if (!dir)
		return -1;
	r = fsync_path(dir, TFP_O_DIRECTORY);
	free(dir);
	return r;
}

/* Links the open file fd at path, which must not exist.  AT_EMPTY_PATH
 * needs CAP_DAC_READ_SEARCH; /proc serves everyone else. */
static int link_fd(int dirfd, const char *path, int fd)
{
	char proc[40];

	if (TFP_AT_EMPTY_PATH && linkat(fd, "", dirfd, path, TFP_AT_EMPTY_PATH) == 0)
		return 0;
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
	return linkat(AT_FDCWD, proc, dirfd, path, AT_SYMLINK_FOLLOW);
}

/* Puts the file open as fd at path: linked there directly when nothing may
 * be replaced, else linked beside it and renamed over it. */
static int place_fd(int fd, const char *path, int noclobber)
{
	struct tfp_template t;
	char *dir;
	int r;

	if (noclobber)
		return link_fd(AT_FDCWD, path, fd);
	if (!(dir = parent_of(path)))
		return -1;
	r = tfp_template_init(&t, NULL, SIDE_PREFIX, dir, 0);
	free(dir);
	if (r < 0)
		return -1;
	r = tfp_create_unique(AT_FDCWD, &t, link_fd, fd);
	if (r == 0 && rename(t.buf, path) < 0) {
		int saved = errno;

		unlink(t.buf);
		errno = saved;
		r = -1;
	}
	free(t.buf);
	return r;
}

static int copy_all(int from, int to)
{
	char buf[65536];
	off_t off = 0;

	for (;;) {
		ssize_t n = pread(from, buf, sizeof buf, off), w, done = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return (int)n;
		for (; done < n; done += w) {
			w = write(to, buf + done, (size_t)(n - done));
			if (w < 0 && errno != EINTR)
				return -1;
			if (w < 0)
				w = 0;
		}
		off += n;
	}
}

/* Makes the descriptors that read tf's file read the one open as nfd:
 * tf->fd and the stream's, so that a stream handed out keeps working.
 * nfd must already be at tf's position. */
static int switch_file(tempfile *tf, int nfd)
{
	int sfd = tf->stream ? fileno(tf->stream) : -1;

	if ((sfd >= 0 && tfp_dup_onto(nfd, sfd) < 0) || tfp_dup_onto(nfd, tf->fd) < 0)
		return -1;
	close(nfd);
	return 0;
}

/* Fills nfd with tf's contents, at tf's position. */
static int fill_copy(tempfile *tf, int nfd)
{
	off_t pos;

	if (copy_all(tf->fd, nfd) < 0 || (pos = lseek(tf->fd, 0, SEEK_CUR)) < 0)
		return -1;
	return lseek(nfd, pos, SEEK_SET) < 0 ? -1 : 0;
}

/* Has tf take over nfd: a spool is dropped for it, a file is replaced. */
static int adopt(tempfile *tf, int nfd)
{
	if (!tf->spool)
		return switch_file(tf, nfd);
	tfp_spool_free(tf->spool);
	tf->spool = NULL;
	tf->fd = nfd;
	return 0;
}

/* Writes tf's contents into a new file beside path and puts that in place:
 * for a spool still in memory (which then stays there on failure), for a
 * file O_TMPFILE did not make (it has no inode to link), and for one on
 * another file system than path. */
static int place_new(tempfile *tf, const char *path, unsigned flags)
{
	char *dir = parent_of(path), *side = NULL;
	int nfd = -1, saved;

	if (dir)
		nfd = tempfile_mkstemp(NULL, SIDE_PREFIX, dir,
		                       tf->flags & TEMPFILE_APPEND ? O_APPEND : 0, &side);
	free(dir);
	if (nfd < 0)
		return -1;
	if ((tf->spool ? tfp_spool_dump(tf->spool, nfd) : fill_copy(tf, nfd)) < 0 ||
	    ((flags & TEMPFILE_DURABLE) && fsync(nfd) < 0))
		goto fail;
	if (((flags & TEMPFILE_NOCLOBBER) ? tfp_rename_noreplace(side, path)
	                                  : rename(side, path)) < 0)
		goto fail;
	free(side);
	/* The copy is in place, and whatever was at path is gone: even if the
	 * object cannot take it over (dup3 does not fail in practice), it
	 * stays there. */
	if (adopt(tf, nfd) == 0)
		return 0;
	saved = errno;
	close(nfd);
	errno = saved;
	return -1;
fail:
	saved = errno;
	unlink(side);
	free(side);
	close(nfd);
	errno = saved;
	return -1;
}

static int fsync_named(const tempfile *tf)
{
	if (tf->fd >= 0)
		return fsync(tf->fd);
	return fsync_path(tf->name, TFP_O_NOFOLLOW);
}

static int place(tempfile *tf, const char *path, unsigned flags)
{
	int noclobber = (flags & TEMPFILE_NOCLOBBER) != 0;

	/* What the stream holds belongs in the file before it is flushed or
	 * copied. */
	if (tf->stream && fflush(tf->stream) != 0)
		return -1;
	if (tf->name) {
		if ((flags & TEMPFILE_DURABLE) && fsync_named(tf) < 0)
			return -1;
		return noclobber ? tfp_rename_noreplace(tf->name, path) : rename(tf->name, path);
	}
	if (tf->closed) {
		errno = EBADF; /* its data went with the descriptor */
		return -1;
	}
	if (tf->spool || !tf->linkable)
		return place_new(tf, path, flags);
	if ((flags & TEMPFILE_DURABLE) && fsync(tf->fd) < 0)
		return -1;
	if (place_fd(tf->fd, path, noclobber) == 0)
		return 0;
	/* An inode cannot be linked into another file system. */
	return errno == EXDEV ? place_new(tf, path, flags) : -1;
}

int tempfile_persist(tempfile *tf, const char *path, unsigned flags)
{
	char *abs;

	if (!tf || !path || (flags & ~PERSIST_FLAGS)) {
		errno = EINVAL;
		return -1;
	}
	if (!(abs = tfp_abspath(path)))
		return -1;
	if (place(tf, abs, flags) < 0) {
		free(abs);
		return -1;
	}
	/* Unregister only now: a signal in between finds the old name gone. */
	tfp_exit_unregister(tf->exit_slot);
	tf->exit_slot = NULL;
	free(tf->name);
	tf->name = abs;
	tf->persisted = 1;
	tf->linkable = 0;
	if ((flags & TEMPFILE_DURABLE) && fsync_dir_of(abs) < 0)
		return -1;
	return 0;
}
