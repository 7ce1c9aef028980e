#include "config.h"
#include "driver.h"

const struct op ops_misc[] = {
	{ NULL, NULL, 0, 0 },
};
