/*
 * persist: a permanent name for a temporary file.  The file placed is the
 * one tf holds, whatever its temporary name leads to by now:
 *  - a named file whose name still leads to it, on the target's file
 *    system, is renamed;
 *  - an O_TMPFILE file on the target's file system is linked into place;
 *  - anything else (a spool in memory, an unnamed file with no inode to
 *    link, a file on another file system, a named file whose name someone
 *    replaced) is copied into a new file beside the target, which is then
 *    put in place and taken over by tf.
 * Replacing goes through a rename, so the target names the old file or
 * the new, never a partial one.  Every step after the lookup acts on the
 * target's directory through one descriptor (target.c).
 */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PERSIST_FLAGS (TEMPFILE_NOCLOBBER | TEMPFILE_DURABLE | TEMPFILE_PRESERVE | \
                       TEMPFILE_FOLLOW)

/* One call's view of tf and of where its file goes. */
struct job {
	tempfile *tf;
	unsigned flags;
	struct tfp_target t;
	int fd;               /* the file tf holds; -1 for a spool in memory */
	int own_fd;           /* fd was opened here, by name (after closefd) */
	struct stat st;       /* fd's file as found */
	int olddir;           /* a named file: the directory of its name, or -1 */
	char *oldbase;        /* and the name in it */
	int leads;            /* that name still leads to fd's file */
	int exists;           /* the target exists (not followed) */
	struct stat tst;      /* and is this */
	int linked;           /* placed by linkat() from O_TMPFILE */
};

static int same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

static void close_keep_errno(int fd)
{
	int saved = errno;

	if (fd >= 0)
		close(fd);
	errno = saved;
}

/* The file tf holds: its descriptor, or after closefd its name, which
 * must still lead to it (a FIFO put there must not block the open). */
static int open_source(struct job *j)
{
	tempfile *tf = j->tf;

	j->fd = -1;
	if (tf->spool)
		return 0;
	if (!tf->closed) {
		j->fd = tf->fd;
		return fstat(j->fd, &j->st);
	}
	if (!tf->name) {
		errno = EBADF; /* its data went with the descriptor */
		return -1;
	}
	j->fd = tfp_fd_settle(open(tf->name, O_RDONLY | O_NONBLOCK | TFP_O_NOFOLLOW | TFP_O_CLOEXEC));
	if (j->fd < 0)
		return -1;
	j->own_fd = 1;
	if (fstat(j->fd, &j->st) < 0)
		return -1;
	if (j->st.st_dev != tf->dev || j->st.st_ino != tf->ino) {
		errno = ESTALE;
		return -1;
	}
	return 0;
}

/* Whether a named file's name still leads to the file tf holds. */
static int find_old_name(struct job *j)
{
	const char *name = j->tf->name, *slash;
	struct stat st;
	char *dir;

	if (!name || j->fd < 0 || !(slash = strrchr(name, '/')))
		return 0;
	dir = strndup(name, (size_t)(slash - name) + 1);
	j->oldbase = strdup(slash + 1);
	if (!dir || !j->oldbase) {
		free(dir);
		errno = ENOMEM;
		return -1;
	}
	j->olddir = tfp_fd_settle(open(dir, O_RDONLY | TFP_O_DIRECTORY | TFP_O_CLOEXEC));
	free(dir);
	/* Only a name that is gone, or leads elsewhere, does not lead: one
	 * that cannot be looked up now would stay behind the copy. */
	if (j->olddir >= 0 && fstatat(j->olddir, j->oldbase, &st, AT_SYMLINK_NOFOLLOW) == 0)
		j->leads = same_file(&st, &j->st);
	else if (errno != ENOENT && errno != ENOTDIR)
		return -1;
	return 0;
}

static int find_target(struct job *j)
{
	if (fstatat(j->t.dirfd, j->t.base, &j->tst, AT_SYMLINK_NOFOLLOW) == 0) {
		j->exists = 1;
		return 0;
	}
	return errno == ENOENT ? 0 : -1;
}

/* The target's metadata, unless it is missing or a symbolic link (which
 * is replaced, not looked through). */
static int give_metadata(struct job *j, int fd)
{
	if (!(j->flags & TEMPFILE_PRESERVE))
		return 0;
	return tfp_preserve(fd, &j->t, j->exists && !S_ISLNK(j->tst.st_mode) ? &j->tst : NULL);
}

static int durable(const struct job *j)
{
	return (j->flags & TEMPFILE_DURABLE) != 0;
}

/* The temporary name is taken back from the cleanup before it is renamed
 * or removed, with the fatal signals held off until the registration
 * ends: a handler in another thread that ran after would remove whatever
 * has taken the name by then.  1 if such a handler has already removed
 * it. */
static int hold(const tempfile *tf, sigset_t *old)
{
	if (!tf->exit_slot)
		return 0;
	tfp_block_fatal_signals(old);
	return tfp_exit_claim(tf->exit_slot);
}

/* ended: the name is gone, and its registration with it; else it goes
 * back to the cleanup. */
