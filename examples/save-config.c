/* Saving a configuration file the way a careful program should.
 *
 * What it shows: the new contents are written into a replacement
 * (tempfile_replace), which only tempfile_commit puts in place, in one
 * rename.  Until then, and if anything fails on the way (a full disk, a
 * crash, a kill), readers see the old file, whole; there is never a
 * half-written config, and no leftover file beside it.  TEMPFILE_DURABLE
 * makes the new file survive a power cut once commit returns, and the
 * commit keeps the old file's mode (here 0640) and owner.
 *
 * Run by `make check`: it works in a private directory and checks what it
 * claims.  Outside the source tree:
 *   cc save-config.c $(pkg-config --cflags --libs tempfile)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <tempfile.h>

static int save_config(const char *path, const char *text)
{
	tempfile *tf = tempfile_replace(path, TEMPFILE_DURABLE);
	FILE *f;

	if (!tf)
		return -1;
	f = tempfile_stream(tf);
	if (!f || fputs(text, f) == EOF) {
		int saved = errno;

		tempfile_close(tf); /* abandons it: path stays as it was */
		errno = saved;
		return -1;
	}
	/* Flushes, replaces path atomically, closes: tf is gone either way. */
	return tempfile_commit(tf);
}

static int check(const char *path, const char *want, mode_t mode)
{
	char buf[256];
	struct stat st;
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f || stat(path, &st) < 0)
		return -1;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strcmp(buf, want) == 0 && (st.st_mode & 07777) == mode ? 0 : -1;
}

/* Sets up an old config, readable by its group only, and replaces it. */
static int demo(const char *dir)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof path, "%s/app.conf", dir);
	if (!(f = fopen(path, "w")) || fputs("colour = blue\n", f) == EOF || fclose(f) != 0 ||
	    chmod(path, 0640) < 0)
		return perror(path), 1;
	if (save_config(path, "colour = green\n") < 0)
		return perror("save_config"), 1;
	if (check(path, "colour = green\n", 0640) < 0) {
		fprintf(stderr, "%s: not replaced as expected\n", path);
		return 1;
	}
	printf("replaced %s, mode 0640 kept\n", path);
	return 0;
}

int main(void)
{
	tempfile_dir *d = tempfile_dir_new(NULL, "save-config-", NULL, TEMPFILE_CLEANUP_AT_EXIT);
	int r;

	if (!d)
		return perror("tempfile_dir_new"), 1;
	r = demo(tempfile_dir_name(d));
	if (tempfile_dir_close(d) < 0)
		return perror("tempfile_dir_close"), 1;
	return r;
}
