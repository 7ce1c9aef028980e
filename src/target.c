/*
 * Where persist and replace put a file: the directory of the path, opened
 * once, so that the link or rename and the fsync after it act on the very
 * directory that receives the entry; the chain of symbolic links that
 * TEMPFILE_FOLLOW resolves; and the hidden side files made beside it.
 *
 * Paths are the kernel's to resolve: "link/../x" is opened as "link/../"
 * and "x", never shortened by hand.
 */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Links followed before ELOOP, as many as the kernel follows in a path. */
#define MAX_HOPS 40
#define SIDE_PREFIX ".tmp"

/* malloc()ed copy of the first len bytes of s. */
static char *copy_n(const char *s, size_t len)
{
	char *c = malloc(len + 1);

	if (!c) {
		errno = ENOMEM;
		return NULL;
	}
	memcpy(c, s, len);
	c[len] = '\0';
	return c;
}

/* Where the last component of s starts: after its last '/'. */
static size_t base_offset(const char *s)
{
	const char *slash = strrchr(s, '/');

	return slash ? (size_t)(slash - s) + 1 : 0;
}

/* What readlink(2) of name in dirfd says, malloc()ed; NULL with errno
 * (EINVAL: not a link). */
static char *read_link(int dirfd, const char *name)
{
	size_t size = 256;

	for (;;) {
		char *buf = malloc(size);
		ssize_t n;

		if (!buf) {
			errno = ENOMEM;
			return NULL;
		}
		n = readlinkat(dirfd, name, buf, size);
		if (n >= 0 && (size_t)n < size) {
			buf[n] = '\0';
			return buf;
		}
		free(buf);
		if (n < 0)
			return NULL;
		size *= 2;
	}
}

/* The path of the directory open as dirfd (AT_FDCWD: the current one),
 * malloc()ed. */
static char *dir_path(int dirfd)
{
	char proc[40];

	if (dirfd == AT_FDCWD)
		return tfp_getcwd();
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", dirfd);
	return read_link(AT_FDCWD, proc);
}

/* Opens the directory dir (a path ending in '/', or NULL for dirfd
 * itself) relative to dirfd, readable so that fsync() takes it. */
static int open_dir(int dirfd, const char *dir)
{
	int fd = openat(dirfd, dir ? dir : ".",
	                O_RDONLY | TFP_O_DIRECTORY | TFP_O_CLOEXEC);

	return tfp_fd_settle(fd);
}

/* A name with no last component ("dir/") is a directory, which no file
 * replaces. */
static int check_base(int dirfd, const char *name, const char *base)
{
	struct stat st;

	if (*base)
		return 0;
	/* A name ending in '/' stats only as a directory (Linux); ENOTDIR for
	 * systems that say otherwise (that arm is excluded from coverage). */
	if (fstatat(dirfd, name, &st, 0) == 0)
		errno = S_ISDIR(st.st_mode) ? EISDIR : ENOTDIR; /* GCOVR_EXCL_BR_LINE */
	return -1;
}

/* Moves t from its current entry to where the link text leads, the text
 * read relative to t's directory. */
static int hop(struct tfp_target *t, const char *link)
{
	size_t off = base_offset(link);
	char *dir = off ? copy_n(link, off) : NULL, *absdir, *base;
	int fd;

	if (off && !dir)
		return -1;
	if (check_base(t->dirfd, link, link + off) < 0 ||
	    (fd = open_dir(t->dirfd, dir)) < 0) {
		free(dir);
		return -1;
	}
	if (link[0] == '/')
		absdir = dir, dir = NULL;
	else
		absdir = dir ? tfp_path_join(t->absdir, dir) : strdup(t->absdir);
	base = strdup(link + off);
	free(dir);
	if (!absdir || !base) {
		free(absdir);
		free(base);
		close(fd);
		errno = ENOMEM;
		return -1;
	}
	close(t->dirfd);
	free(t->absdir);
	free(t->base);
	t->dirfd = fd;
	t->absdir = absdir;
	t->base = base;
	return 0;
}

static int follow_links(struct tfp_target *t)
{
	int hops;

	for (hops = 0;; hops++) {
		char *link = read_link(t->dirfd, t->base);
		int r;

		if (!link)
			return errno == EINVAL || errno == ENOENT ? 0 : -1;
		if (hops == MAX_HOPS) {
			free(link);
			errno = ELOOP;
			return -1;
		}
		r = hop(t, link);
		free(link);
		if (r < 0)
			return -1;
	}
}

/* t->absdir for name relative to dirfd: name's directory part, made
 * absolute against dirfd's path where it is relative; it ends in '/'. */
