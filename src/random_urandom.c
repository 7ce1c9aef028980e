/* Random source: /dev/urandom, for systems with neither getrandom nor
 * arc4random_buf. */
#include "internal.h"

int tfp_random_bytes(void *buf, size_t n)
{
	return tfp_urandom_bytes(buf, n);
}
