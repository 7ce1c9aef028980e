/* A program built against the installed package: the header, the
 * pkg-config flags and the shared library agree, and a file can be made. */
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

int main(void)
{
	char header[32], name[TEMPFILE_NAME_LEN + 1], *path;
	int fd;

	snprintf(header, sizeof header, "%d.%d.%d", TEMPFILE_VERSION_MAJOR,
	         TEMPFILE_VERSION_MINOR, TEMPFILE_VERSION_MICRO);
	if (strcmp(header, tempfile_version()) != 0) {
		fprintf(stderr, "header %s, library %s\n", header, tempfile_version());
		return 1;
	}
	if (tempfile_names_next(tempfile_candidate_names(), name, sizeof name) < 0)
		return fail("tempfile_names_next");
	fd = tempfile_mkstemp(".txt", "smoke-", NULL, 0, &path);
	if (fd < 0)
		return fail("tempfile_mkstemp");
	if (write(fd, "ok\n", 3) != 3)
		return fail("write");
	close(fd);
	if (unlink(path) < 0)
		return fail("unlink");
	printf("libtempfile %s: name %s, made and removed %s\n",
	       tempfile_version(), name, path);
	free(path);
	return 0;
}
