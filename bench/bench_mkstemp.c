/*
 * The cost of making a temporary file: create, close and remove, with
 * libtempfile and with glibc, in one private directory made for the run and
 * removed at the end.  Every file is removed at once, so the directory stays
 * small and every call sees the same one.  run.sh counts the system calls
 * each case makes (see bench_names.c for why they are counted from outside).
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tempfile.h>

#include "bench.h"

static char *dir;
static int dir_fd;
/* glibc's template, "DIR/tmpXXXXXX", and a copy for each call to fill in. */
static char *tmpl, *work;
static size_t tmpl_size;

static int run_tempfile_mkstemp(long n)
{
	while (n-- > 0) {
		char *path;
		int fd = tempfile_mkstemp(NULL, NULL, dir, 0, &path);

		if (fd < 0)
			return -1;
		close(fd);
		unlink(path);
		free(path);
	}
	return 0;
}

static int run_tempfile_mkstempat(long n)
{
	while (n-- > 0) {
		char *name;
		int fd = tempfile_mkstempat(dir_fd, NULL, NULL, 0, &name);

		if (fd < 0)
			return -1;
		close(fd);
		unlinkat(dir_fd, name, 0);
		free(name);
	}
	return 0;
}

/* flags < 0: mkstemp(), else mkostemp(flags). */
static int run_glibc(long n, int flags)
{
	while (n-- > 0) {
		int fd;

		memcpy(work, tmpl, tmpl_size);
		fd = flags < 0 ? mkstemp(work) : mkostemp(work, flags);
		if (fd < 0)
			return -1;
		close(fd);
		unlink(work);
	}
	return 0;
}

static int run_mkstemp(long n)
{
	return run_glibc(n, -1);
}

static int run_mkostemp(long n)
{
	return run_glibc(n, O_CLOEXEC);
}

static const struct bench_case cases[] = {
	{ "tempfile_mkstemp", "tempfile_mkstemp+close+unlink", run_tempfile_mkstemp },
	{ "tempfile_mkstempat", "tempfile_mkstempat+close+unlinkat", run_tempfile_mkstempat },
	{ "mkstemp", "glibc mkstemp+close+unlink", run_mkstemp },
	{ "mkostemp", "glibc mkostemp(O_CLOEXEC)+...", run_mkostemp },
};

int main(int argc, char **argv)
{
	char title[4096];
	int status;

	/* The default directory ($TMPDIR, else /tmp), so that another file
	 * system can be measured by setting TMPDIR. */
	if (!(dir = tempfile_mkdtemp(NULL, "bench_mkstemp-", NULL))) {
		perror("tempfile_mkdtemp");
		return 1;
	}
	tmpl_size = strlen(dir) + sizeof "/tmpXXXXXX";
	tmpl = malloc(tmpl_size);
	work = malloc(tmpl_size);
	dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (!tmpl || !work || dir_fd < 0) {
		perror("bench_mkstemp");
		rmdir(dir);
		return 1;
	}
	snprintf(tmpl, tmpl_size, "%s/tmpXXXXXX", dir);
	snprintf(title, sizeof title, "bench_mkstemp in %s", dir);

	status = bench_main(argc, argv, title, "ns/file", cases, sizeof cases / sizeof cases[0]);

	close(dir_fd);
	if (rmdir(dir) < 0) {
		perror(dir);
		status = 1;
	}
	free(dir);
	free(tmpl);
	free(work);
	return status;
}
