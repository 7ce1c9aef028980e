/* mkstemp, mkdtemp, mktemp and their directory-descriptor variants. */
#include "internal.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef NAME_MAX
# define NAME_MAX 255
#endif

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

/* Whether dir, of len > 1 bytes from a '/', is what tfp_abspath() makes of
 * it: no empty, "." or ".." component, no trailing '/'. */
static int is_clean(const char *dir, size_t len)
{
	const char *p = dir, *end = dir + len;

	if (end[-1] == '/')
		return 0;
	while (p < end) { /* at a '/' */
		const char *c = p + 1;

		if (c[0] == '/' ||
		    (c[0] == '.' && (!c[1] || c[1] == '/' ||
		                     (c[1] == '.' && (!c[2] || c[2] == '/')))))
			return 0;
		for (p = c + 1; *p && *p != '/'; p++)
			continue;
	}
	return 1;
}

#define ONES UINT64_C(0x0101010101010101)

/* The high bit of every byte of w that is c, and maybe of some above one
 * that is: a false alarm costs the exact check, never a wrong answer. */
static uint64_t bytes_eq(uint64_t w, unsigned char c)
{
	uint64_t x = w ^ (ONES * c);

	return (x - ONES) & ~x & (ONES << 7);
}

/* The length of dir if tfp_abspath() would return it unchanged, else 0.
 * What callers usually pass, and tempfile_gettempdir() returns: so the
 * common case costs a strlen() and a pass 8 bytes a step for a '/' before
 * '/' or '.' ("//", "/./", "/../", or a hidden ".name"), and only such a
 * path gets the exact check. */
static size_t clean_abs_len(const char *dir)
{
	size_t len, i;

	if (dir[0] != '/')
		return 0;
	len = strlen(dir);
	if (len < 10)
		return len == 1 || is_clean(dir, len) ? len : 0;
	for (i = 0;; i += 8) {
		uint64_t w, next;

		if (i + 9 > len)
			i = len - 9; /* the last step overlaps the one before */
		memcpy(&w, dir + i, sizeof w);
		memcpy(&next, dir + i + 1, sizeof next);
		/* '.' | 1 == '/': one test finds both after a '/'. */
		if (bytes_eq(w, '/') & bytes_eq(next | ONES, '/'))
			return is_clean(dir, len) ? len : 0;
		if (i + 9 == len)
			return dir[len - 1] == '/' ? 0 : len;
	}
}

int tfp_template_init_in(struct tfp_template *t, char *space, size_t size,
                         const char *suffix, const char *prefix, const char *dir,
                         int use_default_dir)
{
	size_t plen, slen, dlen = 0, total;
	char *absdir = NULL;
	int slash = 0;

	if (!prefix)
		prefix = tempfile_gettempprefix();
	if (!suffix)
		suffix = "";
	if (name_lens(suffix, prefix, &slen, &plen) < 0)
		return -1;
	if (!dir && use_default_dir && !(dir = tempfile_gettempdir()))
		return -1;
	/* The file is created at the absolute path it is reported by. */
	if (dir && !(dlen = clean_abs_len(dir))) {
		if (!(dir = absdir = tfp_abspath(dir)))
			return -1;
		dlen = strlen(dir);
	}
	if (dlen)
		slash = dir[dlen - 1] != '/';
	total = dlen + (size_t)slash + plen + TEMPFILE_NAME_LEN + slen + 1;
	t->buf = space && total <= size ? space : malloc(total);
	if (!t->buf) {
		free(absdir);
		errno = ENOMEM;
		return -1;
	}
	if (dlen)
		memcpy(t->buf, dir, dlen);
	free(absdir);
	if (slash)
		t->buf[dlen++] = '/';
	memcpy(t->buf + dlen, prefix, plen);
	t->name_off = dlen + plen;
	memset(t->buf + t->name_off, 'X', TEMPFILE_NAME_LEN);
	memcpy(t->buf + t->name_off + TEMPFILE_NAME_LEN, suffix, slen + 1);
	t->name = t->buf + dlen;
	return 0;
}

int tfp_template_init(struct tfp_template *t, const char *suffix,
                      const char *prefix, const char *dir, int use_default_dir)
{
	return tfp_template_init_in(t, NULL, 0, suffix, prefix, dir, use_default_dir);
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

	return tfp_unique(dirfd, t, call_int_create, &c);
}

int tfp_create_file(int dirfd, const char *path, int flags)
{
	int fd = openat(dirfd, path, TFP_CREATE_FLAGS | flags, 0600);
	int saved;

	if (fd < 0)
		return -1;
	fd = tfp_fd_settle(fd);
	if (fd < 0) {
		saved = errno;
		unlinkat(dirfd, path, 0);
		errno = saved;
	}
	return fd;
}

int tfp_create_dir(int dirfd, const char *path, int unused)
{
	TFP_UNUSED(unused);
	return mkdirat(dirfd, path, 0700);
}

/* What tfp_unique() calls for the functions below: flags points at the
 * int of open(2) flags. */
static int create_file(int dirfd, const char *path, void *flags)
{
	return tfp_create_file(dirfd, path, *(const int *)flags);
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
	return tfp_unique_entry(AT_FDCWD, suffix, prefix, dir, 1, create_file, &flags, path);
}

int tempfile_mkstempat(int dirfd, const char *suffix, const char *prefix,
                       int flags, char **name)
{
	if (check_flags(flags) < 0)
		return -1;
	return tfp_unique_entry(dirfd, suffix, prefix, NULL, 0, create_file, &flags, name);
}

char *tempfile_mkdtemp(const char *suffix, const char *prefix, const char *dir)
{
	char *path;

	if (tfp_unique_entry(AT_FDCWD, suffix, prefix, dir, 1, create_dir, NULL, &path) < 0)
		return NULL;
	return path;
}

int tempfile_mkdtempat(int dirfd, const char *suffix, const char *prefix, char **name)
{
	return tfp_unique_entry(dirfd, suffix, prefix, NULL, 0, create_dir, NULL, name);
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
