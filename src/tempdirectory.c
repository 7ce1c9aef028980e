/* TemporaryDirectory: a directory made by tempfile_mkdtemp(), held open so
 * that its removal can go through descriptors (rmtree.c).
 *
 * The descriptor is the object's, but the program can still close it (the
 * commonest way: closedir() on a DIR that fdopendir() made of it), and the
 * next open() gets its number.  So the directory's device and inode are
 * recorded when it is made, and nothing is done through the descriptor, not
 * even close(), unless it is still open on that directory. */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#define DIR_FLAGS (TEMPFILE_KEEP | TEMPFILE_CLEANUP_AT_EXIT | TEMPFILE_IGNORE_CLEANUP_ERRORS)

struct tempfile_dir {
	char *path;
	int fd;
	struct tfp_dir_id id; /* the directory made, whatever fd is now */
	int removed;          /* a cleanup removed it: for when fd is stale */
	unsigned flags;
	struct tfp_exit_slot *exit_slot; /* NULL unless registered */
};

/* Undoes a tempfile_dir_new() that got as far as d: nothing stays on disk.
 * The directory is still empty (nobody else knew of it). */
static tempfile_dir *undo_new(tempfile_dir *d)
{
	int saved = errno;

	if (d->fd >= 0)
		close(d->fd);
	if (d->path)
		rmdir(d->path);
	tfp_exit_unregister(d->exit_slot);
	free(d->path);
	free(d);
	errno = saved;
	return NULL;
}

static int make(tempfile_dir *d, const char *suffix, const char *prefix, const char *dir)
{
	if (!(d->path = tempfile_mkdtemp(suffix, prefix, dir)))
		return -1;
	d->fd = tfp_fd_settle(open(d->path, O_RDONLY | TFP_O_DIRECTORY |
	                                    TFP_O_NOFOLLOW | TFP_O_CLOEXEC));
	return d->fd < 0 || tfp_dir_id_of(d->fd, &d->id) < 0 ? -1 : 0;
}

tempfile_dir *tempfile_dir_new(const char *suffix, const char *prefix,
                               const char *dir, unsigned flags)
{
	int reg = (flags & TEMPFILE_CLEANUP_AT_EXIT) && !(flags & TEMPFILE_KEEP);
	tempfile_dir *d;
	sigset_t old;

	if (flags & ~DIR_FLAGS) {
		errno = EINVAL;
		return NULL;
	}
	if (!(d = calloc(1, sizeof *d)))
		return NULL;
	d->flags = flags;
	d->fd = -1;
	/* Made and registered with the fatal signals held off here, and the
	 * slot reserved first for a handler in another thread. */
	if (reg)
		tfp_block_fatal_signals(&old);
	if ((reg && !(d->exit_slot = tfp_exit_reserve())) || make(d, suffix, prefix, dir) < 0)
		d = undo_new(d);
	else
		tfp_exit_commit(d->exit_slot, d->path, d->fd);
	if (reg)
		tfp_restore_signals(&old);
	return d;
}

const char *tempfile_dir_name(const tempfile_dir *d)
{
	if (!d) {
		errno = EINVAL;
		return NULL;
	}
	return d->path;
}

int tempfile_dir_fd(const tempfile_dir *d)
{
	if (!d) {
		errno = EINVAL;
		return -1;
	}
	return d->fd;
}

/* Whether d->fd is still open on d's directory: a number the program
 * closed and the kernel reused is not; one that cannot be checked now
 * (EMFILE, ENOMEM) was ours when last seen. */
static int still_ours(const tempfile_dir *d)
{
	struct tfp_dir_id now;

	if (tfp_dir_id_of(d->fd, &now) < 0)
		return errno != EBADF;
	return tfp_dir_id_eq(&now, &d->id);
}

/* tempfile_dir_cleanup(); *ours (if not NULL) gets whether d->fd is still
 * open on the directory, where the cleanup found out (else it stays -1). */
static int cleanup(tempfile_dir *d, int *ours)
{
	int via_fd;

	/* Gone for good: through a stale descriptor, nothing could tell. */
	if (d->removed) {
		if (ours)
			*ours = 0;
		return 0;
	}
	if (tfp_rmtree(d->fd, d->path, &d->id, &via_fd) < 0)
		return d->flags & TEMPFILE_IGNORE_CLEANUP_ERRORS ? 0 : -1;
	/* Removed through d->fd: still ours.  Else by its path, because
	 * d->fd was not (or could not be checked: asked again). */
	d->removed = !via_fd && !still_ours(d);
	if (ours)
		*ours = !d->removed;
	return 0;
}

int tempfile_dir_cleanup(tempfile_dir *d)
{
	if (!d) {
		errno = EINVAL;
		return -1;
	}
	return cleanup(d, NULL);
}

int tempfile_dir_keep(tempfile_dir *d)
{
	if (!d) {
		errno = EINVAL;
		return -1;
	}
	d->flags |= TEMPFILE_KEEP;
	tfp_exit_unregister(d->exit_slot);
	d->exit_slot = NULL;
	return 0;
}

int tempfile_dir_close(tempfile_dir *d)
{
	int r = 0, saved = 0, removed, ours = -1;
	sigset_t old;

	if (!d)
		return 0;
	/* Taken back from the handlers, removed, then unregistered, with the
	 * fatal signals held off in this thread: a handler in another thread
	 * waits for the removal rather than race it.  One that removed the
	 * tree already leaves its path to whoever made it again since. */
	if (d->exit_slot)
		tfp_block_fatal_signals(&old);
	removed = tfp_exit_claim(d->exit_slot);
	if (!(d->flags & TEMPFILE_KEEP) && !removed && cleanup(d, &ours) < 0) {
		r = -1;
		saved = errno;
	}
	if (d->exit_slot) {
		tfp_exit_unregister(d->exit_slot);
		tfp_restore_signals(&old);
	}
	/* A number the program closed and the kernel reused is not ours (the
	 * cleanup asked just now, with nothing of ours in between). */
	if (ours < 0)
		ours = still_ours(d);
	if (ours && close(d->fd) < 0 && r == 0 &&
	    !(d->flags & TEMPFILE_IGNORE_CLEANUP_ERRORS)) {
		r = -1;
		saved = errno;
	}
	free(d->path);
	free(d);
	if (r < 0)
		errno = saved;
	return r;
}
