/*
 * The hot paths, one operation per call of a function of its own, for
 * counting under callgrind and for timing side by side.  Unlike
 * bench_mkstemp, each create is undone (close, unlink, free) right after
 * it, outside the function counted: the steady state of a program that
 * makes and removes files, where malloc() reuses what free() gave back.
 * ("batch" cases keep bench_mkstemp's pattern: N creates, then N removals,
 * so every malloc() is a fresh one.)
 *
 * Usage: callgrind_hot DIR CASE N    runs CASE N times
 *        callgrind_hot DIR time       times the groups side by side
 * Counting: bench/callgrind_hot.sh runs CASE N and CASE 0 under
 * valgrind --tool=callgrind --toggle-collect=op_CASE and divides the
 * difference by N.
 */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <tempfile.h>

#define CREATE_FLAGS (O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC)
#define BATCH 4096
/* Kept whole and under its own name, for --toggle-collect. */
#if defined(__GNUC__) && !defined(__clang__)
# define NOINLINE __attribute__((noipa))
#else
# define NOINLINE __attribute__((noinline))
#endif

static const char *dir;
static char tmpl[4096], path_buf[4096];
static char *batch_paths[BATCH];
static volatile char sink;
static unsigned long serial;
static tempfile_names *names;
static unsigned char ready[1 << 16];
static size_t ready_pos;

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* The operations; each returns what must be undone. */
NOINLINE static int op_tempfile_mkstemp(char **path)
{
	return tempfile_mkstemp(NULL, NULL, dir, 0, path);
}

NOINLINE static int op_tempfile_mkstemp_nopath(void)
{
	return tempfile_mkstemp(NULL, NULL, dir, 0, NULL);
}

NOINLINE static int op_mkostemp(char *t)
{
	return mkostemp(t, O_CLOEXEC);
}

NOINLINE static char *op_tempfile_mkdtemp(void)
{
	return tempfile_mkdtemp(NULL, NULL, dir);
}

NOINLINE static char *op_mkdtemp(char *t)
{
	return mkdtemp(t);
}

NOINLINE static int op_floor_file(const char *p)
{
	return open(p, CREATE_FLAGS, 0600);
}

NOINLINE static int op_floor_dir(const char *p)
{
	return mkdir(p, 0700);
}

NOINLINE static int op_dir_new_close(void)
{
	tempfile_dir *d = tempfile_dir_new(NULL, NULL, dir, 0);

	return d ? tempfile_dir_close(d) : -1;
}

/* The floor of a TemporaryDirectory: make, open, close, remove. */
NOINLINE static int op_dir_floor(const char *p)
{
	int fd;

	if (mkdir(p, 0700) < 0)
		return -1;
	fd = open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0)
		close(fd);
	return rmdir(p) | (fd < 0 ? -1 : 0);
}

NOINLINE static int op_names_next(char *buf)
{
	return tempfile_names_next(names, buf, TEMPFILE_NAME_LEN + 1);
}

/* bench_names' floor: 8 characters from a ready buffer, unbiased. */
NOINLINE static void op_names_floor(char *out)
{
	static const char chars[] = "abcdefghijklmnopqrstuvwxyz0123456789_";
	size_t have = 0;

	while (have < TEMPFILE_NAME_LEN) {
		unsigned b = ready[ready_pos];

		ready_pos = (ready_pos + 1) % sizeof ready;
		if (b < 222)
			out[have++] = chars[b % 37];
	}
}

static void next_plain(void)
{
	snprintf(path_buf, sizeof path_buf, "%s/f%lx", dir, serial++);
}

static void next_template(void)
{
	snprintf(path_buf, sizeof path_buf, "%s", tmpl);
}

/* Removes every entry of dir, for the creates that report no name. */
static void remove_all(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		die(dir);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && unlinkat(dirfd(d), e->d_name, 0) < 0)
			die(e->d_name);
	closedir(d);
}

