/* rename without replacing: renameat2(RENAME_NOREPLACE), or link and
 * unlink on file systems that do not support the flag. */
#include "internal.h"

#include <errno.h>
#include <stdio.h>

int tfp_rename_noreplace(int fromdir, const char *from, int todir, const char *to)
{
	if (renameat2(fromdir, from, todir, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	return tfp_link_noreplace(fromdir, from, todir, to);
}
