/*
 * Stress 3: the global settings from many threads at once.
 *
 * STRESS_SETTERS threads keep setting the directory and the prefix
 * (tempfile_settempdir(), tempfile_settempprefix()) to values from a fixed
 * set, NULL (the default) included, from buffers they overwrite at once;
 * STRESS_READERS threads keep reading them (tempfile_gettempdir(),
 * tempfile_gettempprefix()) and making files with the defaults
 * (tempfile_mkstemp() and tempfile_mktemp() with NULL dir and prefix).
 * Every value read must be one of those set, and still read so later (the
 * strings stay valid); every file must be in one of the directories with
 * one of the prefixes; nothing may be left behind (no probe file either).
 * .ci/stress builds this with -fsanitize=thread and requires no report.
 */
#define _GNU_SOURCE
#define TEMPFILE_NO_DEPRECATED_WARNINGS 1
#include "stress.h"

#include <tempfile.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define N_DIRS 8
#define N_PREFIXES 8
#define PREFIX_LEN 2 /* "p0" ... "p7"; the default "tmp" is 3 */

/* [0] is the default, the one NULL gives (TMPDIR, set here). */
static char dirs[N_DIRS + 1][4096];
static const char *const prefixes[N_PREFIXES + 1] = {
	"tmp", "p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7",
};
static long iterations;
static atomic_long sets, reads, files;

static int known_dir(const char *s, size_t len)
{
	int i;

	for (i = 0; i <= N_DIRS; i++)
		if (strlen(dirs[i]) == len && strncmp(dirs[i], s, len) == 0)
			return 1;
	return 0;
}

static int known_prefix(const char *s)
{
	int i;

	for (i = 0; i <= N_PREFIXES; i++)
		if (strcmp(prefixes[i], s) == 0)
			return 1;
	return 0;
}

/* dir/PREFIX NAME with a known dir and prefix. */
static int known_path(const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t len;
	char prefix[8];

	if (!slash || !known_dir(path, (size_t)(slash - path)))
		return 0;
	len = strlen(slash + 1);
	if (len != PREFIX_LEN + TEMPFILE_NAME_LEN && len != 3 + TEMPFILE_NAME_LEN)
		return 0;
	memcpy(prefix, slash + 1, len - TEMPFILE_NAME_LEN);
	prefix[len - TEMPFILE_NAME_LEN] = '\0';
	return known_prefix(prefix);
}

static void *setter(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;
	char buf[4096];
	long i;

	for (i = 0; i < iterations; i++) {
		int d = (int)(rand_r(&seed) % (N_DIRS + 1)), p = (int)(rand_r(&seed) % (N_PREFIXES + 1));

		/* From a buffer that changes right after: the library must
		 * keep its own copy. */
		snprintf(buf, sizeof buf, "%s", dirs[d]);
		if (tempfile_settempdir(d ? buf : NULL) != 0)
			st_fail("settempdir: %s", strerror(errno));
		memset(buf, 'X', 64);
		snprintf(buf, sizeof buf, "%s", prefixes[p]);
		if (tempfile_settempprefix(p ? buf : NULL) != 0)
			st_fail("settempprefix: %s", strerror(errno));
		memset(buf, 'X', 8);
		if (i % 64 == 0 && (tempfile_settempprefix("a/b") != -1 || errno != EINVAL ||
		                    tempfile_settempdir("") != -1 || errno != EINVAL))
			st_fail("a bad setting was not refused with EINVAL");
		atomic_fetch_add(&sets, 2);
	}
	return NULL;
}

static void check_values(const char *d, const char *p, const char *when)
{
	if (!d || !known_dir(d, strlen(d)))
		st_fail("%s: gettempdir gave %s", when, d ? d : "NULL");
	if (!p || !known_prefix(p))
		st_fail("%s: gettempprefix gave %s", when, p ? p : "NULL");
}

static void *reader(void *arg)
{
	const char *old_d = NULL, *old_p = NULL;
	char *path;
	long i;
	int fd;

	(void)arg;
	for (i = 0; i < iterations; i++) {
		const char *d = tempfile_gettempdir(), *p = tempfile_gettempprefix();

		check_values(d, p, "now");
		/* Read a while ago, overwritten since by other threads. */
		if (old_d)
			check_values(old_d, old_p, "later");
		if (i % 16 == 0) {
			old_d = d;
			old_p = p;
		}
		atomic_fetch_add(&reads, 2);
		if (i % 4)
			continue;
		if ((fd = tempfile_mkstemp(NULL, NULL, NULL, 0, &path)) < 0) {
			st_fail("mkstemp with the defaults: %s", strerror(errno));
			continue;
		}
		if (!known_path(path))
			st_fail("mkstemp made %s", path);
		if (close(fd) < 0 || unlink(path) < 0)
			st_fail("removing %s: %s", path, strerror(errno));
		free(path);
		if (!(path = tempfile_mktemp(NULL, NULL, NULL)) || !known_path(path))
			st_fail("mktemp gave %s", path ? path : strerror(errno));
		free(path);
		atomic_fetch_add(&files, 2);
	}
	return NULL;
}

int main(void)
{
	long n_set = st_env_long("STRESS_SETTERS", 4), n_read = st_env_long("STRESS_READERS", 4);
	pthread_t *t = calloc((size_t)(n_set + n_read), sizeof *t);
	const char *base = getenv("STRESS_DIR");
	double start = st_now();
	char *top, *def;
	long i, left = 0;
	int d;

	iterations = st_env_long("STRESS_ITERATIONS", 20000);
	if (!t || !(top = tempfile_mkdtemp(NULL, "stress-settings.", base ? base : "."))) {
		perror("stress_settings: setup");
		return 2;
	}
	for (d = 0; d <= N_DIRS; d++) {
		snprintf(dirs[d], sizeof dirs[d], "%s/%c%d", top, d ? 'd' : 'D', d);
		if (mkdir(dirs[d], 0700) < 0) {
			perror(dirs[d]);
			return 2;
		}
	}
	/* NULL gives the default: the probe finds TMPDIR. */
	setenv("TMPDIR", dirs[0], 1);
	if (!(def = tempfile_get_default_tempdir()) || strcmp(def, dirs[0]) != 0) {
		fprintf(stderr, "stress_settings: the default is %s, not %s\n", def, dirs[0]);
		return 2;
	}
	free(def);
	printf("stress_settings: %ld setter and %ld reader threads x %ld rounds; %d directories, %d prefixes\n",
	       n_set, n_read, iterations, N_DIRS + 1, N_PREFIXES + 1);
	fflush(stdout);
	for (i = 0; i < n_set + n_read; i++)
		pthread_create(&t[i], NULL, i < n_set ? setter : reader, (void *)(uintptr_t)(i + 1));
	for (i = 0; i < n_set + n_read; i++)
		pthread_join(t[i], NULL);
	for (d = 0; d <= N_DIRS; d++)
		left += st_count_dir(dirs[d]);
	printf("  %ld settings made, %ld read, %ld files and names made with the defaults; %ld entries left\n",
	       atomic_load(&sets), atomic_load(&reads), atomic_load(&files), left);
	if (left)
		st_fail("%ld entries left behind", left);
	if (st_rmtree(top) != 0)
		st_fail("removing %s: %s", top, strerror(errno));
	printf("stress_settings: %s: %ld failures, %.1f s\n", st_failures() ? "FAILED" : "ok",
	       st_failures(), st_now() - start);
	return st_failures() ? 1 : 0;
}
