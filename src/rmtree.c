/* Removing a tree through directory descriptors (see internal.h).
 *
 * Every entry is named relative to the descriptor of the directory that
 * holds it, and a subdirectory is entered only through openat() with
 * O_NOFOLLOW|O_DIRECTORY: when someone swaps a subdirectory for a symbolic
 * link, that open fails and the link itself is unlinked, so the walk never
 * leaves the tree, whatever is renamed while it runs.  Permissions are only
 * ever changed through a descriptor checked to be a directory of the tree,
 * never by path: CPython's CVE-2023-6597 was a chmod() that followed a link.
 * A directory on another device, or the root of a mount (a bind mount of the
 * same file system), is never entered: the mount stays, with all it holds.
 *
 * The walk is a loop, not a recursion: it holds one descriptor, on the
 * directory being emptied, and a record (device, inode, progress) per level
 * above it, in memory mapped for the purpose (levels.c).  It goes back up
 * through "..", and trusts what it reached only if it is the very directory
 * it came down from; otherwise (that part of the tree was moved away while
 * the walk was inside) it starts again from the top, which it never lets go
 * of.  Coming back up loses the place in the parent's listing: the parent is
 * read again from its start, where what this pass has left in place comes
 * first (removed entries are gone) and is skipped by count, so that a
 * directory that cannot be emptied is tried once per pass, not forever.
 *
 * Async-signal-safe with the getdents64 backend (tempfile_cleanup_all() runs
 * this from signal handlers): no allocation beyond mmap(), no stdio, no
 * lock, and about 1.5 KiB of stack at any depth.
 */
#include "internal.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

/* O_NONBLOCK: without O_DIRECTORY, a FIFO swapped in must not hang us. */
#define SUBDIR_FLAGS (O_RDONLY | O_NONBLOCK | TFP_O_DIRECTORY | TFP_O_CLOEXEC)

/* Passes over one directory.  A pass after the first picks up what the file
 * system skipped while entries went, or what appeared meanwhile; the cap
 * stops a writer racing the removal from holding an exiting process. */
#define MAX_PASSES 4

/* Fresh starts from the top after the walk found itself moved out of the
 * tree, or after one that removed nothing: the same cap, for the same
 * reason. */
#define MAX_RESTARTS 8

static int fail(int *err)
{
	if (!*err)
		*err = errno;
	return -1;
}

/* The return value for the first errno met, err (0: none). */
static int result(int err)
{
	if (!err)
		return 0;
	errno = err;
	return -1;
}

static void close_keep_errno(int fd)
{
	int saved = errno;

	close(fd);
	errno = saved;
}

/* Where there is no O_NOFOLLOW, openat() follows a link swapped in for
 * name; the open is then only trusted if it reached the very directory
 * that fstatat() found there without following. */
static int open_nofollow(int dirfd, const char *name, int flags)
{
	struct stat seen, got;
	int fd;

	if (TFP_O_NOFOLLOW)
		return openat(dirfd, name, flags | TFP_O_NOFOLLOW);
	if (fstatat(dirfd, name, &seen, AT_SYMLINK_NOFOLLOW) < 0)
		return -1;
	if (!S_ISDIR(seen.st_mode)) {
		errno = S_ISLNK(seen.st_mode) ? ELOOP : ENOTDIR;
		return -1;
	}
	fd = openat(dirfd, name, flags);
	if (fd >= 0 && (fstat(fd, &got) < 0 || got.st_dev != seen.st_dev ||
	                got.st_ino != seen.st_ino)) {
		close(fd);
		errno = ELOOP;
		return -1;
	}
	return fd;
}

/* 0 if fd, which is name in dirfd, is a directory of the tree on dev, with
 * *st filled in; else -1 with ENOTDIR (with O_PATH|O_NOFOLLOW, fd may hold
 * a symbolic link, which is unlinked, not entered) or EBUSY (a mount point,
 * left alone). */
