#include "config.h"
#include "driver.h"

const struct op ops_persist[] = {
	{ NULL, NULL, 0, 0 },
};
