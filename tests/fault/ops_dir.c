#include "config.h"
#include "driver.h"

const struct op ops_dir[] = {
	{ NULL, NULL, 0, 0 },
};
