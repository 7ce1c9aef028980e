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
#include <wchar.h>

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
 * the stream to them needs no care, and start where the stream is: its
 * position counts characters pushed back by ungetc(), which a flush alone
 * may leave out of the file's offset (glibc's does, for a character other
 * than the one read).  Then a seek puts the offset right and discards the
 * pushback; the second flush takes back what glibc's seek reads ahead.  A
 * stream left so caches no offset: the next sync finds where the direct
 * calls left the file. */
static int sync_stream(tempfile *tf)
{
	off_t pos;

	if (check_open(tf) < 0)
		return -1;
	if (!tf->stream)
		return 0;
	pos = ftello(tf->stream);
	if (fflush(tf->stream) != 0 || pos < 0)
		return -1;
	if (tfp_io_seek(tf, 0, SEEK_CUR) == pos)
		return 0;
	if (fseeko(tf->stream, pos, SEEK_SET) != 0 || fflush(tf->stream) != 0)
		return -1;
	return 0;
}

/* A buffer read(2) and write(2) would find unmapped: the same answer for
 * a spool in memory, where there is no kernel to say it. */
static int check_buffer(const void *buf, size_t n)
{
	if (!buf && n > 0) {
		errno = EFAULT;
		return -1;
	}
	return 0;
}

ssize_t tfp_io_read(tempfile *tf, void *buf, size_t n)
{
	if (check_open(tf) < 0 || check_buffer(buf, n) < 0)
		return -1;
	if (tf->spool)
		return tfp_spool_read(tf->spool, buf, n);
	return read(tf->fd, buf, n);
}

/* Whether n bytes at pos stay in memory: exactly max_size bytes do, and
 * nothing past what size_t can hold. */
static int spool_holds(const tempfile *tf, off_t pos, size_t n)
{
	size_t limit = tf->max_size ? tf->max_size : SIZE_MAX;

	return (uintmax_t)pos <= limit && n <= limit - (size_t)pos;
}

ssize_t tfp_io_write(tempfile *tf, const void *buf, size_t n)
{
	if (check_open(tf) < 0 || check_buffer(buf, n) < 0)
		return -1;
	if (tf->spool) {
		struct tfp_spool *sp = tf->spool;
		ssize_t w;

		/* As write(2): nothing written changes nothing, not even the
		 * size past the end or the append position. */
		if (n == 0)
			return 0;
		if (tf->flags & TEMPFILE_APPEND)
			sp->pos = (off_t)sp->size;
		if (spool_holds(tf, sp->pos, n) &&
		    ((w = tfp_spool_write(sp, buf, n)) >= 0 || errno != ENOMEM))
			return w;
		/* Past max_size, or more than memory gives: the disk may hold it. */
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
	case SEEK_CUR: base = sp->pos; break;
	case SEEK_END: base = (off_t)sp->size; break;
	default: errno = EINVAL; return -1;
	}
	if (offset < -base) {
		errno = EINVAL;
		return -1;
	}
	/* Any off_t will do, even past SIZE_MAX: a write there rolls over. */
	if (offset > 0 && offset > TFP_OFF_MAX - base) {
		errno = EOVERFLOW;
		return -1;
	}
	sp->pos = base + offset;
	return sp->pos;
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
	if (tf->spool && spool_holds(tf, size, 0)) {
		if (tfp_spool_truncate(tf->spool, (size_t)size) == 0)
			return 0;
		if (errno != ENOMEM)
			return -1;
	}
	/* Past max_size, or more than memory gives: the disk may hold it. */
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

/* The stream is byte-oriented from the start, as its first read or write
 * would make it: glibc's fseek(SEEK_CUR) takes a pushed-back character
 * other than the one read for the whole of what is left to read only on
 * an oriented stream; on one whose reads all came from what a seek read
 * ahead (never oriented), it skipped the rest of the buffer. */
FILE *tempfile_stream(tempfile *tf)
{
	if (check_open(tf) < 0)
		return NULL;
	if (!tf->stream) {
		tf->stream = tf->spool ? tfp_spool_stream(tf)
		                       : tfp_fd_stream(tf->fd, tf->flags & TEMPFILE_APPEND);
		if (tf->stream)
			fwide(tf->stream, -1);
	}
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

/* Keeps the first error of a sequence of steps: *err is 0 until one fails. */
static void first_error(int *err)
{
	/* EIO only should a failure leave errno 0, which none of the calls
	 * here does (that arm is excluded from coverage). */
	if (!*err)
		*err = errno ? errno : EIO; /* GCOVR_EXCL_BR_LINE */
}

int tempfile_closefd(tempfile *tf)
{
	struct stat st;
	int err = 0;

	if (!tf) {
		errno = EBADF;
		return -1;
	}
	if (tf->stream && fclose(tf->stream) != 0)
		first_error(&err);
	tf->stream = NULL;
	/* What persist checks the name against once the descriptor is gone. */
	if (tf->fd >= 0 && tf->name && fstat(tf->fd, &st) == 0) {
		tf->dev = st.st_dev;
		tf->ino = st.st_ino;
	}
	if (tf->fd >= 0 && close(tf->fd) < 0 && errno != EINTR)
		first_error(&err);
	tf->fd = -1;
	tfp_spool_free(tf->spool);
	tf->spool = NULL;
	tf->closed = 1;
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
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
	int err = 0, removed;

	if (!tf)
		return 0;
	if (tempfile_closefd(tf) < 0)
		first_error(&err);
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
		first_error(&err);
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
	if (err) {
		errno = err; /* free() and the signal calls may have changed it */
		return -1;
	}
	return 0;
}
