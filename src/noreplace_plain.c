/* rename without replacing where there is no renameat2(). */
#include "internal.h"

int tfp_rename_noreplace(int fromdir, const char *from, int todir, const char *to)
{
	return tfp_link_noreplace(fromdir, from, todir, to);
}
