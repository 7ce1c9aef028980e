/* Helpers for the stress programs: see stress.h. */
#define _GNU_SOURCE
#include "stress.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Enough to see what went wrong without drowning the log. */
#define SHOWN 20

static atomic_long failures;

void st_fail(const char *fmt, ...)
{
	va_list ap;

	if (atomic_fetch_add(&failures, 1) >= SHOWN)
		return;
	va_start(ap, fmt);
	fputs("FAIL: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

long st_failures(void)
{
	return atomic_load(&failures);
}

long st_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -1;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -1;
	return (long)rl.rlim_cur;
}

double st_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

long st_env_long(const char *name, long def)
{
	const char *v = getenv(name);

	return v && *v ? strtol(v, NULL, 10) : def;
}

static void *xrealloc(void *p, size_t n)
{
	if (!(p = realloc(p, n))) {
		perror("realloc");
		exit(2);
	}
	return p;
}

void st_names_add(struct st_names *l, const char *s)
{
	char *copy = strdup(s);

	if (!copy) {
		perror("strdup");
		exit(2);
	}
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 1024;
		l->v = xrealloc(l->v, l->cap * sizeof *l->v);
	}
	l->v[l->n++] = copy;
}

void st_names_move(struct st_names *l, struct st_names *src)
{
	if (l->n + src->n > l->cap) {
		l->cap = l->n + src->n;
		l->v = xrealloc(l->v, l->cap * sizeof *l->v);
	}
	if (src->n)
		memcpy(l->v + l->n, src->v, src->n * sizeof *src->v);
	l->n += src->n;
	free(src->v);
	memset(src, 0, sizeof *src);
}

void st_names_free(struct st_names *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof *l);
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void st_names_sort(struct st_names *l)
{
	if (l->n)
		qsort(l->v, l->n, sizeof *l->v, cmp);
}

size_t st_names_dups(struct st_names *l, const char *what)
{
	size_t i, dups = 0;

	st_names_sort(l);
	for (i = 1; i < l->n; i++)
		if (strcmp(l->v[i - 1], l->v[i]) == 0 && ++dups <= SHOWN)
			fprintf(stderr, "%s: repeated: %s\n", what, l->v[i]);
	return dups;
}

long st_list_dir(const char *dir, struct st_names *out)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	st_names_free(out);
	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			st_names_add(out, e->d_name);
	closedir(d);
	return (long)out->n;
}

long st_count_dir(const char *dir)
{
	struct st_names l = { 0 };
	long n = st_list_dir(dir, &l);

	st_names_free(&l);
	return n;
}

int st_write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int st_wait(pid_t pid, double seconds, const char *what)
{
	const struct timespec pause = { 0, 2 * 1000 * 1000 };
	double end = st_now() + seconds;
	int status;
	pid_t r;

	do {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return status;
		if (r < 0 && errno != EINTR) {
			st_fail("%s: waitpid(%ld): %s", what, (long)pid, strerror(errno));
			return -1;
		}
		nanosleep(&pause, NULL);
	} while (st_now() < end);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	st_fail("%s: child %ld hung (killed after %.0f s)", what, (long)pid, seconds);
	return -1;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return (flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 ? -1 : 0;
}

int st_rmtree(const char *path)
{
	return nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}
