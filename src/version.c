/* The version of the library actually loaded. */
#include "internal.h"

const char *tempfile_version(void)
{
	return PACKAGE_VERSION;
}
