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

int tfp_check_name(const char *suffix, const char *prefix)
{
	if (tfp_check_affix(prefix) < 0 || tfp_check_affix(suffix) < 0)
		return -1;
	/* The file system would say so too, but only after a failed call,
	 * and O_TMPFILE would not say so at all. */
	if (strlen(prefix ? prefix : tempfile_gettempprefix()) + TEMPFILE_NAME_LEN +
	    strlen(suffix ? suffix : "") > NAME_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int tfp_template_init(struct tfp_template *t, const char *suffix,
                      const char *prefix, const char *dir, int use_default_dir)
{
	size_t plen, slen, dlen = 0;
	char *absdir = NULL;

	if (!prefix)
		prefix = tempfile_gettempprefix();
	if (tfp_check_name(suffix, prefix) < 0)
		return -1;
	if (!suffix)
		suffix = "";
	plen = strlen(prefix);
	slen = strlen(suffix);
	if (!dir && use_default_dir && !(dir = tempfile_gettempdir()))
		return -1;
	/* The file is created at the absolute path it is reported by. */
	if (dir) {
		if (!(absdir = tfp_abspath(dir)))
			return -1;
		dlen = strlen(absdir);
		if (absdir[dlen - 1] != '/')
			absdir[dlen++] = '/'; /* overwrites the NUL; length kept */
	}
	t->buf = malloc(dlen + plen + TEMPFILE_NAME_LEN + slen + 1);
	if (!t->buf) {
		free(absdir);
		errno = ENOMEM;
		return -1;
	}
	if (dlen)
		memcpy(t->buf, absdir, dlen);
	free(absdir);
	memcpy(t->buf + dlen, prefix, plen);
	t->name_off = dlen + plen;
	memset(t->buf + t->name_off, 'X', TEMPFILE_NAME_LEN);
	memcpy(t->buf + t->name_off + TEMPFILE_NAME_LEN, suffix, slen + 1);
	t->name = t->buf + dlen;
	return 0;
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
	if (r == 0 && !S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		r = -1;
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
