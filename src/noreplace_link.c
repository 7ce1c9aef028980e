/* rename without replacing, the portable way: linkat(2) fails with EEXIST
 * atomically, then the old name goes. */
#include "internal.h"

#include <errno.h>
#include <unistd.h>

int tfp_link_noreplace(int fromdir, const char *from, int todir, const char *to)
{
	if (linkat(fromdir, from, todir, to, 0) < 0)
		return -1;
	if (unlinkat(fromdir, from, 0) < 0) {
		int saved = errno;

		unlinkat(todir, to, 0);
		errno = saved;
		return -1;
	}
	return 0;
}