static int check_subdir(int dirfd, const char *name, int fd, dev_t dev, struct stat *st)
{
	int mount_root;

	if (tfp_inspect(fd, st, &mount_root) < 0)
		return -1;
	if (!S_ISDIR(st->st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	/* By name: no mount is made under a walk that has no privilege. */
	if (mount_root < 0)
		mount_root = tfp_mount_point_at(dirfd, name);
	if (st->st_dev != dev || mount_root) {
		errno = EBUSY;
		return -1;
	}
	return 0;
}

/* Opens the subdirectory name of dirfd, never through a link, never into
 * another mount, and gives its owner rwx.  One its owner locked (0000) is
 * unlocked first, through an O_PATH descriptor: that needs no permission
 * on the directory itself. */
static int open_subdir(int dirfd, const char *name, dev_t dev, struct stat *st)
{
	int fd = open_nofollow(dirfd, name, SUBDIR_FLAGS);

	if (fd < 0 && errno == EACCES) {
		int pfd = open_nofollow(dirfd, name, TFP_O_PATH | TFP_O_CLOEXEC);

		if (pfd < 0)
			return -1;
		if (check_subdir(dirfd, name, pfd, dev, st) < 0) {
			close_keep_errno(pfd);
			return -1;
		}
		tfp_make_owner_rwx(pfd, st->st_mode); /* if it fails, the open says why */
		close(pfd);
		fd = open_nofollow(dirfd, name, SUBDIR_FLAGS);
	}
	if ((fd = tfp_fd_settle(fd)) < 0)
		return -1;
	if (check_subdir(dirfd, name, fd, dev, st) < 0) {
		close_keep_errno(fd);
		return -1;
	}
	/* A 0500 directory; if this fails, unlinkat() inside says why. */
	if (tfp_make_owner_rwx(fd, st->st_mode) == 0)
		st->st_mode |= S_IRWXU;
	return fd;
}

/* O_NOFOLLOW met a symbolic link (FreeBSD says EMLINK), or O_DIRECTORY a
 * file: either way the entry is unlinked, not entered. */
static int not_a_dir(int e)
{
	return e == ENOTDIR || e == ELOOP || e == EMLINK;
}

static int is_dot_or_dotdot(const char *name)
{
	return name[0] == '.' && (!name[1] || (name[1] == '.' && !name[2]));
}

static int same_id(const struct stat *st, const struct tfp_inode *id)
{
	return st->st_dev == id->dev && st->st_ino == id->ino;
}

/* ---- The walk ---- */

struct walk {
	int top;                 /* the tree, never closed here */
	int fd;                  /* the directory being emptied (top at depth 0) */
	size_t depth;
	struct tfp_levels lv;    /* a record per level, the top's at 0 */
	struct tfp_inode child;  /* the directory just climbed out of ... */
	int child_pending;       /* ... still to be removed from fd */
	int progress;            /* something removed since the last start */
	uid_t euid;
	unsigned restarts;
	char *batch;             /* BATCH bytes mapped, or NULL: see scan_from() */
	int no_batch;            /* the mapping failed: small batches it is */
	int whole;               /* the last scan read all the directory at once */
	int stable;              /* tfp_positions_stable() of the tree */
	int err;
};

/* What a directory of many entries is read in, once it has needed more
 * than two small batches: as much as glibc's readdir() reads at once. */
#define BATCH 32768

/* What became of one entry. */
enum { GONE, KEPT, ENTERED };

static int kept(struct walk *w)
{
	fail(&w->err);
	return KEPT;
}

/* Whether the walk, once in fd, can get back out through "..": surely from
 * a directory of its own that open_subdir() gave the owner rwx, else only
 * if it may search it (a directory of root's, mode 0744, inside a tree of
 * nobody's can be listed but not left: entering it would end the walk). */
static int can_climb(struct walk *w, int fd, const struct stat *st)
{
	int up;

	if (st->st_uid == w->euid && (st->st_mode & S_IXUSR))
		return 1;
	if ((up = openat(fd, "..", TFP_O_PATH | TFP_O_DIRECTORY | TFP_O_CLOEXEC)) < 0)
		return 0;
	close(up);
	return 1;
}

/* Goes down into the subdirectory name, or removes what stands there. */
static int enter(struct walk *w, const char *name)
{
	struct stat st;
	struct tfp_level *l;
	int fd = open_subdir(w->fd, name, w->lv.top.id.dev, &st);

	if (fd < 0) {
		if (errno == ENOENT)
			return GONE;
		if (!not_a_dir(errno))
			return kept(w);
		if (unlinkat(w->fd, name, 0) == 0 || errno == ENOENT)
			return GONE;
		return kept(w);
	}
	if (!can_climb(w, fd, &st)) {
		close_keep_errno(fd);
		return kept(w);
	}
	/* Never taken: push() fails for depth 0 only (excluded from coverage). */
	if (!(l = tfp_levels_push(&w->lv, w->depth + 1))) { /* GCOVR_EXCL_BR_LINE */
		close(fd); /* GCOVR_EXCL_LINE */
		return kept(w); /* GCOVR_EXCL_LINE */
	}
	l->id.dev = st.st_dev;
	l->id.ino = st.st_ino;
	if (w->fd != w->top)
		close(w->fd);
	w->fd = fd;
	w->depth++;
	return ENTERED;
}

/* The first entry after climbing back is, normally, the directory just
 * emptied: it goes now.  GONE or KEPT if it was that directory, else -1
 * for the caller to treat the entry as any other. */
static int remove_child(struct walk *w, const char *name)
{
	struct stat st;
	int e;

	w->child_pending = 0;
	/* Whatever empty directory this is, it is one of the tree's. */
	if (unlinkat(w->fd, name, AT_REMOVEDIR) == 0 || errno == ENOENT)
		return GONE;
	e = errno;
	if (fstatat(w->fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !same_id(&st, &w->child))
		return -1;
	errno = e;
	return kept(w);
}

static int remove_entry(struct walk *w, const char *name, int maybe_dir)
{
	int r;

	if (w->child_pending && (r = remove_child(w, name)) >= 0)
		return r;
	if (!maybe_dir) {
		if (unlinkat(w->fd, name, 0) == 0 || errno == ENOENT)
			return GONE;
		/* Linux says EISDIR, POSIX EPERM: it became a directory. */
		if (errno != EISDIR && errno != EPERM)
			return kept(w);
	}
	return enter(w, name);
}

/* What a scan of the current directory came to. */
enum { PASS_DONE, DESCENDED, MISPLACED };

static int is_child(struct walk *w, const char *name)
{
	struct stat st;

	return fstatat(w->fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && same_id(&st, &w->child);
}

/* Reads the current directory from start, past skip entries, until it
 * enters a subdirectory or the pass ends.  With check, the first entry
 * must be the directory just climbed out of (MISPLACED if not). */
static int scan_from(struct walk *w, off_t start, unsigned long skip, int check)
{
	struct tfp_level *l = tfp_levels_at(&w->lv, w->depth);
	struct tfp_dirents it;
	const char *name;
	int maybe_dir, r;

	if (tfp_dirents_open(&it, w->fd, start) < 0) {
		if (check)
			return MISPLACED;
		fail(&w->err);
		return PASS_DONE;
	}
	if (w->batch)
		tfp_dirents_use(&it, w->batch, BATCH);
	while ((r = tfp_dirents_next(&it, &name, &maybe_dir)) > 0) {
		/* A large directory: the batches after the first few are
		 * read larger, in memory mapped (mmap() is a plain system
		 * call: not on POSIX's list of async-signal-safe functions,
		 * but safe in practice on glibc and musl, as levels.c relies
		 * on too; malloc() is not).  The iterator's own batch keeps
		 * the stack small.  Without the mapping, small batches. */
		if (!w->batch && !w->no_batch && tfp_dirents_batches(&it) > 2) {
			if ((w->batch = tfp_map_anon(BATCH)) != NULL)
				tfp_dirents_use(&it, w->batch, BATCH);
			else
				w->no_batch = 1;
		}
		if (is_dot_or_dotdot(name))
			continue;
		if (skip) {
			skip--;
			continue;
		}
		if (check && !is_child(w, name)) {
			tfp_dirents_close(&it);
			return MISPLACED;
		}
		check = 0;
		/* Where to come back to, should this be entered. */
		l->resume = tfp_dirents_tell(&it);
		r = remove_entry(w, name, maybe_dir);
		if (r == ENTERED)
			break;
		if (r == GONE)
			l->removed = w->progress = 1;
		else
			l->kept++;
	}
	/* ENOENT: the directory itself was removed meanwhile; nothing left. */
	if (r < 0 && errno != ENOENT)
		fail(&w->err);
	/* One batch and then the end, where positions stay put as entries
	 * go: the batch held all the directory held (a local file system
	 * lists under the directory's lock).  What was made there since, the
	 * parent's removal of the directory will find (ENOTEMPTY). */
	w->whole = start == 0 && r == 0 && tfp_dirents_batches(&it) == 2;
	tfp_dirents_close(&it);
	if (check && r == 0)
		return MISPLACED; /* the child was the last entry, and is gone */
	return r == ENTERED ? DESCENDED : PASS_DONE;
}

/* Without positions, each return to a directory reads it again from the
 * start, and a writer racing the removal could keep adding subdirectories
 * there for ever.  A pass may come back to a directory as often as it had
 * subdirectories when the first such return came (its link count says how
 * many, on most file systems: Btrfs says 1), and a few more. */
#define REREAD_SLACK 8
#define REREAD_UNKNOWN 4096

static int reread_allowed(struct walk *w, struct tfp_level *l)
{
	struct stat st;

	if (!l->rereads) {
		l->rereads = REREAD_UNKNOWN;
		if (fstat(w->fd, &st) == 0 && st.st_nlink >= 2)
			l->rereads = (unsigned long)st.st_nlink - 2 + REREAD_SLACK;
	}
	return --l->rereads > 0;
}

/* Goes on with the current directory: back where the walk left it, if the
 * file system kept the position of the directory just emptied (the common
 * case: cookies of ext4, XFS, Btrfs, tmpfs since Linux 6.6); else from the
 * start, past the entries this pass kept, which come first as the others
 * are gone, as many times as reread_allowed() lets it. */
static int scan(struct walk *w)
{
	struct tfp_level *l = tfp_levels_at(&w->lv, w->depth);
	int r;

	w->whole = 0;
	if (w->child_pending && l->resume > 0) {
		r = scan_from(w, l->resume, 0, 1);
		if (r != MISPLACED)
			return r;
		l = tfp_levels_at(&w->lv, w->depth);
	}
	if (w->child_pending && !reread_allowed(w, l))
		return PASS_DONE;
	return scan_from(w, 0, l->kept, 0);
}

/* Empties the current directory, passes included, unless it enters a
 * subdirectory first (1). */
static int empty_level(struct walk *w)
{
	struct tfp_level *l;

	for (;;) {
		if (scan(w) == DESCENDED)
			return 1;
		/* As many passes as remove something, up to the cap: removing
		 * entries while reading the rest may hide some of those (a new
		 * pass finds them), unless the pass read them all at once.  The
		 * top always gets its second pass: no parent's would notice. */
		l = tfp_levels_at(&w->lv, w->depth);
		if (!l->removed || (w->depth > 0 && w->stable && w->whole && !l->kept) ||
		    ++l->pass >= MAX_PASSES)
			return 0;
		l->kept = 0;
		l->removed = 0;
		l->resume = 0;
		l->rereads = 0;
	}
}

static void reset_level(struct tfp_level *l)
{
	l->rereads = 0;
	l->resume = 0;
	l->kept = 0;
	l->removed = 0;
	l->pass = 0;
}

/* Back to the top and its first entry; 0, or -1 once too many starts
 * achieved nothing or found the tree moving. */
static int restart(struct walk *w, int moved)
{
	if (w->fd != w->top)
		close(w->fd);
	w->fd = w->top;
	w->depth = 0;
	w->child_pending = 0;
	tfp_levels_reset(&w->lv);
	reset_level(&w->lv.top);
	if (moved || !w->progress) {
		if (++w->restarts > MAX_RESTARTS) {
			errno = ESTALE;
			return fail(&w->err);
		}
	}
	w->progress = 0;
	return 0;
}

/* How a climb went. */
enum { CLIMBED, LOST, MOVED };

/* Climbs to the parent of the current directory, if it is the directory
 * the walk came down from (MOVED if not, LOST if its record is gone). */
static int climb(struct walk *w)
{
	struct tfp_level *up = tfp_levels_at(&w->lv, w->depth - 1);
	struct tfp_level *here = tfp_levels_at(&w->lv, w->depth);
	struct stat st;
	int fd, mount_root;

	if (!up)
		return LOST;
	if (w->depth - 1 == 0) {
		fd = w->top;
	} else {
		fd = tfp_fd_settle(openat(w->fd, "..", SUBDIR_FLAGS | TFP_O_NOFOLLOW));
		if (fd < 0) {
			fail(&w->err);
			return MOVED;
		}
		if (tfp_inspect(fd, &st, &mount_root) < 0 || !same_id(&st, &up->id)) {
			close(fd);
			return MOVED;
		}
	}
	w->child = here->id;
	w->child_pending = 1;
	close(w->fd);
	w->fd = fd;
	w->depth--;
	return CLIMBED;
}

/* Removes the contents of top, the directory st: 0 or -1 with errno (the
 * first met). */
static int walk(int top, const struct stat *st)
{
	struct walk w;
	int how;

	memset(&w, 0, sizeof w);
	w.top = w.fd = top;
	w.euid = geteuid();
	w.stable = tfp_positions_stable(top);
	tfp_levels_init(&w.lv);
	w.lv.top.id.dev = st->st_dev;
	w.lv.top.id.ino = st->st_ino;
	for (;;) {
		if (empty_level(&w))
			continue;
		if (w.depth == 0)
			break;
		how = climb(&w);
		if (how != CLIMBED && restart(&w, how == MOVED) < 0)
			break;
	}
	/* Never taken: the loop ends at depth 0 or after restart(), both at
	 * the top; kept should the loop change (excluded from coverage). */
	if (w.fd != w.top) /* GCOVR_EXCL_BR_LINE */
		close(w.fd); /* GCOVR_EXCL_LINE */
	tfp_levels_free(&w.lv);
	tfp_unmap_anon(w.batch, BATCH);
	return result(w.err);
}

int tfp_rmtree_contents(int dirfd)
{
	struct stat st;
	int mount_root;

	if (tfp_inspect(dirfd, &st, &mount_root) < 0)
		return -1;
	return walk(dirfd, &st);
}

/* ---- The top directory ---- */

/* The tree's descriptor: dirfd if it is still the directory id, else one
 * opened by path if that names it (*opened 1: the caller closes it, even
 * if the program closed dirfd and the kernel gave the number back); -1
 * with ESTALE if neither does (the path is gone or another's). */
static int tree_fd(int dirfd, const char *path, const struct tfp_dir_id *id,
                   struct stat *st, int *opened)
{
	int fd;

	*opened = 0;
	/* A live directory keeps its inode number; one gone may pass it on. */
	if (tfp_dir_fd_is(dirfd, id, st))
		return dirfd;
	fd = tfp_fd_settle(open_nofollow(AT_FDCWD, path, SUBDIR_FLAGS));
	if (fd >= 0 && !tfp_dir_fd_is(fd, id, st)) {
		close(fd);
		fd = -1;
	}
	if (fd < 0) {
		errno = ESTALE;
		return -1;
	}
	*opened = 1;
	return fd;
}

/* "../name": name in the directory that holds fd now, named through fd, so
 * that checking and removing it takes no descriptor of the parent (an
 * open and a close, which cost more than the check itself); "" if name
 * is too long to be one. */
static void name_in_parent(char *buf, const char *name)
{
	size_t len = strlen(name);

	if (len > NAME_MAX) {
		buf[0] = '\0';
		return;
	}
	memcpy(buf, "../", 3);
	memcpy(buf + 3, name, len + 1);
}

/* Removes the top directory fd, if its name (path's last component) in the
 * directory that holds it now, wherever it was moved, not what path says,
 * is still its own.  (Between the check and the removal, a rename can still
 * slip in: no system call removes a directory by identity.  What it could
 * remove then is an empty directory.)
 *
 * err NULL: the try before the walk, for a tree that is empty already: 0
 * only if it removed it, -1 if the walk is needed (the name gone is no
 * reason to leave the contents).  Else, after the walk: its name gone or
 * another's is not an error, any other failure is, in *err. */
static int remove_top(int fd, const char *path, const struct tfp_dir_id *id, int *err)
{
	const char *name = strrchr(path, '/');
	char rel[3 + NAME_MAX + 1];
	struct stat now;
	int r, by_path;

	name_in_parent(rel, name ? name + 1 : path);
	r = rel[0] ? fstatat(fd, rel, &now, AT_SYMLINK_NOFOLLOW) : -1;
	/* The top cannot be searched (or the name is no name): its path is
	 * all there is.  ENOENT: the name is gone from where the top is. */
	by_path = r < 0 && (!rel[0] || errno != ENOENT);
	if (by_path)
		r = tfp_lstat(path, &now);
	if (r == 0 && !same_id(&now, &id->node)) {
		r = -1; /* another's: left, and no error */
		errno = ENOENT;
	} else if (r == 0) {
		r = by_path ? rmdir(path) : unlinkat(fd, rel, AT_REMOVEDIR);
	}
	if (r == 0 || !err)
		return r;
	if (errno != ENOENT)
		fail(err);
	return -1;
}

int tfp_rmtree(int dirfd, const char *path, const struct tfp_dir_id *id, int *through_dirfd)
{
	struct stat st;
	int err = 0, opened, fd = tree_fd(dirfd, path, id, &st, &opened);

	if (through_dirfd)
		*through_dirfd = fd >= 0 && !opened;
	if (fd < 0)
		return -1;
	if (st.st_nlink == 0)
		goto done; /* someone removed it already */
	/* The owner may have locked the top directory itself.  If it cannot
	 * be unlocked (not ours), the removals say why, if any is needed. */
	(void)tfp_make_owner_rwx(fd, st.st_mode);
	/* Most trees are empty by the time they go: the top is removed
	 * first, and read only if that fails (ENOTEMPTY, or any other
	 * reason: the try after the walk says which). */
	if (remove_top(fd, path, id, NULL) < 0) {
		if (walk(fd, &st) < 0)
			fail(&err);
		remove_top(fd, path, id, &err);
	}
done:
	if (opened)
		close(fd);
	return result(err);
}
