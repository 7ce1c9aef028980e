/* Path strings: os.path.abspath(), joining, the environment, lstat. */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *tfp_getcwd(void)
{
	size_t size = 256;

	for (;;) {
		char *buf = malloc(size);

		if (!buf) {
			errno = ENOMEM;
			return NULL;
		}
		if (getcwd(buf, size))
			return buf;
		free(buf);
		if (errno != ERANGE)
			return NULL;
		size *= 2;
	}
}

/* Collapses ".", "..", repeated and trailing '/' of an absolute path in
 * place, as posixpath.normpath() does: exactly two leading slashes are kept
 * (POSIX leaves their meaning to the system), ".." at the root stays there. */
static void normalise(char *path)
{
	size_t slashes = strspn(path, "/");
	char *root = path + (slashes == 2 ? 2 : 1);
	char *out = root;
	const char *in = path + slashes;

	while (*in) {
		size_t len = strcspn(in, "/");

		if (len == 2 && in[0] == '.' && in[1] == '.') {
			while (out > root && out[-1] != '/')
				out--;
			if (out > root)
				out--;
		} else if (!(len == 1 && in[0] == '.')) {
			if (out > root)
				*out++ = '/';
			memmove(out, in, len);
			out += len;
		}
		in += len;
		in += strspn(in, "/");
	}
	*out = '\0';
}

char *tfp_abspath(const char *path)
{
	char *abs;

	if (path[0] == '/') {
		abs = strdup(path);
		if (!abs)
			errno = ENOMEM;
	} else {
		char *cwd = tfp_getcwd();

		if (!cwd)
			return NULL;
		abs = tfp_path_join(cwd, path);
		free(cwd);
	}
	if (abs)
		normalise(abs);
	return abs;
}

char *tfp_path_join(const char *dir, const char *name)
{
	size_t dlen = strlen(dir), nlen = strlen(name);
	int slash = dlen > 0 && dir[dlen - 1] != '/';
	char *path = malloc(dlen + (size_t)slash + nlen + 1);

	if (!path) {
		errno = ENOMEM;
		return NULL;
	}
	memcpy(path, dir, dlen);
	if (slash)
		path[dlen] = '/';
	memcpy(path + dlen + (size_t)slash, name, nlen + 1);
	return path;
}

int tfp_check_affix(const char *s)
{
	if (s && strchr(s, '/')) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

const char *tfp_getenv(const char *name)
{
#ifdef HAVE_SECURE_GETENV
	return secure_getenv(name);
#else
	return getenv(name);
#endif
}

int tfp_lstat(const char *path, struct stat *st)
{
#ifdef HAVE_LSTAT
	return lstat(path, st);
#else
	return stat(path, st);
#endif
}