/* One case, n times; each create undone at once unless batched. */
static void run(const char *c, long n)
{
	char name[TEMPFILE_NAME_LEN + 1];
	long i;
	int batch = strncmp(c, "batch_", 6) == 0;
	long nameless = 0;

	if (batch)
		c += 6;
	for (i = 0; i < n; i++) {
		char *p = NULL;
		int fd = 0;

		if (!strcmp(c, "tempfile_mkstemp")) {
			fd = op_tempfile_mkstemp(&p);
		} else if (!strcmp(c, "tempfile_mkstemp_nopath")) {
			fd = op_tempfile_mkstemp_nopath();
		} else if (!strcmp(c, "mkostemp")) {
			next_template();
			fd = op_mkostemp(path_buf);
			p = path_buf;
		} else if (!strcmp(c, "floor_file")) {
			next_plain();
			fd = op_floor_file(path_buf);
			p = path_buf;
		} else if (!strcmp(c, "tempfile_mkdtemp")) {
			fd = (p = op_tempfile_mkdtemp()) ? -2 : -1;
		} else if (!strcmp(c, "mkdtemp")) {
			next_template();
			fd = (p = op_mkdtemp(path_buf)) ? -2 : -1;
		} else if (!strcmp(c, "floor_dir")) {
			next_plain();
			fd = op_floor_dir(path_buf) == 0 ? -2 : -1;
			p = path_buf;
		} else if (!strcmp(c, "dir_new_close")) {
			fd = op_dir_new_close() == 0 ? -3 : -1;
		} else if (!strcmp(c, "dir_floor")) {
			next_plain();
			fd = op_dir_floor(path_buf) == 0 ? -3 : -1;
		} else if (!strcmp(c, "names_next")) {
			fd = op_names_next(name) == 0 ? -3 : -1;
			sink = name[0];
		} else if (!strcmp(c, "names_floor")) {
			op_names_floor(name);
			sink = name[0];
			fd = -3;
		} else {
			fprintf(stderr, "unknown case %s\n", c);
			exit(2);
		}
		if (fd == -1)
			die(c);
		if (fd >= 0)
			close(fd);
		if (fd == -3)
			continue;
		if (!p) {
			nameless++;
			continue;
		}
		if (batch) {
			batch_paths[i % BATCH] = p == path_buf ? strdup(p) : p;
			if (i % BATCH != BATCH - 1 && i != n - 1)
				continue;
		} else {
			batch_paths[0] = p;
		}
		for (long j = 0; j <= (batch ? i % BATCH : 0); j++) {
			if ((fd >= 0 ? unlink : rmdir)(batch_paths[j]) < 0)
				die("remove");
			if (batch || batch_paths[j] != path_buf)
				free(batch_paths[j]);
		}
	}
	if (nameless)
		remove_all();
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* The least ns per operation over rounds (removal included where the case
 * undoes its create): the least disturbed by other load. */
static void time_group(const char *title, const char *const *cases, long n)
{
	double best[8];
	int k, r, nc = 0;

	while (cases[nc])
		nc++;
	for (k = 0; k < nc; k++)
		best[k] = 1e300;
	for (r = 0; r < 21; r++)
		for (k = 0; k < nc; k++) {
			int c = (k + r) % nc;
			double t0 = now_ns(), t;

			run(cases[c], n);
			t = (now_ns() - t0) / (double)n;
			if (t < best[c])
				best[c] = t;
		}
	printf("%s (least of 21 rounds of %ld, ns/op incl. undo)\n", title, n);
	for (k = 0; k < nc; k++)
		printf("  %-26s %9.1f  %5.2fx\n", cases[k], best[k], best[k] / best[0]);
}

int main(int argc, char **argv)
{
	static const char *const files[] = { "floor_file", "mkostemp", "tempfile_mkstemp",
		"tempfile_mkstemp_nopath", NULL };
	static const char *const dirs[] = { "floor_dir", "mkdtemp", "tempfile_mkdtemp", NULL };
	static const char *const tdirs[] = { "dir_floor", "dir_new_close", NULL };
	static const char *const nms[] = { "names_floor", "names_next", NULL };
	size_t i;

	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: %s DIR CASE N | %s DIR time\n", argv[0], argv[0]);
		return 2;
	}
	dir = argv[1];
	snprintf(tmpl, sizeof tmpl, "%s/tmpXXXXXX", dir);
	if (!(names = tempfile_candidate_names()))
		die("names");
	for (i = 0; i + TEMPFILE_NAME_LEN < sizeof ready; i += TEMPFILE_NAME_LEN)
		if (tempfile_names_next(names, (char *)ready + i, TEMPFILE_NAME_LEN + 1) < 0)
			die("names");
	if (argc == 4) {
		run(argv[2], atol(argv[3]));
		return 0;
	}
	time_group("files", files, 2000);
	time_group("directories", dirs, 2000);
	time_group("TemporaryDirectory", tdirs, 1000);
	time_group("names", nms, 100000);
	return 0;
}
