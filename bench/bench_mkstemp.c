/*
 * The cost of making a temporary file or directory, close included, with
 * libtempfile and with glibc, against the floor: the bare openat() or
 * mkdirat() of a name made ready beforehand.  Everything happens in one
 * private directory made for the run in DIR (-d DIR; default $TMPDIR, else
 * /tmp), so that tmpfs and a disk can each be measured.  Entries are removed
 * after each batch, untimed, so every batch sees the same directory.
 *
 * Usage: bench_mkstemp [-d DIR] [-q] [CASE N]
 */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <tempfile.h>

#include "bench.h"

#define MAX_BATCH 4096
#define FLOOR_FLAGS (O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC)

static char *dir;
static int dir_fd;
/* What a batch made: names or paths, to remove afterwards. */
static char *made[MAX_BATCH];
/* Prepared names: "fNNNNNNNN" for the floors, glibc's templates. */
static char ready[MAX_BATCH][32];
static char *tmpl; /* "DIR/tmpXXXXXX" */
static unsigned long counter;

static int prep_names(long n)
{
	long i;

	for (i = 0; i < n; i++)
		snprintf(ready[i], sizeof ready[i], "f%08lx", counter++);
	return 0;
}

static int prep_templates(long n)
{
	long i;

	for (i = 0; i < n; i++)
		if (!(made[i] = strdup(tmpl)))
			return -1;
	return 0;
}

static int remove_ready(long n, int flags)
{
	long i;

	for (i = 0; i < n; i++)
		if (unlinkat(dir_fd, ready[i], flags) < 0)
			return -1;
	return 0;
}

/* made[] holds absolute paths or names in dir_fd, malloc()ed. */
static int remove_made(long n, int flags)
{
	long i;
	int r = 0;

	for (i = 0; i < n; i++) {
		if (unlinkat(dir_fd, made[i], flags) < 0)
			r = -1;
		free(made[i]);
	}
	return r;
}

/* For the creates that report no name: every entry goes. */
static int remove_all(long n)
{
	int fd = dup(dir_fd);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *e;
	int r = 0;

	(void)n;
	if (!d)
		return -1;
	rewinddir(d); /* the offset is dir_fd's, at the end since last time */
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && unlinkat(dir_fd, e->d_name, 0) < 0)
			r = -1;
	closedir(d);
	return r;
}

static int done_ready_file(long n) { return remove_ready(n, 0); }
static int done_ready_dir(long n) { return remove_ready(n, AT_REMOVEDIR); }
static int done_made_file(long n) { return remove_made(n, 0); }
static int done_made_dir(long n) { return remove_made(n, AT_REMOVEDIR); }

static int run_floor_file(long n)
{
	long i;

	for (i = 0; i < n; i++) {
		int fd = openat(dir_fd, ready[i], FLOOR_FLAGS, 0600);

		if (fd < 0)
			return -1;
		close(fd);
	}
	return 0;
}

static int run_tempfile_mkstemp(long n)
{
	long i;

	for (i = 0; i < n; i++) {
		int fd = tempfile_mkstemp(NULL, NULL, dir, 0, &made[i]);

		if (fd < 0)
			return -1;
		close(fd);
	}
	return 0;
}

static int run_tempfile_mkstempat(long n)
{
	long i;

	for (i = 0; i < n; i++) {
		int fd = tempfile_mkstempat(dir_fd, NULL, NULL, 0, &made[i]);

		if (fd < 0)
			return -1;
		close(fd);
	}
	return 0;
}

static int run_tempfile_mkstempat_noname(long n)
{
	long i;

	for (i = 0; i < n; i++) {
		int fd = tempfile_mkstempat(dir_fd, NULL, NULL, 0, NULL);

		if (fd < 0)
			return -1;
		close(fd);
	}
	return 0;
}

static int run_mkostemp(long n)
{
	long i;

	for (i = 0; i < n; i++) {
		int fd = mkostemp(made[i], O_CLOEXEC);

		if (fd < 0)
			return -1;
		close(fd);
	}
	return 0;
}