static char *abs_dir_of(int dirfd, const char *name, size_t off)
{
	char *dir = copy_n(name, off), *prefix, *abs;

	if (!dir || name[0] == '/')
		return dir;
	if (!(prefix = dir_path(dirfd))) {
		free(dir);
		return NULL;
	}
	abs = tfp_path_join(prefix, dir);
	free(prefix);
	free(dir);
	return abs;
}

int tfp_target_open(struct tfp_target *t, int dirfd, const char *name, int follow)
{
	size_t off = base_offset(name);
	char *dir;

	t->dirfd = -1;
	t->base = t->absdir = NULL;
	if (!*name) {
		errno = ENOENT;
		return -1;
	}
	if (check_base(dirfd, name, name + off) < 0)
		return -1;
	dir = off ? copy_n(name, off) : NULL;
	if (off && !dir)
		return -1;
	t->dirfd = open_dir(dirfd, dir);
	free(dir);
	if (t->dirfd < 0)
		return -1;
	if (!(t->absdir = abs_dir_of(dirfd, name, off)) || !(t->base = strdup(name + off))) {
		if (t->absdir)
			errno = ENOMEM;
		goto fail;
	}
	if (follow && follow_links(t) < 0)
		goto fail;
	return 0;
fail:
	tfp_target_close(t);
	return -1;
}

void tfp_target_close(struct tfp_target *t)
{
	if (t->dirfd >= 0)
		close(t->dirfd);
	free(t->absdir);
	free(t->base);
	t->dirfd = -1;
	t->absdir = t->base = NULL;
}

char *tfp_target_path(const struct tfp_target *t)
{
	return tfp_path_join(t->absdir, t->base);
}

int tfp_side_create(const struct tfp_target *t, struct tfp_side *side,
                    int (*create)(int dirfd, const char *name, int arg), int arg)
{
	struct tfp_template tpl;
	sigset_t old;
	int r = -1, saved;

	if (tfp_template_init(&tpl, NULL, SIDE_PREFIX, NULL, 0) < 0)
		return -1;
	/* Reserved before it exists, for a handler in another thread: one
	 * that runs between creation and registration would leave it. */
	tfp_block_fatal_signals(&old);
	side->path = NULL;
	if ((side->slot = tfp_exit_reserve()))
		r = tfp_create_unique(t->dirfd, &tpl, create, arg);
	if (r >= 0 && !(side->path = tfp_path_join(t->absdir, tpl.buf))) {
		saved = errno;
		unlinkat(t->dirfd, tpl.buf, 0);
		if (create == tfp_create_file)
			close(r);
		errno = saved;
		r = -1;
	}
	if (r >= 0) {
		tfp_exit_commit(side->slot, side->path, -1);
		side->name = side->path + strlen(side->path) - strlen(tpl.buf);
	} else {
		tfp_exit_unregister(side->slot);
		side->slot = NULL;
	}
	tfp_restore_signals(&old);
	free(tpl.buf);
	return r;
}

/* Takes the side entry back from the cleanup before it is renamed or
 * removed: a handler that ran after would remove its name, which may be
 * someone else's by then.  1 if a handler in another thread has already
 * removed it. */
static int side_claim(struct tfp_side *side, sigset_t *old)
{
	tfp_block_fatal_signals(old);
	return tfp_exit_claim(side->slot);
}

/* Ends the side entry's registration, with the fatal signals held off
 * since it was claimed. */
static void side_end(struct tfp_side *side, const sigset_t *old)
{
	int saved = errno;

	tfp_exit_unregister(side->slot);
	tfp_restore_signals(old);
	free(side->path);
	side->path = NULL;
	side->slot = NULL;
	errno = saved;
}

int tfp_side_commit(const struct tfp_target *t, struct tfp_side *side, int noclobber)
{
	sigset_t old;
	int r;

	if (side_claim(side, &old)) {
		errno = ENOENT; /* the process is dying */
		r = -1;
	} else {
		r = noclobber ? tfp_rename_noreplace(t->dirfd, side->name, t->dirfd, t->base)
		              : renameat(t->dirfd, side->name, t->dirfd, t->base);
		if (r < 0) {
			int saved = errno;

			unlinkat(t->dirfd, side->name, 0);
			errno = saved;
		}
	}
	side_end(side, &old);
	return r;
}

void tfp_side_discard(const struct tfp_target *t, struct tfp_side *side)
{
	sigset_t old;

	if (!side_claim(side, &old))
		unlinkat(t->dirfd, side->name, 0);
	side_end(side, &old);
}
