/*
 * The cost of registering for cleanup at exit: one tempfile_named with
 * TEMPFILE_CLEANUP_AT_EXIT, closed again (registered and unregistered),
 * against the same without the flag, while 1,000 and then 100,000 other
 * objects are pending (registered, their descriptors closed with
 * tempfile_closefd, their files in a directory of their own).  The two
 * tables run one after the other (growing the registry between them is
 * untimed); each ratio is to its own floor in the same rounds, and the line
 * after them divides the one by the other.
 *
 * Usage: bench_register [-d DIR] [-q] [CASE N | -h]
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <tempfile.h>

#include "bench.h"
#include "fsutil.h"

#define MAX_PENDING 100000L

static char *dir, *pending_dir;
static int dir_fd;
static tempfile **pending;
static long npending;
static double ratio_1k, ns_1k[2];

static int create_close(long n, unsigned flags)
{
	while (n-- > 0) {
		tempfile *tf = tempfile_named(NULL, NULL, dir, flags);

		if (!tf || tempfile_close(tf) < 0)
			return -1;
	}
	return 0;
}

static int run_plain(long n) { return create_close(n, 0); }
static int run_registered(long n) { return create_close(n, TEMPFILE_CLEANUP_AT_EXIT); }

static int grow(long want)
{
	if (bench_quick)
		want /= 1000;
	for (; npending < want; npending++) {
		tempfile *tf = tempfile_named(NULL, "p", pending_dir, TEMPFILE_CLEANUP_AT_EXIT);

		if (!tf)
			return -1;
		pending[npending] = tf;
		if (tempfile_closefd(tf) < 0)
			return -1;
	}
	return 0;
}

static int before_1k(void) { return grow(1000); }
static int before_100k(void) { return grow(MAX_PENDING); }

static void after_1k(const struct bench_table *tb)
{
	ratio_1k = tb->ratio[1];
	ns_1k[0] = tb->ns[0];
	ns_1k[1] = tb->ns[1];
}

static void after_100k(const struct bench_table *tb)
{
	printf("  registered create at 100,000 pending / at 1,000 (each to its floor): %.3f; "
	       "what registering adds: %.0f ns at 1,000, %.0f ns at 100,000\n",
	       tb->ratio[1] / ratio_1k, ns_1k[1] - ns_1k[0], tb->ns[1] - tb->ns[0]);
}

static const struct bench_case at_1k[] = {
	{ "plain_1k", "floor: tempfile_named+tempfile_close", "run_plain", NULL, run_plain, NULL },
	{ "registered_1k", "the same with TEMPFILE_CLEANUP_AT_EXIT", "run_registered",
	  NULL, run_registered, NULL },
};

static const struct bench_case at_100k[] = {
	{ "plain_100k", "floor: tempfile_named+tempfile_close", "run_plain",
	  NULL, run_plain, NULL },
	{ "registered_100k", "the same with TEMPFILE_CLEANUP_AT_EXIT", "run_registered",
	  NULL, run_registered, NULL },
};

#define TITLE_MAX 4200

static int run_tables(int argc, char **argv)
{
	static char title[2][TITLE_MAX];
	struct bench_table tables[] = {
		{ title[0], "ns/file", at_1k, 2, 4096, 0, 500, before_1k, after_1k, {0}, {0} },
		/* strace would take minutes over the 100,000 creates before. */
		{ title[1], "ns/file", at_100k, 2, 4096, 0, -500, before_100k, after_100k,
		  {0}, {0} },
	};

	snprintf(title[0], TITLE_MAX, "registration in %s: create+close with 1,000 pending%s",
	         dir, bench_quick ? " (1 with -q)" : "");
	snprintf(title[1], TITLE_MAX, "registration in %s: create+close with 100,000 pending%s",
	         dir, bench_quick ? " (100 with -q)" : "");
	return bench_tables(argc, argv, tables, 2);
}

int main(int argc, char **argv)
{
	const char *parent;
	int status = 1;

	parent = bench_parse_dir(&argc, &argv);
	if (fs_private_dir(parent, "bench_register-", &dir, &dir_fd) < 0)
		return 1;
	pending = malloc(MAX_PENDING * sizeof *pending);
	pending_dir = malloc(strlen(dir) + sizeof "/pending");
	if (pending && pending_dir) {
		sprintf(pending_dir, "%s/pending", dir);
		if (mkdir(pending_dir, 0700) == 0) {
			status = run_tables(argc, argv);
			while (npending > 0)
				if (tempfile_close(pending[--npending]) < 0)
					status = 1;
			rmdir(pending_dir);
		}
	}
	free(pending);
	free(pending_dir);
	if (fs_private_dir_end(dir, dir_fd) < 0)
		status = 1;
	return status;
}
