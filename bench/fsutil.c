/* File-system chores the benchmarks share: see fsutil.h. */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tempfile.h>

#include "fsutil.h"

/* The private directory is a tempfile_dir registered for cleanup at exit,
 * so that a run stopped by ^C or a closed pipe leaves nothing behind. */
static tempfile_dir *private_dir;

int fs_private_dir(const char *parent, const char *prefix, char **dir, int *fd)
{
	*fd = -1;
	*dir = NULL;
	if (!(private_dir = tempfile_dir_new(NULL, prefix, parent, TEMPFILE_CLEANUP_AT_EXIT))) {
		perror("tempfile_dir_new");
		return -1;
	}
	if (!(*dir = strdup(tempfile_dir_name(private_dir))) ||
	    (*fd = open(*dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    setenv("TMPDIR", *dir, 1) < 0) {
		perror(*dir ? *dir : "strdup");
		if (*fd >= 0)
			close(*fd);
		free(*dir);
		tempfile_dir_close(private_dir);
		return -1;
	}
	return 0;
}

int fs_private_dir_end(char *dir, int fd)
{
	int r = 0;

	close(fd);
	/* rmdir(), not the cleanup: a benchmark that left something behind
	 * is told; the cleanup then removes what it left. */
	if (rmdir(dir) < 0) {
		perror(dir);
		r = -1;
	} else {
		tempfile_dir_keep(private_dir);
	}
	if (tempfile_dir_close(private_dir) < 0)
		r = -1;
	free(dir);
	return r;
}

int fs_remove_entries(int dir_fd)
{
	int fd = dup(dir_fd);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *e;
	int r = 0;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	rewinddir(d); /* the offset is shared with dir_fd: at the end since last time */
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && unlinkat(dir_fd, e->d_name, 0) < 0)
			r = -1;
	closedir(d);
	return r;
}

void fs_fresh_name(char *buf)
{
	static unsigned long counter;

	snprintf(buf, 16, "f%08lx", counter++ & 0xffffffffUL);
}

void fs_fresh_names(char (*names)[16], long n)
{
	long i;

	for (i = 0; i < n; i++)
		fs_fresh_name(names[i]);
}

int fs_copies(char **out, const char *s, long n)
{
	long i;

	for (i = 0; i < n; i++)
		if (!(out[i] = strdup(s)))
			return -1;
	return 0;
}
