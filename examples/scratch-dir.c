/* A job's private scratch directory: a TemporaryDirectory that goes away
 * when the job ends, however it ends.
 *
 * The directory is made 0700 under the default temporary directory and
 * registered with TEMPFILE_CLEANUP_AT_EXIT: it is removed by exit(), and
 * on Ctrl-C (SIGINT), SIGTERM or SIGHUP too, before the process dies of
 * the signal.  The job fills it with a small tree through the directory's
 * descriptor, never by building paths.
 *
 * Usage: scratch-dir [seconds]   (sleeps so that you can press Ctrl-C)
 * Build: cc scratch-dir.c $(pkg-config --cflags --libs tempfile)
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <tempfile.h>

static int populate(int dfd)
{
	int sub, fd, i;
	char name[32];

	if (mkdirat(dfd, "work", 0700) < 0 ||
	    (sub = openat(dfd, "work", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	for (i = 0; i < 10; i++) {
		snprintf(name, sizeof name, "part-%d", i);
		fd = openat(sub, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0 || dprintf(fd, "part %d\n", i) < 0) {
			close(sub);
			return -1;
		}
		close(fd);
	}
	close(sub);
	return 0;
}

/* Left open for exit() to remove; kept here, where it stays reachable. */
static tempfile_dir *d;

int main(int argc, char **argv)
{
	unsigned seconds = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 0;

	d = tempfile_dir_new(NULL, "job-", NULL, TEMPFILE_CLEANUP_AT_EXIT);

	if (!d) {
		perror("tempfile_dir_new");
		return 1;
	}
	/* The descriptor belongs to d: use it, never close it. */
	if (populate(tempfile_dir_fd(d)) < 0) {
		perror("populate");
		return 1;
	}
	printf("%s\n", tempfile_dir_name(d));
	fflush(stdout);
	if (seconds)
		sleep(seconds);
	/* Returning from main() calls exit(), which removes the tree; an
	 * explicit tempfile_dir_close(d) would do it now. */
	return 0;
}
