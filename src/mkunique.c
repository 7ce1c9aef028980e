/* The loop that finds a free name, behind every constructor, and its public
 * face tempfile_mkunique() for what the library does not make itself
 * (sockets, FIFOs, links). */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>

/* The hot path of tempfile_mkstemp(): no allocation and no system call here
 * besides what create makes; a name usually costs none (namegen.c). */
int tfp_unique(int dirfd, struct tfp_template *t,
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

int tfp_unique_entry(int dirfd, const char *suffix, const char *prefix,
                     const char *dir, int path_api,
                     int (*create)(int dirfd, const char *path, void *arg),
                     void *arg, char **out)
{
	struct tfp_template t;
	char space[PATH_SPACE];
	int r;

	/* With out, the path is built where the caller will own it.  (space
	 * is only written to: cppcheck takes the array in ?: for a read.) */
	/* cppcheck-suppress legacyUninitvar */
	if (tfp_template_init_in(&t, out ? NULL : space, sizeof space, suffix, prefix,
	                         path_api ? dir : NULL, path_api) < 0)
		return -1;
	r = tfp_unique(dirfd, &t, create, arg);
	if (r >= 0 && out)
		*out = t.buf;
	else if (t.buf != space)
		free(t.buf);
	return r;
}

int tempfile_mkunique(int dirfd, const char *suffix, const char *prefix,
                      int (*create)(int dirfd, const char *name, void *arg),
                      void *arg, char **name)
{
	if (!create) {
		errno = EINVAL;
		return -1;
	}
	return tfp_unique_entry(dirfd, suffix, prefix, NULL, 0, create, arg, name);
}
