/* Streams over spooled files with glibc's fopencookie(3). */
#include "internal.h"

#include <errno.h>

static ssize_t cookie_read(void *tf, char *buf, size_t n)
{
	return tfp_io_read(tf, buf, n);
}

/* fopencookie() takes any count short of n for an error (0 is its way of
 * saying so), with errno as the cookie left it: a write(2) that stopped
 * short is carried on until all is written or one fails and says why.
 *
 * What it wants told then differs.  glibc wants the count (its manual
 * forbids a negative one; fwrite() takes -1 for success).  musl's fflush()
 * takes only a negative count for an error when it writes out its buffer:
 * given a short one it drops the buffered bytes and returns 0.  (So there
 * an fwrite() that fails part way says 0 items, though some reached the
 * file: the error, not the count, is what the caller must not miss.) */
static ssize_t cookie_write(void *tf, const char *buf, size_t n)
{
	size_t done = 0;

	while (done < n) {
		ssize_t w = tfp_io_write(tf, buf + done, n - done);

		if (w <= 0) {
#ifndef __GLIBC__
			return -1;
#endif
			break;
		}
		done += (size_t)w;
	}
	return (ssize_t)done;
}

static int cookie_seek(void *tf, off64_t *offset, int whence)
{
	off_t r = tfp_io_seek(tf, (off_t)*offset, whence);

	if (r < 0)
		return -1;
	*offset = r;
	return 0;
}

/* The object owns the file; closing the stream only lets go of it. */
static int cookie_close(void *tf)
{
	TFP_UNUSED(tf);
	return 0;
}

FILE *tfp_spool_stream(tempfile *tf)
{
	static const cookie_io_functions_t io = {
		cookie_read, cookie_write, cookie_seek, cookie_close
	};

	int append = (tf->flags & TEMPFILE_APPEND) != 0;
	FILE *f = fopencookie(tf, append ? "a+" : "r+", io);

#ifndef __GLIBC__
	/* glibc's ftell() knows that an "a" stream's buffered writes go to the
	 * end; musl's asks the cookie for the position, which they have not
	 * moved yet.  Unbuffered, every write reaches the spool at once. */
	if (f && append)
		setvbuf(f, NULL, _IONBF, 0);
#endif
	return f;
}
