/*
 * File objects: Python's NamedTemporaryFile and TemporaryFile, and the
 * operations every kind of file object shares (spooled files keep their
 * in-memory half in spooled.c).
 */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FILE_FLAGS (TEMPFILE_KEEP | TEMPFILE_APPEND | TEMPFILE_CLEANUP_AT_EXIT)

tempfile *tfp_object_new(unsigned flags)
{
	tempfile *tf;

	if (flags & ~FILE_FLAGS) {
		errno = EINVAL;
		return NULL;
	}
	tf = calloc(1, sizeof *tf);
	if (!tf) {
		errno = ENOMEM;
		return NULL;
	}
	tf->fd = -1;
	tf->flags = flags;
	return tf;
}

tempfile *tempfile_named(const char *suffix, const char *prefix,
                         const char *dir, unsigned flags)
{
	tempfile *tf = tfp_object_new(flags);
	int oflags = flags & TEMPFILE_APPEND ? O_APPEND : 0;
	int reg = (flags & TEMPFILE_CLEANUP_AT_EXIT) && !(flags & TEMPFILE_KEEP);
	sigset_t old;

	if (!tf)
		return NULL;
	/* Created and registered with the fatal signals held off here, and
	 * the slot reserved first for a handler in another thread. */
	if (reg)
		tfp_block_fatal_signals(&old);
	if (!reg || (tf->exit_slot = tfp_exit_reserve()))
		tf->fd = tempfile_mkstemp(suffix, prefix, dir, oflags, &tf->name);
	if (tf->fd >= 0)
		tfp_exit_commit(tf->exit_slot, tf->name, -1);
	else
		tfp_exit_unregister(tf->exit_slot);
	if (reg)
		tfp_restore_signals(&old);
	if (tf->fd >= 0)
		return tf;
	free(tf);
	return NULL;
}

tempfile *tempfile_unnamed(const char *suffix, const char *prefix,
                           const char *dir, unsigned flags)
{
	tempfile *tf = tfp_object_new(flags);

	if (!tf)
		return NULL;
	tf->fd = tfp_unnamed_fd(suffix, prefix, dir, flags, &tf->linkable);
	if (tf->fd < 0) {
		free(tf);
		return NULL;
	}
	return tf;
}

/* Usable for I/O: not closed.  Spooled files in memory have no fd. */
static int check_open(const tempfile *tf)
{
	if (!tf || tf->closed) {
		errno = EBADF;
		return -1;
	}
	return 0;
}

/* Direct calls first flush what the stream holds, so that switching from
 * the stream to them needs no care. */
static int sync_stream(tempfile *tf)
{
	if (check_open(tf) < 0)
		return -1;
	if (tf->stream && fflush(tf->stream) != 0)
		return -1;
	return 0;
}

ssize_t tfp_io_read(tempfile *tf, void *buf, size_t n)
{
	if (check_open(tf) < 0)
		return -1;
	if (tf->spool)
		return tfp_spool_read(tf->spool, buf, n);
	return read(tf->fd, buf, n);
}

ssize_t tfp_io_write(tempfile *tf, const void *buf, size_t n)
{
	if (check_open(tf) < 0)
		return -1;
	if (tf->spool) {
		struct tfp_spool *sp = tf->spool;

		if (tf->flags & TEMPFILE_APPEND)
			sp->pos = sp->size;
		/* Exactly max_size bytes stay in memory. */
		if (!tf->max_size || (sp->pos <= tf->max_size && n <= tf->max_size - sp->pos))
			return tfp_spool_write(sp, buf, n);
		if (tfp_spool_rollover(tf) < 0)
			return -1;
	}
	return write(tf->fd, buf, n);
}

off_t tfp_io_seek(tempfile *tf, off_t offset, int whence)
{
	struct tfp_spool *sp;
	off_t base;

	if (check_open(tf) < 0)
		return -1;
	if (!tf->spool)
		return lseek(tf->fd, offset, whence);
	sp = tf->spool;
	switch (whence) {
	case SEEK_SET: base = 0; break;
	case SEEK_CUR: base = (off_t)sp->pos; break;
	case SEEK_END: base = (off_t)sp->size; break;
	default: errno = EINVAL; return -1;
	}
	if (offset < -base) {
		errno = EINVAL;
		return -1;
	}
	/* Positions must fit size_t as well as off_t. */
	if (offset > 0 && (offset > TFP_OFF_MAX - base || (uintmax_t)(base + offset) > SIZE_MAX)) {
		errno = EOVERFLOW;
		return -1;
	}
	sp->pos = (size_t)(base + offset);
	return base + offset;
}

