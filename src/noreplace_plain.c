/* rename without replacing where there is no renameat2(). */
#include "internal.h"

int tfp_rename_noreplace(const char *from, const char *to)
{
	return tfp_link_noreplace(from, to);
}
