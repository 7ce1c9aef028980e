/* The constructors, each with each of its flags. */
#include "config.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "driver.h"
#include "src/internal.h"
#include "tempfile.h"

/* A path the library returned: absolute, in dir (NULL: in any directory,
 * for the default one probed afresh: a failure in dir makes the probe take
 * the next candidate), of the given type. */
static int made_in(const char *path, const char *dir, mode_t type, mode_t perm)
{
	struct stat st;
	size_t n = dir ? strlen(dir) : 0;

	if (!path || path[0] != '/' || (dir && (strncmp(path, dir, n) || path[n] != '/' ||
	                                        strchr(path + n + 1, '/'))))
		return 0;
	return lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == type &&
	       (st.st_mode & 07777) == perm;
}

static const int open_flags[] = { 0, O_APPEND, O_SYNC, O_DSYNC, O_DIRECT, O_NOATIME };

static void op_mkstemp(struct fx *x, int v)
{
	char *path = NULL;
	int fd;

	fx_snap(x);
	FX_ARM(x);
	fd = tempfile_mkstemp(".s", "p", v & 8 ? NULL : x->dir, open_flags[v & 7],
	                      v & 16 ? NULL : &path);
	FX_DISARM(x);
	if (fd < 0) {
		fx_failed(x);
		fx_same(x);
		return;
	}
	FX_CHECK(x, fx_fd_ok(fd));
	if (!(v & 16))
		FX_CHECK(x, made_in(path, x->dir, S_IFREG, 0600));
	close(fd);
	if (path)
		unlink(path);
	else
		fx_clear(x);
	free(path);
}

static void op_mkstempat(struct fx *x, int v)
{
	char *name = NULL;
	int fd;

	fx_snap(x);
	FX_ARM(x);
	fd = tempfile_mkstempat(x->dirfd, NULL, v & 8 ? NULL : "q", open_flags[v & 7],
	                        &name);
	FX_DISARM(x);
	if (fd < 0) {
		fx_failed(x);
		fx_same(x);
		return;
	}
	FX_CHECK(x, fx_fd_ok(fd));
	FX_CHECK(x, name && !strchr(name, '/'));
	close(fd);
	if (name)
		unlinkat(x->dirfd, name, 0);
	free(name);
}

static void op_mkdtemp(struct fx *x, int v)
{
	char *path, *name = NULL;
	int r;

	fx_snap(x);
	FX_ARM(x);
	if (v) {
		r = tempfile_mkdtempat(x->dirfd, "d", NULL, &name);
		path = r == 0 && name ? fx_path(x->dir, name) : NULL;
	} else {
		path = tempfile_mkdtemp(NULL, "d", x->dir);
		r = path ? 0 : -1;
	}
	FX_DISARM(x);
	if (r < 0) {
		FX_CHECK(x, !path);
		fx_failed(x);
		fx_same(x);
		return;
	}
	FX_CHECK(x, made_in(path, x->dir, S_IFDIR, 0700));
	if (path)
		rmdir(path);
	free(path);
	free(name);
}

static void op_mktemp(struct fx *x, int v)
{
	char *path;

	TFP_UNUSED(v);
	fx_snap(x);
	FX_ARM(x);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
	path = tempfile_mktemp(".t", NULL, x->dir);
#pragma GCC diagnostic pop
	FX_DISARM(x);
	fx_same(x);
	if (!path) {
		fx_failed(x);
		return;
	}
	FX_CHECK(x, strncmp(path, x->dir, strlen(x->dir)) == 0 && !fx_exists(path));
	free(path);
}

/* mkunique's create: a FIFO, made by the driver (not counted). */
static int make_fifo(int dirfd, const char *name, void *arg)
{
	int r;

	TFP_UNUSED(arg);
	fault_pause();
	r = mkfifoat(dirfd, name, 0600);
	fault_resume();
	return r;
}

static void op_mkunique(struct fx *x, int v)
{
	char *name = NULL;
	int r;

	TFP_UNUSED(v);
	fx_snap(x);
	FX_ARM(x);
	r = tempfile_mkunique(x->dirfd, ".fifo", NULL, make_fifo, NULL, &name);
	FX_DISARM(x);
	if (r < 0) {
		fx_failed(x);
		fx_same(x);
		return;
	}
	FX_CHECK(x, name != NULL);
	if (name)
		unlinkat(x->dirfd, name, 0);
	free(name);
}

/* A file object just made: its kind's checks, then closed; the directory
 * must be as before unless kept. */
static void check_object(struct fx *x, tempfile *tf, int named, unsigned flags,
                         const char *dir)
{
	const char *name = tempfile_name(tf);
	char *path = name ? strdup(name) : NULL;
	char buf[4];

	if (named)
		FX_CHECK(x, made_in(name, dir, S_IFREG, 0600));
	else
		FX_CHECK(x, !name);
	FX_CHECK(x, tempfile_write(tf, "abc", 3) == 3);
	FX_CHECK(x, tempfile_seek(tf, 0, SEEK_SET) == 0);
	FX_CHECK(x, tempfile_read(tf, buf, sizeof buf) == 3 && !memcmp(buf, "abc", 3));
	FX_CHECK(x, tempfile_close(tf) == 0);
	if (path && (flags & TEMPFILE_KEEP)) {
		FX_CHECK(x, fx_holds(path, "abc"));
		unlink(path);
	}
	fx_same(x);
	free(path);
}

static const unsigned file_flags[] = {
	0, TEMPFILE_KEEP, TEMPFILE_APPEND, TEMPFILE_CLEANUP_AT_EXIT,
	TEMPFILE_KEEP | TEMPFILE_CLEANUP_AT_EXIT,
};

/* v: the flags' index; 8: the default directory (set to dir); 16: the
 * default directory probed afresh ($TMPDIR is dir). */
