/* tempfile_mkunique(): the loop behind every constructor (mkstemp.c), for
 * what the library does not make itself (sockets, FIFOs, links). */
#include "internal.h"

#include <errno.h>

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
