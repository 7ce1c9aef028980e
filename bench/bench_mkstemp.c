/*
 * The cost of making a temporary file or directory, close included, with
 * libtempfile and with glibc, against the floor: the bare openat() or
 * mkdirat() of a name made ready beforehand.  Everything happens in one
 * private directory made for the run in DIR (-d DIR; default $TMPDIR, else
 * /tmp), so that tmpfs and a disk can each be measured.  Entries are removed
 * after each batch, untimed, so every batch sees the same directory.
 *
 * GLib's rows (where configure found it) and CPython's tempfile.mkstemp, run
 * in a python3 child that makes each batch when told to (one pipe round
 * trip a batch, a few microseconds over hundreds of files), time the same
 * thing; GLib and Python choose the directory from $TMPDIR, which is set to
 * the private directory.
 *
 * Usage: bench_mkstemp [-d DIR] [-q] [CASE N]
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
#include "proc.h"

#define MAX_BATCH 4096
#define FLOOR_FLAGS (O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC)

static char *dir;
static int dir_fd;
/* What a batch made: names or paths, to remove afterwards. */
static char *made[MAX_BATCH];
/* Prepared names: "fNNNNNNNN" for the floors, glibc's templates. */
static char ready[MAX_BATCH][16];
static char *tmpl; /* "DIR/tmpXXXXXX" */

static int prep_names(long n)
{
	fs_fresh_names(ready, n);
	return 0;
}

static int prep_templates(long n)
{
	return fs_copies(made, tmpl, n);
}

/* The floor's names as absolute paths, in made[]: a path-based create
 * walks the path as well. */