static void release(tempfile *tf, const sigset_t *old, int ended)
{
	if (!tf->exit_slot)
		return;
	if (ended) {
		tfp_exit_unregister(tf->exit_slot);
		tf->exit_slot = NULL;
	} else {
		tfp_exit_unclaim(tf->exit_slot);
	}
	tfp_restore_signals(old);
}

/* Removes the temporary name if it still leads to the file tf held, and
 * ends its registration. */
static int drop_old_name(struct job *j, int remove)
{
	struct stat st;
	sigset_t old;
	int r = 0;

	/* A name that cannot be checked stays, and says so. */
	if (!hold(j->tf, &old) && remove && j->leads) {
		if (fstatat(j->olddir, j->oldbase, &st, AT_SYMLINK_NOFOLLOW) < 0)
			r = errno == ENOENT ? 0 : -1;
		else if (same_file(&st, &j->st) && unlinkat(j->olddir, j->oldbase, 0) < 0 &&
		         errno != ENOENT)
			r = -1;
	}
	release(j->tf, &old, 1);
	return r;
}

static int same_dir(int a, int b)
{
	struct stat sa, sb;

	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && same_file(&sa, &sb);
}

/* The target is already a name of tf's file, a hard link: what is left is
 * to drop the temporary name, unless that is the target itself. */
static int already_there(struct job *j)
{
	if (durable(j) && fsync(j->fd) < 0)
		return -1;
	if (!j->leads)
		return 0;
	return drop_old_name(j, !same_dir(j->olddir, j->t.dirfd) || strcmp(j->oldbase, j->t.base));
}

static int place_rename(struct job *j)
{
	sigset_t old;
	int r;

	if (hold(j->tf, &old)) {
		errno = ENOENT; /* the process is dying */
		r = -1;
	} else {
		r = (j->flags & TEMPFILE_NOCLOBBER)
		        ? tfp_rename_noreplace(j->olddir, j->oldbase, j->t.dirfd, j->t.base)
		        : renameat(j->olddir, j->oldbase, j->t.dirfd, j->t.base);
	}
	release(j->tf, &old, r == 0);
	return r;
}

/* Links the open file fd at name in dirfd.  AT_EMPTY_PATH needs
 * CAP_DAC_READ_SEARCH; /proc serves everyone else. */
static int link_fd(int dirfd, const char *name, int fd)
{
	char proc[TFP_PROC_FD_PATH_SIZE];

	if (TFP_AT_EMPTY_PATH && linkat(fd, "", dirfd, name, TFP_AT_EMPTY_PATH) == 0)
		return 0;
	tfp_proc_fd_path(proc, fd);
	return linkat(AT_FDCWD, proc, dirfd, name, AT_SYMLINK_FOLLOW);
}

/* An O_TMPFILE file: linked at the target where nothing may be replaced,
 * else linked beside it and renamed over it. */
static int place_link(struct job *j)
{
	struct tfp_side side;

	if (j->flags & TEMPFILE_NOCLOBBER)
		return link_fd(j->t.dirfd, j->t.base, j->fd);
	if (tfp_side_create(&j->t, &side, link_fd, j->fd) < 0)
		return -1;
	return tfp_side_commit(&j->t, &side, 0);
}

/* Puts tf's own file in place; on failure it is as it was. */
static int place_inplace(struct job *j)
{
	if (give_metadata(j, j->fd) == 0 && (!durable(j) || fsync(j->fd) == 0) &&
	    (j->leads ? place_rename(j) : place_link(j)) == 0) {
		j->linked = !j->leads;
		return 0;
	}
	if (j->flags & TEMPFILE_PRESERVE)
		tfp_preserve_undo(j->fd, &j->st);
	return -1;
}

/* On the heap: persist may run on a small thread stack. */
#define COPY_BUF 65536

static int copy_all(int from, int to)
{
	char *buf = malloc(COPY_BUF);
	off_t off = 0;
	int r = -1;

	if (!buf) {
		errno = ENOMEM;
		return -1;
	}
	for (;;) {
		ssize_t n = pread(from, buf, COPY_BUF, off), w, done = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = (int)n;
			break;
		}
		for (; done < n; done += w) {
			w = write(to, buf + done, (size_t)(n - done));
			if (w < 0 && errno != EINTR)
				goto out;
			if (w < 0)
				w = 0;
		}
		off += n;
	}
out:
	free(buf);
	return r;
}

/* Fills nfd with the contents of the file tf holds, at tf's position. */
static int fill_copy(const struct job *j, int nfd)
{
	off_t pos;

	if (j->tf->spool)
		return tfp_spool_dump(j->tf->spool, nfd);
	if (copy_all(j->fd, nfd) < 0)
		return -1;
	if (j->own_fd)
		return 0;
	if ((pos = lseek(j->fd, 0, SEEK_CUR)) < 0)
		return -1;
	return lseek(nfd, pos, SEEK_SET) < 0 ? -1 : 0;
}

/* Makes the descriptors that read tf's file read the one open as nfd:
 * tf->fd and the stream's, so that a stream handed out keeps working. */
