/*
 * Whole life cycles, each against the floor of the bare system calls for
 * names made ready beforehand:
 *  - a named file: create, write 4 KiB, close and delete;
 *  - an unnamed file: create and close;
 *  - a directory: create, open (tempfile_dir_new holds a descriptor) and
 *    remove;
 *  - replacing a file of 4 KiB atomically, not durable (no fsync) and
 *    durable (the file and the directory flushed), flags matched: GLib's
 *    g_file_set_contents_full without flags rewrites the file in place (not
 *    atomic: context only); with CONSISTENT|DURABLE it writes a side file,
 *    fsyncs it, renames and fsyncs the directory, as the durable floor.
 * Everything happens in one private directory made for the run in DIR.
 *
 * Usage: bench_life [-d DIR] [-q] [CASE N | -h]
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <tempfile.h>
#ifdef HAVE_GLIB
# include <glib.h>
#endif

#include "bench.h"
#include "fsutil.h"

#define MAX_BATCH 4096
#define DATA_SIZE 4096
#define FLOOR_FLAGS (O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC)

static char *dir;
static int dir_fd;
static char ready[MAX_BATCH][16];
static char *templates[MAX_BATCH];
static char *tmpl;   /* "DIR/tmpXXXXXX" */
static char *target; /* "DIR/target", what the replacements replace */
static char data[DATA_SIZE];

static int prep_names(long n)
{
	fs_fresh_names(ready, n);
	return 0;
}

static int prep_templates(long n)
{
	return fs_copies(templates, tmpl, n);
}

static int done_templates(long n)
{
	long i;

	for (i = 0; i < n; i++)
		free(templates[i]);
	return 0;
}

static int write_data(int fd)
{
	return write(fd, data, DATA_SIZE) == DATA_SIZE ? 0 : -1;
}

/* Writes, closes and unlinks: the end of every named life cycle. */
static int finish_named(int fd, const char *name)
{
	int r = write_data(fd);

	if (close(fd) < 0 || unlinkat(dir_fd, name, 0) < 0)
		r = -1;
	return r;
}

/* ---- named: create, write 4 KiB, close+delete ---- */

static int run_named_floor(long n)
{
	long i;

	for (i = 0; i < n; i++) {
		int fd = openat(dir_fd, ready[i], FLOOR_FLAGS, 0600);

		if (fd < 0 || finish_named(fd, ready[i]) < 0)
			return -1;
	}
	return 0;
}

static int run_named_tempfile(long n)
{
	long i;

	for (i = 0; i < n; i++) {
		tempfile *tf = tempfile_named(NULL, NULL, dir, 0);

		if (!tf || tempfile_write(tf, data, DATA_SIZE) != DATA_SIZE)
			return -1;
		if (tempfile_close(tf) < 0)
			return -1;
	}
	return 0;
}

static int run_named_mkstemp(long n)
{
	long i;

	for (i = 0; i < n; i++) {
		char *path;
		int fd = tempfile_mkstemp(NULL, NULL, dir, 0, &path), r;

		if (fd < 0)
			return -1;
		r = finish_named(fd, path);
		free(path);
		if (r < 0)
			return -1;
	}
	return 0;
}

static int run_named_mkostemp(long n)
{
	long i;

	for (i = 0; i < n; i++) {
		int fd = mkostemp(templates[i], O_CLOEXEC);

		if (fd < 0 || finish_named(fd, templates[i]) < 0)
			return -1;
	}
	return 0;
}

#ifdef HAVE_GLIB
static int run_named_glib(long n)
{
	long i;

	for (i = 0; i < n; i++) {
		gchar *path;
		int fd = g_file_open_tmp(NULL, &path, NULL), r;

		if (fd < 0)
			return -1;
		r = finish_named(fd, path);
		g_free(path);
		if (r < 0)
			return -1;
	}
	return 0;
}
#endif

/* ---- unnamed: create+close ---- */

