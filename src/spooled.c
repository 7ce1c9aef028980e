/*
 * Spooled files: Python's SpooledTemporaryFile.  The contents live in a
 * growing buffer until a write or truncate takes them past max_size, or
 * until someone needs a descriptor; then they move to an unnamed file with
 * the same bytes and position.
 */
#include "internal.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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

/* -1 with EIO for a spool whose contents a rollover lost. */
static int check_lost(const struct tfp_spool *sp)
{
	if (!sp->lost)
		return 0;
	errno = EIO;
	return -1;
}

ssize_t tfp_spool_read(struct tfp_spool *sp, void *buf, size_t n)
{
	size_t avail = (uintmax_t)sp->pos < sp->size ? sp->size - (size_t)sp->pos : 0;

	if (check_lost(sp) < 0)
		return -1;
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
	if (check_lost(sp) < 0)
		return -1;
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
	if (check_lost(sp) < 0)
		return -1;
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

/* Leaves fd at the spool's position, once all of its bytes are there. */
static int seek_to_pos(const struct tfp_spool *sp, int fd)
{
	if (lseek(fd, sp->pos, SEEK_SET) >= 0)
		return 0;
	/* Linux's answer for a position past the largest file the file
	 * system allows; what write(2) would have said there. */
	if (errno == EINVAL)
		errno = EFBIG;
	return -1;
}

int tfp_spool_dump(const struct tfp_spool *sp, int fd)
{
	if (check_lost(sp) < 0 || write_all(fd, sp->data, sp->size) < 0)
		return -1;
	return seek_to_pos(sp, fd);
}

/*
 * A rollover of a large spool onto a file system in memory writes it out
 * a chunk at a time and gives each chunk's pages back as soon as the file
 * holds it.  The file then takes pages just freed, still hot, from the
 * kernel's per-CPU lists, and the contents are never held twice: 64 MiB
 * rolled over to tmpfs peaks at 64.5 MiB, not 128, and costs no more than
 * one write() of the bytes, where writing all, then freeing, cost 1.15x
 * (the munmap() of 64 MiB).
 *
 * Large: at least 32 MiB, the most glibc's malloc() keeps on its heap
 * (its mmap threshold rises to the size of a mapped block freed, up to 32
 * MiB).  A smaller spool may be heap memory, which free() keeps for the
 * next allocation: giving its pages back made a program that fills and
 * rolls over 1 MiB spools in a loop twice as slow, every page faulted in
 * again.  A test sets tfp_spool_release_min lower.
 *
 * A failed write reads back what was given up, so that the data stays as
 * it was: backwards, a chunk at a time, the file cut short behind each
 * (ftruncate), so that reading back needs a chunk of memory more at most,
 * not what was given up, which a rollover failing for want of memory or
 * space may not find.  Only on file systems in memory (tmpfs, ramfs): no
 * disk or server can then fail the read.
 */
#define RELEASE_CHUNK ((size_t)512 << 10)
size_t tfp_spool_release_min = (size_t)32 << 20;

/* Reads [from, to) of the spool back from fd, where the rollover wrote it. */
static int read_back(struct tfp_spool *sp, int fd, size_t from, size_t to)
{
	while (from < to) {
		ssize_t r = pread(fd, sp->data + from, to - from, (off_t)from);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		from += (size_t)r;
	}
	return 0;
}

/* Gets back [from, given) of the spool, the last chunk first: 0, or -1 if
 * a read failed. */
static int take_back(struct tfp_spool *sp, int fd, size_t from, size_t given)
{
	while (given > from) {
		size_t lo = given - from > RELEASE_CHUNK ? given - RELEASE_CHUNK : from;

		if (read_back(sp, fd, lo, given) < 0)
			return -1;
		if (ftruncate(fd, (off_t)lo) < 0) {
			/* Then the file keeps its pages until the close: the
			 * rest may need more memory, that is all. */
		}
		given = lo;
	}
	return 0;
}

/* tfp_spool_dump(), giving memory back as it goes; on failure the spool
 * is as it was, or, should even the reading back fail, lost (EIO). */
static int move_out(struct tfp_spool *sp, int fd)
{
	size_t mask = (size_t)sysconf(_SC_PAGESIZE) - 1;
	size_t from = (size_t)(-(uintptr_t)sp->data & mask); /* first whole page */
	size_t done = 0, given = from;   /* [from, given) was given back */
	int releasing = 1, saved;

	while (done < sp->size) {
		size_t n = sp->size - done < RELEASE_CHUNK ? sp->size - done : RELEASE_CHUNK;
		size_t end;

		if (write_all(fd, sp->data + done, n) < 0)
			goto undo;
		done += n;
		end = done - ((uintptr_t)(sp->data + done) & mask); /* a page's start */
		/* Not the last chunk: free() follows. */
		if (releasing && done < sp->size && end > given) {
			/* Failing (mlock()ed memory: EINVAL), it may have given
			 * back part of the range: read back as if all. */
			if (madvise(sp->data + given, end - given, MADV_DONTNEED) < 0)
				releasing = 0;
			given = end;
		}
	}
	if (seek_to_pos(sp, fd) == 0)
		return 0;
undo:
	saved = errno;
	if (take_back(sp, fd, from, given) < 0) {
		sp->lost = 1;
		saved = EIO;
	}
	errno = saved;
	return -1;
}

/* Writes the spool to the new file fd: tfp_spool_dump(), or move_out()
 * where it pays and reading back cannot fail. */
static int fill(struct tfp_spool *sp, int fd)
{
	if (sp->size >= tfp_spool_release_min && tfp_fs_in_memory(fd))
		return move_out(sp, fd);
	return tfp_spool_dump(sp, fd);
}

int tfp_spool_rollover(tempfile *tf)
{
	struct tfp_spool *sp = tf->spool;
	int fd, linkable;

	if (!sp)
		return 0;
	if (check_lost(sp) < 0)
		return -1;
	fd = tfp_unnamed_fd(tf->suffix, tf->prefix, tf->dir, tf->flags, &linkable);
	if (fd < 0)
		return -1;
	/* On failure the contents stay in memory, as if nothing happened. */
	if (fill(sp, fd) < 0) {
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
