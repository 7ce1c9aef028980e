/* Temporary directories: cleanup and close of a tree with every kind of
 * entry, keep. */
#include "config.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "driver.h"
#include "tempfile.h"

/* A tree of files, subdirectories (one nested, one 0000), a read-only
 * file, symbolic links (one leading out of the tree) and a FIFO. */
static tempfile_dir *make_tree(struct fx *x, unsigned flags)
{
	tempfile_dir *d = tempfile_dir_new(NULL, NULL, x->dir, flags);
	int fd = d ? tempfile_dir_fd(d) : -1;
	int sub;

	if (fd < 0 || mkdirat(fd, "a", 0700) < 0 || mkdirat(fd, "a/b", 0700) < 0 ||
	    mkdirat(fd, "locked", 0700) < 0 || mkdirat(fd, "locked/in", 0700) < 0 ||
	    symlinkat(x->dir, fd, "out") < 0 || symlinkat("a", fd, "a/b/up") < 0 ||
	    mkfifoat(fd, "fifo", 0600) < 0 ||
	    (sub = openat(fd, "a/b/file", O_WRONLY | O_CREAT | O_CLOEXEC, 0400)) < 0 ||
	    write(sub, "x", 1) != 1 || close(sub) < 0 || fchmodat(fd, "locked", 0, 0) < 0) {
		perror("making a tree");
		abort();
	}
	return d;
}

/* v: 0 cleanup, 1 close, 2 cleanup with IGNORE_CLEANUP_ERRORS, 3 close
 * with CLEANUP_AT_EXIT. */
static void op_cleanup(struct fx *x, int v)
{
	static const unsigned flags[] = { 0, 0, TEMPFILE_IGNORE_CLEANUP_ERRORS,
	                                  TEMPFILE_CLEANUP_AT_EXIT };
	tempfile_dir *d = make_tree(x, flags[v]);
	char *path = strdup(tempfile_dir_name(d));
	int r;

	FX_ARM(x);
	r = v & 1 ? tempfile_dir_close(d) : tempfile_dir_cleanup(d);
	FX_DISARM(x);
	if (r < 0)
		fx_failed(x);
	if (r == 0 && !x->reached)
		FX_CHECK(x, !fx_exists(path));
	/* What is left, if anything, a cleanup without faults removes. */
	if (!(v & 1)) {
		FX_CHECK(x, tempfile_dir_cleanup(d) == 0);
		FX_CHECK(x, tempfile_dir_close(d) == 0);
	} else if (r < 0 || x->reached) {
		x->may_leave = 1;
		fx_clear(x);
	}
	FX_CHECK(x, fx_exists(x->dir));
	free(path);
}

static void op_dir_keep(struct fx *x, int v)
{
	tempfile_dir *d = tempfile_dir_new(NULL, NULL, x->dir, TEMPFILE_CLEANUP_AT_EXIT);
	char *path = strdup(tempfile_dir_name(d));
	int r;

	TFP_UNUSED_ARG(v);
	FX_ARM(x);
	r = tempfile_dir_keep(d);
	FX_DISARM(x);
	FX_CHECK(x, r == 0);
	FX_CHECK(x, tempfile_dir_close(d) == 0 && fx_exists(path));
	rmdir(path);
	free(path);
}

static void op_keep(struct fx *x, int v)
{
	tempfile *tf = tempfile_named(NULL, NULL, x->dir, TEMPFILE_CLEANUP_AT_EXIT);
	char *path = strdup(tempfile_name(tf));
	int r;

	TFP_UNUSED_ARG(v);
	FX_ARM(x);
	r = tempfile_keep(tf);
	FX_DISARM(x);
	FX_CHECK(x, r == 0);
	FX_CHECK(x, tempfile_close(tf) == 0 && fx_exists(path));
	unlink(path);
	free(path);
}

const struct op ops_dir[] = {
	{ "dir_cleanup tree", op_cleanup, 0, 0 },
	{ "dir_close tree", op_cleanup, 1, 0 },
	{ "dir_cleanup tree IGNORE_CLEANUP_ERRORS", op_cleanup, 2, 0 },
	{ "dir_close tree CLEANUP_AT_EXIT", op_cleanup, 3, 0 },
	{ "dir_keep", op_dir_keep, 0, 0 },
	{ "keep", op_keep, 0, 0 },
	{ NULL, NULL, 0, 0 },
};
