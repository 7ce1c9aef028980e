#include "config.h"
#include "driver.h"

const struct op ops_io[] = {
	{ NULL, NULL, 0, 0 },
};
