/*
 * Spooled files.  In memory (without -d): 64 MiB in 4 KiB writes into a
 * spool that never rolls over, directly (tempfile_write) and through its
 * stream (tempfile_stream + fwrite), against open_memstream + fwrite and
 * against the floor, a buffer that doubles with realloc() (creating and
 * freeing each included).  Rollover (with -d DIR): tempfile_rollover of a
 * spool holding 1, 16 or 64 MiB against the floor, the same bytes written
 * to an O_TMPFILE file in DIR in one write() (opening included, closing
 * untimed in both).
 *
 * Usage: bench_spool [-d DIR] [-q] [CASE N | -h]
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tempfile.h>

#include "bench.h"
#include "fsutil.h"

#define CHUNK 4096
#define MiB (1024L * 1024)
#define MAX_SPOOLS 16

static const char *dir;
static long fill_size;        /* the in-memory table's */
static long roll_size;        /* the rollover table's */
static char chunk[CHUNK];
static char *bytes;           /* roll_size bytes, for the one-call write */
static tempfile *spools[MAX_SPOOLS];
static int fds[MAX_SPOOLS];

/* ---- in memory ---- */

static int run_realloc(long n)
{
	while (n-- > 0) {
		size_t cap = CHUNK, len = 0;
		char *buf = malloc(cap), *bigger;

		if (!buf)
			return -1;
		for (; len < (size_t)fill_size; len += CHUNK) {
			if (len + CHUNK > cap) {
				if (!(bigger = realloc(buf, cap *= 2)))
					return free(buf), -1;
				buf = bigger;
			}
			memcpy(buf + len, chunk, CHUNK);
		}
		free(buf);
	}
	return 0;
}

static int run_spool_write(long n)
{
	while (n-- > 0) {
		tempfile *tf = tempfile_spooled(0, NULL, NULL, NULL, 0);
		long len;

		if (!tf)
			return -1;
		for (len = 0; len < fill_size; len += CHUNK)
			if (tempfile_write(tf, chunk, CHUNK) != CHUNK)
				return tempfile_close(tf), -1;
		if (tempfile_close(tf) < 0)
			return -1;
	}
	return 0;
}

static int fill_stream(FILE *f)
{
	long len;

	for (len = 0; len < fill_size; len += CHUNK)
		if (fwrite(chunk, 1, CHUNK, f) != CHUNK)
			return -1;
	return 0;
}

static int run_spool_stream(long n)
{
	while (n-- > 0) {
		tempfile *tf = tempfile_spooled(0, NULL, NULL, NULL, 0);
		FILE *f = tf ? tempfile_stream(tf) : NULL;
		int r = f ? fill_stream(f) : -1;

		if (!tf || tempfile_close(tf) < 0 || r < 0)
			return -1;
	}
	return 0;
}

static int run_memstream(long n)
{
	while (n-- > 0) {
		char *buf = NULL;
		size_t size = 0;
		FILE *f = open_memstream(&buf, &size);
		int r = f ? fill_stream(f) : -1;

		if (!f || fclose(f) != 0 || r < 0)
			return free(buf), -1;
		free(buf);
	}
	return 0;
}

/* ---- rollover ---- */

static int run_tmpfile_write(long n)
{
	long i;

	for (i = 0; i < n; i++) {
		if ((fds[i] = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)) < 0)
			return -1;
		if (write(fds[i], bytes, (size_t)roll_size) != roll_size)
			return -1;
	}
	return 0;
}

static int done_tmpfile_write(long n)
{
	while (n-- > 0)
		close(fds[n]);
	return 0;
}

static int prep_spools(long n)
{
	long i;

	for (i = 0; i < n; i++) {
		if (!(spools[i] = tempfile_spooled((size_t)roll_size, NULL, NULL, dir, 0)))
			return -1;
		if (tempfile_write(spools[i], bytes, (size_t)roll_size) != roll_size)
			return -1;
	}
	return 0;
}