static int prep_paths(long n)
{
	long i;

	fs_fresh_names(ready, n);
	for (i = 0; i < n; i++) {
		if (!(made[i] = malloc(strlen(dir) + sizeof ready[i] + 1))) {
			while (i > 0)
				free(made[--i]);
			return -1;
		}
		sprintf(made[i], "%s/%s", dir, ready[i]);
	}
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

static int remove_all(long n)
{
	(void)n;
	return fs_remove_entries(dir_fd);
}

static int done_ready_file(long n) { return remove_ready(n, 0); }
static int done_ready_dir(long n) { return remove_ready(n, AT_REMOVEDIR); }
static int done_made_file(long n) { return remove_made(n, 0); }
static int done_made_dir(long n) { return remove_made(n, AT_REMOVEDIR); }

/* n creates of one row, each closed at once: create(i) makes the i-th
 * (its name or path in made[i] where it reports one). */
static int create_close(long n, int (*create)(long i))
{
	long i;

	for (i = 0; i < n; i++) {
		int fd = create(i);

		if (fd < 0)
			return -1;
		close(fd);
	}
	return 0;
}

static int floor_file(long i) { return openat(dir_fd, ready[i], FLOOR_FLAGS, 0600); }
static int floor_path(long i) { return openat(AT_FDCWD, made[i], FLOOR_FLAGS, 0600); }
static int mkstemp_in_dir(long i) { return tempfile_mkstemp(NULL, NULL, dir, 0, &made[i]); }
/* In the default directory: $TMPDIR, which is dir. */
static int mkstemp_default(long i) { return tempfile_mkstemp(NULL, NULL, NULL, 0, &made[i]); }
static int mkstempat_named(long i) { return tempfile_mkstempat(dir_fd, NULL, NULL, 0, &made[i]); }
static int mkstempat_noname(long i)
{
	(void)i;
	return tempfile_mkstempat(dir_fd, NULL, NULL, 0, NULL);
}
static int glibc_mkostemp(long i) { return mkostemp(made[i], O_CLOEXEC); }

/* What a program pays to hold the path afterwards, as tempfile_mkstemp()
 * gives it: a template of its own, here a strdup() of one made ready.
 * Out of line, for its instructions to be counted by name. */
static __attribute__((noinline)) int dup_and_mkostemp(long i)
{
	if (!(made[i] = strdup(tmpl)))
		return -1;
	return mkostemp(made[i], O_CLOEXEC);
}

static int run_floor_file(long n) { return create_close(n, floor_file); }
static int run_floor_path(long n) { return create_close(n, floor_path); }
static int run_tempfile_mkstemp(long n) { return create_close(n, mkstemp_in_dir); }
static int run_tempfile_mkstemp_default(long n) { return create_close(n, mkstemp_default); }
static int run_tempfile_mkstempat(long n) { return create_close(n, mkstempat_named); }
static int run_tempfile_mkstempat_noname(long n) { return create_close(n, mkstempat_noname); }
static int run_mkostemp(long n) { return create_close(n, glibc_mkostemp); }
static int run_mkostemp_strdup(long n) { return create_close(n, dup_and_mkostemp); }

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

#ifdef HAVE_GLIB
static int glib_mkstemp_full(long i) { return g_mkstemp_full(made[i], O_RDWR | O_CLOEXEC, 0600); }
static int glib_file_open_tmp(long i) { return g_file_open_tmp(NULL, &made[i], NULL); }
static int run_g_mkstemp_full(long n) { return create_close(n, glib_mkstemp_full); }
static int run_g_file_open_tmp(long n) { return create_close(n, glib_file_open_tmp); }

static int run_g_dir_make_tmp(long n)
{
	long i;

	for (i = 0; i < n; i++)
		if (!(made[i] = g_dir_make_tmp(NULL, NULL)))
			return -1;
	return 0;
}
# define GLIB_ROW(name, label, fn, prep, run, done) { name, label, fn, prep, run, done }
#else
# define GLIB_ROW(name, label, fn, prep, run, done) \
	{ name, label ": GLib not installed", fn, NULL, NULL, NULL }
#endif

/* CPython's tempfile.mkstemp, n at a time when told so. */
static char py_code[] =
	"import os, sys, tempfile\n"
	"d = sys.argv[1]\n"
	"while True:\n"
	"    line = sys.stdin.readline()\n"
	"    if not line:\n"
	"        break\n"
	"    for _ in range(int(line)):\n"
	"        fd, _p = tempfile.mkstemp(dir=d)\n"
	"        os.close(fd)\n"
	"    sys.stdout.write('ok\\n')\n"
	"    sys.stdout.flush()\n";
static struct coproc python;

static int run_python(long n)
{
	char line[32];

	snprintf(line, sizeof line, "%ld\n", n);
	return coproc_ask(&python, line);
}

static const struct bench_case files[] = {
	{ "openat", "floor: openat(ready name)+close", "openat",
	  prep_names, run_floor_file, done_ready_file },
	{ "openat_path", "openat(ready absolute path)+close", "openat",
	  prep_paths, run_floor_path, done_made_file },
	{ "tempfile_mkstemp", "tempfile_mkstemp+close", "tempfile_mkstemp",
	  NULL, run_tempfile_mkstemp, done_made_file },
	{ "tempfile_mkstemp_default", "tempfile_mkstemp(dir NULL: $TMPDIR)+close",
	  "tempfile_mkstemp", NULL, run_tempfile_mkstemp_default, done_made_file },
	{ "tempfile_mkstempat", "tempfile_mkstempat+close", "tempfile_mkstempat",
	  NULL, run_tempfile_mkstempat, done_made_file },
	{ "tempfile_mkstempat_noname", "tempfile_mkstempat(name NULL)+close",
	  "tempfile_mkstempat", NULL, run_tempfile_mkstempat_noname, remove_all },
	{ "mkostemp", "glibc mkostemp(O_CLOEXEC)+close", "mkostemp",
	  prep_templates, run_mkostemp, done_made_file },
	{ "mkostemp_strdup", "glibc strdup(template)+mkostemp+close", "dup_and_mkostemp",
	  NULL, run_mkostemp_strdup, done_made_file },
	GLIB_ROW("g_mkstemp_full", "GLib g_mkstemp_full+close", "g_mkstemp_full",
	         prep_templates, run_g_mkstemp_full, done_made_file),
	GLIB_ROW("g_file_open_tmp", "GLib g_file_open_tmp+close", "g_file_open_tmp",
	         NULL, run_g_file_open_tmp, done_made_file),
	{ "python", "CPython tempfile.mkstemp+os.close", NULL, NULL, run_python, remove_all },
};

static const struct bench_case dirs[] = {
	{ "mkdirat", "floor: mkdirat(ready name)", "mkdirat",
	  prep_names, run_floor_dir, done_ready_dir },
	{ "tempfile_mkdtemp", "tempfile_mkdtemp", "tempfile_mkdtemp",
	  NULL, run_tempfile_mkdtemp, done_made_dir },
	{ "mkdtemp", "glibc mkdtemp", "mkdtemp",
	  prep_templates, run_mkdtemp, done_made_dir },
	GLIB_ROW("g_dir_make_tmp", "GLib g_dir_make_tmp", "g_dir_make_tmp",
	         NULL, run_g_dir_make_tmp, done_made_dir),
};

#define COUNT(a) (sizeof (a) / sizeof (a)[0])

static int run_tables(int argc, char **argv)
{
	static char ftitle[4200], dtitle[4200];
	static struct bench_case fcases[COUNT(files)];
	struct bench_table tables[] = {
		{ ftitle, "ns/file", fcases, COUNT(files), MAX_BATCH, 0, 500, NULL, NULL, {0}, {0} },
		{ dtitle, "ns/dir", dirs, COUNT(dirs), MAX_BATCH, 0, 500, NULL, NULL, {0}, {0} },
	};
	static char python3[] = "python3", dash_c[] = "-c";
	char *py[] = { python3, dash_c, py_code, dir, NULL };
	int status, py_ok;

	memcpy(fcases, files, sizeof files);
	/* "0": waits until python3 (through whatever wrapper runs it) has
	 * started, so that no batch, timed or counted, includes its start. */
	py_ok = coproc_start(&python, py) == 0;
	if (py_ok && coproc_ask(&python, "0\n") < 0) {
		coproc_stop(&python);
		py_ok = 0;
	}
	if (!py_ok) {
		fcases[COUNT(files) - 1].run = NULL;
		fcases[COUNT(files) - 1].label = "CPython tempfile.mkstemp: python3 not found";
		fputs("python3 did not start: its row is left out\n", stderr);
	}
	snprintf(ftitle, sizeof ftitle, "files in %s: create+close (removal untimed)", dir);
	snprintf(dtitle, sizeof dtitle, "directories in %s: create (removal untimed)", dir);
	status = bench_tables(argc, argv, tables, COUNT(tables));
	if (fcases[COUNT(files) - 1].run)
		coproc_stop(&python);
	return status;
}

int main(int argc, char **argv)
{
	const char *parent;
	int status;

	parent = bench_parse_dir(&argc, &argv);
	if (fs_private_dir(parent, "bench_mkstemp-", &dir, &dir_fd) < 0)
		return 1;
	if (!(tmpl = malloc(strlen(dir) + sizeof "/tmpXXXXXX"))) {
		perror("bench_mkstemp");
		fs_private_dir_end(dir, dir_fd);
		return 1;
	}
	sprintf(tmpl, "%s/tmpXXXXXX", dir);

	status = run_tables(argc, argv);

	free(tmpl);
	if (fs_private_dir_end(dir, dir_fd) < 0)
		status = 1;
	return status;
}
