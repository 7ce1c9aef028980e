/* mkstemp, mkdtemp, mktemp and their directory-descriptor variants; the
 * path of a new entry (prefix, random name and suffix in a directory) and
 * the loop that finds a free name for it, behind every constructor.  The
 * path is built and the loop run inline in each public function here, so
 * that a create makes no calls but the ones it needs. */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The length of an affix, or -1 with EINVAL if it holds a '/': one pass,
 * cheaper than strchr() and strlen() for the few bytes an affix has. */
static ssize_t affix_len(const char *s)
{
	const char *p;

	for (p = s; *p; p++)
		if (*p == '/') {
			errno = EINVAL;
			return -1;
		}
	return p - s;
}

/* Both lengths, after the checks tfp_check_name() documents. */
static int name_lens(const char *suffix, const char *prefix, size_t *slen, size_t *plen)
{
	ssize_t p = affix_len(prefix), s;

	if (p < 0 || (s = affix_len(suffix)) < 0)
		return -1;
	/* The file system would say so too, but only after a failed call,
	 * and O_TMPFILE would not say so at all. */
	if ((size_t)p + TEMPFILE_NAME_LEN + (size_t)s > NAME_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	*plen = (size_t)p;
	*slen = (size_t)s;
	return 0;
}

int tfp_check_name(const char *suffix, const char *prefix)
{
	size_t slen, plen;

	return name_lens(suffix ? suffix : "", prefix ? prefix : tempfile_gettempprefix(),
	                 &slen, &plen);
}

/* The length of a prefix or suffix after the checks tfp_check_name()
 * makes; NULL gets the default (the current prefix, an empty suffix) in
 * *s.  A prefix from the settings was checked when it was set. */
static ssize_t affix(const char **s, int is_prefix)
{
	size_t len;

	if (*s)
		return affix_len(*s);
	if (!is_prefix) {
		*s = "";
		return 0;
	}
	*s = tfp_prefix_get(&len);
	return (ssize_t)len;
}

/* A directory that is not spelled as os.path.abspath() would spell it:
 * the file is created at the absolute path it is reported by. */
static int absolute_dir(const char **dir, size_t *dlen, char **absdir)
{
	if (!(*dir = *absdir = tfp_abspath(*dir)))
		return -1;
	*dlen = strlen(*dir);
	return 0;
}

/* The directory part into *dir: dir, else the default (use_default_dir),
 * else none (NULL); made absolute where it is not, into *absdir (to be
 * freed).  Its length in *dlen.  0, or -1 with errno. */
TFP_HOT_INLINE int
dir_part(const char **dir, int use_default_dir, size_t *dlen, char **absdir)
{
	*absdir = NULL;
	if (*dir) {
		*dlen = tfp_clean_abs_len(*dir);
	} else if (!use_default_dir) {
		*dlen = 0;
		return 0;
	} else if (!(*dir = tfp_tempdir_get(dlen))) {
		return -1;
	}
	return *dlen ? 0 : absolute_dir(dir, dlen, absdir);
}

/* An affix's few bytes, to its end, the '\0' not included; returns the
 * end in dst.  A call of memcpy() and its choice by size would cost more
 * than the copy (which compilers leave as it is: its length is not known
 * before it ends). */
static inline char *put_affix(char *dst, const char *src)
{
	while (*src)
		*dst++ = *src++;
	return dst;
}

/* The hot path of every constructor: the path is built in one pass, with
 * no allocation but its own (none when it fits in space) where dir is
 * already clean, as the default directory is known to be.  Inlined in
 * its callers. */
TFP_HOT_INLINE int
template_in(struct tfp_template *t, char *space, size_t size, const char *suffix,
            const char *prefix, const char *dir, int use_default_dir)
{
	ssize_t p = affix(&prefix, 1), s;
	size_t dlen, total;
	char *absdir, *b;
	int slash;

	if (p < 0 || (s = affix(&suffix, 0)) < 0)
		return -1;
	/* The file system would say so too, but only after a failed call,
	 * and O_TMPFILE would not say so at all. */
	if ((size_t)p + TEMPFILE_NAME_LEN + (size_t)s > NAME_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (dir_part(&dir, use_default_dir, &dlen, &absdir) < 0)
		return -1;
	slash = dlen && dir[dlen - 1] != '/';
	total = dlen + (size_t)slash + (size_t)p + TEMPFILE_NAME_LEN + (size_t)s + 1;
	b = space && total <= size ? space : malloc(total);
	if (!b) {
		free(absdir);
		errno = ENOMEM;
		return -1;
	}
	if (dlen)
		memcpy(b, dir, dlen);
	if (absdir)
		free(absdir);
	if (slash)
		b[dlen++] = '/';
	put_affix(b + dlen, prefix);
	t->buf = b;
	t->name = b + dlen;
	t->name_off = dlen + (size_t)p;
	memset(b + t->name_off, 'X', TEMPFILE_NAME_LEN);
	*put_affix(b + t->name_off + TEMPFILE_NAME_LEN, suffix) = '\0';
	return 0;
}

int tfp_template_init(struct tfp_template *t, const char *suffix,
                      const char *prefix, const char *dir, int use_default_dir)
{
	return template_in(t, NULL, 0, suffix, prefix, dir, use_default_dir);
}

/* The hot path of tempfile_mkstemp(): no allocation and no system call here
 * besides what create makes; a name usually costs none (namegen.c). */
TFP_HOT_INLINE int unique(int dirfd, struct tfp_template *t,
                          int (*create)(int dirfd, const char *path, void *arg), void *arg)
{
	long i;

	for (i = 0; i < TEMPFILE_TMP_MAX; i++) {
		int r;

		if (tfp_next_name(t->buf + t->name_off) < 0)
			return -1;
		r = create(dirfd, t->buf, arg);
		if (r >= 0)
			return r;
		/* bind(2) says EADDRINUSE where the others say EEXIST. */
		if (errno != EEXIST && errno != EADDRINUSE)
			return -1; /* whatever negative value create returned */
	}
	errno = EEXIST;
	return -1;
}

/* Room on the stack for the paths of callers that want no copy: most
 * paths fit, and a longer one costs a malloc() as every path did once. */
#define PATH_SPACE 256

/* Inlined in each public function below, where create is known. */
TFP_HOT_INLINE int
entry(int dirfd, const char *suffix, const char *prefix, const char *dir, int path_api,
      int (*create)(int dirfd, const char *path, void *arg), void *arg, char **out)
{
	struct tfp_template t;
	char space[PATH_SPACE];
	int r;

	/* With out, the path is built where the caller will own it.  (space
	 * is only written to: cppcheck takes the array in ?: for a read.) */
	/* cppcheck-suppress legacyUninitvar */
	if (template_in(&t, out ? NULL : space, sizeof space, suffix, prefix,
	                path_api ? dir : NULL, path_api) < 0)
		return -1;
	r = unique(dirfd, &t, create, arg);
	if (r >= 0 && out)
		*out = t.buf;
	else if (t.buf != space)
		free(t.buf);
	return r;
}

int tfp_unique_entry(int dirfd, const char *suffix, const char *prefix,
                     const char *dir, int path_api,
                     int (*create)(int dirfd, const char *path, void *arg),
                     void *arg, char **out)
{
	return entry(dirfd, suffix, prefix, dir, path_api, create, arg, out);
}

/* For the callers whose create functions take an int. */
struct int_create {
	int (*create)(int dirfd, const char *path, int arg);
	int arg;
};

static int call_int_create(int dirfd, const char *path, void *arg)
{
	const struct int_create *c = arg;

	return c->create(dirfd, path, c->arg);
}

int tfp_create_unique(int dirfd, struct tfp_template *t,
                      int (*create)(int dirfd, const char *path, int arg), int arg)
{
	struct int_create c = { create, arg };

	return unique(dirfd, t, call_int_create, &c);
}

/* A new file's descriptor made to conform to the contract (tfp_fd_settle()),
 * or the file removed again: out of line, off the common path. */
static __attribute__((noinline)) int settle_created(int dirfd, const char *path, int fd)
{
	int saved;

	fd = tfp_fd_settle(fd);
	if (fd < 0) {
		saved = errno;
		unlinkat(dirfd, path, 0);
		errno = saved;
	}
	return fd;
}

/* Inlined where unique() is, and behind tfp_create_file(). */
TFP_HOT_INLINE int file_at(int dirfd, const char *path, int flags)
{
	int fd = openat(dirfd, path, TFP_CREATE_FLAGS | flags, 0600);

	/* What tfp_fd_settle() would keep as it is, without the call. */
	if (fd < 0 || (TFP_O_CLOEXEC && fd > STDERR_FILENO))
		return fd;
	return settle_created(dirfd, path, fd);
}

int tfp_create_file(int dirfd, const char *path, int flags)
{
	return file_at(dirfd, path, flags);
}

int tfp_create_dir(int dirfd, const char *path, int unused)
{
	TFP_UNUSED(unused);
	return mkdirat(dirfd, path, 0700);
}

/* What unique() calls for the functions below: flags points at the
 * int of open(2) flags. */
static int create_file(int dirfd, const char *path, void *flags)
{
	return file_at(dirfd, path, *(const int *)flags);
}

static int create_dir(int dirfd, const char *path, void *unused)
{
	TFP_UNUSED(unused);
	return tfp_create_dir(dirfd, path, 0);
}

static int check_flags(int flags)
{
	if (flags & ~TFP_EXTRA_OPEN_FLAGS) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int tempfile_mkstemp(const char *suffix, const char *prefix, const char *dir,
                     int flags, char **path)
{
	if (check_flags(flags) < 0)
		return -1;
	return entry(AT_FDCWD, suffix, prefix, dir, 1, create_file, &flags, path);
}

int tempfile_mkstempat(int dirfd, const char *suffix, const char *prefix,
                       int flags, char **name)
{
	if (check_flags(flags) < 0)
		return -1;
	return entry(dirfd, suffix, prefix, NULL, 0, create_file, &flags, name);
}

char *tempfile_mkdtemp(const char *suffix, const char *prefix, const char *dir)
{
	char *path;

	if (entry(AT_FDCWD, suffix, prefix, dir, 1, create_dir, NULL, &path) < 0)
		return NULL;
	return path;
}

int tempfile_mkdtempat(int dirfd, const char *suffix, const char *prefix, char **name)
{
	return entry(dirfd, suffix, prefix, NULL, 0, create_dir, NULL, name);
}

/* The directory part of t must be a directory, or every name would look
 * free (Python's mktemp() returns one regardless). */
static int check_dir_part(struct tfp_template *t)
{
	char *end = t->buf + (t->name - t->buf);
	char saved = *end;
	struct stat st;
	int r;

	*end = '\0';
	r = stat(t->buf, &st);
	*end = saved;
	/* The part ends in '/', which POSIX resolves only for a directory
	 * (ENOTDIR from stat() itself): this is for systems that stray. */
	if (r == 0 && !S_ISDIR(st.st_mode)) { /* GCOVR_EXCL_BR_LINE */
		errno = ENOTDIR; /* GCOVR_EXCL_LINE */
		r = -1; /* GCOVR_EXCL_LINE */
	}
	return r;
}

char *tempfile_mktemp(const char *suffix, const char *prefix, const char *dir)
{
	struct tfp_template t;
	struct stat st;
	long i;

	if (tfp_template_init(&t, suffix, prefix, dir, 1) < 0)
		return NULL;
	if (check_dir_part(&t) < 0)
		goto fail;
	for (i = 0; i < TEMPFILE_TMP_MAX; i++) {
		if (tfp_next_name(t.buf + t.name_off) < 0)
			goto fail;
		if (tfp_lstat(t.buf, &st) < 0) {
			if (errno == ENOENT)
				return t.buf;
			goto fail;
		}
	}
	errno = EEXIST;
fail:
	free(t.buf);
	return NULL;
}