ssize_t tempfile_read(tempfile *tf, void *buf, size_t n)
{
	if (sync_stream(tf) < 0)
		return -1;
	return tfp_io_read(tf, buf, n);
}

ssize_t tempfile_write(tempfile *tf, const void *buf, size_t n)
{
	if (sync_stream(tf) < 0)
		return -1;
	return tfp_io_write(tf, buf, n);
}

off_t tempfile_seek(tempfile *tf, off_t offset, int whence)
{
	if (sync_stream(tf) < 0)
		return -1;
	return tfp_io_seek(tf, offset, whence);
}

int tempfile_truncate(tempfile *tf, off_t size)
{
	if (sync_stream(tf) < 0)
		return -1;
	if (size < 0) {
		errno = EINVAL;
		return -1;
	}
	if (tf->spool && (!tf->max_size || (uintmax_t)size <= tf->max_size))
		return tfp_spool_truncate(tf->spool, (size_t)size);
	if (tfp_spool_rollover(tf) < 0)
		return -1;
	return ftruncate(tf->fd, size);
}

int tempfile_fileno(tempfile *tf)
{
	/* Whoever uses the descriptor sees what the stream wrote. */
	if (sync_stream(tf) < 0 || tfp_spool_rollover(tf) < 0)
		return -1;
	return tf->fd;
}

const char *tempfile_name(const tempfile *tf)
{
	return tf ? tf->name : NULL;
}

FILE *tempfile_stream(tempfile *tf)
{
	if (check_open(tf) < 0)
		return NULL;
	if (!tf->stream)
		tf->stream = tf->spool ? tfp_spool_stream(tf)
		                       : tfp_fd_stream(tf->fd, tf->flags & TEMPFILE_APPEND);
	return tf->stream;
}

int tempfile_rollover(tempfile *tf)
{
	if (sync_stream(tf) < 0)
		return -1;
	return tfp_spool_rollover(tf);
}

int tempfile_rolled(const tempfile *tf)
{
	return tf && !tf->spool;
}

int tempfile_closefd(tempfile *tf)
{
	struct stat st;
	int r = 0;

	if (!tf) {
		errno = EBADF;
		return -1;
	}
	if (tf->stream && fclose(tf->stream) != 0)
		r = -1;
	tf->stream = NULL;
	/* What persist checks the name against once the descriptor is gone. */
	if (tf->fd >= 0 && tf->name && fstat(tf->fd, &st) == 0) {
		tf->dev = st.st_dev;
		tf->ino = st.st_ino;
	}
	if (tf->fd >= 0 && close(tf->fd) < 0 && errno != EINTR)
		r = -1;
	tf->fd = -1;
	tfp_spool_free(tf->spool);
	tf->spool = NULL;
	tf->closed = 1;
	return r;
}

int tempfile_keep(tempfile *tf)
{
	if (!tf) {
		errno = EINVAL;
		return -1;
	}
	/* Kept before unregistered: a fatal signal in between still removes
	 * the file, as it would have a moment earlier, and none after. */
	tf->flags |= TEMPFILE_KEEP;
	tfp_exit_unregister(tf->exit_slot);
	tf->exit_slot = NULL;
	return 0;
}

int tempfile_close(tempfile *tf)
{
	sigset_t old;
	int r, removed;

	if (!tf)
		return 0;
	r = tempfile_closefd(tf);
	/* Taken back from the handlers, removed, then unregistered, with the
	 * fatal signals held off in this thread: a fatal signal in between
	 * must not leave the file, and a handler in another thread waits. */
	if (tf->exit_slot)
		tfp_block_fatal_signals(&old);
	removed = tfp_exit_claim(tf->exit_slot);
	/* A file someone already removed is fine; one that cleanup_all
	 * removed may have been re-created by someone else since. */
	if (tf->name && !tf->persisted && !(tf->flags & TEMPFILE_KEEP) && !removed &&
	    unlink(tf->name) < 0 && errno != ENOENT)
		r = -1;
	if (tf->exit_slot) {
		tfp_exit_unregister(tf->exit_slot);
		tfp_restore_signals(&old);
	}
	free(tf->name);
	free(tf->target);
	free(tf->suffix);
	free(tf->prefix);
	free(tf->dir);
	free(tf);
	return r;
}