static int run_unnamed_floor(long n)
{
	long i;

	for (i = 0; i < n; i++) {
		int fd = openat(dir_fd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

		if (fd < 0)
			return -1;
		close(fd);
	}
	return 0;
}

static int run_unnamed_tempfile(long n)
{
	long i;

	for (i = 0; i < n; i++) {
		tempfile *tf = tempfile_unnamed(NULL, NULL, dir, 0);

		if (!tf || tempfile_close(tf) < 0)
			return -1;
	}
	return 0;
}

static int run_unnamed_tmpfile(long n)
{
	long i;

	for (i = 0; i < n; i++) {
		FILE *f = tmpfile();

		if (!f || fclose(f) != 0)
			return -1;
	}
	return 0;
}

/* ---- directories: create (+open), remove ---- */

static int run_dir_floor(long n)
{
	long i;

	for (i = 0; i < n; i++) {
		int fd;

		if (mkdirat(dir_fd, ready[i], 0700) < 0)
			return -1;
		if ((fd = openat(dir_fd, ready[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
			return -1;
		close(fd);
		if (unlinkat(dir_fd, ready[i], AT_REMOVEDIR) < 0)
			return -1;
	}
	return 0;
}

static int run_dir_tempfile(long n)
{
	long i;

	for (i = 0; i < n; i++) {
		tempfile_dir *d = tempfile_dir_new(NULL, NULL, dir, 0);

		if (!d || tempfile_dir_close(d) < 0)
			return -1;
	}
	return 0;
}

/* rmdir()s and frees a path a mkdtemp made. */
static int remove_made_dir(char *path, void (*release)(void *))
{
	int r = rmdir(path);

	release(path);
	return r;
}

static int run_dir_mkdtemp_tempfile(long n)
{
	long i;

	for (i = 0; i < n; i++) {
		char *path = tempfile_mkdtemp(NULL, NULL, dir);

		if (!path || remove_made_dir(path, free) < 0)
			return -1;
	}
	return 0;
}

static void keep(void *p)
{
	(void)p; /* templates[] are freed by done_templates() */
}

static int run_dir_mkdtemp(long n)
{
	long i;

	for (i = 0; i < n; i++)
		if (!mkdtemp(templates[i]) || remove_made_dir(templates[i], keep) < 0)
			return -1;
	return 0;
}

#ifdef HAVE_GLIB
static int run_dir_glib(long n)
{
	long i;

	for (i = 0; i < n; i++) {
		gchar *path = g_dir_make_tmp(NULL, NULL);

		if (!path || remove_made_dir(path, g_free) < 0)
			return -1;
	}
	return 0;
}
#endif

/* ---- replacing DIR/target with 4 KiB ---- */

/* The floor: a ready side name, written (and flushed), renamed over. */
static int replace_floor(long n, int durable)
{
	long i;

	for (i = 0; i < n; i++) {
		int fd = openat(dir_fd, ready[i], FLOOR_FLAGS, 0600), r;

		if (fd < 0)
			return -1;
		r = write_data(fd);
		if ((durable && fsync(fd) < 0) || close(fd) < 0 || r < 0)
			return -1;
		if (renameat(dir_fd, ready[i], dir_fd, "target") < 0)
			return -1;
		if (durable && fsync(dir_fd) < 0)
			return -1;
	}
	return 0;
}

static int replace_tempfile(long n, unsigned flags)
{
	long i;

	for (i = 0; i < n; i++) {
		tempfile *tf = tempfile_replace(target, flags);

		if (!tf)
			return -1;
		if (tempfile_write(tf, data, DATA_SIZE) != DATA_SIZE) {
			tempfile_close(tf);
			return -1;
		}
		if (tempfile_commit(tf) < 0)
			return -1;
	}
	return 0;
}

static int replace_write_file(long n, unsigned flags)
{
	long i;

	for (i = 0; i < n; i++)
		if (tempfile_write_file(target, data, DATA_SIZE, flags) < 0)
			return -1;
	return 0;
}

static int run_replace_floor(long n) { return replace_floor(n, 0); }
static int run_replace_floor_durable(long n) { return replace_floor(n, 1); }
static int run_replace_tempfile(long n) { return replace_tempfile(n, 0); }
static int run_replace_tempfile_durable(long n) { return replace_tempfile(n, TEMPFILE_DURABLE); }
static int run_write_file(long n) { return replace_write_file(n, 0); }
static int run_write_file_durable(long n) { return replace_write_file(n, TEMPFILE_DURABLE); }

#ifdef HAVE_GLIB
static int replace_glib(long n, GFileSetContentsFlags flags)
{
	long i;

	for (i = 0; i < n; i++)
		if (!g_file_set_contents_full(target, data, DATA_SIZE, flags, 0600, NULL))
			return -1;
	return 0;
}

static int run_replace_glib(long n) { return replace_glib(n, G_FILE_SET_CONTENTS_NONE); }
static int run_replace_glib_durable(long n)
{
	return replace_glib(n, G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE);
}
# define GLIB_ROW(name, label, run) { name, label, #run, NULL, run, NULL }
#else
# define GLIB_ROW(name, label, run) { name, label ": GLib not installed", NULL, NULL, NULL, NULL }
#endif

/* ---- the tables ---- */

static const struct bench_case named[] = {
	{ "named_floor", "floor: openat(ready)+write+close+unlinkat", "run_named_floor",
	  prep_names, run_named_floor, NULL },
	{ "named", "tempfile_named+tempfile_write+tempfile_close", "run_named_tempfile",
	  NULL, run_named_tempfile, NULL },
	{ "named_mkstemp", "tempfile_mkstemp+write+close+unlink", "run_named_mkstemp",
	  NULL, run_named_mkstemp, NULL },
	{ "named_mkostemp", "glibc mkostemp+write+close+unlink", "run_named_mkostemp",
	  prep_templates, run_named_mkostemp, done_templates },
	GLIB_ROW("named_glib", "GLib g_file_open_tmp+write+close+unlink", run_named_glib),
};

static const struct bench_case unnamed[] = {
	{ "unnamed_floor", "floor: openat(O_TMPFILE)+close", "run_unnamed_floor",
	  NULL, run_unnamed_floor, NULL },
	{ "unnamed", "tempfile_unnamed+tempfile_close", "run_unnamed_tempfile",
	  NULL, run_unnamed_tempfile, NULL },
	{ "tmpfile", "glibc tmpfile+fclose (always in /tmp)", "run_unnamed_tmpfile",
	  NULL, run_unnamed_tmpfile, NULL },
};

static const struct bench_case dirs[] = {
	{ "dir_floor", "floor: mkdirat(ready)+open+close+rmdir", "run_dir_floor",
	  prep_names, run_dir_floor, NULL },
	{ "dir_new", "tempfile_dir_new+tempfile_dir_close", "run_dir_tempfile",
	  NULL, run_dir_tempfile, NULL },
	{ "dir_mkdtemp", "tempfile_mkdtemp+rmdir", "run_dir_mkdtemp_tempfile",
	  NULL, run_dir_mkdtemp_tempfile, NULL },
	{ "dir_glibc", "glibc mkdtemp+rmdir", "run_dir_mkdtemp",
	  prep_templates, run_dir_mkdtemp, done_templates },
	GLIB_ROW("dir_glib", "GLib g_dir_make_tmp+rmdir", run_dir_glib),
};

static const struct bench_case replace[] = {
	{ "replace_floor", "floor: openat(ready)+write+close+renameat", "run_replace_floor",
	  prep_names, run_replace_floor, NULL },
	{ "replace", "tempfile_replace+tempfile_write+tempfile_commit", "run_replace_tempfile",
	  NULL, run_replace_tempfile, NULL },
	{ "write_file", "tempfile_write_file", "run_write_file", NULL, run_write_file, NULL },
	GLIB_ROW("replace_glib", "GLib g_file_set_contents_full(NONE), in place", run_replace_glib),
};

static const struct bench_case durable[] = {
	{ "durable_floor", "floor: openat+write+fsync+close+renameat+fsync(dir)",
	  "run_replace_floor_durable", prep_names, run_replace_floor_durable, NULL },
	{ "durable", "tempfile_replace(DURABLE)+write+commit", "run_replace_tempfile_durable",
	  NULL, run_replace_tempfile_durable, NULL },
	{ "durable_write_file", "tempfile_write_file(DURABLE)", "run_write_file_durable",
	  NULL, run_write_file_durable, NULL },
	GLIB_ROW("durable_glib", "GLib g_file_set_contents_full(CONSISTENT|DURABLE)",
	         run_replace_glib_durable),
};

#define COUNT(a) (sizeof (a) / sizeof (a)[0])
#define TITLE_MAX 4200

static int run_tables(int argc, char **argv)
{
	static char title[5][TITLE_MAX];
	struct bench_table tables[] = {
		{ title[0], "ns/file", named, COUNT(named), MAX_BATCH, 0, 500, NULL, NULL, {0}, {0} },
		{ title[1], "ns/file", unnamed, COUNT(unnamed), MAX_BATCH, 0, 500, NULL, NULL, {0}, {0} },
		{ title[2], "ns/dir", dirs, COUNT(dirs), MAX_BATCH, 0, 500, NULL, NULL, {0}, {0} },
		{ title[3], "ns/replace", replace, COUNT(replace), MAX_BATCH, 0, 500, NULL, NULL, {0}, {0} },
		{ title[4], "ns/replace", durable, COUNT(durable), MAX_BATCH, 0, 20, NULL, NULL, {0}, {0} },
	};

	snprintf(title[0], TITLE_MAX, "named files in %s: create, write 4 KiB, close+delete", dir);
	snprintf(title[1], TITLE_MAX, "unnamed files in %s: create+close", dir);
	snprintf(title[2], TITLE_MAX, "directories in %s: create (+open), remove", dir);
	snprintf(title[3], TITLE_MAX, "replacing a file of 4 KiB in %s, not durable", dir);
	snprintf(title[4], TITLE_MAX, "replacing a file of 4 KiB in %s, durable", dir);
	return bench_tables(argc, argv, tables, COUNT(tables));
}

int main(int argc, char **argv)
{
	const char *parent;
	int status = 1, fd;

	parent = bench_parse_dir(&argc, &argv);
	if (fs_private_dir(parent, "bench_life-", &dir, &dir_fd) < 0)
		return 1;
	tmpl = malloc(strlen(dir) + sizeof "/tmpXXXXXX");
	target = malloc(strlen(dir) + sizeof "/target");
	if (tmpl && target) {
		sprintf(tmpl, "%s/tmpXXXXXX", dir);
		sprintf(target, "%s/target", dir);
		fd = openat(dir_fd, "target", FLOOR_FLAGS, 0600);
		if (fd >= 0 && write_data(fd) == 0 && close(fd) == 0)
			status = run_tables(argc, argv);
		else
			perror(target);
		unlinkat(dir_fd, "target", 0);
	}
	free(tmpl);
	free(target);
	if (fs_private_dir_end(dir, dir_fd) < 0)
		status = 1;
	return status;
}
