/* rename without replacing: renameat2(RENAME_NOREPLACE), or link and
 * unlink on file systems that do not support the flag. */
#include "internal.h"

#include <errno.h>
#include <stdio.h>


int tfp_rename_noreplace(const char *from, const char *to)
{
	if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	return tfp_link_noreplace(from, to);
}