static int run_rollover(long n)
{
	long i;

	for (i = 0; i < n; i++)
		if (tempfile_rollover(spools[i]) < 0)
			return -1;
	return 0;
}

static int done_spools(long n)
{
	int r = 0;

	while (n-- > 0)
		if (tempfile_close(spools[n]) < 0)
			r = -1;
	return r;
}

/* ---- the tables ---- */

static const struct bench_case memory[] = {
	{ "realloc", "floor: a buffer doubled by realloc", "run_realloc", NULL, run_realloc, NULL },
	{ "spool_write", "tempfile_spooled+tempfile_write", "run_spool_write",
	  NULL, run_spool_write, NULL },
	{ "spool_stream", "tempfile_spooled+tempfile_stream+fwrite", "run_spool_stream",
	  NULL, run_spool_stream, NULL },
	{ "memstream", "open_memstream+fwrite", "run_memstream", NULL, run_memstream, NULL },
};

#define ROLL_CASES(s) \
	{ "roll_floor_" s, "floor: open(O_TMPFILE)+one write()", "run_tmpfile_write", \
	  NULL, run_tmpfile_write, done_tmpfile_write }, \
	{ "rollover_" s, "tempfile_rollover", "tempfile_rollover", \
	  prep_spools, run_rollover, done_spools }

static const struct bench_case roll1[] = { ROLL_CASES("1") };
static const struct bench_case roll16[] = { ROLL_CASES("16") };
static const struct bench_case roll64[] = { ROLL_CASES("64") };

static int before_memory(void)
{
	fill_size = bench_quick ? MiB : 64 * MiB;
	return 0;
}

static int set_roll_size(long size)
{
	char *b = realloc(bytes, (size_t)size);

	if (!b)
		return -1;
	memset(b, 'x', (size_t)size);
	bytes = b;
	roll_size = size;
	return 0;
}

/* -q: 64 KiB for every size. */
static int before_roll1(void) { return set_roll_size(bench_quick ? 65536 : MiB); }
static int before_roll16(void) { return set_roll_size(bench_quick ? 65536 : 16 * MiB); }
static int before_roll64(void) { return set_roll_size(bench_quick ? 65536 : 64 * MiB); }

static void after_memory(const struct bench_table *tb)
{
	printf("  open_memstream / tempfile_write: %.3f, open_memstream / tempfile_stream: %.3f\n",
	       tb->ratio[3] / tb->ratio[1], tb->ratio[3] / tb->ratio[2]);
}

#define COUNT(a) (sizeof (a) / sizeof (a)[0])
#define TITLE_MAX 4200

int main(int argc, char **argv)
{
	static char title[3][TITLE_MAX];
	struct bench_table memory_table[] = {
		{ "spooled files in memory: 64 MiB in 4 KiB writes (1 MiB with -q)", "ns/fill",
		  memory, COUNT(memory), 1, 0, 2, before_memory, after_memory, {0}, {0} },
	};
	struct bench_table roll_tables[] = {
		{ title[0], "ns/rollover", roll1, COUNT(roll1), MAX_SPOOLS, 0, 16,
		  before_roll1, NULL, {0}, {0} },
		{ title[1], "ns/rollover", roll16, COUNT(roll16), 2, 0, 2,
		  before_roll16, NULL, {0}, {0} },
		{ title[2], "ns/rollover", roll64, COUNT(roll64), 1, 0, 1,
		  before_roll64, NULL, {0}, {0} },
	};
	int i, status;

	dir = bench_parse_dir(&argc, &argv);
	memset(chunk, 'x', sizeof chunk);
	if (!dir)
		return bench_tables(argc, argv, memory_table, COUNT(memory_table));
	for (i = 0; i < 3; i++)
		snprintf(title[i], TITLE_MAX, "rolling a spool of %d MiB over to %s (64 KiB with -q)",
		         i == 0 ? 1 : i == 1 ? 16 : 64, dir);
	status = bench_tables(argc, argv, roll_tables, COUNT(roll_tables));
	free(bytes);
	return status;
}
