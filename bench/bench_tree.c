/*
 * Removing a whole tree: tempfile_dir_cleanup against rm -rf (the cost of
 * spawning rm subtracted: each batch's prep times rm -rf of an empty
 * directory three times and the median is taken off), nftw(FTW_DEPTH |
 * FTW_PHYS) with remove() and the floor: unlinkat() of names known in
 * advance, with the fewest descriptors (O_PATH) and no directory read.
 * Four shapes: 100 directories of 100 files, 1 directory of 10,000 files,
 * chains of 1,000 and 100,000 directories.  Every tree is built before its
 * batch, untimed, in a private directory made for the run in DIR.  -s:
 * small trees (10 x 10, 1 x 100, chains of 100 and 1,000), the full
 * number of rounds: for disks on which a tree of 100,000 directories
 * would take minutes to build and remove (bench/run.sh uses it beyond the
 * first of BENCH_DIRS).
 *
 * Usage: bench_tree [-d DIR] [-s] [-q] [CASE N | -h]
 */
#include "config.h"

#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <tempfile.h>

#include "bench.h"
#include "fsutil.h"
#include "proc.h"

#define MAX_FILES 10000
#define DIR_FLAGS (O_PATH | O_DIRECTORY | O_CLOEXEC)

struct shape {
	int dirs, files; /* dirs directories of files files, or */
	long depth;      /* a chain of depth directories */
};

static char *dir;
static int dir_fd;
static const struct shape *shape; /* the table's */
/* Room for any int, so that no compiler sees a truncation (gcc -O1 cannot
 * tell that i stays below MAX_FILES). */
static char dname[MAX_FILES][16], fname[MAX_FILES][16];
static char top[16];   /* the tree to remove, in dir: its name */
static char *top_path; /* and its path */
static tempfile_dir *tdir;
static double spawn_ns[64];
static int nspawn;
static int small; /* -s, or -q */

