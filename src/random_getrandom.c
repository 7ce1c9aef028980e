/* Random source: getrandom(2), falling back to /dev/urandom on old kernels. */
#include "internal.h"

#include <errno.h>
#include <sys/random.h>

int tfp_random_bytes(void *buf, size_t n)
{
	unsigned char *p = buf;

	while (n > 0) {
		ssize_t r = getrandom(p, n, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOSYS)
				return tfp_urandom_bytes(p, n);
			return -1;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}
