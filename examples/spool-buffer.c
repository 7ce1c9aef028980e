/* Collecting output of unknown size: a SpooledTemporaryFile.
 *
 * A report is written through an ordinary FILE * without knowing how big
 * it will get.  Up to 64 KiB it stays in memory; past that it moves to an
 * unnamed file on disk by itself, and nothing changes for the writer.  The
 * whole report is then read back, from the start, and handed on.
 *
 * Usage: spool-buffer [lines]   (default 10000; try 10 to stay in memory)
 * Build: cc spool-buffer.c $(pkg-config --cflags --libs tempfile)
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <tempfile.h>

int main(int argc, char **argv)
{
	long lines = argc > 1 ? strtol(argv[1], NULL, 10) : 10000;
	tempfile *tf = tempfile_spooled(64 * 1024, NULL, "report-", NULL, 0);
	char buf[8192];
	FILE *out;
	size_t n, total = 0;
	long i;

	if (!tf || !(out = tempfile_stream(tf))) {
		perror("tempfile_spooled");
		return 1;
	}
	for (i = 0; i < lines; i++)
		fprintf(out, "line %ld: the quick brown fox\n", i);
	/* Back to the start: the stream and the direct calls share one
	 * position, so either may read it. */
	if (fseek(out, 0, SEEK_SET) != 0) {
		perror("fseek");
		return 1;
	}
	while ((n = fread(buf, 1, sizeof buf, out)) > 0)
		total += n;
	fprintf(stderr, "spool-buffer: %zu bytes, %s\n", total,
	        tempfile_rolled(tf) ? "rolled over to disk" : "still in memory");
	/* Handing the file itself to a call that wants a descriptor rolls a
	 * spool over first, as Python's fileno() does. */
	if (tempfile_seek(tf, 0, SEEK_SET) != 0 ||
	    (n = (size_t)tempfile_read(tf, buf, 5)) != 5 ||
	    write(STDOUT_FILENO, buf, n) != (ssize_t)n) {
		perror("read back");
		return 1;
	}
	putchar('\n');
	if (tempfile_close(tf) < 0) {
		perror("tempfile_close");
		return 1;
	}
	return 0;
}