static int switch_file(tempfile *tf, int nfd)
{
	int sfd = tf->stream ? fileno(tf->stream) : -1;

	if ((sfd >= 0 && tfp_dup_onto(nfd, sfd) < 0) || tfp_dup_onto(nfd, tf->fd) < 0)
		return -1;
	close(nfd);
	return 0;
}

/* Has tf take over the copy open as nfd. */
static int take_over(tempfile *tf, int nfd)
{
	struct stat st;

	if (tf->closed) {
		/* Only the name is kept: it now leads to the copy. */
		if (fstat(nfd, &st) == 0) {
			tf->dev = st.st_dev;
			tf->ino = st.st_ino;
		}
		close(nfd);
		return 0;
	}
	if (!tf->spool)
		return switch_file(tf, nfd);
	tfp_spool_free(tf->spool);
	tf->spool = NULL;
	tf->fd = nfd;
	return 0;
}

/* Copies the file tf holds into a new file beside the target and puts
 * that in place.  0; -1 with nothing changed; 1 with errno when the copy
 * is in place but what follows failed. */
static int place_copy(struct job *j)
{
	tempfile *tf = j->tf;
	struct tfp_side side;
	int nfd = tfp_side_create(&j->t, &side, tfp_create_file,
	                          tf->flags & TEMPFILE_APPEND ? O_APPEND : 0);

	if (nfd < 0)
		return -1;
	if (fill_copy(j, nfd) < 0 || give_metadata(j, nfd) < 0 || (durable(j) && fsync(nfd) < 0)) {
		tfp_side_discard(&j->t, &side);
		close_keep_errno(nfd);
		return -1;
	}
	if (tfp_side_commit(&j->t, &side, (j->flags & TEMPFILE_NOCLOBBER) != 0) < 0) {
		close_keep_errno(nfd);
		return -1;
	}
	/* The copy is in place, and whatever was at the target is gone: even
	 * if tf cannot take it over (dup3 does not fail in practice), it
	 * stays there.  The temporary name, if tf's, goes either way. */
	if (take_over(tf, nfd) < 0) {
		int saved = errno;

		close(nfd);
		drop_old_name(j, 1);
		errno = saved;
		return 1;
	}
	return drop_old_name(j, 1) < 0 ? 1 : 0;
}

/* 0; -1 with nothing changed; 1 with errno when the file is in place but
 * a later step failed. */
static int place(struct job *j)
{
	struct stat dst;

	if (j->fd >= 0 && j->exists && same_file(&j->tst, &j->st))
		return already_there(j) < 0 ? 1 : 0;
	if ((j->leads || j->tf->linkable) && fstat(j->t.dirfd, &dst) == 0 &&
	    dst.st_dev == j->st.st_dev) {
		if (place_inplace(j) == 0)
			return 0;
		/* A bind mount: same device, yet no rename across. */
		if (errno != EXDEV)
			return -1;
	}
	return place_copy(j);
}

/* TEMPFILE_DURABLE, once the file is in place: the directory that got the
 * entry, the one a named file left, and an O_TMPFILE inode again, since
 * some file systems ignore fsync() of a file with no name. */
static int flush_after(const struct job *j)
{
	int r = 0;

	if (fsync(j->t.dirfd) < 0)
		r = -1;
	if (j->olddir >= 0 && !same_dir(j->olddir, j->t.dirfd) && fsync(j->olddir) < 0)
		r = -1;
	if (j->linked && fsync(j->fd) < 0)
		r = -1;
	return r;
}

static void job_end(struct job *j)
{
	if (j->own_fd)
		close_keep_errno(j->fd);
	close_keep_errno(j->olddir);
	free(j->oldbase);
	tfp_target_close(&j->t);
}

int tempfile_persistat(tempfile *tf, int dirfd, const char *name, unsigned flags)
{
	struct job j;
	char *path = NULL;
	int r = -1, saved;

	if (!tf || !name || (flags & ~PERSIST_FLAGS)) {
		errno = EINVAL;
		return -1;
	}
	/* What the stream holds belongs in the file before it is placed. */
	if (tf->stream && fflush(tf->stream) != 0)
		return -1;
	memset(&j, 0, sizeof j);
	j.tf = tf;
	j.flags = flags;
	j.fd = j.olddir = -1;
	if (tfp_target_open(&j.t, dirfd, name, (flags & TEMPFILE_FOLLOW) != 0) == 0 &&
	    (path = tfp_target_path(&j.t)) && open_source(&j) == 0 && find_old_name(&j) == 0 &&
	    find_target(&j) == 0)
		r = place(&j);
	saved = errno;
	if (r >= 0) {
		/* A name someone replaced still had its registration. */
		tfp_exit_unregister(tf->exit_slot);
		tf->exit_slot = NULL;
		free(tf->name);
		tf->name = path;
		path = NULL;
		tf->persisted = 1;
		tf->linkable = 0;
		if (durable(&j) && flush_after(&j) < 0 && r == 0) {
			saved = errno;
			r = 1;
		}
	}
	job_end(&j);
	free(path);
	errno = saved;
	return r == 0 ? 0 : -1;
}

int tempfile_persist(tempfile *tf, const char *path, unsigned flags)
{
	return tempfile_persistat(tf, AT_FDCWD, path, flags);
}
