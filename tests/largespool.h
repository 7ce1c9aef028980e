/* A spool larger than the chunks a rollover onto tmpfs writes and gives
 * back one at a time (src/spooled.c: 512 KiB), for check_spooled and the
 * fault driver: three chunks and 7 bytes, not a whole number of pages,
 * standing a third of the way in.  Both set tfp_spool_release_min to
 * LARGE_RELEASE_MIN, so that the rollover gives memory back from 512 KiB,
 * not 32 MiB. */
#ifndef LARGESPOOL_H
#define LARGESPOOL_H

#include <stdlib.h>

#include "tempfile.h"

#define LARGE (((size_t)1536 << 10) + 7)
#define LARGE_POS ((off_t)(LARGE / 3))
#define LARGE_RELEASE_MIN ((size_t)512 << 10)

static inline unsigned char large_byte(size_t i)
{
	return (unsigned char)(i * 7 % 251);
}

/* A spool of LARGE bytes headed for dir, at LARGE_POS, or NULL. */
static inline tempfile *large_spool(const char *dir)
{
	unsigned char *data = malloc(LARGE);
	tempfile *tf = tempfile_spooled(0, NULL, NULL, dir, 0);
	size_t i;

	for (i = 0; data && i < LARGE; i++)
		data[i] = large_byte(i);
	if (!data || !tf || tempfile_write(tf, data, LARGE) != (ssize_t)LARGE ||
	    tempfile_seek(tf, LARGE_POS, SEEK_SET) != LARGE_POS) {
		tempfile_close(tf);
		tf = NULL;
	}
	free(data);
	return tf;
}

/* Whether tf holds the bytes of large_spool() and stands where it left. */
static inline int large_holds(tempfile *tf)
{
	unsigned char *buf = malloc(LARGE + 1);
	size_t got = 0, i;
	ssize_t r = 0;
	int ok;

	if (!buf || tempfile_seek(tf, 0, SEEK_CUR) != LARGE_POS || tempfile_seek(tf, 0, SEEK_SET) != 0) {
		free(buf);
		return 0;
	}
	while ((r = tempfile_read(tf, buf + got, LARGE + 1 - got)) > 0)
		got += (size_t)r;
	ok = r == 0 && got == LARGE;
	for (i = 0; ok && i < LARGE; i++)
		ok = buf[i] == large_byte(i);
	free(buf);
	return ok && tempfile_seek(tf, LARGE_POS, SEEK_SET) == LARGE_POS;
}

#endif
