/* A tour of libtempfile.  Outside the source tree, build it with
 *   cc demo.c $(pkg-config --cflags --libs tempfile)
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tempfile.h>

static int fail(const char *what)
{
	perror(what);
	return 1;
}

/* mkstemp: a new file, open, 0600, close-on-exec; the caller removes it. */
static int demo_mkstemp(void)
{
	char *path;
	int fd = tempfile_mkstemp(".txt", "demo-", NULL, 0, &path);

	if (fd < 0)
		return fail("tempfile_mkstemp");
	printf("mkstemp:    %s (fd %d)\n", path, fd);
	close(fd);
	unlink(path);
	free(path);
	return 0;
}

/* NamedTemporaryFile, persisted under a final name in a TemporaryDirectory. */
static int demo_named(const tempfile_dir *d)
{
	tempfile *tf = tempfile_named(".csv", "demo-", tempfile_dir_name(d), 0);
	char final[4096];

	if (!tf)
		return fail("tempfile_named");
	fprintf(tempfile_stream(tf), "id,value\n1,42\n");
	printf("named:      %s\n", tempfile_name(tf));
	snprintf(final, sizeof final, "%s/result.csv", tempfile_dir_name(d));
	if (tempfile_persist(tf, final, TEMPFILE_NOCLOBBER | TEMPFILE_DURABLE) < 0)
		return fail("tempfile_persist");
	printf("persisted:  %s\n", tempfile_name(tf));
	return tempfile_close(tf) < 0 ? fail("tempfile_close") : 0;
}

/* TemporaryFile: no name anywhere. */
static int demo_unnamed(void)
{
	tempfile *tf = tempfile_unnamed(NULL, NULL, NULL, 0);
	char buf[16] = "";

	if (!tf)
		return fail("tempfile_unnamed");
	tempfile_write(tf, "unseen", 6);
	tempfile_seek(tf, 0, SEEK_SET);
	tempfile_read(tf, buf, sizeof buf - 1);
	printf("unnamed:    read back \"%s\"\n", buf);
	return tempfile_close(tf) < 0 ? fail("tempfile_close") : 0;
}

/* SpooledTemporaryFile: in memory until it passes 40 bytes. */
static int demo_spooled(void)
{
	tempfile *tf = tempfile_spooled(40, NULL, NULL, NULL, 0);
	FILE *f;
	int i;

	if (!tf || !(f = tempfile_stream(tf)))
		return fail("tempfile_spooled");
	for (i = 0; i < 8; i++) {
		fprintf(f, "line %d\n", i);
		fflush(f);
		printf("spooled:    %2ld bytes, on disk: %s\n", ftell(f),
		       tempfile_rolled(tf) ? "yes" : "no");
	}
	return tempfile_close(tf) < 0 ? fail("tempfile_close") : 0;
}

int main(void)
{
	tempfile_dir *d;
	int r;

	printf("libtempfile %s, default directory %s\n", tempfile_version(),
	       tempfile_gettempdir());
	d = tempfile_dir_new(NULL, "demo-", NULL, TEMPFILE_CLEANUP_AT_EXIT);
	if (!d)
		return fail("tempfile_dir_new");
	printf("directory:  %s\n", tempfile_dir_name(d));
	r = demo_mkstemp() || demo_named(d) || demo_unnamed() || demo_spooled();
	if (tempfile_dir_close(d) < 0)
		return fail("tempfile_dir_close");
	printf("directory removed with its contents\n");
	return r;
}