static int run_floor_dir(long n)
{
	long i;

	for (i = 0; i < n; i++)
		if (mkdirat(dir_fd, ready[i], 0700) < 0)
			return -1;
	return 0;
}

static int run_tempfile_mkdtemp(long n)
{
	long i;

	for (i = 0; i < n; i++)
		if (!(made[i] = tempfile_mkdtemp(NULL, NULL, dir)))
			return -1;
	return 0;
}

static int run_mkdtemp(long n)
{
	long i;

	for (i = 0; i < n; i++)
		if (!mkdtemp(made[i]))
			return -1;
	return 0;
}

static const struct bench_case files[] = {
	{ "openat", "floor: openat(ready name)+close", "openat",
	  prep_names, run_floor_file, done_ready_file },
	{ "tempfile_mkstemp", "tempfile_mkstemp+close", "tempfile_mkstemp",
	  NULL, run_tempfile_mkstemp, done_made_file },
	{ "tempfile_mkstempat", "tempfile_mkstempat+close", "tempfile_mkstempat",
	  NULL, run_tempfile_mkstempat, done_made_file },
	{ "tempfile_mkstempat_noname", "tempfile_mkstempat(name NULL)+close",
	  "tempfile_mkstempat", NULL, run_tempfile_mkstempat_noname, remove_all },
	{ "mkostemp", "glibc mkostemp(O_CLOEXEC)+close", "mkostemp",
	  prep_templates, run_mkostemp, done_made_file },
};

static const struct bench_case dirs[] = {
	{ "mkdirat", "floor: mkdirat(ready name)", "mkdirat",
	  prep_names, run_floor_dir, done_ready_dir },
	{ "tempfile_mkdtemp", "tempfile_mkdtemp", "tempfile_mkdtemp",
	  NULL, run_tempfile_mkdtemp, done_made_dir },
	{ "mkdtemp", "glibc mkdtemp", "mkdtemp",
	  prep_templates, run_mkdtemp, done_made_dir },
};

#define COUNT(a) (sizeof (a) / sizeof (a)[0])

/* The table that has CASE, for "CASE N"; the files' without one. */
static int run_tables(int argc, char **argv)
{
	char title[4200];
	size_t i;
	int status;

	if (argc == 3)
		for (i = 0; i < COUNT(dirs); i++)
			if (strcmp(argv[1], dirs[i].name) == 0)
				return bench_main(argc, argv, "", "", dirs, COUNT(dirs), MAX_BATCH);
	if (argc == 3)
		return bench_main(argc, argv, "", "", files, COUNT(files), MAX_BATCH);
	if (argc == 2 && strcmp(argv[1], "-q") != 0) { /* usage: both tables */
		bench_main(argc, argv, "", "", files, COUNT(files), MAX_BATCH);
		return bench_main(argc, argv, "", "", dirs, COUNT(dirs), MAX_BATCH);
	}
	snprintf(title, sizeof title, "files in %s: create+close (removal untimed)", dir);
	status = bench_main(argc, argv, title, "ns/file", files, COUNT(files), MAX_BATCH);
	if (status)
		return status;
	snprintf(title, sizeof title, "directories in %s: create (removal untimed)", dir);
	return bench_main(argc, argv, title, "ns/dir", dirs, COUNT(dirs), MAX_BATCH);
}

int main(int argc, char **argv)
{
	const char *parent = NULL;
	int status;

	if (argc >= 3 && strcmp(argv[1], "-d") == 0) {
		parent = argv[2];
		argv[2] = argv[0];
		argc -= 2;
		argv += 2;
	}
	if (!(dir = tempfile_mkdtemp(NULL, "bench_mkstemp-", parent))) {
		perror("tempfile_mkdtemp");
		return 1;
	}
	tmpl = malloc(strlen(dir) + sizeof "/tmpXXXXXX");
	dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (!tmpl || dir_fd < 0) {
		perror("bench_mkstemp");
		rmdir(dir);
		return 1;
	}
	sprintf(tmpl, "%s/tmpXXXXXX", dir);

	status = run_tables(argc, argv);

	close(dir_fd);
	if (rmdir(dir) < 0) {
		perror(dir);
		status = 1;
	}
	free(dir);
	free(tmpl);
	return status;
}