static int build_wide(int fd)
{
	int i, j, sub, f;

	for (i = 0; i < shape->dirs; i++) {
		if (mkdirat(fd, dname[i], 0700) < 0 || (sub = openat(fd, dname[i], DIR_FLAGS)) < 0)
			return -1;
		for (j = 0; j < shape->files; j++) {
			f = openat(sub, fname[j], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
			if (f < 0) {
				close(sub);
				return -1;
			}
			close(f);
		}
		close(sub);
	}
	return 0;
}

static int build_chain(int fd)
{
	long i;

	if ((fd = dup(fd)) < 0)
		return -1;
	for (i = 0; i < shape->depth; i++) {
		int sub = mkdirat(fd, "d", 0700) < 0 ? -1 : openat(fd, "d", DIR_FLAGS);

		close(fd);
		if ((fd = sub) < 0)
			return -1;
	}
	close(fd);
	return 0;
}

static int build(int fd)
{
	return shape->depth ? build_chain(fd) : build_wide(fd);
}

/* The tree at top, for the cases that name it by path. */
static int prep_top(long n)
{
	int fd, r;

	(void)n;
	fs_fresh_name(top);
	free(top_path);
	if (!(top_path = malloc(strlen(dir) + sizeof top + 1)))
		return -1;
	sprintf(top_path, "%s/%s", dir, top);
	if (mkdirat(dir_fd, top, 0700) < 0 || (fd = openat(dir_fd, top, DIR_FLAGS)) < 0)
		return -1;
	r = build(fd);
	close(fd);
	return r;
}

/* ---- the floor ---- */

static int floor_wide(int fd)
{
	int i, j, sub;

	for (i = 0; i < shape->dirs; i++) {
		if ((sub = openat(fd, dname[i], DIR_FLAGS)) < 0)
			return -1;
		for (j = 0; j < shape->files; j++)
			if (unlinkat(sub, fname[j], 0) < 0) {
				close(sub);
				return -1;
			}
		close(sub);
		if (unlinkat(fd, dname[i], AT_REMOVEDIR) < 0)
			return -1;
	}
	return 0;
}

/* Down to the bottom, then up through "..", removing on the way. */
static int floor_chain(int fd)
{
	long i;

	if ((fd = dup(fd)) < 0)
		return -1;
	for (i = 0; i < shape->depth; i++) {
		int sub = openat(fd, "d", DIR_FLAGS);

		close(fd);
		if ((fd = sub) < 0)
			return -1;
	}
	for (i = 0; i < shape->depth; i++) {
		int up = openat(fd, "..", DIR_FLAGS);

		close(fd);
		if ((fd = up) < 0 || unlinkat(fd, "d", AT_REMOVEDIR) < 0) {
			close(fd);
			return -1;
		}
	}
	close(fd);
	return 0;
}

static int run_floor(long n)
{
	int fd = openat(dir_fd, top, DIR_FLAGS), r;

	(void)n;
	if (fd < 0)
		return -1;
	r = shape->depth ? floor_chain(fd) : floor_wide(fd);
	close(fd);
	return r < 0 ? -1 : unlinkat(dir_fd, top, AT_REMOVEDIR);
}

/* ---- libtempfile ---- */

static int prep_tempfile(long n)
{
	(void)n;
	if (!(tdir = tempfile_dir_new(NULL, "t", dir, 0)))
		return -1;
	return build(tempfile_dir_fd(tdir));
}

static int run_tempfile(long n)
{
	(void)n;
	return tempfile_dir_cleanup(tdir);
}

static int done_tempfile(long n)
{
	(void)n;
	return tempfile_dir_close(tdir);
}

/* ---- rm -rf ---- */

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int rm_rf(const char *path)
{
	static char rm[] = "rm", rf[] = "-rf";
	char *argv[] = { rm, rf, (char *)(size_t)path, NULL };

	return proc_run(argv) == 0 ? 0 : -1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The tree, and the cost of spawning rm measured on an empty directory. */
static int prep_rm(long n)
{
	char empty[16], *path = malloc(strlen(dir) + sizeof empty + 1);
	double t[3];
	int k;

	if (!path || prep_top(n) < 0)
		return free(path), -1;
	for (k = 0; k < 3; k++) {
		fs_fresh_name(empty);
		sprintf(path, "%s/%s", dir, empty);
		if (mkdirat(dir_fd, empty, 0700) < 0)
			return free(path), -1;
		t[k] = now_ns();
		if (rm_rf(path) < 0)
			return free(path), -1;
		t[k] = now_ns() - t[k];
	}
	free(path);
	qsort(t, 3, sizeof t[0], cmp_double);
	bench_discount_ns = t[1];
	if (nspawn < (int)(sizeof spawn_ns / sizeof spawn_ns[0]))
		spawn_ns[nspawn++] = t[1];
	return 0;
}

static int run_rm(long n)
{
	(void)n;
	return rm_rf(top_path);
}

/* ---- nftw ---- */

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st, (void)ftw;
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

static int run_nftw(long n)
{
	(void)n;
	return nftw(top_path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- the tables ---- */

#define TREE_CASES(s, nftw_run, nftw_label) \
	{ "floor_" s, "floor: unlinkat of names known in advance", "run_floor", \
	  prep_top, run_floor, NULL }, \
	{ "cleanup_" s, "tempfile_dir_cleanup", "tempfile_dir_cleanup", \
	  prep_tempfile, run_tempfile, done_tempfile }, \
	{ "rm_" s, "rm -rf, less rm -rf of an empty directory", NULL, \
	  prep_rm, run_rm, NULL }, \
	{ "nftw_" s, nftw_label, "run_nftw", prep_top, nftw_run, NULL }

#define NFTW_LABEL "nftw(FTW_DEPTH|FTW_PHYS)+remove"
static struct bench_case wide[] = { TREE_CASES("wide", run_nftw, NFTW_LABEL) };
static struct bench_case flat[] = { TREE_CASES("flat", run_nftw, NFTW_LABEL) };
static struct bench_case chain[] = { TREE_CASES("chain", run_nftw, NFTW_LABEL) };
/* Its paths are 200,000 bytes long: nftw() fails with ENAMETOOLONG (small,
 * 2,000 bytes, it would not, but the row stays out: the table has one
 * list of cases). */
static struct bench_case deep[] = {
	TREE_CASES("deep", NULL, NFTW_LABEL ": ENAMETOOLONG beyond PATH_MAX")
};

/* Full size and small (-s, -q) size of each table's tree. */
static const struct shape shapes[][2] = {
	{ { 100, 100, 0 }, { 10, 10, 0 } },
	{ { 1, 10000, 0 }, { 1, 100, 0 } },
	{ { 0, 0, 1000 }, { 0, 0, 100 } },
	{ { 0, 0, 100000 }, { 0, 0, 1000 } },
};

static int before_wide(void) { shape = &shapes[0][small || bench_quick]; return 0; }
static int before_flat(void) { shape = &shapes[1][small || bench_quick]; return 0; }
static int before_chain(void) { shape = &shapes[2][small || bench_quick]; return 0; }
static int before_deep(void) { shape = &shapes[3][small || bench_quick]; return 0; }

static void after(const struct bench_table *tb)
{
	if (tb->ratio[2] == 0) /* rm's row did not run */
		return;
	qsort(spawn_ns, (size_t)nspawn, sizeof spawn_ns[0], cmp_double);
	printf("  tempfile_dir_cleanup / rm -rf: %.3f; rm -rf of an empty directory "
	       "(subtracted): %.0f ns\n", tb->ratio[1] / tb->ratio[2],
	       nspawn ? spawn_ns[nspawn / 2] : 0.0);
	nspawn = 0;
}

#define COUNT(a) (sizeof (a) / sizeof (a)[0])
#define TITLE_MAX 4200

/* Where rm cannot be run (not installed), its rows say so. */
static void check_rm(void)
{
	struct bench_case *rows[] = { &wide[2], &flat[2], &chain[2], &deep[2] };
	char empty[16], *path = malloc(strlen(dir) + sizeof empty + 1);
	size_t i;
	int ok;

	fs_fresh_name(empty);
	ok = path && mkdirat(dir_fd, empty, 0700) == 0 &&
	     (sprintf(path, "%s/%s", dir, empty), rm_rf(path) == 0);
	free(path);
	if (ok)
		return;
	unlinkat(dir_fd, empty, AT_REMOVEDIR);
	fputs("rm -rf did not run: its rows are left out\n", stderr);
	for (i = 0; i < COUNT(rows); i++) {
		rows[i]->run = NULL;
		rows[i]->label = "rm -rf: rm not found";
	}
}

static int run_tables(int argc, char **argv)
{
	static char title[4][TITLE_MAX];
	struct bench_table tables[] = {
		{ title[0], "ns/tree", wide, COUNT(wide), 1, 7, 1, before_wide, after, {0}, {0} },
		{ title[1], "ns/tree", flat, COUNT(flat), 1, 7, 1, before_flat, after, {0}, {0} },
		{ title[2], "ns/tree", chain, COUNT(chain), 1, 11, 2, before_chain, after, {0}, {0} },
		/* Counted as the chain of 1,000: the same per level, and a
		 * chain of 100,000 would take minutes under strace. */
		{ title[3], "ns/tree", deep, COUNT(deep), 1, 3, -1, before_deep, after, {0}, {0} },
	};
	const char *what[2][4] = {
		{ "100 directories of 100 files", "1 directory of 10,000 files",
		  "a chain of 1,000 directories", "a chain of 100,000 directories" },
		{ "10 directories of 10 files (small)", "1 directory of 100 files (small)",
		  "a chain of 100 directories (small)", "a chain of 1,000 directories (small)" },
	};
	size_t i;

	for (i = 0; i < COUNT(tables); i++)
		snprintf(title[i], TITLE_MAX, "removing a tree in %s: %s", dir,
		         what[small || bench_quick][i]);
	return bench_tables(argc, argv, tables, COUNT(tables));
}

int main(int argc, char **argv)
{
	const char *parent;
	int status, i;

	parent = bench_parse_dir(&argc, &argv);
	if (argc > 1 && strcmp(argv[1], "-s") == 0) {
		small = 1;
		argv[1] = argv[0];
		argv++;
		argc--;
		bench_parse_quick(&argc, argv);
	}
	for (i = 0; i < MAX_FILES; i++) {
		snprintf(dname[i], sizeof dname[i], "d%04d", i);
		snprintf(fname[i], sizeof fname[i], "f%04d", i);
	}
	if (fs_private_dir(parent, "bench_tree-", &dir, &dir_fd) < 0)
		return 1;
	check_rm();
	status = run_tables(argc, argv);
	free(top_path);
	if (fs_private_dir_end(dir, dir_fd) < 0)
		status = 1;
	return status;
}
