/* A tour of libtempfile: build with
 *   cc demo.c $(pkg-config --cflags --libs tempfile)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tempfile.h>

int main(void)
{
	char *path, *dir;
	int fd;

	printf("libtempfile %s\n", tempfile_version());
	printf("default directory: %s\n", tempfile_gettempdir());

	/* mkstemp: a new file, open, 0600, close-on-exec; the caller removes it. */
	fd = tempfile_mkstemp(".txt", "demo-", NULL, 0, &path);
	if (fd < 0) {
		perror("tempfile_mkstemp");
		return 1;
	}
	if (write(fd, "hello\n", 6) != 6)
		perror("write");
	printf("mkstemp:  %s (fd %d)\n", path, fd);
	close(fd);
	unlink(path);
	free(path);

	/* mkdtemp: a new 0700 directory. */
	dir = tempfile_mkdtemp(NULL, "demo-", NULL);
	if (!dir) {
		perror("tempfile_mkdtemp");
		return 1;
	}
	printf("mkdtemp:  %s\n", dir);
	rmdir(dir);
	free(dir);
	return 0;
}
