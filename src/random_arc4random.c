/* Random source: arc4random_buf(3), which cannot fail. */
#include "internal.h"

#include <stdlib.h>

int tfp_random_bytes(void *buf, size_t n)
{
	arc4random_buf(buf, n);
	return 0;
}
