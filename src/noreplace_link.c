/* rename without replacing, the portable way: link(2) fails with EEXIST
 * atomically, then the old name goes. */
#include "internal.h"

#include <errno.h>
#include <unistd.h>

int tfp_link_noreplace(const char *from, const char *to)
{
	if (link(from, to) < 0)
		return -1;
	if (unlink(from) < 0) {
		int saved = errno;

		unlink(to);
		errno = saved;
		return -1;
	}
	return 0;
}