static void op_named(struct fx *x, int v)
{
	tempfile *tf;

	fx_snap(x);
	if (v & 16)
		tempfile_settempdir(NULL);
	FX_ARM(x);
	tf = tempfile_named(".n", NULL, v & 24 ? NULL : x->dir, file_flags[v & 7]);
	FX_DISARM(x);
	if (!tf) {
		fx_failed(x);
		fx_same(x);
		return;
	}
	check_object(x, tf, 1, file_flags[v & 7], v & 16 ? NULL : x->dir);
}

/* v as for op_named; 32: without O_TMPFILE. */
static void op_unnamed(struct fx *x, int v)
{
	tempfile *tf;

	fx_snap(x);
	if (v & 16)
		tempfile_settempdir(NULL);
	if (v & 32)
		tfp_tmpfile_works = 0;
	FX_ARM(x);
	tf = tempfile_unnamed(".u", "u", v & 24 ? NULL : x->dir, file_flags[v & 7]);
	FX_DISARM(x);
	fx_same(x);
	if (!tf) {
		fx_failed(x);
		return;
	}
	check_object(x, tf, 0, 0, NULL);
}

static void op_spooled(struct fx *x, int v)
{
	tempfile *tf;

	fx_snap(x);
	FX_ARM(x);
	tf = tempfile_spooled(v & 8 ? 0 : 2, ".sp", "sp", v & 16 ? NULL : x->dir,
	                      file_flags[v & 7]);
	FX_DISARM(x);
	fx_same(x);
	if (!tf) {
		fx_failed(x);
		return;
	}
	FX_CHECK(x, !tempfile_rolled(tf));
	check_object(x, tf, 0, 0, NULL);
}

static const unsigned dir_flags[] = {
	0, TEMPFILE_KEEP, TEMPFILE_CLEANUP_AT_EXIT, TEMPFILE_IGNORE_CLEANUP_ERRORS,
	TEMPFILE_KEEP | TEMPFILE_CLEANUP_AT_EXIT,
};

static void op_dir_new(struct fx *x, int v)
{
	tempfile_dir *d;
	char *path;

	fx_snap(x);
	if (v & 16)
		tempfile_settempdir(NULL);
	FX_ARM(x);
	d = tempfile_dir_new(NULL, "dn", v & 24 ? NULL : x->dir, dir_flags[v & 7]);
	FX_DISARM(x);
	if (!d) {
		fx_failed(x);
		fx_same(x);
		return;
	}
	path = strdup(tempfile_dir_name(d));
	FX_CHECK(x, made_in(path, v & 16 ? NULL : x->dir, S_IFDIR, 0700));
	FX_CHECK(x, fx_fd_ok(tempfile_dir_fd(d)));
	FX_CHECK(x, tempfile_dir_close(d) == 0);
	if (dir_flags[v & 7] & TEMPFILE_KEEP)
		rmdir(path);
	fx_same(x);
	free(path);
}

const struct op ops_create[] = {
	{ "mkstemp", op_mkstemp, 0, 0 },
	{ "mkstemp O_APPEND", op_mkstemp, 1, 0 },
	{ "mkstemp O_SYNC", op_mkstemp, 2, 0 },
	{ "mkstemp O_DSYNC", op_mkstemp, 3, 0 },
	{ "mkstemp O_DIRECT", op_mkstemp, 4, 0 },
	{ "mkstemp O_NOATIME", op_mkstemp, 5, 0 },
	{ "mkstemp default dir", op_mkstemp, 8, 0 },
	{ "mkstemp no path", op_mkstemp, 16, 0 },
	{ "mkstempat", op_mkstempat, 0, 0 },
	{ "mkstempat O_APPEND default", op_mkstempat, 1 | 8, 0 },
	{ "mkdtemp", op_mkdtemp, 0, 0 },
	{ "mkdtempat", op_mkdtemp, 1, 0 },
	{ "mktemp", op_mktemp, 0, 0 },
	{ "mkunique", op_mkunique, 0, 0 },
	{ "named", op_named, 0, 0 },
	{ "named KEEP", op_named, 1, 0 },
	{ "named APPEND", op_named, 2, 0 },
	{ "named CLEANUP_AT_EXIT", op_named, 3, 0 },
	{ "named KEEP|CLEANUP_AT_EXIT", op_named, 4, 0 },
	{ "named default dir", op_named, 8, 0 },
	{ "named probed dir", op_named, 16 | 3, 1 },
	{ "unnamed", op_unnamed, 0, 0 },
	{ "unnamed KEEP", op_unnamed, 1, 0 },
	{ "unnamed APPEND", op_unnamed, 2, 0 },
	{ "unnamed CLEANUP_AT_EXIT", op_unnamed, 3, 0 },
	{ "unnamed probed dir", op_unnamed, 16, 1 },
	{ "unnamed no O_TMPFILE", op_unnamed, 32, 0 },
	{ "unnamed no O_TMPFILE CLEANUP", op_unnamed, 32 | 3, 0 },
	{ "spooled", op_spooled, 0, 0 },
	{ "spooled KEEP|CLEANUP default", op_spooled, 4 | 16, 0 },
	{ "spooled APPEND no max", op_spooled, 2 | 8, 0 },
	{ "dir_new", op_dir_new, 0, 0 },
	{ "dir_new KEEP", op_dir_new, 1, 0 },
	{ "dir_new CLEANUP_AT_EXIT", op_dir_new, 2, 0 },
	{ "dir_new IGNORE_CLEANUP_ERRORS", op_dir_new, 3, 0 },
	{ "dir_new KEEP|CLEANUP probed", op_dir_new, 4 | 16, 1 },
	{ NULL, NULL, 0, 0 },
};
