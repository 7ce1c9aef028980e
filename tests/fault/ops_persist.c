/* persist and persistat with every flag and every kind of file, on this
 * file system and another; replace and commit; write_file. */
#include "config.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "driver.h"
#include "tempfile.h"

static const unsigned persist_flags[] = {
	0, TEMPFILE_NOCLOBBER, TEMPFILE_DURABLE, TEMPFILE_PRESERVE, TEMPFILE_FOLLOW,
	TEMPFILE_DURABLE | TEMPFILE_PRESERVE | TEMPFILE_FOLLOW,
};

/* What old_target() put there. */
static const char old_data[] = "old";

/* The variant's bits. */
#define KIND(v) ((v) & 7)
#define FLAGS(v) persist_flags[((v) >> 3) & 7]
#define EXISTS 64   /* the target exists */
#define OTHER_FS 128 /* the target is on the other file system */
#define AT 256      /* persistat() */

/* Makes the target's directory's entries: "target" holding old_data if
 * exists, and with FOLLOW "link" leading to it.  Returns the path to
 * persist to (malloc()ed). */
static char *old_target(const char *dir, int exists, unsigned flags, char **target)
{
	*target = fx_path(dir, "target");
	if (exists)
		fx_put(*target, old_data);
	if (flags & TEMPFILE_FOLLOW) {
		char *link = fx_path(dir, "link");

		if (symlink("target", link) < 0)
			abort();
		return link;
	}
	return strdup(*target);
}

/* After a failed commit: the target as it was, unless only the final
 * flush of the directory failed or the close after the file was in place
 * (which commit reports: an error at close may be data lost). */
static int put_anyway(struct fx *x, const char *target, unsigned flags, const char *data)
{
	return x->hit && (((flags & TEMPFILE_DURABLE) && !strcmp(x->hit, "fsync")) ||
	                  !strcmp(x->hit, "close")) && fx_holds(target, data);
}

static void check_old(struct fx *x, const char *target, int exists)
{
	if (exists)
		FX_CHECK(x, fx_holds(target, old_data));
	else
		FX_CHECK(x, !fx_exists(target));
}

/* Removes what the target's directory holds after the run. */
static void remove_target(const char *path, const char *target)
{
	unlink(path);
	unlink(target);
}

static void op_persist(struct fx *x, int v)
{
	const char *dir = v & OTHER_FS ? x->other : x->dir;
	unsigned flags = FLAGS(v);
	char *target, *path;
	tempfile *tf;
	int r, dirfd = -1;

	if (!dir)
		return;
	path = old_target(dir, v & EXISTS, flags, &target);
	tf = fx_object(x, KIND(v), 0);
	if (v & AT)
		dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	FX_ARM(x);
	if (v & AT)
		r = tempfile_persistat(tf, dirfd, strrchr(path, '/') + 1, flags);
	else
		r = tempfile_persist(tf, path, flags);
	FX_DISARM(x);
	if (dirfd >= 0)
		close(dirfd);
	if ((flags & TEMPFILE_NOCLOBBER) && (v & EXISTS))
		x->expect = EEXIST;
	if (r < 0 && fx_holds(target, start_data)) {
		/* In place, and persisted (closing must leave it), but a later
		 * step failed: the final flush, or the temporary name could
		 * not be checked and stays. */
		fx_failed(x);
		x->may_leave = 1;
	} else if (r < 0) {
		fx_failed(x);
		check_old(x, target, v & EXISTS);
		HOLDS_START(x, tf);
		fx_same(x);
	} else {
		FX_CHECK(x, !((flags & TEMPFILE_NOCLOBBER) && (v & EXISTS)));
		FX_CHECK(x, fx_holds(target, start_data));
		if (flags & TEMPFILE_FOLLOW)
			FX_CHECK(x, fx_holds(path, start_data));
	}
	FX_CHECK(x, tempfile_close(tf) == 0);
	if (r == 0 || x->may_leave)
		FX_CHECK(x, fx_holds(target, start_data));
	remove_target(path, target);
	free(path);
	free(target);
}

