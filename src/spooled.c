/*
 * Spooled files: Python's SpooledTemporaryFile.  The contents live in a
 * growing buffer until a write or truncate takes them past max_size, or
 * until someone needs a descriptor; then they move to an unnamed file with
 * the same bytes and position.
 */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

tempfile *tempfile_spooled(size_t max_size, const char *suffix,
                           const char *prefix, const char *dir, unsigned flags)
{
	tempfile *tf;
	struct stat st;

	if (tfp_check_name(suffix, prefix) < 0)
		return NULL;
	/* Say now what the rollover would find, rather than at some write. */
	if (dir && stat(*dir ? dir : ".", &st) < 0) /* "": the current directory */
		return NULL;
	if (dir && !S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return NULL;
	}
	if (!(tf = tfp_object_new(flags)))
		return NULL;
	tf->max_size = max_size;
	tf->spool = calloc(1, sizeof *tf->spool);
	if (!tf->spool || (suffix && !(tf->suffix = strdup(suffix))) ||
	    (prefix && !(tf->prefix = strdup(prefix))) || (dir && !(tf->dir = strdup(dir)))) {
		tempfile_close(tf); /* nothing on disk yet */
		errno = ENOMEM;
		return NULL;
	}
	return tf;
}

ssize_t tfp_spool_read(struct tfp_spool *sp, void *buf, size_t n)
{
	size_t avail = (uintmax_t)sp->pos < sp->size ? sp->size - (size_t)sp->pos : 0;

	if (n > avail)
		n = avail;
	if (n == 0)
		return 0;
	memcpy(buf, sp->data + (size_t)sp->pos, n);
	sp->pos += (off_t)n;
	return (ssize_t)n;
}

/* Makes room for size bytes, the new ones zeroed. */
static int reserve(struct tfp_spool *sp, size_t size)
{
	size_t cap = sp->cap ? sp->cap : 256;
	unsigned char *data;

	if (size <= sp->cap)
		return 0;
	/* No object is larger than PTRDIFF_MAX: such a size is never asked
	 * of realloc() (valgrind calls it a negative one). */
	if (size > (size_t)PTRDIFF_MAX) {
		errno = ENOMEM;
		return -1;
	}
	while (cap < size)
		cap = cap > (size_t)PTRDIFF_MAX / 2 ? size : cap * 2;
	data = realloc(sp->data, cap);
	if (!data) {
		errno = ENOMEM;
		return -1;
	}
	memset(data + sp->cap, 0, cap - sp->cap);
	sp->data = data;
	sp->cap = cap;
	return 0;
}

ssize_t tfp_spool_write(struct tfp_spool *sp, const void *buf, size_t n)
{
	size_t pos = (size_t)sp->pos;

	if (n > SSIZE_MAX)
		n = SSIZE_MAX;
	if (n == 0) /* data may still be NULL: no memcpy */
		return 0;
	/* Only where size_t is narrower than off_t (i386: test_spool_limits
	 * gets here); with both 64 bits wide, pos and n are below 2^63 each. */
	if (pos > SIZE_MAX - n) { /* GCOVR_EXCL_BR_LINE */
		errno = ENOMEM; /* GCOVR_EXCL_LINE */
		return -1; /* GCOVR_EXCL_LINE */
	}
	if (reserve(sp, pos + n) < 0)
		return -1;
	/* A gap left by seeking past the end reads as zeros: reserve() zeroed
	 * fresh memory and truncate() zeroes what it cuts off. */
	memcpy(sp->data + pos, buf, n);
	pos += n;
	sp->pos = (off_t)pos;
	if (pos > sp->size)
		sp->size = pos;
	return (ssize_t)n;
}

int tfp_spool_truncate(struct tfp_spool *sp, size_t size)
{
	if (size < sp->size)
		memset(sp->data + size, 0, sp->size - size);
	else if (reserve(sp, size) < 0)
		return -1;
	sp->size = size;
	return 0;
}

void tfp_spool_free(struct tfp_spool *sp)
{
	if (sp)
		free(sp->data);
	free(sp);
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int tfp_spool_dump(const struct tfp_spool *sp, int fd)
{
	if (write_all(fd, sp->data, sp->size) < 0)
		return -1;
	if (lseek(fd, sp->pos, SEEK_SET) >= 0)
		return 0;
	/* Linux's answer for a position past the largest file the file
	 * system allows; what write(2) would have said there. */
	if (errno == EINVAL)
		errno = EFBIG;
	return -1;
}

int tfp_spool_rollover(tempfile *tf)
{
	struct tfp_spool *sp = tf->spool;
	int fd, linkable;

	if (!sp)
		return 0;
	fd = tfp_unnamed_fd(tf->suffix, tf->prefix, tf->dir, tf->flags, &linkable);
	if (fd < 0)
		return -1;
	/* On failure the contents stay in memory, as if nothing happened. */
	if (tfp_spool_dump(sp, fd) < 0) {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	tf->fd = fd;
	tf->linkable = linkable;
	tf->spool = NULL;
	tfp_spool_free(sp);
	return 0;
}
