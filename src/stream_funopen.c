/* Streams over spooled files with the BSDs' and macOS's funopen(3). */
#include "internal.h"

static int funopen_read(void *tf, char *buf, int n)
{
	return (int)tfp_io_read(tf, buf, (size_t)n);
}

static int funopen_write(void *tf, const char *buf, int n)
{
	return (int)tfp_io_write(tf, buf, (size_t)n);
}

static fpos_t funopen_seek(void *tf, fpos_t offset, int whence)
{
	return (fpos_t)tfp_io_seek(tf, (off_t)offset, whence);
}

/* The object owns the file; closing the stream only lets go of it. */
static int funopen_close(void *tf)
{
	TFP_UNUSED(tf);
	return 0;
}

FILE *tfp_spool_stream(tempfile *tf)
{
	FILE *f = funopen(tf, funopen_read, funopen_write, funopen_seek, funopen_close);

	/* funopen() has no append mode: ftell() would ask for the position
	 * that buffered writes, bound for the end, have not moved yet.
	 * Unbuffered, every write reaches the spool at once. */
	if (f && (tf->flags & TEMPFILE_APPEND))
		setvbuf(f, NULL, _IONBF, 0);
	return f;
}