/* v: flags' index | EXISTS | the window: 0 replace, 1 commit, 2 write_file. */
#define WINDOW(v) ((v) >> 8)
static void op_replace(struct fx *x, int v)
{
	unsigned flags = FLAGS(v);
	char *target, *path = old_target(x->dir, v & EXISTS, flags, &target);
	tempfile *tf = NULL;
	int r = 0;

	fx_snap(x);
	if (WINDOW(v) == 1 && (!(tf = tempfile_replace(path, flags)) ||
	                       tempfile_write(tf, start_data, START_LEN) != START_LEN))
		abort();
	FX_ARM(x);
	if (WINDOW(v) == 0)
		r = (tf = tempfile_replace(path, flags)) ? 0 : -1;
	else if (WINDOW(v) == 1)
		r = tempfile_commit(tf);
	else
		r = tempfile_write_file(path, start_data, START_LEN, flags);
	FX_DISARM(x);
	if ((flags & TEMPFILE_NOCLOBBER) && (v & EXISTS))
		x->expect = EEXIST;
	if (r < 0 && WINDOW(v) && put_anyway(x, target, flags, start_data)) {
		/* Only the last flush failed. */
		fx_failed(x);
	} else if (r < 0) {
		fx_failed(x);
		check_old(x, target, v & EXISTS);
		fx_same(x);
	} else if ((flags & TEMPFILE_NOCLOBBER) && (v & EXISTS)) {
		/* Then the commit must fail, and leave the file as it was. */
		FX_CHECK(x, WINDOW(v) == 0);
		if (WINDOW(v) == 0)
			FX_CHECK(x, tempfile_commit(tf) < 0 && errno == EEXIST);
		check_old(x, target, 1);
		fx_same(x);
	} else {
		if (WINDOW(v) == 0)
			FX_CHECK(x, tempfile_write(tf, start_data, START_LEN) == START_LEN &&
			            tempfile_commit(tf) == 0);
		FX_CHECK(x, fx_holds(target, start_data));
		if (flags & TEMPFILE_FOLLOW)
			FX_CHECK(x, fx_holds(path, start_data));
	}
	remove_target(path, target);
	free(path);
	free(target);
}

#define FLAG_SET(name, fn, extra) \
	{ name, fn, (extra), 0 }, \
	{ name " NOCLOBBER", fn, (extra) | 1 << 3, 0 }, \
	{ name " DURABLE", fn, (extra) | 2 << 3, 0 }, \
	{ name " PRESERVE", fn, (extra) | 3 << 3, 0 }, \
	{ name " FOLLOW", fn, (extra) | 4 << 3, 0 }, \
	{ name " DURABLE|PRESERVE|FOLLOW", fn, (extra) | 5 << 3, 0 }

#define PERSIST_KIND(name, kind) \
	FLAG_SET("persist " name, op_persist, kind), \
	FLAG_SET("persist " name " onto a file", op_persist, (kind) | EXISTS), \
	{ "persist " name " other fs", op_persist, (kind) | OTHER_FS, 0 }, \
	{ "persist " name " other fs onto a file DURABLE", op_persist, \
	  (kind) | OTHER_FS | EXISTS | 2 << 3, 0 }, \
	{ "persistat " name, op_persist, (kind) | AT, 0 }, \
	{ "persistat " name " onto a file PRESERVE", op_persist, (kind) | AT | EXISTS | 3 << 3, 0 }

const struct op ops_persist[] = {
	PERSIST_KIND("named", NAMED),
	PERSIST_KIND("unnamed", UNNAMED),
	PERSIST_KIND("unnamed no O_TMPFILE", PLAIN_UNNAMED),
	PERSIST_KIND("spooled", SPOOL),
	PERSIST_KIND("spooled rolled", ROLLED),
	FLAG_SET("replace", op_replace, 0),
	FLAG_SET("replace onto a file", op_replace, EXISTS),
	FLAG_SET("commit", op_replace, 1 << 8),
	FLAG_SET("commit onto a file", op_replace, EXISTS | 1 << 8),
	FLAG_SET("write_file", op_replace, 2 << 8),
	FLAG_SET("write_file onto a file", op_replace, EXISTS | 2 << 8),
	{ NULL, NULL, 0, 0 },
};
